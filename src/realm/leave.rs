//! A domain leaving its realm: the commit that removes it, refused while others depend on it.

use crate::error::Refusal;
use crate::realm::change::Change;
use crate::realm::snapshot::{self, Snapshot};
use crate::realm::status::Elsewhere;

/// What leaving decides on a tip: the commit (trailers are the caller's) and the domains whose
/// imports it breaks.
#[derive(Debug)]
pub struct Leave {
    pub change: Change,
    pub broken_consumers: Vec<String>,
}

/// `domain` leaving `tip`; `None` when it is not a domain there. Refused while other domains
/// import from it, or while broken domains (whose imports cannot be read) may, unless `force`.
pub fn plan_leave(tip: &Snapshot, domain: &str, force: bool) -> Result<Option<Leave>, Refusal> {
    if tip.domain(domain).is_none() {
        return Ok(None);
    }
    let consumers: Vec<String> = tip
        .consumers_of(domain, None)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if !tip.broken.is_empty() && !force {
        let broken: Vec<&str> = tip.broken.keys().map(String::as_str).collect();
        return Err(Refusal::new(
            format!(
                "cannot tell whether broken domains import from `{domain}`: {}",
                broken.join(", ")
            ),
            "ask them to fix their files in the realm, or leave anyway with 'git realm leave --force'",
        ));
    }
    if !consumers.is_empty() && !force {
        return Err(Refusal::new(
            format!("domains import from `{domain}`: {}", consumers.join(", ")),
            "ask them to drop those imports, or leave anyway with 'git realm leave --force'",
        ));
    }
    let mut after = tip.clone();
    after.domains.remove(domain);
    let mut change = Change::new(format!("{domain}: leave realm {}", tip.realm.name));
    change.remove(snapshot::domain_dir(domain));
    change.put(".github/CODEOWNERS", after.codeowners());
    Ok(Some(Leave {
        change,
        broken_consumers: consumers,
    }))
}

/// The domains of other realms (as `realm/domain`) that import from `domain` of `realm`: their
/// imports break too when it leaves, though no commit here can say so.
pub fn consumers_across(elsewhere: &Elsewhere, realm: &str, domain: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (name, other) in &elsewhere.realms {
        for (consumer, state) in &other.domains {
            if state
                .imports
                .imports
                .iter()
                .any(|i| i.from == domain && i.realm.as_deref() == Some(realm))
            {
                out.push(format!("{name}/{consumer}"));
            }
        }
    }
    out
}

/// Refuse `domain` leaving while domains of other realms import from it, unless `force`.
pub fn check_consumers_across(across: &[String], domain: &str, force: bool) -> Result<(), Refusal> {
    if across.is_empty() || force {
        return Ok(());
    }
    Err(Refusal::new(
        format!(
            "domains of other realms import from `{domain}`: {}",
            across.join(", ")
        ),
        "ask them to drop those imports, or leave anyway with 'git realm leave --force'",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realm::snapshot::memory::Files;

    fn tip(files: &[(&str, &str)]) -> Snapshot {
        Snapshot::load(&Files::of(files), "r").unwrap()
    }

    const REALM: [(&str, &str); 4] = [
        ("realm.yaml", "name: r\ngovernance: {approvers: [boss@x]}\n"),
        ("domains/a/domain.yaml", "name: a\nmaintainers: [a@x]\n"),
        (
            "domains/a/exports.yaml",
            "exports: [{name: e, version: 1.0.0, value: [x]}]\n",
        ),
        ("domains/b/domain.yaml", "name: b\nmaintainers: [b@x]\n"),
    ];

    #[test]
    fn a_domain_nobody_imports_from_leaves() {
        let tip = tip(&REALM);
        let leave = plan_leave(&tip, "a", false).unwrap().unwrap();
        assert_eq!(leave.change.subject, "a: leave realm r");
        assert_eq!(leave.change.edits["domains/a"], None);
        let owners =
            String::from_utf8(leave.change.edits[".github/CODEOWNERS"].clone().unwrap()).unwrap();
        assert!(!owners.contains("/domains/a/"), "{owners}");
        assert!(owners.contains("/domains/b/ b@x"), "{owners}");
        assert!(leave.broken_consumers.is_empty());
        assert!(plan_leave(&tip, "gone", false).unwrap().is_none());
    }

    #[test]
    fn consumers_refuse_a_leave_unless_forced() {
        let mut files = REALM.to_vec();
        files.push((
            "domains/b/imports.yaml",
            "imports: [{contract: e, from: a, version: ^1, status: current}]\n",
        ));
        let tip = tip(&files);
        let refused = plan_leave(&tip, "a", false).unwrap_err();
        assert_eq!(refused.message, "domains import from `a`: b");
        let forced = plan_leave(&tip, "a", true).unwrap().unwrap();
        assert_eq!(forced.broken_consumers, ["b"]);
    }

    #[test]
    fn broken_domains_refuse_a_leave_unless_forced() {
        let mut files = REALM.to_vec();
        files.push(("domains/c/domain.yaml", "name: [\n"));
        let tip = tip(&files);
        assert!(tip.broken.contains_key("c"), "{:?}", tip.broken);
        let refused = plan_leave(&tip, "a", false).unwrap_err();
        assert!(
            refused
                .message
                .starts_with("cannot tell whether broken domains"),
            "{}",
            refused.message
        );
        assert!(plan_leave(&tip, "a", true).unwrap().is_some());
    }
}
