//! `git realm fetch`: update the realm state kept under `refs/realm/`.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, FetchOptions};

/// Update refs/realm/<realm>/ from the realm
///
/// Reading commands (status, check, graph, the hooks) work on what was fetched last; fetch
/// brings it up to date. Besides those refs it writes only the realm notes (refs/notes/realm)
/// a command stopped before writing, rebuilt from the realm commits of this domain. The fetch
/// is stopped after realm.timeout seconds (default 60).
#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: FetchArgs) -> Result<Outcome> {
    let (report, outcome) = ops::fetch(
        ctx,
        FetchOptions {
            realm: args.realm.realm,
        },
    )?;
    ctx.emit(&report)?;
    Ok(outcome)
}
