//! `git realm approve`: accept a pending proposal (a join, a breaking change).

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, ApproveOptions};

/// Accept a pending proposal (approvers only)
///
/// PROPOSAL is a branch under proposals/ in the realm, as join and export print it
/// (`aperture/join`, `aperture/required-s3-permissions-2.0.0`). Its changes are merged into the
/// realm's main branch with an `Approved-by:` trailer, and the proposal branch is deleted.
/// An accepted breaking change takes effect after the realm's grace period. Consumers of the
/// exports it changes are notified as sync would notify them (see 'git realm notify').
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The proposal to accept
    proposal: String,

    /// Do not notify consumers
    #[arg(long)]
    no_notify: bool,

    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: ApproveArgs) -> Result<Outcome> {
    let options = ApproveOptions {
        realm: args.realm.realm,
        proposal: args.proposal,
        no_notify: args.no_notify,
    };
    let (report, outcome) = ops::approve(ctx, options)?;
    ctx.emit(&report)?;
    Ok(outcome)
}
