//! `status`: the realm as it concerns this domain.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::member::detection::{self, At, CacheUse};
use crate::member::{self as membership, bindings};
use crate::output::Report;
use crate::realm::drift::Drift;
use crate::realm::model::ImportStatus;
use crate::realm::status::{self, Announcement, Consumer, ImportState};

/// What `status` is asked: nothing yet; a struct so options can come without changing callers.
#[derive(Debug, Clone, Default)]
pub struct StatusOptions {}

#[derive(Serialize)]
pub struct StatusReport {
    realm: String,
    domain: String,
    realm_commit: String,
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
        for broken in &self.broken_domains {
            writeln!(out, "\n{}", crate::error::one_line(&broken.line()))?;
        }
        if !self.admitted {
            writeln!(out, "\nJoin pending approval.")?;
        }
        for proposal in &self.proposals {
            writeln!(out, "\nProposal awaiting approval: {proposal}")?;
        }
        for export in self.exports.iter().filter(|e| e.drift.is_some()) {
            let drift = export.drift.as_ref().expect("filtered");
            writeln!(
                out,
                "\nExport '{}' has local changes{}:",
                export.name,
                if drift.breaking { " (breaking)" } else { "" }
            )?;
            for line in &drift.explained {
                writeln!(out, "  {line}")?;
            }
            if !export.consumers.is_empty() {
                writeln!(out, "  Consumers:")?;
                for c in &export.consumers {
                    writeln!(
                        out,
                        "  - {} (imports {}, {})",
                        c.domain,
                        c.requirement,
                        c.status.as_str()
                    )?;
                }
            }
            writeln!(out, "  Run 'git realm sync' to update the realm")?;
        }
        for export in &self.exports {
            let verified: Vec<&Consumer> = export
                .consumers
                .iter()
                .filter(|c| c.verified.is_some())
                .collect();
            if verified.is_empty() {
                continue;
            }
            writeln!(out, "\nConsumers of '{}':", export.name)?;
            for c in verified {
                writeln!(
                    out,
                    "  - {} ({}, {})",
                    c.domain,
                    c.status.as_str(),
                    if c.verified == Some(true) {
                        "binding verified at its last resolution"
                    } else {
                        "resolved without its binding granting the value"
                    }
                )?;
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
        let attention: Vec<&ImportState> = self
            .imports
            .iter()
            .filter(|i| i.status != ImportStatus::Current || i.announced.is_some())
            .collect();
        for import in attention {
            let latest = import.latest_version.as_deref().unwrap_or("?");
            match import.status {
                ImportStatus::Stale => writeln!(
                    out,
                    "\nStale import '{}' from {}: {} → {latest} available",
                    import.contract,
                    import.from,
                    import.resolved_version.as_deref().unwrap_or("none")
                )?,
                ImportStatus::Broken => writeln!(
                    out,
                    "\nBroken import '{}' from {}: {}",
                    import.contract,
                    import.from,
                    import.reason.as_deref().unwrap_or("unknown")
                )?,
                ImportStatus::Ungranted => {
                    writeln!(
                        out,
                        "\nUngranted import '{}' from {}: the binding does not grant {latest}",
                        import.contract, import.from,
                    )?;
                    for line in &import.ungranted {
                        writeln!(out, "  {line}")?;
                    }
                }
                ImportStatus::Current => {}
            }
            if let Some(a) = &import.announced {
                writeln!(
                    out,
                    "\nBreaking change announced: '{}' from {} {} takes effect on {}",
                    import.contract, import.from, a.version, a.effective_from
                )?;
                for line in &a.changes {
                    writeln!(out, "  {line}")?;
                }
            }
            if let Some(binding) = &import.binding {
                writeln!(out, "  Binding: {binding}")?;
            }
            if !import.changes.is_empty() {
                writeln!(out, "  Changes:")?;
                for line in &import.changes {
                    writeln!(out, "    {line}")?;
                }
            }
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

pub fn status(ctx: &Context, _options: StatusOptions) -> Result<(StatusReport, Outcome)> {
    let member = membership::load(ctx)?;
    let realm = &member.config.realm;
    let (tip, snapshot) = member.repo.fetched_realm(realm)?;
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
    let exports = names
        .into_iter()
        .map(|name| {
            let export = snapshot.export(domain, &name);
            ExportStatus {
                version: export.map(|e| e.version.clone()),
                drift: drift.iter().find(|d| d.export == name).cloned(),
                announced: export.and_then(|e| status::announcement(e, &today)),
                consumers: status::consumers_of(&snapshot, domain, Some(&name), &today),
                name,
            }
        })
        .collect();
    let proposals = member.repo.proposals(realm, Some(domain))?;
    let report = StatusReport {
        realm: realm.name.clone(),
        domain: domain.clone(),
        realm_commit: tip.to_string(),
        admitted: snapshot.domain(domain).is_some() || snapshot.broken.contains_key(domain),
        broken_domains: status::broken_domains(&snapshot),
        proposals,
        exports,
        imports: bindings::imports_of(&member, &snapshot, At::Worktree, &today)?,
    };
    Ok((report, Outcome::Clean))
}
