//! `hooks`: install and uninstall git-realm's git hooks, and what each hook does when git runs
//! it (`pre_push`, `after_update` for post-merge and post-rewrite, `pre_receive` in a realm).

mod after_update;
mod pre_push;
mod pre_receive;

pub use after_update::{AfterUpdateOptions, UpdateReport, after_update};
pub use pre_push::{Malformed, PrePushOptions, PrePushReport, PushedRefs, pre_push};
pub use pre_receive::{PreReceiveOptions, PreReceiveReport, pre_receive};

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::git::CodeRepo;
use crate::git::hooks::{self, Hook, Installed, Manager, Removed};
use crate::output::Report;

/// What `hooks install` is asked.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Install even where husky, pre-commit or lefthook manage the hooks.
    pub force: bool,
    /// Install the realm's pre-receive hook: `cwd` is a realm repository.
    pub realm: bool,
}

/// What `hooks uninstall` is asked.
#[derive(Debug, Clone, Default)]
pub struct UninstallOptions {
    /// Remove the realm's pre-receive hook: `cwd` is a realm repository.
    pub realm: bool,
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

/// Install the hooks of the code repository at `cwd` (and make notes follow rewrites), unless
/// a hook manager owns them and `force` is not given; with `realm`, the realm's pre-receive
/// hook instead. An installed hook whose git-realm block is older is brought up to date.
pub fn install(ctx: &Context, options: InstallOptions) -> Result<(InstallReport, Outcome)> {
    let report = if options.realm {
        install_in_realm(ctx)?
    } else {
        install_in(ctx, &CodeRepo::discover(&ctx.cwd)?, options.force)?
    };
    Ok((report, Outcome::Clean))
}

/// Remove what [`install`] added.
pub fn uninstall(ctx: &Context, options: UninstallOptions) -> Result<(UninstallReport, Outcome)> {
    let report = if options.realm {
        uninstall_in_realm(ctx)?
    } else {
        uninstall_in(&CodeRepo::discover(&ctx.cwd)?)?
    };
    Ok((report, Outcome::Clean))
}

fn install_in(ctx: &Context, repo: &CodeRepo, force: bool) -> Result<InstallReport> {
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
        ctx.note(format!(
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

fn uninstall_in(repo: &CodeRepo) -> Result<UninstallReport> {
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

fn install_in_realm(ctx: &Context) -> Result<InstallReport> {
    let dir = hooks::realm_hooks_dir(&ctx.cwd)?;
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

fn uninstall_in_realm(ctx: &Context) -> Result<UninstallReport> {
    let dir = hooks::realm_hooks_dir(&ctx.cwd)?;
    let result = hooks::uninstall(&dir, Hook::PreReceive)?;
    Ok(UninstallReport {
        hooks_dir: shown(&ctx.cwd, &dir),
        hooks: vec![HookRemoved {
            hook: Hook::PreReceive,
            result,
        }],
    })
}

/// For `join`: set up notes and (unless `skip_hooks`) the hooks, telling the user in notes;
/// a problem here is a warning, never a failed join.
pub fn set_up_after_join(ctx: &Context, repo: &CodeRepo, skip_hooks: bool) {
    let done = if skip_hooks {
        repo.configure_notes().map(|()| None)
    } else {
        install_in(ctx, repo, false).map(Some)
    };
    match done {
        Ok(Some(report)) => {
            let mut text = Vec::new();
            let _ = report.human(&mut text);
            ctx.note(String::from_utf8_lossy(&text).trim_end());
        }
        Ok(None) => {}
        Err(err) => ctx.warn(format!(
            "warning: git-realm's hooks were not installed: {err:#}"
        )),
    }
}

/// For `leave`: remove the hooks, telling the user in notes.
pub fn remove_after_leave(ctx: &Context, repo: &CodeRepo) {
    match uninstall_in(repo) {
        Ok(report) if report.hooks.iter().any(|h| h.result != Removed::Absent) => {
            let mut text = Vec::new();
            let _ = report.human(&mut text);
            ctx.note(String::from_utf8_lossy(&text).trim_end());
        }
        Ok(_) => {}
        Err(err) => ctx.warn(format!(
            "warning: git-realm's hooks were not removed: {err:#}"
        )),
    }
}

/// `GIT_REALM_SKIP` set to anything but empty, `0` or `false`: the client-side hooks do
/// nothing (the realm's pre-receive guard does not listen to it).
pub fn skip_requested() -> bool {
    std::env::var("GIT_REALM_SKIP").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// A client-side hook that cannot run must not stand between the user and git: its error
/// becomes a warning and the hook passes. Input git never sends does stop the push.
fn forgiving<R>(
    ctx: &Context,
    hook: Hook,
    ran: Result<(Option<R>, Outcome)>,
) -> Result<(Option<R>, Outcome)> {
    ran.or_else(|err| {
        if err.downcast_ref::<Malformed>().is_some() {
            return Err(err);
        }
        ctx.warn(format!(
            "warning: git-realm's {} hook did not run: {err:#}",
            hook.name()
        ));
        if let Some(hint) = crate::error::hint_of(&err) {
            ctx.warn(format!("hint: {hint}"));
        }
        Ok((None, Outcome::Clean))
    })
}

/// `dir` relative to the repository root when it is inside it.
fn shown(root: &Path, dir: &Path) -> String {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.strip_prefix(root).unwrap_or(&dir).display().to_string()
}
