//! A new realm: its realm.yaml and the files of its first commit.

use crate::error::BadInput;
use crate::realm::model::{Admission, Governance, RealmFile};
use crate::realm::snapshot::Snapshot;
use crate::realm::yaml;

/// What `init` decides a realm's governance from.
#[derive(Debug, Clone)]
pub struct Founding<'a> {
    pub name: &'a str,
    pub admission: Admission,
    pub approvers: &'a [String],
    pub require_signatures: bool,
    /// The founder's email and the public key git signs with, when there is one.
    pub founder: Option<&'a str>,
    pub founder_key: Option<&'a str>,
    /// Now, as realm files record it.
    pub created_at: &'a str,
}

/// Refuse approvers that are not email addresses.
pub fn check_approvers(approvers: &[String]) -> Result<(), BadInput> {
    for email in approvers {
        if !email.contains('@') || email.chars().any(char::is_whitespace) {
            return Err(BadInput::new(
                format!("invalid approver `{email}`"),
                "give an email address",
            ));
        }
    }
    Ok(())
}

/// The realm.yaml of a new realm. The founder's key, when the founder is an approver,
/// anchors the realm's trust.
pub fn realm_file(founding: &Founding) -> RealmFile {
    let signing_keys = match (founding.founder_key, founding.founder) {
        (Some(key), Some(email))
            if founding
                .approvers
                .iter()
                .any(|a| a.eq_ignore_ascii_case(email)) =>
        {
            vec![format!("{email} {key}")]
        }
        _ => Vec::new(),
    };
    RealmFile {
        name: founding.name.to_owned(),
        version: "1.0.0".to_owned(),
        created_at: Some(founding.created_at.to_owned()),
        governance: Governance {
            admission: founding.admission,
            approvers: founding.approvers.to_vec(),
            require_signatures: founding.require_signatures,
            signing_keys,
            ..Governance::default()
        },
        extra: Default::default(),
    }
}

/// The files of a realm's first commit: realm.yaml, the empty domains/ and contracts/, and
/// CODEOWNERS that give realm.yaml to the approvers.
pub fn first_files(realm: &RealmFile) -> [(&'static str, String); 4] {
    let snapshot = Snapshot {
        realm: realm.clone(),
        domains: Default::default(),
        contracts: Default::default(),
        broken: Default::default(),
        broken_owners: Default::default(),
        skeletons: Default::default(),
    };
    [
        ("realm.yaml", yaml::to_string(realm)),
        ("domains/.gitkeep", String::new()),
        ("contracts/.gitkeep", String::new()),
        (".github/CODEOWNERS", snapshot.codeowners()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realm::snapshot::memory::Files;

    fn founding<'a>(approvers: &'a [String], key: Option<&'a str>) -> Founding<'a> {
        Founding {
            name: "r",
            admission: Admission::InviteOnly,
            approvers,
            require_signatures: false,
            founder: Some("Boss@x"),
            founder_key: key,
            created_at: "2026-01-24T10:00:00Z",
        }
    }

    #[test]
    fn the_founding_approvers_key_anchors_trust() {
        let approvers = vec!["boss@x".to_owned(), "other@x".to_owned()];
        let realm = realm_file(&founding(&approvers, Some("ssh-ed25519 AAAA")));
        assert_eq!(realm.governance.signing_keys, ["Boss@x ssh-ed25519 AAAA"]);
        assert_eq!(realm.governance.admission, Admission::InviteOnly);
        let others = vec!["other@x".to_owned()];
        let realm = realm_file(&founding(&others, Some("ssh-ed25519 AAAA")));
        assert!(realm.governance.signing_keys.is_empty());
        assert!(
            realm_file(&founding(&approvers, None))
                .governance
                .signing_keys
                .is_empty()
        );
    }

    #[test]
    fn a_new_realm_reads_back_as_an_empty_realm() {
        let approvers = vec!["boss@x".to_owned()];
        let realm = realm_file(&founding(&approvers, None));
        let files = first_files(&realm);
        let snapshot = Snapshot::load(
            &Files(
                files
                    .iter()
                    .map(|(path, text)| ((*path).to_owned(), text.clone()))
                    .collect(),
            ),
            "r",
        )
        .unwrap();
        assert_eq!(snapshot.realm.name, "r");
        assert_eq!(snapshot.realm.governance.approvers, ["boss@x"]);
        assert!(snapshot.domains.is_empty());
        assert!(files[3].1.contains("boss@x"), "{}", files[3].1);
    }

    #[test]
    fn approvers_are_emails() {
        assert!(check_approvers(&["a@x".to_owned()]).is_ok());
        let bad = check_approvers(&["a@x".to_owned(), "a x@y".to_owned()]).unwrap_err();
        assert_eq!(bad.message, "invalid approver `a x@y`");
    }
}
