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
/// last resolution was verified.
///
/// Reads the realm as last fetched, and says when that was. A realm that is a path on this
/// machine, or whose state is older than `git config realm.fetchInterval` (default 1h; `30m`,
/// `2d`, `0` for always, `never`), is fetched first within the hooks' time limit
/// (`realm.fetchTimeout` ms); when it does not answer, the state fetched before is used, with
/// a note.
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
