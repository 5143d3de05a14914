//! `git realm check`: report export drift and stale or broken imports, writing nothing.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, CheckAt, CheckOptions};

/// Report export drift and stale, broken or ungranted imports, changing nothing
///
/// Compares the exports computed from the code at REV (default HEAD; the working tree with
/// --worktree) with the values the realm last fetched records, and lists this domain's
/// imports that are stale or broken; breaking changes announced to them are shown with the
/// date they take effect. An import with a verifier (`verify: s3-iam` in .realm/config.yaml)
/// whose binding file at REV does not grant the value is ungranted, with what is missing.
/// Exit status 1 when it finds drift or a stale, broken or ungranted import, 0 when clean. Besides the realm state it may fetch (below), the only file it may
/// write is its detection cache under .git/realm/detect (safe to delete), as git status
/// refreshes the index.
///
/// Says when the realm state it reads was fetched. As `status` does, it fetches the realm
/// first when it is a path on this machine or its state is older than
/// `git config realm.fetchInterval` (default 1h; `never` leaves fetching to `git realm
/// fetch`), within the hooks' time limit, falling back to the state fetched before.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check only this domain's exports
    #[arg(long)]
    exports: bool,

    /// Check only this domain's imports
    #[arg(long)]
    imports: bool,

    /// Compute exports at this revision
    #[arg(long, value_name = "REV", conflicts_with = "worktree")]
    rev: Option<String>,

    /// Compute exports from the working tree, including uncommitted changes
    #[arg(long)]
    worktree: bool,

    /// List, for every pattern of every export, the files and lines it comes from
    ///
    /// Also lists the patterns the code shows but the export leaves out (too broad, in a
    /// bucket `buckets:` does not list, or in an unknown bucket), with where they are.
    #[arg(long)]
    explain: bool,

    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: CheckArgs) -> Result<Outcome> {
    let at = if args.worktree {
        CheckAt::Worktree
    } else {
        match args.rev {
            Some(rev) => CheckAt::Rev(rev),
            None => CheckAt::Head,
        }
    };
    let options = CheckOptions {
        realm: args.realm.realm,
        exports: args.exports,
        imports: args.imports,
        at,
        explain: args.explain,
    };
    let (report, outcome) = ops::check(ctx, options)?;
    ctx.emit(&report)?;
    Ok(outcome)
}
