//! Import status (current, stale, broken) and consumers, computed from a realm snapshot.

use serde::Serialize;
use serde_json::Value;

use crate::realm::model::{Export, Import, ImportStatus};
use crate::realm::publish::effective_version;
use crate::realm::snapshot::Snapshot;
use crate::realm::{schema, version};

/// One import of a domain, as the realm stands.
#[derive(Debug, Clone, Serialize)]
pub struct ImportState {
    pub contract: String,
    pub from: String,
    pub requirement: String,
    pub binding: Option<String>,
    pub status: ImportStatus,
    pub resolved_version: Option<String>,
    /// The provider's version as consumers see it today.
    pub latest_version: Option<String>,
    /// Changelog lines between the resolved and the latest version, newest first.
    pub changes: Vec<String>,
    /// Why the import is broken.
    pub reason: Option<String>,
    /// A breaking change accepted but not yet in effect.
    pub announced: Option<Announcement>,
    /// With a verifier: what the binding does not grant of the value (the import is
    /// `ungranted` while this is not empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ungranted: Vec<String>,
    /// With a verifier: grants wider than the value needs (warnings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub over_grants: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Announcement {
    pub version: String,
    pub effective_from: String,
    pub changes: Vec<String>,
}

/// The state of every import `domain` declares, as of `today` (`YYYY-MM-DD`).
/// A domain whose files cannot be used, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BrokenDomain {
    pub domain: String,
    pub reason: String,
}

impl BrokenDomain {
    /// The one line every report shows for it.
    pub fn line(&self) -> String {
        format!(
            "domain '{}' is broken in the realm: {}",
            self.domain, self.reason
        )
    }
}

pub fn broken_domains(snapshot: &Snapshot) -> Vec<BrokenDomain> {
    snapshot
        .broken
        .iter()
        .map(|(domain, reason)| BrokenDomain {
            domain: domain.clone(),
            reason: reason.clone(),
        })
        .collect()
}

pub fn imports_of(snapshot: &Snapshot, domain: &str, today: &str) -> Vec<ImportState> {
    let Some(state) = snapshot.domain(domain) else {
        return Vec::new();
    };
    state
        .imports
        .imports
        .iter()
        .map(|import| import_state(snapshot, import, today))
        .collect()
}

pub fn import_state(snapshot: &Snapshot, import: &Import, today: &str) -> ImportState {
    let mut out = ImportState {
        contract: import.contract.clone(),
        from: import.from.clone(),
        requirement: import.version.clone(),
        binding: import.binding.clone(),
        status: ImportStatus::Broken,
        resolved_version: import.resolved_version.clone(),
        latest_version: None,
        changes: Vec::new(),
        reason: None,
        announced: None,
        ungranted: Vec::new(),
        over_grants: Vec::new(),
    };
    let Some(provider) = snapshot.domain(&import.from) else {
        out.reason = Some(match snapshot.broken.get(&import.from) {
            Some(why) => format!("domain `{}` is broken in the realm: {why}", import.from),
            None => format!("domain `{}` is no longer in the realm", import.from),
        });
        return out;
    };
    let Some(export) = provider
        .exports
        .exports
        .iter()
        .find(|e| e.name == import.contract)
    else {
        out.reason = Some(format!(
            "`{}` no longer exports `{}`",
            import.from, import.contract
        ));
        return out;
    };
    let latest = effective_version(export, today).to_owned();
    out.latest_version = Some(latest.clone());
    out.announced = announcement(export, today);
    let requirement = match version::parse_requirement(&import.version) {
        Ok(req) => req,
        Err(e) => {
            out.reason = Some(e.message);
            return out;
        }
    };
    let Ok(parsed) = semver::Version::parse(&latest) else {
        out.reason = Some(format!(
            "`{}/{}` has invalid version `{latest}`",
            import.from, import.contract
        ));
        return out;
    };
    if !requirement.matches(&parsed) {
        out.reason = Some(format!("{latest} does not satisfy `{}`", import.version));
        out.changes = changes_between(export, import.resolved_version.as_deref(), &latest);
        return out;
    }
    if latest == export.version
        && let Some(schema_value) = &export.schema
        && let Err(e) = schema::validate(
            "the export",
            schema_value,
            &export.value,
            &snapshot.contracts,
        )
    {
        out.reason = Some(e.message);
        return out;
    }
    if import.resolved_version.as_deref() == Some(latest.as_str()) {
        out.status = ImportStatus::Current;
    } else {
        out.status = ImportStatus::Stale;
        out.changes = changes_between(export, import.resolved_version.as_deref(), &latest);
    }
    out
}

/// The value a binding must grant for `import`: the provider's export value, while the version
/// consumers see is the one it holds (not during a breaking change's grace period).
pub fn granted_value<'s>(
    snapshot: &'s Snapshot,
    import: &Import,
    today: &str,
) -> Option<&'s Value> {
    let export = snapshot.export(&import.from, &import.contract)?;
    (effective_version(export, today) == export.version).then_some(&export.value)
}

/// Mark a current or stale import `ungranted` when its binding leaves `missing` ungranted.
pub fn apply_grants(state: &mut ImportState, missing: Vec<String>, over_grants: Vec<String>) {
    if !missing.is_empty() && matches!(state.status, ImportStatus::Current | ImportStatus::Stale) {
        state.status = ImportStatus::Ungranted;
    }
    state.ungranted = missing;
    state.over_grants = over_grants;
}

/// A breaking change of `export` that is accepted but not in effect on `today`.
pub fn announcement(export: &Export, today: &str) -> Option<Announcement> {
    let from = export.effective_from.as_ref()?;
    (today < from.as_str()).then(|| Announcement {
        version: export.version.clone(),
        effective_from: from.clone(),
        // Everything consumers will see on that date: the breaking change and what followed it.
        changes: changes_between(
            export,
            Some(effective_version(export, today)),
            &export.version,
        ),
    })
}

/// Changelog lines of versions after `resolved` up to and including `latest`.
fn changes_between(export: &Export, resolved: Option<&str>, latest: &str) -> Vec<String> {
    let resolved = resolved.and_then(|v| semver::Version::parse(v).ok());
    let latest = semver::Version::parse(latest).ok();
    export
        .changelog
        .iter()
        .filter(|entry| {
            let Ok(v) = semver::Version::parse(&entry.version) else {
                return false;
            };
            resolved.as_ref().is_none_or(|r| v > *r) && latest.as_ref().is_none_or(|l| v <= *l)
        })
        .flat_map(|entry| entry.changes.iter().cloned())
        .collect()
}

/// A domain that imports one of `provider`'s exports.
#[derive(Debug, Clone, Serialize)]
pub struct Consumer {
    pub domain: String,
    pub contract: String,
    pub requirement: String,
    pub status: ImportStatus,
    pub binding: Option<String>,
    pub repo_url: Option<String>,
    /// Whether the consumer's verifier found its binding granting the value at its last
    /// resolution; absent without a verifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// Every import of `provider`'s exports (optionally only `export`) by other domains.
pub fn consumers_of(
    snapshot: &Snapshot,
    provider: &str,
    export: Option<&str>,
    today: &str,
) -> Vec<Consumer> {
    let mut out = Vec::new();
    for (name, state) in &snapshot.domains {
        if name == provider {
            continue;
        }
        for import in &state.imports.imports {
            if import.from == provider && export.is_none_or(|e| e == import.contract) {
                out.push(Consumer {
                    domain: name.clone(),
                    contract: import.contract.clone(),
                    requirement: import.version.clone(),
                    status: import_state(snapshot, import, today).status,
                    binding: import.binding.clone(),
                    repo_url: state.domain.repo_url.clone(),
                    verified: import.verified,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realm::snapshot::memory::Files;

    fn snapshot(exports: &str, imports: &str) -> Snapshot {
        let files = Files(
            [
                ("realm.yaml", "name: r\ngovernance: {}\n"),
                ("domains/a/domain.yaml", "name: a\n"),
                ("domains/a/exports.yaml", exports),
                ("domains/b/domain.yaml", "name: b\n"),
                ("domains/b/imports.yaml", imports),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        );
        Snapshot::load(&files, "r").unwrap()
    }

    const EXPORTS: &str = "exports:
- name: e
  version: 1.1.0
  value: [x, y]
  changelog:
  - {version: 1.1.0, date: 2026-01-24, changes: [Added y]}
  - {version: 1.0.0, date: 2026-01-20, changes: [First published]}
";

    #[test]
    fn current_stale_broken() {
        let s = snapshot(
            EXPORTS,
            "imports: [{contract: e, from: a, version: ^1, resolved_version: 1.1.0}]",
        );
        assert_eq!(
            imports_of(&s, "b", "2026-01-25")[0].status,
            ImportStatus::Current
        );
        let s = snapshot(
            EXPORTS,
            "imports: [{contract: e, from: a, version: ^1, resolved_version: 1.0.0}]",
        );
        let state = &imports_of(&s, "b", "2026-01-25")[0];
        assert_eq!(state.status, ImportStatus::Stale);
        assert_eq!(state.changes, ["Added y"]);
        let s = snapshot(
            EXPORTS,
            "imports: [{contract: e, from: a, version: ^2, resolved_version: 1.0.0}]",
        );
        let state = &imports_of(&s, "b", "2026-01-25")[0];
        assert_eq!(state.status, ImportStatus::Broken);
        assert_eq!(state.reason.as_deref(), Some("1.1.0 does not satisfy `^2`"));
        let s = snapshot(EXPORTS, "imports: [{contract: gone, from: a, version: ^1}]");
        assert_eq!(
            imports_of(&s, "b", "2026-01-25")[0].status,
            ImportStatus::Broken
        );
        assert_eq!(consumers_of(&s, "a", None, "2026-01-25")[0].domain, "b");
    }

    #[test]
    fn breaking_changes_wait_for_their_grace_period() {
        let exports = "exports:
- name: e
  version: 2.0.0
  effective_from: 2026-02-07
  value: [x]
  changelog:
  - {version: 2.0.0, date: 2026-01-24, changes: [Removed y]}
  - {version: 1.1.0, date: 2026-01-20, changes: [Added y]}
";
        let s = snapshot(
            exports,
            "imports: [{contract: e, from: a, version: ^1, resolved_version: 1.1.0}]",
        );
        let before = &imports_of(&s, "b", "2026-02-06")[0];
        assert_eq!(before.status, ImportStatus::Current);
        let announced = before.announced.as_ref().unwrap();
        assert_eq!(
            (
                announced.version.as_str(),
                announced.effective_from.as_str()
            ),
            ("2.0.0", "2026-02-07")
        );
        assert_eq!(announced.changes, ["Removed y"]);
        let after = &imports_of(&s, "b", "2026-02-07")[0];
        assert_eq!(after.status, ImportStatus::Broken);
        assert!(after.announced.is_none());
    }
}
