//! `git realm hooks`: install, uninstall and run git-realm's git hooks. The hooks themselves
//! run in `pre_push` and `after_update`.

mod after_update;
mod pre_push;
mod pre_receive;

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{Ctx, Outcome};
use crate::git::CodeRepo;
use crate::git::hooks::{self, Hook, Installed, Manager, Removed};
use crate::output::{self, Report};

/// Manage and run git-realm's git hooks
///
/// install writes pre-push, post-merge and post-rewrite hooks into the directory git runs
/// hooks from ('git rev-parse --git-path hooks': core.hooksPath when set; linked worktrees
/// share it). A hook already there keeps running, after git-realm's part, with the same
/// arguments and input; uninstall removes only what install added. Where husky, pre-commit
/// or lefthook manage the hooks, install prints what to add to their configuration instead.
///
/// pre-push computes the exports at each pushed commit and compares them with the values the
/// last fetched realm records (no network). Drift blocks a push to the tracked branch
/// (realm.trackedBranch; by default the remote's default branch, else init.defaultBranch,
/// else main) and warns on other branches. realm.prePush = block | warn | off;
/// GIT_REALM_SKIP=1 or 'git push --no-verify' skip it. post-merge and post-rewrite fetch the
/// realm (for at most realm.fetchTimeout milliseconds, default 3000) and report new export
/// versions and stale or broken imports; they never fail.
///
/// install --realm, run inside a realm repository (bare or not), writes a pre-receive hook
/// instead: every push to the realm's main branch is checked against the trust rules ('git
/// realm verify') and refused when a commit breaks one, or when git-realm cannot run.
#[derive(Debug, Args)]
pub struct HooksArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Install git-realm's hooks into this repository
    Install {
        /// Install even where husky, pre-commit or lefthook manage the hooks
        #[arg(long)]
        force: bool,

        /// Install the realm's pre-receive hook, run inside a realm repository (bare or not)
        ///
        /// It checks every push to the realm's main branch against the trust rules (see
        /// 'git realm verify') and refuses the push when a commit breaks one.
        #[arg(long)]
        realm: bool,
    },
    /// Remove git-realm's hooks, restoring the hooks they were added to
    Uninstall {
        /// Remove the realm's pre-receive hook, run inside a realm repository
        #[arg(long)]
        realm: bool,
    },
    /// Run a hook as git runs it (the installed hook files call this)
    Run {
        /// The hook to run
        hook: Hook,
        /// The arguments git passed to the hook
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

pub fn run(ctx: &Ctx, args: HooksArgs) -> Result<Outcome> {
    match args.action {
        Action::Install { realm: true, .. } => {
            ctx.emit(&install_in_realm(ctx)?)?;
            Ok(Outcome::Clean)
        }
        Action::Uninstall { realm: true } => {
            ctx.emit(&uninstall_in_realm(ctx)?)?;
            Ok(Outcome::Clean)
        }
        // The realm's guard fails closed, and no pusher may skip it.
        Action::Run {
            hook: Hook::PreReceive,
            ..
        } => pre_receive::run(ctx),
        Action::Install { force, .. } => {
            let repo = CodeRepo::discover(&ctx.cwd)?;
            ctx.emit(&install(&repo, force)?)?;
            Ok(Outcome::Clean)
        }
        Action::Uninstall { .. } => {
            let repo = CodeRepo::discover(&ctx.cwd)?;
            ctx.emit(&uninstall(&repo)?)?;
            Ok(Outcome::Clean)
        }
        Action::Run { hook, args } => {
            if skipped() {
                return Ok(Outcome::Clean);
            }
            let ran = match hook {
                Hook::PrePush => pre_push::run(ctx, &args),
                Hook::PostMerge | Hook::PostRewrite => after_update::run(ctx, hook),
                Hook::PreReceive => unreachable!("run above"),
            };
            // A hook that cannot run must not stand between the user and git; input git never
            // sends does stop the push.
            ran.or_else(|err| {
                if err.downcast_ref::<pre_push::Malformed>().is_some() {
                    return Err(err);
                }
                output::warn(format!(
                    "warning: git-realm's {} hook did not run: {err:#}",
                    hook.name()
                ));
                if let Some(hint) = crate::error::hint_of(&err) {
                    output::warn(format!("hint: {hint}"));
                }
                Ok(Outcome::Clean)
            })
        }
    }
}

/// `GIT_REALM_SKIP` set to anything but empty, `0` or `false`.
fn skipped() -> bool {
    std::env::var("GIT_REALM_SKIP").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

#[derive(Serialize)]
pub struct InstallReport {
    hooks_dir: String,
    /// Set when a hook manager owns the hooks: nothing was written, and `instructions` say
    /// what to add to its configuration.
    manager: Option<Manager>,
    instructions: Option<&'static str>,
    hooks: Vec<HookInstalled>,
}

#[derive(Serialize)]
struct HookInstalled {
    hook: Hook,
    result: Installed,
}

impl Report for InstallReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if let (Some(manager), Some(instructions)) = (self.manager, self.instructions) {
            writeln!(
                out,
                "This repository's hooks are managed by {}: git-realm wrote none.",
                manager.name()
            )?;
            return write!(out, "{instructions}");
        }
        for h in &self.hooks {
            let (name, dir) = (h.hook.name(), &self.hooks_dir);
            match h.result {
                Installed::Created => writeln!(out, "✓ Installed {dir}/{name}")?,
                Installed::Added => writeln!(
                    out,
                    "✓ Added git-realm to {dir}/{name} (the hook's own commands still run)"
                )?,
                Installed::Chained => writeln!(
                    out,
                    "✓ Installed {dir}/{name}; the existing hook is now {name}.realm-chained and still runs"
                )?,
                Installed::Updated => writeln!(out, "✓ Updated git-realm's part of {dir}/{name}")?,
                Installed::Unchanged => writeln!(out, "✓ {dir}/{name} is up to date")?,
            }
        }
        Ok(())
    }
}

/// Install the hooks (and make notes follow rewrites), unless a hook manager owns them and
/// `force` is not given.
pub fn install(repo: &CodeRepo, force: bool) -> Result<InstallReport> {
    repo.configure_notes()?;
    let dir = repo.hooks_dir()?;
    let manager = if force {
        None
    } else {
        hooks::detect_manager(&repo.root, repo.configured_hooks_path().as_deref())
    };
    let mut installed = Vec::new();
    if manager.is_none() {
        for hook in Hook::ALL {
            installed.push(HookInstalled {
                hook,
                result: hooks::install(&dir, hook)?,
            });
        }
    }
    let hooks_dir = shown(&repo.root, &dir);
    if manager.is_none() && Path::new(&hooks_dir).is_absolute() {
        output::note(format!(
            "note: {hooks_dir} (core.hooksPath) is outside this repository: git-realm's hooks run \
             for every repository that uses it, and do nothing where no realm was joined"
        ));
    }
    Ok(InstallReport {
        hooks_dir,
        manager,
        instructions: manager.map(Manager::instructions),
        hooks: installed,
    })
}

#[derive(Serialize)]
pub struct UninstallReport {
    hooks_dir: String,
    hooks: Vec<HookRemoved>,
}

#[derive(Serialize)]
struct HookRemoved {
    hook: Hook,
    result: Removed,
}

impl Report for UninstallReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for h in &self.hooks {
            let (name, dir) = (h.hook.name(), &self.hooks_dir);
            match h.result {
                Removed::Deleted => writeln!(out, "✓ Removed {dir}/{name}")?,
                Removed::Stripped => writeln!(out, "✓ Removed git-realm from {dir}/{name}")?,
                Removed::Restored => {
                    writeln!(out, "✓ Restored {dir}/{name} from {name}.realm-chained")?
                }
                Removed::Absent => {}
            }
        }
        if self.hooks.iter().all(|h| h.result == Removed::Absent) {
            writeln!(out, "No git-realm hooks in {}", self.hooks_dir)?;
        }
        Ok(())
    }
}

pub fn uninstall(repo: &CodeRepo) -> Result<UninstallReport> {
    let dir = repo.hooks_dir()?;
    let mut removed = Vec::new();
    for hook in Hook::ALL {
        removed.push(HookRemoved {
            hook,
            result: hooks::uninstall(&dir, hook)?,
        });
    }
    Ok(UninstallReport {
        hooks_dir: shown(&repo.root, &dir),
        hooks: removed,
    })
}

/// The hooks directory of the realm repository at `cwd`, refused unless it is a realm.
fn realm_hooks_dir(ctx: &Ctx) -> Result<std::path::PathBuf> {
    let git = || crate::git::Git::in_dir(&ctx.cwd);
    let (_, found) = git()
        .args(["cat-file", "-e", "refs/heads/main:realm.yaml"])
        .output()?;
    if !found.status.success() {
        return Err(crate::error::BadInput::new(
            format!("`{}` is not a realm repository", ctx.cwd.display()),
            "run 'git realm hooks install --realm' inside the realm's repository (its main branch has realm.yaml)",
        )
        .into());
    }
    let dir = git().args(["rev-parse", "--git-path", "hooks"]).run()?;
    Ok(ctx.cwd.join(dir))
}

fn install_in_realm(ctx: &Ctx) -> Result<InstallReport> {
    let dir = realm_hooks_dir(ctx)?;
    let result = hooks::install(&dir, Hook::PreReceive)?;
    Ok(InstallReport {
        hooks_dir: shown(&ctx.cwd, &dir),
        manager: None,
        instructions: None,
        hooks: vec![HookInstalled {
            hook: Hook::PreReceive,
            result,
        }],
    })
}

fn uninstall_in_realm(ctx: &Ctx) -> Result<UninstallReport> {
    let dir = realm_hooks_dir(ctx)?;
    let result = hooks::uninstall(&dir, Hook::PreReceive)?;
    Ok(UninstallReport {
        hooks_dir: shown(&ctx.cwd, &dir),
        hooks: vec![HookRemoved {
            hook: Hook::PreReceive,
            result,
        }],
    })
}

/// For `join`: set up notes and (unless `skip_hooks`) the hooks, telling the user on stderr;
/// a problem here is a warning, never a failed join.
pub fn set_up_after_join(repo: &CodeRepo, skip_hooks: bool) {
    let done = if skip_hooks {
        repo.configure_notes().map(|()| None)
    } else {
        install(repo, false).map(Some)
    };
    match done {
        Ok(Some(report)) => {
            let mut text = Vec::new();
            let _ = report.human(&mut text);
            output::note(String::from_utf8_lossy(&text).trim_end());
        }
        Ok(None) => {}
        Err(err) => output::warn(format!(
            "warning: git-realm's hooks were not installed: {err:#}"
        )),
    }
}

/// For `leave`: remove the hooks, telling the user on stderr.
pub fn remove_after_leave(repo: &CodeRepo) {
    match uninstall(repo) {
        Ok(report) if report.hooks.iter().any(|h| h.result != Removed::Absent) => {
            let mut text = Vec::new();
            let _ = report.human(&mut text);
            output::note(String::from_utf8_lossy(&text).trim_end());
        }
        Ok(_) => {}
        Err(err) => output::warn(format!(
            "warning: git-realm's hooks were not removed: {err:#}"
        )),
    }
}

/// `dir` relative to the repository root when it is inside it.
fn shown(root: &Path, dir: &Path) -> String {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.strip_prefix(root).unwrap_or(&dir).display().to_string()
}
