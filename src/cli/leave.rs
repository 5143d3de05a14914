//! `git realm leave`: remove this domain from its realm.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
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

    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: LeaveArgs) -> Result<Outcome> {
    let (report, outcome) = ops::leave(
        ctx,
        LeaveOptions {
            force: args.force,
            realm: args.realm.realm,
        },
    )?;
    ctx.emit(&report)?;
    Ok(outcome)
}
