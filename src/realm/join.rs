//! A domain joining a realm: the files its one commit writes, decided against a realm tip.

use crate::error::{BadInput, Refusal};
use crate::realm::change::Change;
use crate::realm::model::{
    Admission, ChangelogEntry, DomainFile, Export, ExportsFile, Import, ImportStatus, ImportsFile,
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

/// Refuse maintainers that are not email addresses, and a list without `email`: the realm
/// takes a domain's commits only from its maintainers, the one joining included.
pub fn check_maintainers(maintainers: &[String], email: &str) -> Result<(), BadInput> {
    for m in maintainers {
        if !m.contains('@') || m.chars().any(char::is_whitespace) {
            return Err(BadInput::new(
                format!("invalid maintainer `{m}`"),
                "give an email address",
            ));
        }
    }
    if !maintainers.iter().any(|m| m.eq_ignore_ascii_case(email)) {
        return Err(BadInput::new(
            format!("you (`{email}`) are not among the maintainers given"),
            format!("add yourself: --maintainer {email}"),
        ));
    }
    Ok(())
}

/// The admission decision: the realm branch `email` joining as `domain` lands on. `main` for
/// an approver, an open realm, or an invited name; the join's proposal branch where the realm
/// asks for approval; refused by an invite-only realm that has not invited `domain`.
pub fn admission_target(
    tip: &Snapshot,
    domain: &str,
    email: &str,
    main: &str,
) -> Result<String, Refusal> {
    let governance = &tip.realm.governance;
    if governance.is_approver(email) {
        return Ok(main.to_owned());
    }
    match governance.admission {
        Admission::Open => Ok(main.to_owned()),
        Admission::Approval => Ok(format!("proposals/{domain}/join")),
        Admission::InviteOnly if governance.invited.iter().any(|d| d == domain) => {
            Ok(main.to_owned())
        }
        Admission::InviteOnly => Err(Refusal::new(
            format!(
                "realm `{}` is invite-only and `{domain}` has not been invited",
                tip.realm.name
            ),
            if governance.approvers.is_empty() {
                governance.ask_an_approver()
            } else {
                format!(
                    "ask an approver ({}) to run 'git realm invite {domain}'",
                    governance.approvers.join(", ")
                )
            },
        )),
    }
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
                realm: None,
                realm_url: None,
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

/// The join's commit on `tip` (trailers are the caller's): the domain, the exports detected
/// in its code, and the candidates as imports resolved today.
pub fn plan_join(
    tip: &Snapshot,
    domain: &DomainFile,
    exports: &ExportsFile,
    candidates: &[Candidate],
    today: &str,
    now: &str,
) -> Result<Change, BadInput> {
    let imports = imports(tip, candidates, today, now);
    change(tip, domain, exports, &imports)
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

    fn realm(realm_yaml: &str) -> Snapshot {
        let files = [
            ("realm.yaml".to_owned(), realm_yaml.to_owned()),
            (
                "domains/a/domain.yaml".to_owned(),
                "name: a\nmaintainers: [a@x]\n".to_owned(),
            ),
        ];
        Snapshot::load(&Files(files.into_iter().collect()), "r").unwrap()
    }

    #[test]
    fn admission_follows_the_realms_policy() {
        let open = realm("name: r\ngovernance: {admission: open, approvers: [boss@x]}\n");
        assert_eq!(admission_target(&open, "b", "b@x", "main").unwrap(), "main");
        let approval = realm("name: r\ngovernance: {admission: approval, approvers: [boss@x]}\n");
        assert_eq!(
            admission_target(&approval, "b", "b@x", "main").unwrap(),
            "proposals/b/join"
        );
        // An approver's own join needs nobody else's approval.
        assert_eq!(
            admission_target(&approval, "b", "Boss@x", "main").unwrap(),
            "main"
        );
        let invite = realm(
            "name: r\ngovernance: {admission: invite-only, approvers: [boss@x], invited: [b]}\n",
        );
        assert_eq!(
            admission_target(&invite, "b", "b@x", "main").unwrap(),
            "main"
        );
        let refused = admission_target(&invite, "c", "c@x", "main").unwrap_err();
        assert_eq!(
            refused.message,
            "realm `r` is invite-only and `c` has not been invited"
        );
        assert_eq!(
            refused.hint.as_deref(),
            Some("ask an approver (boss@x) to run 'git realm invite c'")
        );
        let nobody = realm("name: r\ngovernance: {admission: invite-only}\n");
        let refused = admission_target(&nobody, "c", "c@x", "main").unwrap_err();
        assert!(
            refused
                .hint
                .as_deref()
                .unwrap()
                .contains("lists no approvers"),
            "{:?}",
            refused.hint
        );
    }

    #[test]
    fn maintainers_are_emails_and_include_the_one_joining() {
        let given = |list: &[&str]| list.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>();
        assert!(check_maintainers(&given(&["a@x", "B@x"]), "b@x").is_ok());
        let not_email = check_maintainers(&given(&["a@x", "bob"]), "a@x").unwrap_err();
        assert_eq!(not_email.message, "invalid maintainer `bob`");
        assert!(check_maintainers(&given(&["a @x"]), "a @x").is_err());
        let without_me = check_maintainers(&given(&["a@x"]), "b@x").unwrap_err();
        assert_eq!(
            without_me.hint.as_deref(),
            Some("add yourself: --maintainer b@x")
        );
    }

    #[test]
    fn a_planned_join_resolves_its_candidates() {
        let tip = realm("name: r\ngovernance: {}\n");
        let domain: DomainFile = serde_yaml::from_str("name: b\nmaintainers: [b@x]\n").unwrap();
        let unknown = Candidate {
            contract: "nothing".into(),
            from: "a".into(),
            binding: "x.py".into(),
            binding_blob: None,
        };
        let change = plan_join(
            &tip,
            &domain,
            &ExportsFile::default(),
            &[unknown],
            "2026-01-24",
            "2026-01-24T10:00:00Z",
        )
        .unwrap();
        assert!(change.edits.contains_key("domains/b/domain.yaml"));
        // A candidate whose export is gone is no import.
        assert!(!change.edits.contains_key("domains/b/imports.yaml"));
    }
}
