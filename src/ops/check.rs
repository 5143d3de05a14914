//! `check`: export drift and stale, broken or ungranted imports, writing nothing.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::per_realm::{PerRealm, each_realm};
use super::{Context, Outcome};
use crate::member::Member;
use crate::member::bindings;
use crate::member::detection::{self, At, CacheUse, Detected};
use crate::member::freshness::{self, Freshness};
use crate::output::{self, Report, Voice};
use crate::realm::drift::Drift;
use crate::realm::model::ImportStatus;
use crate::realm::status::{self, ImportState};

/// What `check` is asked.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The realm to act on; all the repository belongs to when `None`.
    pub realm: Option<String>,
    /// Check only this domain's exports (with `imports` also set, or neither: both).
    pub exports: bool,
    /// Check only this domain's imports (with `exports` also set, or neither: both).
    pub imports: bool,
    /// Where exports are computed.
    pub at: CheckAt,
    /// List every export's patterns and where they come from.
    pub explain: bool,
}

/// Where `check` computes exports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CheckAt {
    /// The commit HEAD names.
    #[default]
    Head,
    /// A revision of this repository (`main`, `HEAD~2`, a commit id).
    Rev(String),
    /// The working tree, uncommitted changes included.
    Worktree,
}

#[derive(Serialize)]
pub struct CheckReport {
    realm: String,
    domain: String,
    /// The commit exports were computed at, or `worktree`.
    at: String,
    realm_commit: String,
    /// When the realm state read was fetched: `fetched_at`, `fetched`.
    #[serde(flatten)]
    freshness: Freshness,
    drift: Vec<Drift>,
    /// Imports that are stale or broken, and breaking changes announced to them.
    imports: Vec<ImportState>,
    /// Domains whose realm files cannot be used; this domain among them is a finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    broken_domains: Vec<status::BrokenDomain>,
    clean: bool,
    /// With `--explain`: every export's patterns and where they come from.
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<Vec<Explanation>>,
}

#[derive(Serialize)]
struct Explanation {
    export: String,
    #[serde(flatten)]
    detected: Detected,
}

impl Report for CheckReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for e in self.explain.iter().flatten() {
            writeln!(out, "export '{}':", e.export)?;
            for (key, items) in &e.detected.sources {
                for (item, places) in items {
                    writeln!(out, "  {key} {item}")?;
                    for place in places {
                        writeln!(out, "    {place}")?;
                    }
                }
            }
            for l in &e.detected.left_out {
                writeln!(
                    out,
                    "  left out ({}): {} at {}",
                    l.reason.describe(),
                    l.pattern,
                    l.at
                )?;
            }
        }
        for broken in &self.broken_domains {
            writeln!(out, "broken: {}", output::broken_domain_line(broken))?;
        }
        for drift in &self.drift {
            output::drift_lines(out, drift, &self.realm, Voice::Tagged)?;
        }
        for import in &self.imports {
            output::import_lines(out, import, Voice::Tagged)?;
        }
        if self.clean {
            writeln!(
                out,
                "✓ '{}' is in step with realm '{}'",
                self.domain, self.realm
            )?;
        } else if !self.drift.is_empty() {
            writeln!(out, "run 'git realm sync' to publish")?;
        }
        writeln!(out, "{}", output::fetched_line(&self.freshness))?;
        Ok(())
    }
}

pub fn check(ctx: &Context, options: CheckOptions) -> Result<(PerRealm<CheckReport>, Outcome)> {
    let realm = options.realm.clone();
    each_realm(ctx, realm.as_deref(), |member| {
        check_in(ctx, &options, member)
    })
}

/// `check` as a member of one realm.
fn check_in(
    ctx: &Context,
    options: &CheckOptions,
    member: Member,
) -> Result<(CheckReport, Outcome)> {
    let freshness = freshness::freshen(ctx, &member)?;
    let realm = &member.config.realm;
    let (tip, snapshot) = member
        .repo
        .fetched_realm_for(realm, crate::realm::snapshot::Scope::Around(&realm.domain))?;
    bindings::freshen_elsewhere(ctx, &member, &snapshot)?;
    let (want_exports, want_imports) = match (options.exports, options.imports) {
        (false, false) => (true, true),
        flags => flags,
    };
    let at = match &options.at {
        CheckAt::Worktree => At::Worktree,
        CheckAt::Rev(rev) => At::Commit(member.repo.resolve_commit(rev)?),
        CheckAt::Head => At::Commit(member.repo.head_commit().ok_or_else(|| {
            crate::error::BadInput::new(
                "this repository has no commit yet",
                "commit first, or use --worktree",
            )
        })?),
    };
    let detected = if want_exports {
        detection::explained(&member, &snapshot, at, CacheUse::Refresh)?
    } else {
        Vec::new()
    };
    let drift = detection::drift_of(&member, &snapshot, &detected);
    if !options.explain {
        detection::note_left_out(ctx, &detected);
    }
    let today = ctx.date();
    let imports: Vec<ImportState> = if want_imports {
        bindings::imports_of(&member, &snapshot, at, &today)?
            .into_iter()
            .inspect(|i| {
                for line in &i.over_grants {
                    ctx.warn(format!(
                        "warning: {}: {line}",
                        i.binding.as_deref().unwrap_or("binding")
                    ));
                }
            })
            .filter(|i| i.status != ImportStatus::Current || i.announced.is_some())
            .collect()
    } else {
        Vec::new()
    };
    let clean = drift.is_empty()
        && imports.iter().all(|i| i.status == ImportStatus::Current)
        && !snapshot.broken.contains_key(&realm.domain);
    let report = CheckReport {
        realm: realm.name.clone(),
        domain: realm.domain.clone(),
        at: match at {
            At::Commit(c) => c.to_string(),
            At::Worktree => "worktree".to_owned(),
        },
        realm_commit: tip.to_string(),
        freshness,
        drift,
        imports,
        broken_domains: status::broken_domains(&snapshot),
        clean,
        explain: options.explain.then(|| {
            detected
                .into_iter()
                .map(|(export, detected)| Explanation { export, detected })
                .collect()
        }),
    };
    let outcome = if clean {
        Outcome::Clean
    } else {
        Outcome::Findings
    };
    Ok((report, outcome))
}
