//! `git realm fetch`: update the realm state kept under `refs/realm/`.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Ctx, Outcome};
use crate::git::CodeRepo;
use crate::member as membership;
use crate::output::Report;

/// Update refs/realm/<realm>/ from the realm
///
/// Reading commands (status, check, graph, the hooks) work on what was fetched last; fetch
/// brings it up to date. Besides those refs it writes only the realm notes (refs/notes/realm)
/// a command stopped before writing, rebuilt from the realm commits of this domain. The fetch
/// is stopped after realm.timeout seconds (default 60).
#[derive(Debug, Args)]
pub struct FetchArgs {}

#[derive(Serialize)]
struct FetchReport {
    realm: String,
    branch: String,
    commit: String,
}

impl Report for FetchReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "✓ Fetched realm '{}' ({} at {})",
            self.realm,
            self.branch,
            &self.commit[..7]
        )
    }
}

pub fn run(ctx: &Ctx, _args: FetchArgs) -> Result<Outcome> {
    let member = membership::load(ctx)?;
    let realm = &member.config.realm;
    member.repo.fetch_realm(realm)?;
    // Fetching only mirrors the realm; whether its files parse is for the readers to say.
    let tip = member
        .repo
        .ref_target(&CodeRepo::realm_ref(&realm.name, &realm.branch))?
        .ok_or_else(|| {
            crate::error::BadInput::new(
                format!("realm `{}` has no branch `{}`", realm.url, realm.branch),
                "check the realm's URL, or set `branch:` in .realm/config.yaml",
            )
        })?;
    // Notes a command stopped before writing are rebuilt from what the realm records.
    crate::member::notes::reconcile_or_warn(ctx, &member);
    ctx.emit(&FetchReport {
        realm: realm.name.clone(),
        branch: realm.branch.clone(),
        commit: tip.to_string(),
    })?;
    Ok(Outcome::Clean)
}
