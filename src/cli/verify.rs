//! `git realm verify`: check realm history against the trust rules.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, VerifyOptions};

/// Check the realm's history against its trust rules
///
/// Walks the realm's main branch (as last fetched; in a realm repository, its own main) and
/// lists every commit that breaks a rule: a domain changing files outside domains/<domain>/,
/// realm.yaml or contracts/ changed by someone who is not an approver, a commit not made by
/// one of its domain's maintainers, a missing or wrong signature where keys are listed or the
/// realm requires signatures, a domain's keys changed without a key it already had, a join or
/// breaking change that skipped its approval, a rewritten main. ssh signatures are checked as
/// git checks them, OpenPGP ones with gpgv against the keys the realm lists (never your own
/// keyring). A commit cannot prove when it was signed, so an OpenPGP key's expiry is judged
/// as a commit is first seen: a signature by an expired key breaks the rules in commits after
/// the last one found clean, not in history checked from scratch. Exits 1 when it finds any.
/// Where the last run found the history clean it goes on from there (the commit is kept in
/// the git dir; deleting it makes the next run check everything as history).
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check only the commits after REV (trusting REV and its history)
    #[arg(long, value_name = "REV")]
    from: Option<String>,

    /// Check the history up to REV (default: the realm's main branch)
    rev: Option<String>,

    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: VerifyArgs) -> Result<Outcome> {
    let options = VerifyOptions {
        realm: args.realm.realm,
        from: args.from,
        rev: args.rev,
    };
    let (report, outcome) = ops::verify(ctx, options)?;
    ctx.emit(&report)?;
    Ok(outcome)
}
