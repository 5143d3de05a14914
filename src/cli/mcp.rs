//! `git realm mcp`: the realm's tools for coding assistants, over the Model Context Protocol.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};

/// Serve the realm to coding assistants over the Model Context Protocol (stdio)
///
/// Speaks MCP on stdin and stdout for an assistant (Claude Code, Cursor, VS Code) that starts
/// it in this domain's repository, or with -C. Tools: realm_status, realm_check, realm_graph
/// and realm_verify read; realm_fetch, realm_sync (a dry run unless called with dry_run
/// false), realm_export and realm_import write, and are marked so. Each returns the JSON its
/// command's --json prints, with a short summary. Resources: this domain's exports and
/// imports, and the contracts it imports, as last fetched. Stdout carries only the protocol;
/// logs go to stderr. Runs until the client closes its input.
#[derive(Debug, Args)]
pub struct McpArgs {}

pub fn run(ctx: &Ctx, _args: McpArgs) -> Result<Outcome> {
    crate::mcp::serve(ctx.cwd.clone())?;
    Ok(Outcome::Clean)
}
