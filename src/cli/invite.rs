//! `git realm invite`: let a domain join an invite-only realm.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, InviteOptions};

/// Let a domain join an invite-only realm (approvers only)
///
/// Records NAME in realm.yaml's governance.invited; the repository that joins as NAME then
/// lands directly.
#[derive(Debug, Args)]
pub struct InviteArgs {
    /// The domain name to invite
    name: String,

    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: InviteArgs) -> Result<Outcome> {
    let (report, outcome) = ops::invite(
        ctx,
        InviteOptions {
            name: args.name,
            realm: args.realm.realm,
        },
    )?;
    ctx.emit(&report)?;
    Ok(outcome)
}
