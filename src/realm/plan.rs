//! What a domain's writes do to the realm, decided against one realm tip: publishing exports
//! (`export` and `sync`) and declaring an import (`import`). Pure: the caller hands the
//! change to `CodeRepo::publish`, signed.

use crate::error::BadInput;
use crate::realm::change::Change;
use crate::realm::model::{ExportsFile, Import, ImportStatus, ImportsFile};
use crate::realm::publish::{self, ExportUpdate, Publication};
use crate::realm::snapshot::{self, DomainState, Snapshot};
use crate::realm::version;

/// This domain's state in `tip`, refused while its join awaits approval.
pub fn member_state<'a>(tip: &'a Snapshot, domain: &str) -> Result<&'a DomainState, BadInput> {
    tip.domain(domain).ok_or_else(|| {
        BadInput::new(
            format!("domain `{domain}` is not in realm `{}` yet", tip.realm.name),
            "wait until an approver accepts the join ('git realm approve'), then try again",
        )
    })
}

/// Exports published against one realm tip.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    /// What was published, in the order of the updates; empty when the realm already says it.
    pub published: Vec<Publication>,
    /// The domain's exports file as the commit leaves it.
    pub exports: ExportsFile,
    /// Set when a breaking change needs an approver: the proposal branch.
    pub proposal: Option<String>,
    /// The commit, unsigned: `<domain>: export a 1.1.0, b 2.0.0` writing the exports file;
    /// `None` when nothing is published.
    pub change: Option<Change>,
}

/// Publish `updates` of `domain`'s exports against `tip`, by `email` on `today`: each update's
/// version and changelog, and whether a breaking change must wait for an approver (the
/// realm's governance requires approval and `email` is not an approver).
pub fn plan_export(
    tip: &Snapshot,
    domain: &str,
    updates: &[ExportUpdate],
    email: &str,
    today: &str,
) -> Result<ExportPlan, BadInput> {
    let state = member_state(tip, domain)?;
    let mut exports = state.exports.clone();
    let mut published = Vec::new();
    for update in updates {
        if let Some((next, publication)) = publish::apply(tip, &exports, domain, update, today)? {
            exports = next;
            published.push(publication);
        }
    }
    let governance = &tip.realm.governance;
    let proposal = published
        .iter()
        .find(|p| p.breaking)
        .filter(|_| governance.breaking_changes.require_approval && !governance.is_approver(email))
        .map(|breaking| {
            format!(
                "proposals/{domain}/{}-{}",
                breaking.export, breaking.version
            )
        });
    let change = (!published.is_empty()).then(|| {
        let mut change = Change::new(format!("{domain}: {}", export_subject(&published)));
        change.put_yaml(snapshot::exports_file(domain), &exports);
        change
    });
    Ok(ExportPlan {
        published,
        exports,
        proposal,
        change,
    })
}

/// `export a 1.1.0, b 2.0.0`: what a commit publishes, in the realm's words.
pub fn export_subject(published: &[Publication]) -> String {
    let list: Vec<String> = published
        .iter()
        .map(|p| format!("{} {}", p.export, p.version))
        .collect();
    format!("export {}", list.join(", "))
}

/// An import a domain declares (`git realm import`).
#[derive(Debug, Clone)]
pub struct ImportRequest<'a> {
    /// The importing domain.
    pub domain: &'a str,
    pub contract: &'a str,
    pub from: &'a str,
    /// The provider's realm, when it is another realm than the importing domain's.
    pub realm: Option<&'a str>,
    /// Where that realm is fetched from, when this repository is not a member of it.
    pub realm_url: Option<&'a str>,
    /// The semver requirement as given; `None`: `^<current major>`.
    pub version: Option<&'a str>,
    /// The repository-relative path of the file that uses the value.
    pub binding: Option<&'a str>,
    /// The binding's blob id at HEAD.
    pub binding_blob: Option<&'a str>,
    /// RFC 3339, for `resolved_at`.
    pub now: &'a str,
}

/// An import recorded against one realm tip.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// The import as recorded: current, at the export's version.
    pub import: Import,
    /// The domain's imports file as the commit leaves it.
    pub imports: ImportsFile,
    /// Set when an existing import moved to another version: the version it resolved to
    /// (the provider's issue in this repository can close, as after a sync).
    pub resolved: Option<String>,
    /// The commit, unsigned: `<domain>: import <from>/<contract> <requirement>`.
    pub change: Change,
}

/// The import `domain` records in `tip` of `contract` from `from` (in realm `realm`, or
/// `tip`'s own realm when `None`), as [`plan_import`] would find it to replace.
pub fn recorded_import<'a>(
    tip: &'a Snapshot,
    domain: &str,
    contract: &str,
    from: &str,
    realm: Option<&str>,
) -> Option<&'a Import> {
    let here = tip.realm.name.as_str();
    let provider_realm = realm.unwrap_or(here);
    tip.domain(domain)?.imports.imports.iter().find(|i| {
        i.contract == contract && i.from == from && i.provider_realm(here) == provider_realm
    })
}

/// Record what a verifier found of the import `plan` records: `missing` is what its binding
/// does not grant (empty: it grants the value). Ungranted, the import is recorded
/// `ungranted` with the gap, as `sync --force` records it.
pub fn record_verdict(plan: &mut ImportPlan, domain: &str, missing: &[String]) {
    let granted = missing.is_empty();
    let verdict = |import: &mut Import| {
        import.verified = Some(granted);
        import.ungranted = missing.to_vec();
        if !granted {
            import.status = ImportStatus::Ungranted;
        }
    };
    verdict(&mut plan.import);
    let recorded = &plan.import;
    if let Some(import) = plan.imports.imports.iter_mut().find(|i| {
        i.contract == recorded.contract && i.from == recorded.from && i.realm == recorded.realm
    }) {
        verdict(import);
    }
    plan.change
        .put_yaml(snapshot::imports_file(domain), &plan.imports);
}

/// Record `request` against `tip`: the provider and its export must exist, and the export's
/// version must satisfy the requirement.
pub fn plan_import(tip: &Snapshot, request: &ImportRequest) -> Result<ImportPlan, BadInput> {
    plan_import_across(tip, tip, request)
}

/// [`plan_import`] of an import recorded in `tip` whose provider is a domain of `provider_tip`
/// (another realm's state when `request.realm` names it; `tip` itself otherwise).
pub fn plan_import_across(
    tip: &Snapshot,
    provider_tip: &Snapshot,
    request: &ImportRequest,
) -> Result<ImportPlan, BadInput> {
    let domain = request.domain;
    let state = member_state(tip, domain)?;
    let across = request.realm.filter(|r| *r != tip.realm.name);
    let Some(provider) = provider_tip.domain(request.from) else {
        let known: Vec<&str> = provider_tip
            .domains
            .keys()
            .map(String::as_str)
            .filter(|d| across.is_some() || *d != domain)
            .collect();
        return Err(BadInput::new(
            format!(
                "unknown domain `{}` in realm `{}`",
                request.from, provider_tip.realm.name
            ),
            format!("domains in the realm: {}", listed(&known)),
        ));
    };
    let Some(export) = provider
        .exports
        .exports
        .iter()
        .find(|e| e.name == request.contract)
    else {
        let known: Vec<&str> = provider
            .exports
            .exports
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        return Err(BadInput::new(
            format!(
                "domain `{}` exports no contract `{}`",
                request.from, request.contract
            ),
            format!("its exports: {}", listed(&known)),
        ));
    };
    let latest = version::parse_version(&export.version)?;
    let req_text = match request.version {
        Some(text) => text.to_owned(),
        None => format!("^{}", latest.major),
    };
    let req = version::parse_requirement(&req_text)?;
    if !req.matches(&latest) {
        return Err(BadInput::new(
            format!(
                "`{}/{}` is at {latest}, which does not satisfy `{req_text}`",
                request.from, request.contract
            ),
            format!(
                "accept the current version, e.g. --version ^{}",
                latest.major
            ),
        ));
    }
    let mut imports = state.imports.clone();
    let import = Import {
        contract: request.contract.to_owned(),
        from: request.from.to_owned(),
        realm: across.map(str::to_owned),
        realm_url: across.and(request.realm_url).map(str::to_owned),
        version: req_text.clone(),
        binding: request.binding.map(str::to_owned),
        status: ImportStatus::Current,
        resolved_version: Some(latest.to_string()),
        resolved_at: Some(request.now.to_owned()),
        binding_blob: request.binding_blob.map(str::to_owned),
        verified: None,
        ungranted: Vec::new(),
        extra: Default::default(),
    };
    let mut resolved = None;
    match imports.imports.iter_mut().find(|i| {
        i.contract == import.contract
            && i.from == import.from
            && i.provider_realm(&tip.realm.name) == import.provider_realm(&tip.realm.name)
    }) {
        Some(existing) => {
            if existing.resolved_version != import.resolved_version {
                resolved = Some(latest.to_string());
            }
            let extra = std::mem::take(&mut existing.extra);
            *existing = Import {
                extra,
                ..import.clone()
            };
        }
        None => imports.imports.push(import.clone()),
    }
    let provider_name = match across {
        Some(realm) => format!("{realm}/{}", request.from),
        None => request.from.to_owned(),
    };
    let mut change = Change::new(format!(
        "{domain}: import {provider_name}/{} {req_text}",
        request.contract
    ));
    change.put_yaml(snapshot::imports_file(domain), &imports);
    Ok(ImportPlan {
        import,
        imports,
        resolved,
        change,
    })
}

fn listed(names: &[&str]) -> String {
    if names.is_empty() {
        "none yet".to_owned()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::realm::snapshot::memory::Files;

    fn realm(require_approval: bool) -> Snapshot {
        let realm = format!(
            "name: r\ngovernance: {{approvers: [boss@x], breaking_changes: {{require_approval: {require_approval}}}}}\n"
        );
        let files = [
            ("realm.yaml", realm.as_str()),
            ("domains/a/domain.yaml", "name: a\n"),
            (
                "domains/a/exports.yaml",
                "exports:\n- {name: e, version: 1.1.0, value: [x, y], changelog: [{version: 1.1.0, date: d, changes: [Added y]}]}\n",
            ),
            ("domains/b/domain.yaml", "name: b\n"),
            (
                "domains/b/imports.yaml",
                "imports:\n- {contract: e, from: a, version: ^1, binding: p.py, resolved_version: 1.0.0, binding_blob: b1, note: kept}\n",
            ),
            ("domains/c/domain.yaml", "name: c\n"),
        ];
        let files = Files(
            files
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        );
        Snapshot::load(&files, "r").unwrap()
    }

    fn update(name: &str, value: serde_json::Value) -> ExportUpdate {
        ExportUpdate {
            name: name.to_owned(),
            value,
            description: None,
            schema: None,
            version: None,
        }
    }

    fn edit(change: &Change, path: &str) -> String {
        String::from_utf8(change.edits[path].clone().unwrap()).unwrap()
    }

    #[test]
    fn an_export_plan_publishes_each_update_in_one_commit() {
        let updates = [update("e", json!(["x", "y", "z"])), update("f", json!(1))];
        let plan = plan_export(&realm(true), "a", &updates, "dev@x", "2026-01-24").unwrap();
        let versions: Vec<(&str, &str)> = plan
            .published
            .iter()
            .map(|p| (p.export.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(versions, [("e", "1.2.0"), ("f", "1.0.0")]);
        assert_eq!(plan.proposal, None);
        assert_eq!(plan.exports.exports.len(), 2);
        let change = plan.change.unwrap();
        assert_eq!(change.subject, "a: export e 1.2.0, f 1.0.0");
        assert!(change.trailers.is_empty(), "the caller signs");
        let exports = edit(&change, "domains/a/exports.yaml");
        assert!(
            exports.contains("version: 1.2.0") && exports.contains("date: 2026-01-24"),
            "{exports}"
        );
    }

    #[test]
    fn an_export_plan_with_nothing_new_writes_nothing() {
        let updates = [update("e", json!(["x", "y"]))];
        let plan = plan_export(&realm(true), "a", &updates, "dev@x", "2026-01-24").unwrap();
        assert!(plan.published.is_empty() && plan.change.is_none() && plan.proposal.is_none());
    }

    #[test]
    fn a_breaking_export_waits_for_an_approver_when_the_realm_says_so() {
        let updates = [update("e", json!(["x"]))];
        let proposal = |require, email| {
            plan_export(&realm(require), "a", &updates, email, "2026-01-24")
                .unwrap()
                .proposal
        };
        assert_eq!(
            proposal(true, "dev@x").as_deref(),
            Some("proposals/a/e-2.0.0")
        );
        assert_eq!(proposal(true, "Boss@X"), None, "an approver publishes");
        assert_eq!(proposal(false, "dev@x"), None, "no approval required");
    }

    #[test]
    fn an_export_plan_needs_an_admitted_domain_and_a_valid_value() {
        let err = plan_export(&realm(true), "zz", &[], "dev@x", "d").unwrap_err();
        assert_eq!(err.message, "domain `zz` is not in realm `r` yet");
        let explicit = ExportUpdate {
            version: Some(semver::Version::new(1, 0, 5)),
            ..update("e", json!(["x", "y", "z"]))
        };
        assert!(plan_export(&realm(true), "a", &[explicit], "dev@x", "d").is_err());
    }

    fn request<'a>(domain: &'a str, contract: &'a str, from: &'a str) -> ImportRequest<'a> {
        ImportRequest {
            domain,
            contract,
            from,
            realm: None,
            realm_url: None,
            version: None,
            binding: Some("policy.json"),
            binding_blob: Some("b2"),
            now: "2026-01-24T10:00:00Z",
        }
    }

    #[test]
    fn the_recorded_import_is_found_by_contract_provider_and_realm() {
        let tip = realm(true);
        let found = recorded_import(&tip, "b", "e", "a", None).expect("b imports a/e");
        assert_eq!(found.binding.as_deref(), Some("p.py"));
        assert!(recorded_import(&tip, "b", "e", "a", Some("other")).is_none());
        assert!(recorded_import(&tip, "c", "e", "a", None).is_none());
    }

    #[test]
    fn a_verdict_is_recorded_in_the_import_and_its_file() {
        let mut plan = plan_import(&realm(true), &request("b", "e", "a")).unwrap();
        record_verdict(&mut plan, "b", &["y (read): missing".to_owned()]);
        assert_eq!(plan.import.status, ImportStatus::Ungranted);
        assert_eq!(plan.import.verified, Some(false));
        let imports = edit(&plan.change, "domains/b/imports.yaml");
        assert!(imports.contains("status: ungranted"), "{imports}");
        assert!(imports.contains("verified: false"), "{imports}");
        assert!(imports.contains("y (read): missing"), "{imports}");

        let mut plan = plan_import(&realm(true), &request("b", "e", "a")).unwrap();
        record_verdict(&mut plan, "b", &[]);
        assert_eq!(plan.import.status, ImportStatus::Current);
        let imports = edit(&plan.change, "domains/b/imports.yaml");
        assert!(imports.contains("verified: true"), "{imports}");
        assert!(!imports.contains("ungranted"), "{imports}");
    }

    #[test]
    fn a_new_import_is_current_at_the_exports_major() {
        let plan = plan_import(&realm(true), &request("c", "e", "a")).unwrap();
        assert_eq!(plan.import.version, "^1");
        assert_eq!(plan.import.resolved_version.as_deref(), Some("1.1.0"));
        assert_eq!(plan.import.status, ImportStatus::Current);
        assert_eq!(plan.resolved, None);
        assert_eq!(plan.change.subject, "c: import a/e ^1");
        let imports = edit(&plan.change, "domains/c/imports.yaml");
        assert!(
            imports.contains("binding: policy.json")
                && imports.contains("binding_blob: b2")
                && imports.contains("resolved_at: 2026-01-24T10:00:00Z"),
            "{imports}"
        );
    }

    #[test]
    fn moving_an_import_resolves_it_and_keeps_unknown_fields() {
        let request = ImportRequest {
            version: Some(">=1.0.0"),
            ..request("b", "e", "a")
        };
        let plan = plan_import(&realm(true), &request).unwrap();
        assert_eq!(plan.resolved.as_deref(), Some("1.1.0"));
        assert_eq!(plan.imports.imports.len(), 1);
        assert_eq!(plan.change.subject, "b: import a/e >=1.0.0");
        let imports = edit(&plan.change, "domains/b/imports.yaml");
        assert!(
            imports.contains("note: kept") && imports.contains("version: '>=1.0.0'"),
            "{imports}"
        );
        // Declared again at the same version: recorded, nothing resolved.
        let mut again = realm(true);
        again.domains.get_mut("b").unwrap().imports = plan.imports;
        assert_eq!(plan_import(&again, &request).unwrap().resolved, None);
    }

    #[test]
    fn an_import_names_what_exists_at_a_version_it_accepts() {
        let tip = realm(true);
        let message = |r: ImportRequest| {
            let err = plan_import(&tip, &r).unwrap_err();
            (err.message, err.hint.unwrap_or_default())
        };
        assert_eq!(
            message(request("zz", "e", "a")).0,
            "domain `zz` is not in realm `r` yet"
        );
        assert_eq!(
            message(request("c", "e", "nope")),
            (
                "unknown domain `nope` in realm `r`".to_owned(),
                "domains in the realm: a, b".to_owned()
            )
        );
        assert_eq!(
            message(request("c", "nope", "a")),
            (
                "domain `a` exports no contract `nope`".to_owned(),
                "its exports: e".to_owned()
            )
        );
        assert_eq!(message(request("a", "e", "b")).1, "its exports: none yet");
        let pinned = ImportRequest {
            version: Some("^2"),
            ..request("c", "e", "a")
        };
        assert_eq!(
            message(pinned),
            (
                "`a/e` is at 1.1.0, which does not satisfy `^2`".to_owned(),
                "accept the current version, e.g. --version ^1".to_owned()
            )
        );
    }
}
