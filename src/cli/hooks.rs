//! `git realm hooks`: install, uninstall and run git-realm's git hooks. What the hooks do is in
//! `ops::hooks`; here are the arguments, git's input and the exit status.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::{Ctx, Outcome};
use crate::git::hooks::{self, Hook};
use crate::ops::hooks::{
    self as op, AfterUpdateOptions, InstallOptions, PrePushOptions, PreReceiveOptions, PushedRefs,
    UninstallOptions,
};

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
        /// The hook file git ran (`$0`): its own commands run after git-realm's part passes
        #[arg(long, hide = true, value_name = "PATH")]
        hook_file: Option<PathBuf>,
        /// Check realm NAME only, of the realms this repository belongs to (default: each)
        #[arg(long, value_name = "NAME")]
        realm: Option<String>,
        /// The hook to run
        hook: Hook,
        /// The arguments git passed to the hook
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

pub fn run(ctx: &Ctx, args: HooksArgs) -> Result<Outcome> {
    match args.action {
        Action::Install { force, realm } => {
            let (report, outcome) = op::install(ctx, InstallOptions { force, realm })?;
            ctx.emit(&report)?;
            Ok(outcome)
        }
        Action::Uninstall { realm } => {
            let (report, outcome) = op::uninstall(ctx, UninstallOptions { realm })?;
            ctx.emit(&report)?;
            Ok(outcome)
        }
        // The realm's guard fails closed, and no pusher may skip it.
        Action::Run {
            hook: Hook::PreReceive,
            ..
        } => {
            let mut updates = String::new();
            std::io::stdin()
                .read_to_string(&mut updates)
                .context("failed to read the pushed updates")?;
            // Its refusals are told on stderr as they are found; stdout stays empty.
            let (_, outcome) = op::pre_receive(ctx, PreReceiveOptions { updates })?;
            Ok(outcome)
        }
        Action::Run {
            hook,
            args,
            hook_file,
            realm,
        } => {
            let mut replay = None;
            let outcome = if op::skip_requested() {
                Outcome::Clean
            } else if hook == Hook::PrePush {
                let refs = match PushedRefs::from_pre_commit() {
                    Some(refs) => refs,
                    None => match read_stdin() {
                        None => PushedRefs::Lines(Vec::new()),
                        Some(Ok(bytes)) => {
                            replay = Some(bytes.clone());
                            PushedRefs::Lines(bytes)
                        }
                        Some(Err(e)) => {
                            replay = Some(Vec::new());
                            PushedRefs::Unreadable(e)
                        }
                    },
                };
                let options = PrePushOptions {
                    remote: args.first().cloned(),
                    refs,
                    realm,
                };
                let (report, outcome) = op::pre_push(ctx, options)?;
                if let Some(report) = report {
                    ctx.emit(&report)?;
                    for line in report.verdict() {
                        ctx.note(line);
                    }
                }
                outcome
            } else {
                let (report, outcome) = op::after_update(ctx, AfterUpdateOptions { hook, realm })?;
                if let Some(report) = report {
                    ctx.emit(&report)?;
                }
                outcome
            };
            match hook_file {
                Some(file) if outcome == Outcome::Clean => {
                    run_theirs(hook, &file, &args, replay.as_deref())
                }
                _ => Ok(outcome),
            }
        }
    }
}

/// The hook's stdin, unless it is a terminal (git always gives the hook a pipe or a file).
fn read_stdin() -> Option<std::io::Result<Vec<u8>>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return None;
    }
    let mut bytes = Vec::new();
    Some(stdin.lock().read_to_end(&mut bytes).map(|_| bytes))
}

/// After git-realm's part of the hook passed: the repository's own part, if the hook file has
/// one, with git's arguments and `input` replayed (or this process's stdin, when git-realm
/// did not read it). The process ends with that hook's exit status, as the shell's `exec` of
/// it did.
fn run_theirs(
    hook: Hook,
    file: &std::path::Path,
    args: &[String],
    input: Option<&[u8]>,
) -> Result<Outcome> {
    let Some(theirs) = hooks::theirs(file, hook)? else {
        return Ok(Outcome::Clean);
    };
    let _ = std::io::stdout().flush();
    let status = theirs.run(args, input)?;
    match status.code() {
        Some(0) => Ok(Outcome::Clean),
        Some(1) => Ok(Outcome::Findings),
        Some(code) => std::process::exit(code),
        None => std::process::exit(signal_status(&status)),
    }
}

/// A shell's exit status for a process a signal ended: 128 + the signal.
#[cfg(unix)]
fn signal_status(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    128 + status.signal().unwrap_or(0)
}

#[cfg(not(unix))]
fn signal_status(_status: &std::process::ExitStatus) -> i32 {
    1
}
