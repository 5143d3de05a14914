//! What a realm change tells whom: a notice for each consumer of an export's new version, a
//! resolution for each import a consumer resolved. Read from realm snapshots; nothing is sent.

use crate::realm::model::Export;
use crate::realm::snapshot::Snapshot;

use super::{Notice, Resolution};

/// What each consumer (in `before`, the realm the new version lands on) of `provider`'s
/// `export`, now at its new version, is told: every change since the version that consumer
/// resolved, so one notice stands for all the versions it has not seen.
pub fn notices(before: &Snapshot, provider: &str, export: &Export) -> Vec<Notice> {
    notices_in(before, crate::realm::status::nowhere(), provider, export)
}

/// [`notices`], and for the consumers in the realms `elsewhere` that import `provider`'s
/// `export` across realms from `before`'s realm (told in the provider's realm's words).
pub fn notices_in(
    before: &Snapshot,
    elsewhere: &crate::realm::status::Elsewhere,
    provider: &str,
    export: &Export,
) -> Vec<Notice> {
    let published = semver::Version::parse(&export.version).ok();
    let previous_published = before
        .export(provider, &export.name)
        .map(|e| e.version.clone());
    let here = before.realm.name.as_str();
    let realms =
        std::iter::once(before).chain(elsewhere.realms.values().filter(|s| s.realm.name != here));
    let mut out = Vec::new();
    for (consumer, state) in realms.flat_map(|realm| {
        realm
            .domains
            .iter()
            .filter(move |(name, _)| realm.realm.name != here || name.as_str() != provider)
            .map(move |(name, state)| ((realm.realm.name.as_str(), name), state))
    }) {
        let (consumer_realm, consumer) = consumer;
        for import in state.imports.imports.iter().filter(|i| {
            i.from == provider
                && i.contract == export.name
                && i.provider_realm(consumer_realm) == here
        }) {
            let previous = import.resolved_version.clone();
            let since = previous
                .as_deref()
                .or(previous_published.as_deref())
                .and_then(|v| semver::Version::parse(v).ok());
            let changes = export
                .changelog
                .iter()
                .filter(|entry| {
                    let v = semver::Version::parse(&entry.version).ok();
                    since
                        .as_ref()
                        .is_none_or(|s| v.as_ref().is_some_and(|v| v > s))
                })
                .flat_map(|entry| entry.changes.iter().cloned())
                .collect();
            // Breaking for this consumer when any version it has not seen is: a new major.
            let breaking = matches!((&since, &published), (Some(s), Some(p)) if p.major > s.major);
            out.push(Notice {
                realm: before.realm.name.clone(),
                provider: provider.to_owned(),
                consumer: consumer.clone(),
                consumer_repo_url: state.domain.repo_url.clone(),
                consumer_forge: state.domain.forge().map(str::to_owned),
                export: export.name.clone(),
                version: export.version.clone(),
                previous,
                changes,
                breaking,
                effective_from: export.effective_from.clone(),
                binding: import.binding.clone(),
            });
        }
    }
    out
}

/// Everything that landing `after` on `before` tells (an approved proposal): notices for each
/// export whose version changed, resolutions for each import whose resolved version changed.
pub fn between(before: &Snapshot, after: &Snapshot) -> (Vec<Notice>, Vec<Resolution>) {
    let mut notices = Vec::new();
    let mut resolutions = Vec::new();
    for (domain, state) in &after.domains {
        for export in &state.exports.exports {
            let was = before.export(domain, &export.name);
            if was.is_some_and(|was| was.version != export.version) {
                notices.extend(self::notices(before, domain, export));
            }
        }
        let imported_before = before.domain(domain).map(|d| &d.imports.imports);
        for import in &state.imports.imports {
            let Some(version) = &import.resolved_version else {
                continue;
            };
            let was = imported_before
                .and_then(|imports| {
                    imports
                        .iter()
                        .find(|i| i.from == import.from && i.contract == import.contract)
                })
                .and_then(|i| i.resolved_version.as_ref());
            if was.is_some_and(|was| was != version) {
                resolutions.push(Resolution {
                    realm: after.realm.name.clone(),
                    provider: import.from.clone(),
                    consumer: domain.clone(),
                    consumer_repo_url: state.domain.repo_url.clone(),
                    consumer_forge: state.domain.forge().map(str::to_owned),
                    export: import.contract.clone(),
                    version: version.clone(),
                });
            }
        }
    }
    (notices, resolutions)
}
