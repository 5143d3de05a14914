//! `fetch`: update the realm state kept under `refs/realm/`.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::git::CodeRepo;
use crate::member as membership;
use crate::output::Report;

/// What `fetch` is asked: nothing yet; a struct so options can come without changing callers.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {}

#[derive(Serialize)]
pub struct FetchReport {
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

pub fn fetch(ctx: &Context, _options: FetchOptions) -> Result<(FetchReport, Outcome)> {
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
    let report = FetchReport {
        realm: realm.name.clone(),
        branch: realm.branch.clone(),
        commit: tip.to_string(),
    };
    Ok((report, Outcome::Clean))
}
