//! The command line: the clap definition, the shared context, and the dispatch.

mod approve;
mod check;
mod completions;
mod export;
mod fetch;
mod graph;
mod hooks;
mod import;
mod init;
mod invite;
mod join;
mod leave;
mod list;
#[cfg(test)]
mod manual;
mod mcp;
mod notify;
mod status;
mod sync;
mod verify;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::output::{self, Format, Report};

/// Versioned contracts between repositories, kept in a shared git repository
///
/// A realm is a git repository in which each member repository (a domain) declares the values
/// it provides (exports) and the ones it depends on (imports). git-realm detects when code
/// drifts from what the realm records, publishes new versions, and tells consumers.
#[derive(Debug, Parser)]
#[command(
    name = "git-realm",
    bin_name = "git realm",
    version,
    max_term_width = 100
)]
pub struct Cli {
    /// Print machine-readable JSON on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// Run as if started in PATH
    #[arg(short = 'C', value_name = "PATH", global = true)]
    pub dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(init::InitArgs),
    Join(join::JoinArgs),
    Leave(leave::LeaveArgs),
    Export(export::ExportArgs),
    Import(import::ImportArgs),
    Fetch(fetch::FetchArgs),
    Sync(sync::SyncArgs),
    Check(check::CheckArgs),
    Status(status::StatusArgs),
    Graph(graph::GraphArgs),
    Hooks(hooks::HooksArgs),
    Approve(approve::ApproveArgs),
    Invite(invite::InviteArgs),
    List(list::ListArgs),
    Notify(notify::NotifyArgs),
    Completions(completions::CompletionsArgs),
    Verify(verify::VerifyArgs),
    Mcp(mcp::McpArgs),
}

pub use crate::ops::Outcome;

/// `--realm NAME`, for the commands that act on a membership.
#[derive(Debug, Args)]
pub struct RealmArg {
    /// Act on realm NAME only, of the realms this repository belongs to
    ///
    /// Without it, reading commands act on each realm, and export, import and leave on the
    /// only one (they ask for --realm when there are several).
    #[arg(long, value_name = "NAME")]
    pub realm: Option<String>,
}

/// What every command is handed: the operations' context, and how to print the report.
pub struct Ctx {
    pub core: crate::ops::Context,
    pub format: Format,
}

impl std::ops::Deref for Ctx {
    type Target = crate::ops::Context;

    fn deref(&self) -> &crate::ops::Context {
        &self.core
    }
}

impl Ctx {
    pub fn emit<R: Report>(&self, report: &R) -> Result<()> {
        output::emit(self.format, report)
    }
}

pub fn run(cli: Cli) -> Result<Outcome> {
    let cwd = std::env::current_dir().context("failed to read the current directory")?;
    let cwd = match cli.dir {
        Some(dir) => cwd.join(dir),
        None => cwd,
    };
    let ctx = Ctx {
        core: crate::ops::Context::new(cwd, crate::ops::now()?),
        format: if cli.json {
            Format::Json
        } else {
            Format::Human
        },
    };
    match cli.command {
        Command::Init(args) => init::run(&ctx, args),
        Command::Join(args) => join::run(&ctx, args),
        Command::Leave(args) => leave::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
        Command::Import(args) => import::run(&ctx, args),
        Command::Fetch(args) => fetch::run(&ctx, args),
        Command::Sync(args) => sync::run(&ctx, args),
        Command::Check(args) => check::run(&ctx, args),
        Command::Status(args) => status::run(&ctx, args),
        Command::Graph(args) => graph::run(&ctx, args),
        Command::Hooks(args) => hooks::run(&ctx, args),
        Command::Approve(args) => approve::run(&ctx, args),
        Command::Invite(args) => invite::run(&ctx, args),
        Command::List(args) => list::run(&ctx, args),
        Command::Notify(args) => notify::run(&ctx, args),
        Command::Completions(args) => completions::run(&ctx, args),
        Command::Verify(args) => verify::run(&ctx, args),
        Command::Mcp(args) => mcp::run(&ctx, args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }
}
