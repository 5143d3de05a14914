//! Accepting a proposal: the commit that merges a proposal branch into the realm's main
//! branch, checked to speak for its one domain and to fit the realm as it is now.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::error::BadInput;
use crate::realm::change::Change;
use crate::realm::model::ExportsFile;
use crate::realm::snapshot::{self, Overlay, RealmSource, Snapshot};
use crate::realm::{names, yaml};

/// A proposal as its commit holds it.
pub struct Proposal<'a> {
    /// As the approver named it, for messages.
    pub name: &'a str,
    /// Its realm branch: `proposals/<domain>/<what>`.
    pub branch: &'a str,
    /// The domain it speaks for.
    pub domain: &'a str,
    /// Its commit (hex), merged as the second parent.
    pub commit: &'a str,
    /// Its commit message: the subject, and the trailers the merge keeps.
    pub message: &'a str,
    /// The paths it changes against `base`.
    pub changed: &'a [String],
    /// The realm it was proposed on (its commit's parent), and the realm it proposes.
    pub base: &'a dyn RealmSource,
    pub proposed: &'a dyn RealmSource,
}

/// An accepted proposal: the merge commit (to go on the main branch, deleting the proposal's)
/// and the realm after it.
#[derive(Debug)]
pub struct Merged {
    pub change: Change,
    pub after: Snapshot,
}

/// The domain a proposal name (`aperture/join`, `aperture/paths-2.0.0`) speaks for; refused
/// unless the name can be a realm branch.
pub fn proposal_domain(name: &str) -> Result<&str, BadInput> {
    let invalid = || {
        BadInput::new(
            format!("invalid proposal `{}`", name.escape_debug()),
            "name a proposal as join, export or sync printed it, like aperture/join",
        )
    };
    let (domain, rest) = name.split_once('/').ok_or_else(invalid)?;
    let rest_ok = !rest.is_empty()
        && !rest.contains("..")
        && !rest.ends_with(".lock")
        && rest.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
        });
    if !names::is_valid(domain) || !rest_ok {
        return Err(invalid());
    }
    Ok(domain)
}

/// `proposal` merged by `approver` into `tip` (whose files `ours` holds), `today`. Refused
/// when it touches anything outside its domain's directory (CODEOWNERS aside, which is
/// rewritten), or a file that changed in the realm since it was proposed. The breaking
/// changes it announces take effect a grace period from today. The merge keeps only the
/// trailers git-realm writes, and adds `Approved-by:`.
pub fn merge_proposal(
    tip: &Snapshot,
    ours: &dyn RealmSource,
    proposal: &Proposal,
    approver: &str,
    today: &str,
    origin: &str,
) -> Result<Merged> {
    let mut edits = BTreeMap::new();
    let own = format!("{}/", snapshot::domain_dir(proposal.domain));
    for path in proposal
        .changed
        .iter()
        .filter(|p| p.as_str() != ".github/CODEOWNERS")
    {
        // A proposal speaks for one domain: it may not touch realm.yaml (say, to add an
        // approver) or another domain's files behind the approver's back.
        if !path.starts_with(&own) {
            return Err(BadInput::new(
                format!(
                    "proposal `{}` changes `{path}`, outside `{own}`",
                    proposal.name
                ),
                format!(
                    "a proposal may change only its domain's directory: review it with 'git show {}'",
                    proposal.commit
                ),
            )
            .into());
        }
        let (base, theirs, current) = (
            proposal.base.read(path)?,
            proposal.proposed.read(path)?,
            ours.read(path)?,
        );
        if current != base && current != theirs {
            return Err(BadInput::new(
                format!(
                    "proposal `{}` conflicts with the realm: `{path}` changed since it was proposed",
                    proposal.name
                ),
                "ask the proposer to make the change again on the current realm",
            )
            .into());
        }
        let theirs = match theirs {
            Some(bytes) if path.ends_with("/exports.yaml") => {
                Some(start_grace_periods(path, &bytes, tip, today)?)
            }
            other => other,
        };
        edits.insert(path.clone(), theirs);
    }
    let after = Snapshot::load(
        &Overlay {
            base: ours,
            edits: &edits,
        },
        origin,
    )?;
    let subject = proposal
        .message
        .lines()
        .next()
        .unwrap_or("approve proposal");
    let mut change = Change::new(subject.to_owned());
    change.edits = edits;
    change.put(".github/CODEOWNERS", after.codeowners());
    // Only the trailers git-realm writes, from the trailer block (the last paragraph;
    // `sync -m` text above it is the proposer's): an `Approved-by:` in the proposal is
    // the proposer's claim, not an approval.
    let trailers = proposal
        .message
        .trim_end()
        .rsplit("\n\n")
        .next()
        .unwrap_or_default();
    for (key, value) in trailers.lines().filter_map(|l| l.split_once(": ")) {
        if matches!(key, "Realm-Domain" | "Source-Commit") {
            change.trailer(key, value);
        }
    }
    change.trailer("Approved-by", approver);
    change.merged.push(proposal.commit.to_owned());
    change.delete_branches.push(proposal.branch.to_owned());
    Ok(Merged { change, after })
}

/// A breaking change takes effect a grace period after its approval, not its proposal.
fn start_grace_periods(path: &str, bytes: &[u8], tip: &Snapshot, today: &str) -> Result<Vec<u8>> {
    let mut exports: ExportsFile = yaml::from_slice(path, bytes)?;
    let domain = path.split('/').nth(1).unwrap_or_default();
    let grace = tip.realm.governance.breaking_changes.grace_period_days;
    let mut touched = false;
    for export in &mut exports.exports {
        let current = tip.export(domain, &export.name).map(|e| e.version.as_str());
        if export.effective_from.is_some() && current != Some(export.version.as_str()) {
            export.effective_from = Some(crate::realm::publish::effective_date(today, grace));
            touched = true;
        }
    }
    Ok(if touched {
        yaml::to_string(&exports).into_bytes()
    } else {
        bytes.to_vec()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realm::snapshot::memory::Files;

    #[test]
    fn proposal_names() {
        assert_eq!(proposal_domain("aperture/join").unwrap(), "aperture");
        assert_eq!(
            proposal_domain("aperture/required-s3-permissions-2.0.0").unwrap(),
            "aperture"
        );
        for bad in [
            "",
            "aperture",
            "aperture/",
            "../../heads/main",
            "Aperture/join",
            "a/x..y",
            "a/b c",
            "a/.hidden",
            "a/x.lock",
        ] {
            assert!(proposal_domain(bad).is_err(), "{bad}");
        }
    }

    const REALM: &str =
        "name: r\ngovernance: {approvers: [boss@x], breaking_changes: {grace_period_days: 10}}\n";
    const A: &str = "name: a\nmaintainers: [a@x]\n";
    const V1: &str = "exports: [{name: e, version: 1.0.0, value: [x]}]\n";
    const V2: &str =
        "exports: [{name: e, version: 2.0.0, value: [y], effective_from: '2026-01-02'}]\n";
    const MESSAGE: &str = "a: publish e 2.0.0\n\nWhy it changed.\n\nRealm-Domain: a\nSource-Commit: c0ffee\nApproved-by: a@x\n";

    fn files(extra: &[(&str, &str)]) -> Files {
        let mut files = vec![("realm.yaml", REALM), ("domains/a/domain.yaml", A)];
        files.extend_from_slice(extra);
        Files(
            files
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    fn merge(changed: &[&str], base: &Files, proposed: &Files, ours: &Files) -> Result<Merged> {
        let tip = Snapshot::load(ours, "r").unwrap();
        let changed: Vec<String> = changed.iter().map(|p| (*p).to_owned()).collect();
        let proposal = Proposal {
            name: "a/e-2.0.0",
            branch: "proposals/a/e-2.0.0",
            domain: "a",
            commit: "1234567",
            message: MESSAGE,
            changed: &changed,
            base,
            proposed,
        };
        merge_proposal(&tip, ours, &proposal, "boss@x", "2026-01-24", "r")
    }

    #[test]
    fn an_accepted_breaking_change_takes_effect_a_grace_period_from_today() {
        let base = files(&[("domains/a/exports.yaml", V1)]);
        let proposed = files(&[("domains/a/exports.yaml", V2)]);
        let changed = ["domains/a/exports.yaml", ".github/CODEOWNERS"];
        let merged = merge(&changed, &base, &proposed, &base).unwrap();
        let change = &merged.change;
        assert_eq!(change.subject, "a: publish e 2.0.0");
        assert_eq!(
            merged
                .after
                .export("a", "e")
                .unwrap()
                .effective_from
                .as_deref(),
            Some("2026-02-03")
        );
        assert!(change.edits.contains_key(".github/CODEOWNERS"));
        // The proposer's `Approved-by:` is not kept; the approver's is added.
        assert_eq!(
            change.trailers,
            [
                ("Realm-Domain".to_owned(), "a".to_owned()),
                ("Source-Commit".to_owned(), "c0ffee".to_owned()),
                ("Approved-by".to_owned(), "boss@x".to_owned()),
            ]
        );
        assert_eq!(change.merged, ["1234567"]);
        assert_eq!(change.delete_branches, ["proposals/a/e-2.0.0"]);
    }

    #[test]
    fn a_proposal_may_change_only_its_domains_directory() {
        let base = files(&[]);
        let proposed = Files({
            let mut f = base.0.clone();
            f.insert(
                "realm.yaml".into(),
                "name: r\ngovernance: {approvers: [boss@x, a@x]}\n".into(),
            );
            f
        });
        let err = merge(&["realm.yaml"], &base, &proposed, &base).unwrap_err();
        assert_eq!(
            err.to_string(),
            "proposal `a/e-2.0.0` changes `realm.yaml`, outside `domains/a/`"
        );
        let other = files(&[("domains/b/domain.yaml", "name: b\nmaintainers: [a@x]\n")]);
        let err = merge(&["domains/b/domain.yaml"], &base, &other, &base).unwrap_err();
        assert!(err.to_string().contains("outside `domains/a/`"), "{err}");
    }

    #[test]
    fn a_proposal_conflicts_with_a_file_changed_since() {
        let base = files(&[("domains/a/exports.yaml", V1)]);
        let proposed = files(&[("domains/a/exports.yaml", V2)]);
        let moved_on = files(&[(
            "domains/a/exports.yaml",
            "exports: [{name: e, version: 1.1.0, value: [z]}]\n",
        )]);
        let err = merge(&["domains/a/exports.yaml"], &base, &proposed, &moved_on).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("`domains/a/exports.yaml` changed since it was proposed"),
            "{err}"
        );
        // The realm holding the proposal's content already is no conflict.
        assert!(merge(&["domains/a/exports.yaml"], &base, &proposed, &proposed).is_ok());
    }
}
