//! Import status (current, stale, broken) and consumers, computed from a realm snapshot.

use std::collections::BTreeMap;

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
    /// The provider's realm, for an import across realms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
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

/// The fetched state of the realms other than the one at hand, by realm name: where an import
/// across realms (`realm: NAME` beside `from:`) finds its provider, and a provider its
/// consumers in other realms. Empty for a repository in one realm.
#[derive(Debug, Clone, Default)]
pub struct Elsewhere {
    pub realms: BTreeMap<String, Snapshot>,
    /// Realms an import names that could not be read here, and why.
    pub missing: BTreeMap<String, String>,
}

impl Elsewhere {
    /// The snapshot `import`'s provider is in, `here` being the realm the import is recorded
    /// in; why not, when that realm is not known here.
    pub fn provider_snapshot<'s>(
        &'s self,
        here: &'s Snapshot,
        import: &Import,
    ) -> Result<&'s Snapshot, String> {
        let name = import.provider_realm(&here.realm.name);
        if name == here.realm.name {
            return Ok(here);
        }
        self.realms.get(name).ok_or_else(|| match self.missing.get(name) {
            Some(why) => format!("realm `{name}` cannot be read here: {why}"),
            None => format!(
                "realm `{name}` is not known here (join it, or import with --from-url so it can be fetched)"
            ),
        })
    }
}

/// Nothing elsewhere: a repository in one realm.
pub fn nowhere() -> &'static Elsewhere {
    static EMPTY: std::sync::OnceLock<Elsewhere> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Elsewhere::default)
}

pub fn imports_of(snapshot: &Snapshot, domain: &str, today: &str) -> Vec<ImportState> {
    imports_of_in(snapshot, nowhere(), domain, today)
}

/// [`imports_of`], imports across realms finding their providers `elsewhere`.
pub fn imports_of_in(
    snapshot: &Snapshot,
    elsewhere: &Elsewhere,
    domain: &str,
    today: &str,
) -> Vec<ImportState> {
    let Some(state) = snapshot.domain(domain) else {
        return Vec::new();
    };
    state
        .imports
        .imports
        .iter()
        .map(|import| import_state_in(snapshot, elsewhere, import, today))
        .collect()
}

pub fn import_state(snapshot: &Snapshot, import: &Import, today: &str) -> ImportState {
    import_state_in(snapshot, nowhere(), import, today)
}

/// [`import_state`] of an import recorded in `here`, its provider looked up in `elsewhere`
/// when it is in another realm.
pub fn import_state_in(
    here: &Snapshot,
    elsewhere: &Elsewhere,
    import: &Import,
    today: &str,
) -> ImportState {
    state_against(
        &here.realm.name,
        elsewhere.provider_snapshot(here, import),
        import,
        today,
    )
}

/// The state of an import recorded in realm `here`, against the snapshot of its provider's
/// realm (or why there is none).
fn state_against(
    here: &str,
    provider_snapshot: Result<&Snapshot, String>,
    import: &Import,
    today: &str,
) -> ImportState {
    let mut out = ImportState {
        contract: import.contract.clone(),
        from: import.from.clone(),
        realm: import
            .is_across(here)
            .then(|| import.provider_realm(here).to_owned()),
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
    let snapshot = match provider_snapshot {
        Ok(snapshot) => snapshot,
        Err(why) => {
            out.reason = Some(why);
            return out;
        }
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
    granted_value_in(snapshot, nowhere(), import, today)
}

/// [`granted_value`] of an import recorded in `here`, its provider perhaps `elsewhere`.
pub fn granted_value_in<'s>(
    here: &'s Snapshot,
    elsewhere: &'s Elsewhere,
    import: &Import,
    today: &str,
) -> Option<&'s Value> {
    let snapshot = elsewhere.provider_snapshot(here, import).ok()?;
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
    /// The consumer's realm, when it imports from another realm than the provider's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
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
    consumers_in(snapshot, nowhere(), provider, export, today)
}

/// [`consumers_of`] in `snapshot` and, importing across realms from `snapshot`'s realm, in
/// the realms `elsewhere`.
pub fn consumers_in(
    snapshot: &Snapshot,
    elsewhere: &Elsewhere,
    provider: &str,
    export: Option<&str>,
    today: &str,
) -> Vec<Consumer> {
    let here = snapshot.realm.name.as_str();
    let mut out = Vec::new();
    let realms = std::iter::once((here, snapshot)).chain(
        elsewhere
            .realms
            .iter()
            .filter(|(name, _)| name.as_str() != here)
            .map(|(name, s)| (name.as_str(), s)),
    );
    for (realm, consumers) in realms {
        for (name, state) in &consumers.domains {
            if realm == here && name == provider {
                continue;
            }
            for import in &state.imports.imports {
                if import.from == provider
                    && import.provider_realm(&consumers.realm.name) == here
                    && export.is_none_or(|e| e == import.contract)
                {
                    out.push(Consumer {
                        domain: name.clone(),
                        realm: (realm != here).then(|| realm.to_owned()),
                        contract: import.contract.clone(),
                        requirement: import.version.clone(),
                        // Its provider is in `snapshot`, whichever realm records the import.
                        status: state_against(realm_of(consumers), Ok(snapshot), import, today)
                            .status,
                        binding: import.binding.clone(),
                        repo_url: state.domain.repo_url.clone(),
                        verified: import.verified,
                    });
                }
            }
        }
    }
    out
}

fn realm_of(snapshot: &Snapshot) -> &str {
    &snapshot.realm.name
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
    fn an_import_across_realms_finds_its_provider_in_its_own_realm() {
        // `b` in realm `r` imports `e` from `a` of realm `other`; `r` has a domain `a` too.
        let here = snapshot(
            "exports:\n- {name: e, version: 9.0.0, value: [z]}\n",
            "imports: [{contract: e, from: a, realm: other, version: ^1, resolved_version: 1.0.0}]",
        );
        let files = Files(
            [
                ("realm.yaml", "name: other\ngovernance: {}\n"),
                ("domains/a/domain.yaml", "name: a\n"),
                ("domains/a/exports.yaml", EXPORTS),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        );
        let other = Snapshot::load(&files, "other").unwrap();
        let lost = &imports_of(&here, "b", "2026-01-25")[0];
        assert_eq!(lost.status, ImportStatus::Broken);
        assert!(
            lost.reason.as_deref().unwrap().contains("realm `other`"),
            "{lost:?}"
        );
        let mut elsewhere = Elsewhere::default();
        elsewhere.realms.insert("other".into(), other.clone());
        let state = &imports_of_in(&here, &elsewhere, "b", "2026-01-25")[0];
        assert_eq!(state.status, ImportStatus::Stale);
        assert_eq!(state.realm.as_deref(), Some("other"));
        assert_eq!(state.changes, ["Added y"]);
        // `r`'s own `a` has no consumer; `other`'s `a` has `b`, of realm `r`.
        assert!(consumers_of(&here, "a", None, "2026-01-25").is_empty());
        let mut from_here = Elsewhere::default();
        from_here.realms.insert("r".into(), here.clone());
        let consumers = consumers_in(&other, &from_here, "a", Some("e"), "2026-01-25");
        assert_eq!(consumers.len(), 1);
        assert_eq!(
            (consumers[0].domain.as_str(), consumers[0].realm.as_deref()),
            ("b", Some("r"))
        );
        assert_eq!(consumers[0].status, ImportStatus::Stale);
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
