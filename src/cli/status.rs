//! `git realm status`: the realm as it concerns this domain.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, StatusOptions};

/// Show the realm as it concerns this domain
///
/// Export drift in the working tree (what changed against the realm's values), who consumes
/// each export, this domain's imports with stale ones' changes and the binding to edit, and
/// pending proposals. Imports with a verifier are checked against their binding files in the
/// working tree (ungranted: what is missing); consumers with a verifier show whether their
/// last resolution was verified. Reads the last fetched realm; no network.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: StatusArgs) -> Result<Outcome> {
    let (report, outcome) = ops::status(
        ctx,
        StatusOptions {
            realm: args.realm.realm,
        },
    )?;
    ctx.emit(&report)?;
    Ok(outcome)
}
