//! `fetch`: update the realm state kept under `refs/realm/`.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::per_realm::{PerRealm, each_realm};
use super::{Context, Outcome};
use crate::git::CodeRepo;
use crate::member::Member;
use crate::output::Report;

/// What `fetch` is asked: nothing yet; a struct so options can come without changing callers.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// The realm to act on; all the repository belongs to when `None`.
    pub realm: Option<String>,
}

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

pub fn fetch(ctx: &Context, options: FetchOptions) -> Result<(PerRealm<FetchReport>, Outcome)> {
    let realm = options.realm.clone();
    each_realm(ctx, realm.as_deref(), |member| {
        fetch_in(ctx, &options, member)
    })
}

/// `fetch` as a member of one realm.
fn fetch_in(
    ctx: &Context,
    _options: &FetchOptions,
    member: Member,
) -> Result<(FetchReport, Outcome)> {
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
