//! The trust rules: which realm commit may change what, and whose signature it must carry.
//!
//! One commit on the realm's main branch is judged against the realm as its first parent had
//! it, so a commit can never grant itself the right to make itself. `verify`, the verifying
//! fetch and the realm's `pre-receive` hook all call [`check_commit`]; src/git gathers the
//! facts (changed paths, trailers, which key made a signature) and hands them in.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::realm::model::{DomainFile, ExportsFile, RealmFile};
use crate::realm::snapshot::{self, RealmSource};
use crate::realm::yaml;

/// What the signature on a commit proves, as src/git found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    Unsigned,
    /// Made by `key` (`key-type base64`) over exactly this commit.
    Valid {
        key: String,
    },
    /// Present, but it does not verify (`why`).
    Invalid {
        why: String,
    },
    /// Made by `key` over exactly this commit, but the key has expired or the signature is
    /// past its own expiry (`why`, with what to do). A commit cannot prove when it was signed:
    /// the rules refuse it as [`Signature::Invalid`]; history checked from scratch, which
    /// cannot judge expiry, takes it as [`Signature::Valid`] first ([`Signature::as_history`]).
    Expired {
        key: String,
        why: String,
    },
    /// Present, by `key` (`openpgp FINGERPRINT`), which no key the realm lists is: it cannot
    /// be checked, and proves nothing here.
    Unlisted {
        key: String,
    },
    /// Present, in a form git-realm cannot check (an OpenPGP or X.509 signature, a key type
    /// it does not know): it proves nothing here.
    Unverifiable {
        why: String,
    },
}

impl Signature {
    /// What the signature proves on a commit that is history, accepted before: a good
    /// signature by a key that has expired since (or past its own expiry) is valid.
    pub fn as_history(self) -> Signature {
        match self {
            Signature::Expired { key, .. } => Signature::Valid { key },
            other => other,
        }
    }
}

/// The facts about one commit the rules need.
#[derive(Debug, Clone)]
pub struct CommitFacts {
    pub id: String,
    /// The author's email.
    pub author: String,
    /// `Realm-Domain:`
    pub domain: Option<String>,
    /// `Approved-by:`
    pub approved_by: Option<String>,
    pub signature: Signature,
    /// Set for a merge (an accepted proposal): the signature on the proposal it merges.
    pub merged: Option<Signature>,
    /// The paths that differ from the first parent.
    pub changed: Vec<String>,
}

/// Which rule a commit broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// A domain's commit changed a file outside `domains/<domain>/`.
    OutsideDomain,
    /// `realm.yaml` or `contracts/` changed in a commit not made by an approver.
    ApproverOnly,
    /// The author is not one of the domain's maintainers (nor an approver).
    NotAMaintainer,
    /// The commit names no `Realm-Domain:` and its author is not an approver.
    NoDomain,
    /// No signature where one is required.
    Unsigned,
    /// A signature that does not verify.
    BadSignature,
    /// A valid signature by a key not listed for the author.
    WrongKey,
    /// A domain's maintainers or keys changed without a signature by a key it already had.
    KeyChange,
    /// A join landed directly where admission needs an approver or an invitation.
    UnapprovedJoin,
    /// A merge into main not made (and signed) by an approver.
    UnapprovedMerge,
    /// A breaking export change that skipped its proposal.
    BreakingWithoutApproval,
    /// Main was rewritten: the new tip does not descend from the old one.
    NonFastForward,
    /// A file the rules need could not be read.
    Unreadable,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::OutsideDomain => "outside-domain",
            Rule::ApproverOnly => "approver-only",
            Rule::NotAMaintainer => "not-a-maintainer",
            Rule::NoDomain => "no-domain",
            Rule::Unsigned => "unsigned",
            Rule::BadSignature => "bad-signature",
            Rule::WrongKey => "wrong-key",
            Rule::KeyChange => "key-change",
            Rule::UnapprovedJoin => "unapproved-join",
            Rule::UnapprovedMerge => "unapproved-merge",
            Rule::BreakingWithoutApproval => "breaking-without-approval",
            Rule::NonFastForward => "non-fast-forward",
            Rule::Unreadable => "unreadable",
        }
    }
}

/// One broken rule: the commit, the domain it spoke for, and the file or key at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub commit: String,
    pub domain: Option<String>,
    pub rule: Rule,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let short = &self.commit[..self.commit.len().min(12)];
        write!(f, "{short} [{}] {}", self.rule.as_str(), self.message)
    }
}

/// A key in git's allowed-signers form: `principals [options] key-type base64 [comment]`.
/// An OpenPGP key is listed the same way with `openpgp` for its type, its primary key's
/// fingerprint, then the key itself (`gpg --export`, base64 on one line, the body of its ASCII
/// armor): `principals openpgp FINGERPRINT base64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigner {
    pub principals: Vec<String>,
    /// `key-type base64` (`openpgp FINGERPRINT`), the form [`Signature::Valid`] names a key in.
    pub key: String,
}

impl AllowedSigner {
    pub fn parse(line: &str) -> Option<AllowedSigner> {
        let mut words = line.split_whitespace();
        let principals = words.next()?;
        let words: Vec<&str> = words.collect();
        let at = words.iter().position(|w| is_key_type(w))?;
        let blob = words.get(at + 1)?;
        Some(AllowedSigner {
            principals: principals
                .split(',')
                .map(|p| p.trim_matches('"').to_owned())
                .collect(),
            key: if words[at] == OPENPGP {
                format!("{OPENPGP} {}", blob.to_ascii_uppercase())
            } else {
                format!("{} {blob}", words[at])
            },
        })
    }

    pub fn allows(&self, email: &str) -> bool {
        self.principals
            .iter()
            .any(|p| p.eq_ignore_ascii_case(email))
    }
}

/// The key type an OpenPGP key is listed under.
pub const OPENPGP: &str = "openpgp";

fn is_key_type(word: &str) -> bool {
    word.starts_with("ssh-")
        || word.starts_with("ecdsa-")
        || word.starts_with("sk-")
        || word == OPENPGP
}

/// The OpenPGP keys (`gpg --export` output, base64) that `realm.yaml` and every domain's
/// `domain.yaml` in `source` list, whoever for: what an OpenPGP signature is checked with.
/// Which key may speak for whom is the rules' to say, by fingerprint.
pub fn listed_openpgp_keys(source: &dyn RealmSource) -> Vec<String> {
    let side = Side { source };
    let mut entries = Vec::new();
    if let Ok(Some(realm)) = side.realm() {
        entries.extend(realm.governance.signing_keys);
    }
    for name in source.subdirs("domains").unwrap_or_default() {
        if let Ok(Some(domain)) = side.domain(&name) {
            entries.extend(domain.signing_keys);
        }
    }
    entries
        .iter()
        .filter_map(|entry| {
            let words: Vec<&str> = entry.split_whitespace().collect();
            let at = words.iter().position(|w| *w == OPENPGP)?;
            words.get(at + 2).map(|blob| (*blob).to_owned())
        })
        .collect()
}

/// The keys `entries` list for `email`.
fn keys_for(entries: &[String], email: &str) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| AllowedSigner::parse(e))
        .filter(|s| s.allows(email))
        .map(|s| s.key)
        .collect()
}

fn all_keys(entries: &[String]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| AllowedSigner::parse(e))
        .map(|s| s.key)
        .collect()
}

/// The realm as one side of a commit holds it, read on demand.
pub struct Side<'a> {
    pub source: &'a dyn RealmSource,
}

impl Side<'_> {
    fn read<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Option<T>, String> {
        match self.source.read(path) {
            Ok(Some(bytes)) => yaml::from_slice(path, &bytes)
                .map(Some)
                .map_err(|e| e.message),
            Ok(None) => Ok(None),
            Err(e) => Err(format!("{e:#}")),
        }
    }

    fn realm(&self) -> Result<Option<RealmFile>, String> {
        self.read("realm.yaml")
    }

    fn domain(&self, name: &str) -> Result<Option<DomainFile>, String> {
        self.read(&snapshot::domain_file(name))
    }

    fn exports(&self, name: &str) -> Result<Option<ExportsFile>, String> {
        self.read(&snapshot::exports_file(name))
    }

    fn text(&self, path: &str) -> String {
        match self.source.read(path) {
            Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            _ => String::new(),
        }
    }
}

/// What a commit may touch: a domain's directory, CODEOWNERS, or the realm's own files.
enum Area<'p> {
    Domain(&'p str),
    Codeowners,
    Realm,
}

fn area(path: &str) -> Area<'_> {
    if path == ".github/CODEOWNERS" {
        return Area::Codeowners;
    }
    match path
        .strip_prefix("domains/")
        .and_then(|r| r.split_once('/'))
    {
        Some((domain, _)) => Area::Domain(domain),
        None => Area::Realm,
    }
}

/// Judge `commit` against the realm `before` it (its first parent) and `after` it. `before`
/// is `None` for the realm's first commit, which is trusted as its own anchor: it must make
/// a realm whose approver wrote (and, where keys are listed, signed) it.
pub fn check_commit(commit: &CommitFacts, before: Option<&Side>, after: &Side) -> Vec<Violation> {
    let mut found = Vec::new();
    let mut violation = |rule: Rule, message: String, path: Option<&str>, key: Option<&str>| {
        found.push(Violation {
            commit: commit.id.clone(),
            domain: commit.domain.clone(),
            rule,
            message,
            path: path.map(str::to_owned),
            key: key.map(str::to_owned),
        })
    };
    if let Signature::Invalid { why } | Signature::Expired { why, .. } = &commit.signature {
        violation(
            Rule::BadSignature,
            format!("the signature does not verify: {why}"),
            None,
            None,
        );
        return found;
    }
    let Some(before) = before else {
        // The first commit: its realm.yaml names the approvers it is judged by.
        match after.realm() {
            Ok(Some(realm)) => {
                let g = &realm.governance;
                if !g.is_approver(&commit.author) {
                    violation(
                        Rule::ApproverOnly,
                        format!(
                            "the realm's first commit is by `{}`, who is not one of its approvers",
                            commit.author
                        ),
                        Some("realm.yaml"),
                        None,
                    );
                } else {
                    let keys = keys_for(&g.signing_keys, &commit.author);
                    if let Some((rule, message, key)) = signed_by(
                        &commit.signature,
                        &keys,
                        g.require_signatures || !keys.is_empty(),
                        &commit.author,
                    ) {
                        violation(rule, message, Some("realm.yaml"), key.as_deref());
                    }
                }
            }
            Ok(None) => violation(
                Rule::Unreadable,
                "the realm's first commit has no realm.yaml".to_owned(),
                Some("realm.yaml"),
                None,
            ),
            Err(e) => violation(Rule::Unreadable, e, Some("realm.yaml"), None),
        }
        return found;
    };

    let realm = match before.realm() {
        Ok(Some(realm)) => realm,
        Ok(None) => {
            violation(
                Rule::Unreadable,
                "its parent has no realm.yaml".to_owned(),
                Some("realm.yaml"),
                None,
            );
            return found;
        }
        Err(e) => {
            violation(
                Rule::Unreadable,
                format!("its parent's {e}"),
                Some("realm.yaml"),
                None,
            );
            return found;
        }
    };
    let g = &realm.governance;
    let author = commit.author.as_str();

    // An approver may change anything, once their signature says it is them.
    if g.is_approver(author) {
        let keys = keys_for(&g.signing_keys, author);
        match signed_by(
            &commit.signature,
            &keys,
            g.require_signatures || !keys.is_empty(),
            author,
        ) {
            Some((rule, message, key)) => violation(rule, message, None, key.as_deref()),
            None => {
                if commit.merged.is_some()
                    && !commit
                        .approved_by
                        .as_deref()
                        .is_some_and(|a| a.eq_ignore_ascii_case(author))
                {
                    violation(
                        Rule::UnapprovedMerge,
                        format!("a merge by `{author}` without `Approved-by: {author}`"),
                        None,
                        None,
                    );
                }
                if let Some(merged) = &commit.merged {
                    check_merged_joins(commit, merged, before, after, g, &mut violation);
                }
            }
        }
        return found;
    }

    if commit.merged.is_some() {
        violation(
            Rule::UnapprovedMerge,
            format!("a merge into main by `{author}`, who is not an approver"),
            None,
            None,
        );
        return found;
    }
    let Some(domain) = commit.domain.clone() else {
        violation(
            Rule::NoDomain,
            format!("no `Realm-Domain:` trailer, and `{author}` is not an approver"),
            None,
            None,
        );
        return found;
    };

    let old = match before.domain(&domain) {
        Ok(d) => d,
        Err(e) => {
            violation(
                Rule::Unreadable,
                e,
                Some(&snapshot::domain_file(&domain)),
                None,
            );
            return found;
        }
    };
    let new = after.domain(&domain).ok().flatten();
    let domain_file = snapshot::domain_file(&domain);

    // Who the author is, and which keys may speak for them.
    match &old {
        Some(old) => {
            if !is_maintainer(old, author) {
                violation(
                    Rule::NotAMaintainer,
                    format!("`{author}` is not a maintainer of domain `{domain}`"),
                    Some(&domain_file),
                    None,
                );
                return found;
            }
            if let Some((rule, message, key)) =
                maintainer_signature(old, &commit.signature, g.require_signatures, author)
            {
                violation(rule, message, Some(&domain_file), key.as_deref());
                return found;
            }
            // Who maintains a domain and with which keys changes only with a key it had.
            if let Some(new) = &new
                && (new.maintainers != old.maintainers || new.signing_keys != old.signing_keys)
            {
                let had = all_keys(&old.signing_keys);
                let signed_by_old =
                    matches!(&commit.signature, Signature::Valid { key } if had.contains(key));
                if !signed_by_old {
                    let message = if had.is_empty() {
                        format!(
                            "changes the maintainers or keys of domain `{domain}`, which has no key to sign that: an approver must make the change"
                        )
                    } else {
                        format!(
                            "changes the maintainers or keys of domain `{domain}` without a signature by a key it already had"
                        )
                    };
                    let key = match &commit.signature {
                        Signature::Valid { key } => Some(key.as_str()),
                        _ => None,
                    };
                    violation(Rule::KeyChange, message, Some(&domain_file), key);
                }
            }
        }
        None => {
            // A join: the new domain.yaml names its maintainers and their keys.
            let Some(new) = &new else {
                violation(
                    Rule::NotAMaintainer,
                    format!("domain `{domain}` does not exist"),
                    Some(&domain_file),
                    None,
                );
                return found;
            };
            if !is_maintainer(new, author) {
                violation(
                    Rule::NotAMaintainer,
                    format!(
                        "`{author}` joins domain `{domain}` without being one of its maintainers"
                    ),
                    Some(&domain_file),
                    None,
                );
                return found;
            }
            if let Some((rule, message, key)) =
                maintainer_signature(new, &commit.signature, g.require_signatures, author)
            {
                violation(rule, message, Some(&domain_file), key.as_deref());
                return found;
            }
            use crate::realm::model::Admission;
            let admitted = match g.admission {
                Admission::Open => true,
                Admission::Approval => false,
                Admission::InviteOnly => g.invited.contains(&domain),
            };
            if !admitted {
                violation(
                    Rule::UnapprovedJoin,
                    format!(
                        "domain `{domain}` joined a realm with `{}` admission without an approver",
                        g.admission.as_str()
                    ),
                    Some(&domain_file),
                    None,
                );
            }
        }
    }

    // What the commit may touch: its own directory and its own line of CODEOWNERS.
    for path in &commit.changed {
        match area(path) {
            Area::Domain(d) if d == domain => {}
            Area::Domain(other) => violation(
                Rule::OutsideDomain,
                format!("domain `{domain}` changed `{path}`, which belongs to domain `{other}`"),
                Some(path),
                None,
            ),
            Area::Realm => violation(
                Rule::ApproverOnly,
                format!("domain `{domain}` changed `{path}`, which only an approver may change"),
                Some(path),
                None,
            ),
            Area::Codeowners => {
                let old: BTreeSet<String> = before.text(path).lines().map(str::to_owned).collect();
                let new: BTreeSet<String> = after.text(path).lines().map(str::to_owned).collect();
                let own = format!("/domains/{domain}/ ");
                if let Some(line) = old
                    .symmetric_difference(&new)
                    .find(|l| !l.starts_with(&own) && !l.trim().is_empty())
                {
                    violation(
                        Rule::OutsideDomain,
                        format!(
                            "domain `{domain}` changed the CODEOWNERS line `{}`, which is not its own",
                            line.escape_debug()
                        ),
                        Some(path),
                        None,
                    );
                }
            }
        }
    }

    // A breaking change waits for an approver where the realm says so.
    let exports_path = snapshot::exports_file(&domain);
    if g.breaking_changes.require_approval && commit.changed.contains(&exports_path) {
        let old = before.exports(&domain).ok().flatten().unwrap_or_default();
        let new = after.exports(&domain).ok().flatten().unwrap_or_default();
        for export in &new.exports {
            let Some(previous) = old.exports.iter().find(|e| e.name == export.name) else {
                continue;
            };
            let major = |v: &str| semver::Version::parse(v).map(|v| v.major).ok();
            if let (Some(was), Some(now)) = (major(&previous.version), major(&export.version))
                && now > was
            {
                violation(
                    Rule::BreakingWithoutApproval,
                    format!(
                        "export `{}` went from {} to {} without an approver's approval",
                        export.name, previous.version, export.version
                    ),
                    Some(&exports_path),
                    None,
                );
            }
        }
    }
    found
}

/// For an approver's merge: each domain it brings in was proposed by one of that domain's own
/// keys, where the domain lists keys (or the realm requires signatures).
fn check_merged_joins(
    commit: &CommitFacts,
    merged: &Signature,
    before: &Side,
    after: &Side,
    g: &crate::realm::model::Governance,
    violation: &mut impl FnMut(Rule, String, Option<&str>, Option<&str>),
) {
    for path in &commit.changed {
        let Area::Domain(domain) = area(path) else {
            continue;
        };
        if path != &snapshot::domain_file(domain) || !matches!(before.domain(domain), Ok(None)) {
            continue;
        }
        let Ok(Some(new)) = after.domain(domain) else {
            continue;
        };
        let keys = all_keys(&new.signing_keys);
        if !g.require_signatures && keys.is_empty() {
            continue;
        }
        let ok = matches!(merged, Signature::Valid { key } if keys.contains(key));
        if !ok {
            violation(
                Rule::Unsigned,
                format!(
                    "the proposal that joins domain `{domain}` is not signed by one of the keys it lists"
                ),
                Some(path),
                None,
            );
        }
    }
}

/// Whether `author` is one of `domain`'s maintainers.
fn is_maintainer(domain: &DomainFile, author: &str) -> bool {
    domain
        .maintainers
        .iter()
        .any(|m| m.eq_ignore_ascii_case(author))
}

/// The signature rule a commit by `author`, a maintainer of `domain`, breaks: a signature is
/// needed where the realm requires one or the author lists a key, and must be by a listed key.
fn maintainer_signature(
    domain: &DomainFile,
    signature: &Signature,
    require_signatures: bool,
    author: &str,
) -> Option<(Rule, String, Option<String>)> {
    let keys = keys_for(&domain.signing_keys, author);
    signed_by(
        signature,
        &keys,
        require_signatures || !keys.is_empty(),
        author,
    )
}

/// Whether `signature` speaks for `author` through one of `keys`; the broken rule if not.
fn signed_by(
    signature: &Signature,
    keys: &[String],
    required: bool,
    author: &str,
) -> Option<(Rule, String, Option<String>)> {
    match signature {
        Signature::Valid { key } if keys.contains(key) => None,
        Signature::Valid { key } if required => Some((
            Rule::WrongKey,
            format!("signed by a key that is not listed for `{author}`"),
            Some(key.clone()),
        )),
        Signature::Unlisted { key } if required => Some((
            Rule::WrongKey,
            format!("signed by a key the realm does not list, and `{author}` must sign"),
            Some(key.clone()),
        )),
        Signature::Invalid { why } | Signature::Expired { why, .. } => Some((
            Rule::BadSignature,
            format!("the signature does not verify: {why}"),
            None,
        )),
        Signature::Unverifiable { why } if required => Some((
            Rule::Unsigned,
            format!("its signature cannot be checked ({why}), and `{author}` must sign"),
            None,
        )),
        Signature::Unsigned if required => Some((
            Rule::Unsigned,
            if keys.is_empty() {
                format!(
                    "not signed, and the realm requires signatures (no key is listed for `{author}`)"
                )
            } else {
                format!("not signed, and `{author}` has a signing key listed")
            },
            None,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realm::snapshot::memory::Files;

    const KEY_A: &str = "ssh-ed25519 AAAAaaaa";
    const KEY_B: &str = "ssh-ed25519 AAAAbbbb";
    const KEY_BOSS: &str = "ssh-ed25519 AAAAboss";

    fn realm(extra: &[(&str, &str)]) -> Files {
        let mut files = vec![
            (
                "realm.yaml".to_owned(),
                format!(
                    "name: r\ngovernance:\n  admission: approval\n  approvers: [boss@x]\n  signing_keys: ['boss@x {KEY_BOSS}']\n"
                ),
            ),
            (
                "domains/a/domain.yaml".to_owned(),
                format!("name: a\nmaintainers: [a@x]\nsigning_keys: ['a@x {KEY_A} laptop']\n"),
            ),
            (
                "domains/a/exports.yaml".to_owned(),
                "exports: [{name: e, version: 1.0.0, value: [1]}]\n".to_owned(),
            ),
            (
                "domains/b/domain.yaml".to_owned(),
                format!("name: b\nmaintainers: [b@x]\nsigning_keys: ['b@x {KEY_B}']\n"),
            ),
            (
                ".github/CODEOWNERS".to_owned(),
                "/realm.yaml boss@x\n/domains/a/ a@x\n/domains/b/ b@x\n".to_owned(),
            ),
        ];
        for (k, v) in extra {
            files.retain(|(p, _)| p != k);
            if !v.is_empty() {
                files.push(((*k).to_owned(), (*v).to_owned()));
            }
        }
        Files(files.into_iter().collect())
    }

    fn commit(
        author: &str,
        domain: Option<&str>,
        key: Option<&str>,
        changed: &[&str],
    ) -> CommitFacts {
        CommitFacts {
            id: "c0ffee".to_owned(),
            author: author.to_owned(),
            domain: domain.map(str::to_owned),
            approved_by: None,
            signature: match key {
                Some(key) => Signature::Valid {
                    key: key.to_owned(),
                },
                None => Signature::Unsigned,
            },
            merged: None,
            changed: changed.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn rules(c: &CommitFacts, before: &Files, after: &Files) -> Vec<Rule> {
        check_commit(c, Some(&Side { source: before }), &Side { source: after })
            .into_iter()
            .map(|v| v.rule)
            .collect()
    }

    #[test]
    fn a_domain_changes_its_own_files_signed_by_its_key() {
        let before = realm(&[]);
        let after = realm(&[(
            "domains/a/exports.yaml",
            "exports: [{name: e, version: 1.1.0, value: [1, 2]}]\n",
        )]);
        let c = commit("a@x", Some("a"), Some(KEY_A), &["domains/a/exports.yaml"]);
        assert_eq!(rules(&c, &before, &after), []);
    }

    #[test]
    fn a_domain_may_not_touch_another_domain_or_the_realm() {
        let before = realm(&[]);
        let after = realm(&[("domains/b/exports.yaml", "exports: []\n")]);
        let c = commit("a@x", Some("a"), Some(KEY_A), &["domains/b/exports.yaml"]);
        let found = check_commit(
            &c,
            Some(&Side { source: &before }),
            &Side { source: &after },
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, Rule::OutsideDomain);
        assert_eq!(found[0].path.as_deref(), Some("domains/b/exports.yaml"));

        let after = realm(&[(
            "realm.yaml",
            "name: r\ngovernance: {approvers: [boss@x, a@x]}\n",
        )]);
        let c = commit("a@x", Some("a"), Some(KEY_A), &["realm.yaml"]);
        assert_eq!(rules(&c, &before, &after), [Rule::ApproverOnly]);

        let after = realm(&[(
            ".github/CODEOWNERS",
            "/realm.yaml a@x\n/domains/a/ a@x\n/domains/b/ b@x\n",
        )]);
        let c = commit("a@x", Some("a"), Some(KEY_A), &[".github/CODEOWNERS"]);
        assert_eq!(rules(&c, &before, &after), [Rule::OutsideDomain]);
        let after = realm(&[(
            ".github/CODEOWNERS",
            "/realm.yaml boss@x\n/domains/a/ a@x c@x\n/domains/b/ b@x\n",
        )]);
        assert_eq!(rules(&c, &before, &after), []);
    }

    #[test]
    fn signatures_must_be_by_the_authors_listed_key() {
        let before = realm(&[]);
        let after = realm(&[("domains/a/exports.yaml", "exports: []\n")]);
        let changed = ["domains/a/exports.yaml"];
        // The domain lists a key for a@x: an unsigned commit claiming a@x is refused.
        let c = commit("a@x", Some("a"), None, &changed);
        assert_eq!(rules(&c, &before, &after), [Rule::Unsigned]);
        // A forged author: a valid signature, by b's key.
        let c = commit("a@x", Some("a"), Some(KEY_B), &changed);
        assert_eq!(rules(&c, &before, &after), [Rule::WrongKey]);
        let mut c = commit("a@x", Some("a"), None, &changed);
        c.signature = Signature::Invalid {
            why: "bad".to_owned(),
        };
        assert_eq!(rules(&c, &before, &after), [Rule::BadSignature]);
        // By a's own key, which has expired: refused, unless the commit is history.
        c.signature = Signature::Expired {
            key: KEY_A.to_owned(),
            why: "expired".to_owned(),
        };
        assert_eq!(rules(&c, &before, &after), [Rule::BadSignature]);
        c.signature = c.signature.as_history();
        assert_eq!(rules(&c, &before, &after), []);
        // A maintainer without listed keys, in a realm that does not require signatures.
        let keyless = realm(&[("domains/a/domain.yaml", "name: a\nmaintainers: [a@x]\n")]);
        let after = realm(&[
            ("domains/a/domain.yaml", "name: a\nmaintainers: [a@x]\n"),
            ("domains/a/exports.yaml", "exports: []\n"),
        ]);
        let c = commit("a@x", Some("a"), None, &changed);
        assert_eq!(rules(&c, &keyless, &after), []);
        // …and in one that does.
        let strict = realm(&[
            ("domains/a/domain.yaml", "name: a\nmaintainers: [a@x]\n"),
            (
                "realm.yaml",
                "name: r\ngovernance: {approvers: [boss@x], require_signatures: true}\n",
            ),
        ]);
        assert_eq!(rules(&c, &strict, &after), [Rule::Unsigned]);
    }

    #[test]
    fn only_maintainers_speak_for_a_domain() {
        let before = realm(&[]);
        let after = realm(&[("domains/a/exports.yaml", "exports: []\n")]);
        let c = commit("b@x", Some("a"), Some(KEY_B), &["domains/a/exports.yaml"]);
        assert_eq!(rules(&c, &before, &after), [Rule::NotAMaintainer]);
        let c = commit("b@x", None, Some(KEY_B), &["domains/a/exports.yaml"]);
        assert_eq!(rules(&c, &before, &after), [Rule::NoDomain]);
    }

    #[test]
    fn approvers_change_anything_but_only_with_their_key() {
        let before = realm(&[]);
        let after = realm(&[("realm.yaml", "name: r\ngovernance: {approvers: [a@x]}\n")]);
        let c = commit("boss@x", None, Some(KEY_BOSS), &["realm.yaml"]);
        assert_eq!(rules(&c, &before, &after), []);
        let c = commit("boss@x", None, Some(KEY_A), &["realm.yaml"]);
        assert_eq!(rules(&c, &before, &after), [Rule::WrongKey]);
    }

    #[test]
    fn keys_change_only_with_a_key_the_domain_had() {
        let before = realm(&[]);
        let swapped = realm(&[(
            "domains/a/domain.yaml",
            "name: a\nmaintainers: [a@x]\nsigning_keys: ['a@x ssh-ed25519 AAAAnew']\n",
        )]);
        let changed = ["domains/a/domain.yaml"];
        let c = commit("a@x", Some("a"), Some("ssh-ed25519 AAAAnew"), &changed);
        assert_eq!(rules(&c, &before, &swapped), [Rule::WrongKey]);
        let c = commit("a@x", Some("a"), Some(KEY_A), &changed);
        assert_eq!(rules(&c, &before, &swapped), []);
        // A domain without keys gets its first one from an approver.
        let keyless = realm(&[("domains/a/domain.yaml", "name: a\nmaintainers: [a@x]\n")]);
        let c = commit("a@x", Some("a"), None, &changed);
        assert_eq!(rules(&c, &keyless, &swapped), [Rule::KeyChange]);
        let c = commit("boss@x", Some("a"), Some(KEY_BOSS), &changed);
        assert_eq!(rules(&c, &keyless, &swapped), []);
    }

    #[test]
    fn joins_follow_admission_and_are_signed_by_the_new_keys() {
        let new = "name: c\nmaintainers: [c@x]\nsigning_keys: ['c@x ssh-ed25519 AAAAcccc']\n";
        let after = realm(&[("domains/c/domain.yaml", new)]);
        let changed = ["domains/c/domain.yaml", ".github/CODEOWNERS"];
        let c = commit("c@x", Some("c"), Some("ssh-ed25519 AAAAcccc"), &changed);
        let before = realm(&[]);
        assert_eq!(rules(&c, &before, &after), [Rule::UnapprovedJoin]);
        let open = realm(&[(
            "realm.yaml",
            "name: r\ngovernance: {admission: open, approvers: [boss@x]}\n",
        )]);
        assert_eq!(rules(&c, &open, &after), []);
        let c = commit("c@x", Some("c"), Some(KEY_A), &changed);
        assert_eq!(rules(&c, &open, &after), [Rule::WrongKey]);
        // An approver's merge of a join proposal: the proposal carries the new key's signature.
        let mut merge = commit("boss@x", Some("c"), Some(KEY_BOSS), &changed);
        merge.approved_by = Some("boss@x".to_owned());
        merge.merged = Some(Signature::Valid {
            key: "ssh-ed25519 AAAAcccc".to_owned(),
        });
        assert_eq!(rules(&merge, &before, &after), []);
        merge.merged = Some(Signature::Unsigned);
        assert_eq!(rules(&merge, &before, &after), [Rule::Unsigned]);
        merge.merged = Some(Signature::Valid {
            key: "ssh-ed25519 AAAAcccc".to_owned(),
        });
        merge.approved_by = None;
        assert_eq!(rules(&merge, &before, &after), [Rule::UnapprovedMerge]);
        let mut merge = commit("c@x", Some("c"), Some("ssh-ed25519 AAAAcccc"), &changed);
        merge.merged = Some(Signature::Unsigned);
        assert_eq!(rules(&merge, &before, &after), [Rule::UnapprovedMerge]);
    }

    #[test]
    fn breaking_changes_need_their_proposal() {
        let before = realm(&[]);
        let after = realm(&[(
            "domains/a/exports.yaml",
            "exports: [{name: e, version: 2.0.0, value: [2]}]\n",
        )]);
        let c = commit("a@x", Some("a"), Some(KEY_A), &["domains/a/exports.yaml"]);
        assert_eq!(rules(&c, &before, &after), [Rule::BreakingWithoutApproval]);
        let c = commit(
            "boss@x",
            Some("a"),
            Some(KEY_BOSS),
            &["domains/a/exports.yaml"],
        );
        assert_eq!(rules(&c, &before, &after), []);
    }

    #[test]
    fn the_first_commit_is_an_approvers() {
        let files = realm(&[]);
        let c = commit("boss@x", None, Some(KEY_BOSS), &["realm.yaml"]);
        assert!(check_commit(&c, None, &Side { source: &files }).is_empty());
        let c = commit("a@x", None, Some(KEY_A), &["realm.yaml"]);
        assert_eq!(
            check_commit(&c, None, &Side { source: &files })[0].rule,
            Rule::ApproverOnly
        );
    }

    #[test]
    fn allowed_signers_lines() {
        let s = AllowedSigner::parse("a@x,b@y namespaces=\"git\" ssh-ed25519 AAAAxyz me").unwrap();
        assert_eq!(s.key, "ssh-ed25519 AAAAxyz");
        assert!(s.allows("B@y"));
        assert!(!s.allows("c@z"));
        assert!(AllowedSigner::parse("a@x").is_none());
    }

    #[test]
    fn openpgp_keys_are_listed_by_fingerprint_with_the_key() {
        let s = AllowedSigner::parse("a@x openpgp 29d03bd1cafe mDMEkey==").unwrap();
        assert_eq!(s.key, "openpgp 29D03BD1CAFE");
        assert!(s.allows("a@x"));
        let files = realm(&[
            (
                "domains/a/domain.yaml",
                "name: a\nmaintainers: [a@x]\nsigning_keys: ['a@x openpgp AA11 mDMEa==']\n",
            ),
            (
                "domains/b/domain.yaml",
                "name: b\nmaintainers: [b@x]\nsigning_keys: ['b@x openpgp BB22 mDMEb==', 'b@x ssh-ed25519 AAAAb']\n",
            ),
        ]);
        let mut listed = listed_openpgp_keys(&files);
        listed.sort();
        assert_eq!(listed, ["mDMEa==", "mDMEb=="]);
        // A signature by the key listed for a@x passes; by one the realm does not list, it is
        // the wrong key where signatures are required.
        let after = realm(&[
            (
                "domains/a/domain.yaml",
                "name: a\nmaintainers: [a@x]\nsigning_keys: ['a@x openpgp AA11 mDMEa==']\n",
            ),
            ("domains/a/exports.yaml", "exports: []\n"),
        ]);
        let c = commit(
            "a@x",
            Some("a"),
            Some("openpgp AA11"),
            &["domains/a/exports.yaml"],
        );
        assert_eq!(rules(&c, &files, &after), []);
        let mut c = c;
        c.signature = Signature::Unlisted {
            key: "openpgp CC33".to_owned(),
        };
        assert_eq!(rules(&c, &files, &after), [Rule::WrongKey]);
        c.signature = Signature::Valid {
            key: "openpgp BB22".to_owned(),
        };
        assert_eq!(rules(&c, &files, &after), [Rule::WrongKey]);
    }
}
