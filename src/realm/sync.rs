//! A sync, decided against one realm tip: which exports to publish (version, changelog), which
//! stale imports to resolve, which imports are broken, and the one commit that records it.

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use crate::realm::change::Change;
use crate::realm::model::{Export, Import, ImportStatus};
use crate::realm::publish::{ExportUpdate, Publication};
use crate::realm::snapshot::{self, Snapshot};
use crate::realm::status::{self, Consumer, Elsewhere, ImportState};
use crate::realm::{drift, plan};

/// What a sync starts from, besides the realm.
pub struct SyncInput<'a> {
    pub domain: &'a str,
    /// Every export this domain computes, by name.
    pub values: &'a [(String, Value)],
    /// Who syncs: an approver's breaking change needs no proposal.
    pub email: &'a str,
    /// `YYYY-MM-DD`, for changelogs and grace periods.
    pub today: &'a str,
    /// RFC 3339, for `resolved_at`.
    pub now: &'a str,
    /// Free text for the commit message.
    pub message: Option<&'a str>,
    /// Resolve imports whose bindings do not grant the value, recording what is missing.
    pub force: bool,
    /// The other realms' state: where imports across realms find their providers, and this
    /// domain's exports their consumers in other realms.
    pub elsewhere: &'a Elsewhere,
}

/// A stale import marked resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Resolution {
    pub contract: String,
    pub from: String,
    /// The provider's realm, for an import across realms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    pub previous_version: Option<String>,
    pub version: String,
    pub binding: Option<String>,
    /// The binding file is the same blob as at the previous resolution: likely not reviewed.
    pub binding_unchanged: bool,
    pub changes: Vec<String>,
    /// With a verifier: whether the binding granted the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// What the binding did not grant (only with `--force`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ungranted: Vec<String>,
}

impl Resolution {
    /// The provider as notes and commit subjects name it: `from`, or `realm/from` across
    /// realms.
    pub fn provider(&self) -> String {
        match &self.realm {
            Some(realm) => format!("{realm}/{}", self.from),
            None => self.from.clone(),
        }
    }
}

/// What a sync does to the realm, decided against one realm tip.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub published: Vec<Publication>,
    pub resolved: Vec<Resolution>,
    pub broken: Vec<ImportState>,
    /// Imports whose bindings do not grant the value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ungranted: Vec<ImportState>,
    /// Set when an ungranted import stopped the sync (without `--force`): nothing is written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
    /// Consumers of the published exports, who are told about the new versions.
    pub consumers: Vec<Consumer>,
    /// Set when a breaking change needs an approver: the proposal branch.
    pub proposal: Option<String>,
    /// The commit, unsigned (no trailers yet); `None` when the realm already says it all.
    #[serde(skip)]
    pub change: Option<Change>,
    /// The domain's exports as the commit leaves them.
    #[serde(skip)]
    pub exports: Vec<Export>,
}

/// Decide the sync of `input.domain` against `tip`. `binding_blob` names the blob a binding
/// file has in the code commit synced (to tell whether it changed since the last resolution);
/// `verify` says what an import's binding does not grant (`None`: no verifier).
pub fn plan(
    tip: &Snapshot,
    input: &SyncInput,
    mut binding_blob: impl FnMut(&str) -> Result<Option<String>>,
    mut verify: impl FnMut(&Import) -> Result<Option<Vec<String>>>,
) -> Result<Plan> {
    let domain = input.domain;
    let state = plan::member_state(tip, domain)?;
    let today = input.today;
    let mut plan = Plan::default();
    let mut change = Change::new(String::new());

    // Exports: every computed value that differs from the realm's is published.
    let updates: Vec<ExportUpdate> = drift::compare(
        tip,
        domain,
        input
            .values
            .iter()
            .map(|(name, value)| (name.clone(), value.clone(), Default::default()))
            .collect(),
    )
    .into_iter()
    .map(|drift| ExportUpdate {
        name: drift.export,
        value: drift.value,
        description: None,
        schema: None,
        version: None,
    })
    .collect();
    let exported = plan::plan_export(tip, domain, &updates, input.email, today)?;
    if let Some(exports) = exported.change {
        change.edits.extend(exports.edits);
    }
    for publication in &exported.published {
        plan.consumers.extend(status::consumers_in(
            tip,
            input.elsewhere,
            domain,
            Some(&publication.export),
            today,
        ));
    }
    plan.published = exported.published;
    plan.exports = exported.exports.exports;
    plan.proposal = exported.proposal;

    // Imports: stale ones resolved, broken ones recorded and reported, never resolved.
    let mut imports = state.imports.clone();
    let mut imports_changed = false;
    for import in &mut imports.imports {
        let mut computed = status::import_state_in(tip, input.elsewhere, import, today);
        let stale = computed.status == ImportStatus::Stale;
        let missing = if matches!(computed.status, ImportStatus::Current | ImportStatus::Stale) {
            verify(import)?
        } else {
            None
        };
        if let Some(missing) = &missing {
            status::apply_grants(&mut computed, missing.clone(), Vec::new());
        }
        let granted = missing.as_ref().is_none_or(Vec::is_empty);
        if !granted {
            plan.ungranted.push(computed.clone());
        }
        match computed.status {
            _ if stale && (granted || input.force) => {
                let blob = match &import.binding {
                    Some(path) => binding_blob(path)?,
                    None => None,
                };
                let version = computed.latest_version.clone().unwrap_or_default();
                plan.resolved.push(Resolution {
                    contract: import.contract.clone(),
                    from: import.from.clone(),
                    realm: computed.realm.clone(),
                    previous_version: import.resolved_version.clone(),
                    version: version.clone(),
                    binding: import.binding.clone(),
                    binding_unchanged: blob.is_some() && blob == import.binding_blob,
                    changes: computed.changes.clone(),
                    verified: missing.as_ref().map(Vec::is_empty),
                    ungranted: missing.clone().unwrap_or_default(),
                });
                *import = Import {
                    status: if granted {
                        ImportStatus::Current
                    } else {
                        ImportStatus::Ungranted
                    },
                    resolved_version: Some(version),
                    resolved_at: Some(input.now.to_owned()),
                    binding_blob: blob,
                    verified: missing.as_ref().map(Vec::is_empty),
                    ungranted: missing.unwrap_or_default(),
                    ..import.clone()
                };
                imports_changed = true;
            }
            status if status != import.status => {
                import.status = status;
                imports_changed = true;
            }
            _ => {}
        }
        if computed.status == ImportStatus::Broken {
            plan.broken.push(computed);
        }
    }
    if imports_changed {
        change.put_yaml(snapshot::imports_file(domain), &imports);
    }
    // An import its binding does not grant is not resolved, and nothing else is written.
    if !input.force
        && plan
            .ungranted
            .iter()
            .any(|i| i.latest_version != i.resolved_version)
    {
        plan.refused = true;
        plan.resolved.clear();
        plan.published.clear();
        plan.consumers.clear();
        plan.proposal = None;
        return Ok(plan);
    }

    if change.edits.is_empty() {
        return Ok(plan);
    }
    change.subject = format!("{domain}: {}", subject(&plan));
    change.body = input.message.map(str::to_owned);
    plan.change = Some(change);
    Ok(plan)
}

/// What the commit does, in the realm's words: `export a 1.1.0; resolve b/c 2.0.0`.
fn subject(plan: &Plan) -> String {
    let mut parts = Vec::new();
    if !plan.published.is_empty() {
        parts.push(plan::export_subject(&plan.published));
    }
    if !plan.resolved.is_empty() {
        let list: Vec<String> = plan
            .resolved
            .iter()
            .map(|r| format!("{}/{} {}", r.provider(), r.contract, r.version))
            .collect();
        parts.push(format!("resolve {}", list.join(", ")));
    }
    if parts.is_empty() {
        parts.push("record import status".to_owned());
    }
    parts.join("; ")
}

/// An export and the version published: `(export, version)`.
pub type Published = (String, String);
/// An import resolved: `(from, contract, version)`.
pub type Resolved = (String, String, String);

/// What a realm commit written by a sync or an export says it published and resolved, read
/// back from its subject (see [`subject`]): `(export, version)` and `(from, contract,
/// version)`. Empty for any other commit (a join, an import, `record import status`).
pub fn facts_of_subject(domain: &str, subject: &str) -> (Vec<Published>, Vec<Resolved>) {
    let mut exports = Vec::new();
    let mut resolved = Vec::new();
    let Some(rest) = subject
        .strip_prefix(domain)
        .and_then(|s| s.strip_prefix(": "))
    else {
        return (exports, resolved);
    };
    for part in rest.split("; ") {
        let (kind, list) = part.split_once(' ').unwrap_or((part, ""));
        for item in list.split(", ") {
            let Some((name, version)) = item.split_once(' ') else {
                continue;
            };
            if version.contains(' ') || semver::Version::parse(version).is_err() {
                continue;
            }
            // `from/contract`, or `realm/from/contract` across realms (the contract is last).
            match (kind, name.rsplit_once('/')) {
                ("export", None) => exports.push((name.to_owned(), version.to_owned())),
                ("resolve", Some((from, contract))) => {
                    resolved.push((from.to_owned(), contract.to_owned(), version.to_owned()))
                }
                _ => {}
            }
        }
    }
    (exports, resolved)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::realm::snapshot::memory::Files;

    fn realm() -> Snapshot {
        let files = [
            ("realm.yaml", "name: r\ngovernance: {approvers: [boss@x]}\n"),
            ("domains/a/domain.yaml", "name: a\n"),
            (
                "domains/a/exports.yaml",
                "exports:\n- {name: e, version: 1.1.0, value: [x, y], changelog: [{version: 1.1.0, date: d, changes: [Added y]}]}\n",
            ),
            ("domains/b/domain.yaml", "name: b\n"),
            (
                "domains/b/imports.yaml",
                "imports:\n- {contract: e, from: a, version: ^1, binding: p.py, resolved_version: 1.0.0, binding_blob: b1}\n",
            ),
        ];
        let files = Files(
            files
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        );
        Snapshot::load(&files, "r").unwrap()
    }

    fn input<'a>(domain: &'a str, values: &'a [(String, Value)], email: &'a str) -> SyncInput<'a> {
        SyncInput {
            domain,
            values,
            email,
            today: "2026-01-24",
            now: "2026-01-24T10:00:00Z",
            message: Some("why"),
            force: false,
            elsewhere: status::nowhere(),
        }
    }

    #[test]
    fn a_consumer_resolves_and_is_warned_about_an_untouched_binding() {
        let plan = plan(
            &realm(),
            &input("b", &[], "dev@x"),
            |_| Ok(Some("b1".to_owned())),
            |_| Ok(None),
        )
        .unwrap();
        assert_eq!(plan.resolved.len(), 1);
        assert!(plan.resolved[0].binding_unchanged);
        assert_eq!(plan.resolved[0].changes, ["Added y"]);
        let change = plan.change.unwrap();
        assert_eq!(change.subject, "b: resolve a/e 1.1.0");
        assert_eq!(change.message(), "b: resolve a/e 1.1.0\n\nwhy\n");
        let imports =
            String::from_utf8(change.edits["domains/b/imports.yaml"].clone().unwrap()).unwrap();
        assert!(
            imports.contains("resolved_version: 1.1.0") && imports.contains("status: current"),
            "{imports}"
        );
    }

    #[test]
    fn a_removal_by_a_non_approver_is_a_proposal() {
        let values = [("e".to_owned(), json!(["x"]))];
        let plan = plan(
            &realm(),
            &input("a", &values, "dev@x"),
            |_| Ok(None),
            |_| Ok(None),
        )
        .unwrap();
        assert_eq!(plan.published[0].version, "2.0.0");
        assert_eq!(plan.proposal.as_deref(), Some("proposals/a/e-2.0.0"));
        assert_eq!(plan.consumers[0].domain, "b");
        let plan = plan_for_approver(&values);
        assert_eq!(plan.proposal, None);
    }

    fn plan_for_approver(values: &[(String, Value)]) -> Plan {
        plan(
            &realm(),
            &input("a", values, "boss@x"),
            |_| Ok(None),
            |_| Ok(None),
        )
        .unwrap()
    }

    #[test]
    fn an_ungranted_import_is_refused_unless_forced() {
        let gap = || {
            Ok(Some(vec![
                "x (read): no statement allows s3:GetObject".to_owned(),
            ]))
        };
        let refused = plan(&realm(), &input("b", &[], "dev@x"), |_| Ok(None), |_| gap()).unwrap();
        assert!(refused.refused && refused.change.is_none() && refused.resolved.is_empty());
        assert_eq!(refused.ungranted[0].status, ImportStatus::Ungranted);
        let forced = SyncInput {
            force: true,
            ..input("b", &[], "dev@x")
        };
        let plan = plan(&realm(), &forced, |_| Ok(None), |_| gap()).unwrap();
        assert!(!plan.refused);
        assert_eq!(plan.resolved[0].verified, Some(false));
        let change = plan.change.unwrap();
        let imports =
            String::from_utf8(change.edits["domains/b/imports.yaml"].clone().unwrap()).unwrap();
        assert!(
            imports.contains("status: ungranted")
                && imports.contains("verified: false")
                && imports.contains("- 'x (read): no statement allows s3:GetObject'"),
            "{imports}"
        );
    }

    #[test]
    fn a_subject_reads_back_as_what_it_published_and_resolved() {
        let plan = Plan {
            published: vec![publication("e", "1.1.0"), publication("f", "2.0.0")],
            resolved: plan(
                &realm(),
                &input("b", &[], "dev@x"),
                |_| Ok(None),
                |_| Ok(None),
            )
            .unwrap()
            .resolved,
            ..Plan::default()
        };
        let subject = format!("b: {}", subject(&plan));
        assert_eq!(subject, "b: export e 1.1.0, f 2.0.0; resolve a/e 1.1.0");
        let (exports, resolved) = facts_of_subject("b", &subject);
        assert_eq!(
            exports,
            [
                ("e".to_owned(), "1.1.0".to_owned()),
                ("f".to_owned(), "2.0.0".to_owned())
            ]
        );
        assert_eq!(
            resolved,
            [("a".to_owned(), "e".to_owned(), "1.1.0".to_owned())]
        );
        for other in [
            "b: record import status",
            "b: join realm r",
            "b: import a/e ^1",
            "bb: export e 1.0.0",
            "c: export e 1.0.0",
        ] {
            assert_eq!(facts_of_subject("b", other), (vec![], vec![]), "{other}");
        }
    }

    fn publication(export: &str, version: &str) -> Publication {
        Publication {
            export: export.to_owned(),
            previous: None,
            version: version.to_owned(),
            bump: crate::realm::version::Bump::Minor,
            breaking: false,
            changes: Vec::new(),
            changelog: Vec::new(),
        }
    }

    #[test]
    fn nothing_to_do_is_no_commit() {
        let values = [("e".to_owned(), json!(["x", "y"]))];
        let plan = plan(
            &realm(),
            &input("a", &values, "dev@x"),
            |_| Ok(None),
            |_| Ok(None),
        )
        .unwrap();
        assert!(plan.change.is_none() && plan.published.is_empty());
        assert!(
            super::plan(
                &realm(),
                &input("zz", &[], "dev@x"),
                |_| Ok(None),
                |_| Ok(None)
            )
            .is_err()
        );
    }
}
