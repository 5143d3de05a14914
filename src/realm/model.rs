//! The realm's files as serde types, in the RFC's field names and order.
//!
//! Every type keeps the fields it does not know in `extra`, so a rewrite by this version of
//! git-realm never drops what a newer one (or a person) added.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_yaml::Mapping;

/// `realm.yaml`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RealmFile {
    pub name: String,
    #[serde(default = "default_realm_version")]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Required: without it, who approves would be guessed, and governance is enforced.
    pub governance: Governance,
    #[serde(flatten)]
    pub extra: Mapping,
}

fn default_realm_version() -> String {
    "1.0.0".to_owned()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Governance {
    #[serde(default)]
    pub admission: Admission,
    #[serde(default)]
    pub approvers: Vec<String>,
    #[serde(default)]
    pub breaking_changes: BreakingChanges,
    /// Domain names an approver has invited into an invite-only realm, not yet joined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invited: Vec<String>,
    /// Every realm commit must carry a git signature by a key listed for its author.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_signatures: bool,
    /// The approvers' public keys, in git's allowed-signers form (`email key-type base64`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing_keys: Vec<String>,
    #[serde(flatten)]
    pub extra: Mapping,
}

impl Default for Governance {
    fn default() -> Self {
        Governance {
            admission: Admission::default(),
            approvers: Vec::new(),
            breaking_changes: BreakingChanges::default(),
            invited: Vec::new(),
            require_signatures: false,
            signing_keys: Vec::new(),
            extra: Mapping::new(),
        }
    }
}

impl Governance {
    pub fn is_approver(&self, email: &str) -> bool {
        self.approvers.iter().any(|a| a.eq_ignore_ascii_case(email))
    }

    /// Who to ask for an approval, for hints: the approvers, or that there are none.
    /// Refuse `email` unless it is an approver of realm `realm`.
    pub fn require_approver(&self, email: &str, realm: &str) -> Result<(), crate::error::Refusal> {
        if self.is_approver(email) {
            return Ok(());
        }
        Err(crate::error::Refusal::new(
            format!("`{email}` is not an approver of realm `{realm}`"),
            self.ask_an_approver(),
        ))
    }

    pub fn ask_an_approver(&self) -> String {
        if self.approvers.is_empty() {
            "the realm lists no approvers: add one under `governance.approvers` in realm.yaml"
                .to_owned()
        } else {
            format!("ask an approver: {}", self.approvers.join(", "))
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Admission {
    Open,
    #[default]
    Approval,
    InviteOnly,
}

impl Admission {
    pub fn as_str(self) -> &'static str {
        match self {
            Admission::Open => "open",
            Admission::Approval => "approval",
            Admission::InviteOnly => "invite-only",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BreakingChanges {
    #[serde(default = "yes")]
    pub require_approval: bool,
    #[serde(default = "default_grace_period")]
    pub grace_period_days: u32,
    #[serde(flatten)]
    pub extra: Mapping,
}

fn yes() -> bool {
    true
}

fn default_grace_period() -> u32 {
    14
}

impl Default for BreakingChanges {
    fn default() -> Self {
        BreakingChanges {
            require_approval: true,
            grace_period_days: default_grace_period(),
            extra: Mapping::new(),
        }
    }
}

/// `domains/<domain>/domain.yaml`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DomainFile {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo_url: Option<String>,
    #[serde(default)]
    pub maintainers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined_at: Option<String>,
    /// The maintainers' public keys, in git's allowed-signers form (`email key-type base64`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing_keys: Vec<String>,
    #[serde(flatten)]
    pub extra: Mapping,
}

impl DomainFile {
    /// The optional `forge:` field: which kind of forge (`github`, `gitlab`, `forgejo`) hosts
    /// `repo_url`, for hosts git-realm does not know. It says nothing about where tokens go.
    pub fn forge(&self) -> Option<&str> {
        self.extra
            .get("forge")
            .and_then(serde_yaml::Value::as_str)
            .map(str::trim)
            .filter(|f| !f.is_empty())
    }
}

/// `domains/<domain>/exports.yaml`
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ExportsFile {
    #[serde(default)]
    pub exports: Vec<Export>,
    #[serde(flatten)]
    pub extra: Mapping,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Export {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    #[serde(default)]
    pub value: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changelog: Vec<ChangelogEntry>,
    /// For a breaking change in its grace period: the date (UTC) from which consumers see
    /// `version`; until then the previous version stays current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<String>,
    #[serde(flatten)]
    pub extra: Mapping,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChangelogEntry {
    pub version: String,
    pub date: String,
    #[serde(default)]
    pub changes: Vec<String>,
    #[serde(flatten)]
    pub extra: Mapping,
}

/// `domains/<domain>/imports.yaml`
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ImportsFile {
    #[serde(default)]
    pub imports: Vec<Import>,
    #[serde(flatten)]
    pub extra: Mapping,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Import {
    pub contract: String,
    pub from: String,
    /// The realm `from` is a domain of, when it is not the realm this file is in (an import
    /// across realms); absent for an import inside the realm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// Where that realm lives, when the importing repository is not a member of it: the
    /// realm is fetched read-only from there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm_url: Option<String>,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    #[serde(default)]
    pub status: ImportStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    /// The binding file's blob id when the import was last resolved, to tell whether it was
    /// reviewed for the next version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding_blob: Option<String>,
    /// Set by a verifier at the last resolution: whether the binding granted the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// What the binding did not grant when the resolution was forced (`sync --force`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ungranted: Vec<String>,
    #[serde(flatten)]
    pub extra: Mapping,
}

impl Import {
    /// The realm the provider `from` is in, `here` being the realm this import is recorded in.
    pub fn provider_realm<'a>(&'a self, here: &'a str) -> &'a str {
        self.realm.as_deref().unwrap_or(here)
    }

    /// Whether this import's provider is in another realm than `here`.
    pub fn is_across(&self, here: &str) -> bool {
        self.provider_realm(here) != here
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    #[default]
    Current,
    Stale,
    Broken,
    /// The binding file does not grant the value (a verifier is configured).
    Ungranted,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Current => "current",
            ImportStatus::Stale => "stale",
            ImportStatus::Broken => "broken",
            ImportStatus::Ungranted => "ungranted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_REALM: &str = r#"name: letemcook
version: "1.0.0"
created_at: 2026-01-24T10:00:00Z

governance:
  # Who can add new domains?
  admission: approval  # open | approval | invite-only
  approvers:
    - eric@example.com

  # Breaking change policy
  breaking_changes:
    require_approval: true
    grace_period_days: 14
"#;

    const RFC_EXPORTS: &str = r#"exports:
  - name: required-s3-permissions
    version: "1.3.0"
    description: S3 paths that aperture training code needs to access

    schema:
      type: object
      properties:
        read:
          type: array
          items: { type: string }
        write:
          type: array
          items: { type: string }

    value:
      read:
        - "jobs/*/masks/*"
        - "jobs/*/*/config.json"
        - "jobs/*/*/manifest.json"
        - "training-runs/*"
        - "training-metrics/*"
      write:
        - "jobs/*/*/manifest.json"
        - "training-metrics/*"

    changelog:
      - version: "1.3.0"
        date: 2026-01-24
        changes:
          - "Added training-metrics/* for experiment tracking"
      - version: "1.2.0"
        date: 2026-01-20
        changes:
          - "Added write permissions for manifest updates"
"#;

    const RFC_IMPORTS: &str = r#"imports:
  - contract: required-s3-permissions
    from: aperture
    version: ">=1.0.0"

    binding: cdk/training_tools_access_stack.py

    status: current  # current | stale | broken
    resolved_version: "1.3.0"
    resolved_at: 2026-01-24T12:00:00Z
"#;

    const RFC_DOMAIN: &str = r#"name: aperture
repo_path: /Users/ericg/letemcook/aperture
# Or for remote:
# repo_url: git@github.com:cultivarium/aperture.git

maintainers:
  - eric@example.com

joined_at: 2026-01-24T10:00:00Z
"#;

    #[test]
    fn rfc_examples_parse() {
        let realm: RealmFile = serde_yaml::from_str(RFC_REALM).unwrap();
        assert_eq!(realm.governance.admission, Admission::Approval);
        assert_eq!(realm.governance.breaking_changes.grace_period_days, 14);
        assert_eq!(realm.created_at.as_deref(), Some("2026-01-24T10:00:00Z"));

        let exports: ExportsFile = serde_yaml::from_str(RFC_EXPORTS).unwrap();
        let export = &exports.exports[0];
        assert_eq!(export.version, "1.3.0");
        assert_eq!(export.value["read"].as_array().unwrap().len(), 5);
        assert_eq!(export.changelog[1].date, "2026-01-20");

        let imports: ImportsFile = serde_yaml::from_str(RFC_IMPORTS).unwrap();
        assert_eq!(imports.imports[0].status, ImportStatus::Current);
        assert_eq!(imports.imports[0].version, ">=1.0.0");

        let domain: DomainFile = serde_yaml::from_str(RFC_DOMAIN).unwrap();
        assert_eq!(domain.maintainers, ["eric@example.com"]);
    }

    #[test]
    fn unknown_fields_survive_a_rewrite_in_a_stable_order() {
        let text = "name: x\nrepo_url: u\nmaintainers: []\nfuture_field:\n  nested: 1\n";
        let domain: DomainFile = serde_yaml::from_str(text).unwrap();
        let out = serde_yaml::to_string(&domain).unwrap();
        assert_eq!(
            out,
            "name: x\nrepo_url: u\nmaintainers: []\nfuture_field:\n  nested: 1\n"
        );
        let again: DomainFile = serde_yaml::from_str(&out).unwrap();
        assert_eq!(again, domain);
    }
}
