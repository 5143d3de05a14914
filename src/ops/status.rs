//! `status`: the realm as it concerns this domain.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::per_realm::{PerRealm, each_realm};
use super::{Context, Outcome};
use crate::member::detection::{self, At, CacheUse};
use crate::member::freshness::{self, Freshness};
use crate::member::{Member, bindings};
use crate::output::{self, Report, Voice};
use crate::realm::drift::Drift;
use crate::realm::model::ImportStatus;
use crate::realm::status::{self, Announcement, Consumer, ImportState};

/// What `status` is asked: nothing yet; a struct so options can come without changing callers.
#[derive(Debug, Clone, Default)]
pub struct StatusOptions {
    /// The realm to act on; all the repository belongs to when `None`.
    pub realm: Option<String>,
}

#[derive(Serialize)]
pub struct StatusReport {
    realm: String,
    domain: String,
    realm_commit: String,
    /// When the realm state read was fetched: `fetched_at`, `fetched`.
    #[serde(flatten)]
    freshness: Freshness,
    /// False while the join awaits approval.
    admitted: bool,
    proposals: Vec<String>,
    exports: Vec<ExportStatus>,
    imports: Vec<ImportState>,
    /// Domains whose realm files cannot be used (the rest of the realm works without them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    broken_domains: Vec<status::BrokenDomain>,
}

#[derive(Serialize)]
pub struct ExportStatus {
    name: String,
    version: Option<String>,
    drift: Option<Drift>,
    announced: Option<Announcement>,
    consumers: Vec<Consumer>,
}

impl Report for StatusReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{} (domain in {} realm)", self.domain, self.realm)?;
        writeln!(out, "{}", output::fetched_line(&self.freshness))?;
        for broken in &self.broken_domains {
            writeln!(out, "\n{}", output::broken_domain_line(broken))?;
        }
        if !self.admitted {
            writeln!(out, "\nJoin pending approval.")?;
        }
        for proposal in &self.proposals {
            writeln!(out, "\nProposal awaiting approval: {proposal}")?;
        }
        for export in &self.exports {
            let Some(drift) = &export.drift else {
                continue;
            };
            output::drift_lines(out, drift, &self.realm, Voice::Paragraphs)?;
            if !export.consumers.is_empty() {
                writeln!(out, "  Consumers:")?;
                for c in &export.consumers {
                    writeln!(out, "  {}", output::consumer_line(c))?;
                }
            }
            writeln!(out, "  Run 'git realm sync' to update the realm")?;
        }
        // A drifted export lists its consumers above, with the drift they will see.
        for export in &self.exports {
            if export.drift.is_some() || export.consumers.is_empty() {
                continue;
            }
            writeln!(out, "\nConsumers of '{}':", export.name)?;
            for c in &export.consumers {
                writeln!(out, "  {}", output::consumer_line(c))?;
            }
        }
        for export in &self.exports {
            if let Some(a) = &export.announced {
                writeln!(
                    out,
                    "\nBreaking change '{}' {} takes effect on {}",
                    export.name, a.version, a.effective_from
                )?;
            }
        }
        for import in self
            .imports
            .iter()
            .filter(|i| i.status != ImportStatus::Current || i.announced.is_some())
        {
            output::import_lines(out, import, Voice::Paragraphs)?;
        }
        let quiet = self.admitted
            && self.proposals.is_empty()
            && self
                .exports
                .iter()
                .all(|e| e.drift.is_none() && e.announced.is_none())
            && self
                .imports
                .iter()
                .all(|i| i.status == ImportStatus::Current && i.announced.is_none());
        if quiet {
            writeln!(out, "\n✓ In step with the realm")?;
        }
        Ok(())
    }
}

pub fn status(ctx: &Context, options: StatusOptions) -> Result<(PerRealm<StatusReport>, Outcome)> {
    let realm = options.realm.clone();
    each_realm(ctx, realm.as_deref(), |member| {
        status_in(ctx, &options, member)
    })
}

/// `status` as a member of one realm.
fn status_in(
    ctx: &Context,
    _options: &StatusOptions,
    member: Member,
) -> Result<(StatusReport, Outcome)> {
    let freshness = freshness::freshen(ctx, &member)?;
    let realm = &member.config.realm;
    let (tip, snapshot) = member
        .repo
        .fetched_realm_for(realm, crate::realm::snapshot::Scope::Around(&realm.domain))?;
    bindings::freshen_elsewhere(ctx, &member, &snapshot)?;
    let today = ctx.date();
    let domain = &realm.domain;
    let detected = detection::explained(&member, &snapshot, At::Worktree, CacheUse::Refresh)?;
    detection::note_left_out(ctx, &detected);
    let drift = detection::drift_of(&member, &snapshot, &detected);
    let mut names: Vec<String> = snapshot
        .domain(domain)
        .map(|d| d.exports.exports.iter().map(|e| e.name.clone()).collect())
        .unwrap_or_default();
    for d in &drift {
        if !names.contains(&d.export) {
            names.push(d.export.clone());
        }
    }
    let elsewhere = bindings::elsewhere(&member, &snapshot)?;
    let exports = names
        .into_iter()
        .map(|name| {
            let export = snapshot.export(domain, &name);
            ExportStatus {
                version: export.map(|e| e.version.clone()),
                drift: drift.iter().find(|d| d.export == name).cloned(),
                announced: export.and_then(|e| status::announcement(e, &today)),
                consumers: status::consumers_in(&snapshot, &elsewhere, domain, Some(&name), &today),
                name,
            }
        })
        .collect();
    let proposals = member.repo.proposals(realm, Some(domain))?;
    let report = StatusReport {
        realm: realm.name.clone(),
        domain: domain.clone(),
        realm_commit: tip.to_string(),
        freshness,
        admitted: snapshot.domain(domain).is_some() || snapshot.broken.contains_key(domain),
        broken_domains: status::broken_domains(&snapshot),
        proposals,
        exports,
        imports: bindings::imports_of(&member, &snapshot, At::Worktree, &today)?,
    };
    Ok((report, Outcome::Clean))
}
