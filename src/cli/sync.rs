//! `git realm sync`: publish changed exports, resolve stale imports, in one realm commit.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, SyncOptions};

/// Publish changed exports and resolve stale imports, as one realm commit
///
/// Fetches the realm, computes this domain's exports at HEAD, publishes those that changed
/// (new version and changelog entry), marks stale imports resolved (review their binding
/// files first), records every import's status, and pushes. An import with a verifier is
/// resolved only when its binding file at HEAD grants the value (see --force). A breaking change that needs
/// approval is pushed as a proposal. --dry-run shows the plan from the last fetched realm and
/// changes nothing anywhere.
///
/// When other domains land first, the same commit is rebuilt on the realm's new tip, for up to
/// realm.retryTimeout seconds (default 120); each fetch and push stops after realm.timeout
/// seconds (default 60). Notes an earlier command could not write are rebuilt from the realm,
/// and notes the code remote lacks are pushed, even when there is nothing to publish.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Show what would change, without fetching, writing or notifying
    #[arg(long)]
    dry_run: bool,

    /// Do not notify consumers
    #[arg(long)]
    no_notify: bool,

    /// Add MSG to the realm commit's message
    #[arg(short = 'm', long = "message", value_name = "MSG")]
    message: Option<String>,

    /// Resolve imports whose binding does not grant the value, recording what is missing
    ///
    /// Without it, an import with a verifier (`verify: s3-iam` in .realm/config.yaml) whose
    /// binding file at HEAD does not grant the new value stops the sync: nothing is written.
    #[arg(long)]
    force: bool,

    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: SyncArgs) -> Result<Outcome> {
    let options = SyncOptions {
        realm: args.realm.realm,
        dry_run: args.dry_run,
        no_notify: args.no_notify,
        message: args.message,
        force: args.force,
    };
    let (report, outcome) = ops::sync(ctx, options)?;
    ctx.emit(&report)?;
    Ok(outcome)
}
