//! A domain joining a realm: the files its one commit writes, decided against a realm tip.

use crate::error::BadInput;
use crate::realm::change::Change;
use crate::realm::model::{
    ChangelogEntry, DomainFile, Export, ExportsFile, Import, ImportStatus, ImportsFile,
};
use crate::realm::publish::effective_version;
use crate::realm::snapshot::{self, DomainState, Snapshot};

/// An import proposed because a file of the joining repository mentions another domain's
/// export: that file is its binding.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Candidate {
    pub contract: String,
    pub from: String,
    pub binding: String,
    /// The binding's blob id in the joining commit.
    #[serde(skip)]
    pub binding_blob: Option<String>,
}

/// Refuse a name the realm already has.
pub fn check_free(snapshot: &Snapshot, domain: &str) -> Result<(), BadInput> {
    if snapshot.domains.contains_key(domain) {
        return Err(BadInput::new(
            format!(
                "realm `{}` already has a domain `{domain}`",
                snapshot.realm.name
            ),
            "choose another name with --as NAME",
        ));
    }
    Ok(())
}

/// An export's first publication, as join records one it detected.
pub fn first_publication(
    name: &str,
    value: serde_json::Value,
    description: &str,
    date: &str,
) -> Export {
    Export {
        name: name.to_owned(),
        version: "1.0.0".to_owned(),
        description: Some(description.to_owned()),
        schema: None,
        value,
        changelog: vec![ChangelogEntry {
            version: "1.0.0".to_owned(),
            date: date.to_owned(),
            changes: vec!["First published".to_owned()],
            extra: Default::default(),
        }],
        effective_from: None,
        extra: Default::default(),
    }
}

/// The imports the candidates become on `tip`: each accepts the export's current major and is
/// resolved at the version consumers see today.
pub fn imports(tip: &Snapshot, candidates: &[Candidate], today: &str, now: &str) -> ImportsFile {
    let imports = candidates
        .iter()
        .filter_map(|c| {
            let export = tip.export(&c.from, &c.contract)?;
            let version = effective_version(export, today).to_owned();
            let major = semver::Version::parse(&version).ok()?.major;
            Some(Import {
                contract: c.contract.clone(),
                from: c.from.clone(),
                version: format!("^{major}"),
                binding: Some(c.binding.clone()),
                status: ImportStatus::Current,
                resolved_version: Some(version),
                resolved_at: Some(now.to_owned()),
                binding_blob: c.binding_blob.clone(),
                verified: None,
                ungranted: Vec::new(),
                extra: Default::default(),
            })
        })
        .collect();
    ImportsFile {
        imports,
        extra: Default::default(),
    }
}

/// The join's commit on `tip`: the domain's files and CODEOWNERS with its maintainers
/// (trailers are the caller's).
pub fn change(
    tip: &Snapshot,
    domain: &DomainFile,
    exports: &ExportsFile,
    imports: &ImportsFile,
) -> Result<Change, BadInput> {
    let name = &domain.name;
    check_free(tip, name)?;
    let mut change = Change::new(format!("{name}: join realm {}", tip.realm.name));
    change.put_yaml(snapshot::domain_file(name), domain);
    if !exports.exports.is_empty() {
        change.put_yaml(snapshot::exports_file(name), exports);
    }
    if !imports.imports.is_empty() {
        change.put_yaml(snapshot::imports_file(name), imports);
    }
    let mut after = tip.clone();
    after.domains.insert(
        name.clone(),
        DomainState {
            domain: domain.clone(),
            exports: exports.clone(),
            imports: imports.clone(),
        },
    );
    change.put(".github/CODEOWNERS", after.codeowners());
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realm::snapshot::memory::Files;

    #[test]
    fn a_join_writes_the_domain_its_imports_and_codeowners() {
        let files = [
            ("realm.yaml", "name: r\ngovernance: {approvers: [boss@x]}\n"),
            ("domains/a/domain.yaml", "name: a\nmaintainers: [a@x]\n"),
            (
                "domains/a/exports.yaml",
                "exports: [{name: e, version: 2.3.0, value: [x]}]\n",
            ),
        ];
        let tip = Snapshot::load(
            &Files(
                files
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            ),
            "r",
        )
        .unwrap();
        let candidate = Candidate {
            contract: "e".into(),
            from: "a".into(),
            binding: "policy.py".into(),
            binding_blob: Some("b1".into()),
        };
        let imports = imports(&tip, &[candidate], "2026-01-24", "2026-01-24T10:00:00Z");
        assert_eq!(imports.imports[0].version, "^2");
        assert_eq!(
            imports.imports[0].resolved_version.as_deref(),
            Some("2.3.0")
        );
        let domain: DomainFile = serde_yaml::from_str("name: b\nmaintainers: [b@x]\n").unwrap();
        let change = change(&tip, &domain, &ExportsFile::default(), &imports).unwrap();
        assert_eq!(change.subject, "b: join realm r");
        let owners =
            String::from_utf8(change.edits[".github/CODEOWNERS"].clone().unwrap()).unwrap();
        assert!(
            owners.contains("/domains/a/ a@x\n/domains/b/ b@x\n"),
            "{owners}"
        );
        assert!(!change.edits.contains_key("domains/b/exports.yaml"));
        let taken: DomainFile = serde_yaml::from_str("name: a\n").unwrap();
        assert!(
            super::change(
                &tip,
                &taken,
                &ExportsFile::default(),
                &ImportsFile::default()
            )
            .is_err()
        );
    }
}
