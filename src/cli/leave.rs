//! `git realm leave`: remove this domain from its realm.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::git::CodeRepo;
use crate::ops::{self, LeaveOptions};

/// Remove this domain from its realm
///
/// Deletes the domain's directory from the realm, and .realm/config.yaml and the fetched realm
/// refs here. Refused while other domains import from this one, unless --force (their imports
/// then become broken).
#[derive(Debug, Args)]
pub struct LeaveArgs {
    /// Leave even though other domains import from this one
    #[arg(long)]
    force: bool,
}

pub fn run(ctx: &Ctx, args: LeaveArgs) -> Result<Outcome> {
    let (report, outcome) = ops::leave(ctx, LeaveOptions { force: args.force })?;
    // The hooks go with the membership; removing them is the command's, as installing them is.
    if let Ok(repo) = CodeRepo::discover(&ctx.cwd) {
        super::hooks::remove_after_leave(&repo);
    }
    ctx.emit(&report)?;
    Ok(outcome)
}
