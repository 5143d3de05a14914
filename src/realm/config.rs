//! `.realm/config.yaml`: a code repository's membership and how its exports are computed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_yaml::Mapping;

use crate::error::BadInput;
use crate::realm::names;

pub const CONFIG_PATH: &str = ".realm/config.yaml";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RepoConfig {
    pub realm: Membership,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exports: Vec<ExportSource>,
    /// How this domain's imports are checked against their binding files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<ImportCheck>,
    #[serde(flatten)]
    pub extra: Mapping,
}

/// One import's verifier: `{contract: c, from: d, verify: s3-iam, bucket: b}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImportCheck {
    pub contract: String,
    /// The providing domain; any, when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub verify: VerifierKind,
    /// The bucket of value entries that do not name theirs (`key`, `${NAME}/key`), and of
    /// bucket constructs the binding does not name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    #[serde(flatten)]
    pub extra: Mapping,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub enum VerifierKind {
    /// The binding's IAM statements grant the value's `read`/`write` S3 paths.
    #[serde(rename = "s3-iam")]
    S3Iam,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Membership {
    pub name: String,
    /// Where the realm lives: a path relative to the repository root, or any git URL.
    /// The RFC spells it `path`.
    #[serde(alias = "path")]
    pub url: String,
    pub domain: String,
    /// The realm's main branch.
    #[serde(default = "default_branch", skip_serializing_if = "is_default_branch")]
    pub branch: String,
    #[serde(flatten)]
    pub extra: Mapping,
}

fn default_branch() -> String {
    "main".to_owned()
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_default_branch(branch: &String) -> bool {
    branch == "main"
}

/// How one export's value is computed from the repository.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportSource {
    pub name: String,
    /// A file whose parsed YAML/JSON content is the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A detector: `s3` or `rules`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detect: Option<DetectorKind>,
    /// With `detect: s3`: only these buckets count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<String>,
    /// With `detect: rules`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleConfig>,
    /// With `detect: s3`: what a bucket written as a placeholder (`{S3_BUCKET}`,
    /// `Bucket=self.bucket`) is, by the placeholder's name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    /// With `detect: s3`: export too-broad patterns (`*`, `*/…`) instead of reporting them.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_broad: bool,
    /// Globs of files read even though they look like tests, docs or examples.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Files (paths or globs) a detector does not read: `join` puts the bindings of this
    /// domain's imports here, so that granting another domain's paths is not mistaken for
    /// using them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    #[serde(flatten)]
    pub extra: Mapping,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum DetectorKind {
    S3,
    Rules,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct RuleConfig {
    /// A regular expression with exactly one capture group.
    pub pattern: String,
    /// Globs over repository paths; empty means every file.
    #[serde(default)]
    pub paths: Vec<String>,
    /// The key of the value the captures go into.
    pub into: String,
}

impl ExportSource {
    pub fn file(name: &str, path: &str) -> Self {
        ExportSource {
            name: name.to_owned(),
            file: Some(path.to_owned()),
            detect: None,
            buckets: Vec::new(),
            rules: Vec::new(),
            variables: BTreeMap::new(),
            allow_broad: false,
            include: Vec::new(),
            exclude: Vec::new(),
            extra: Mapping::new(),
        }
    }

    pub fn s3(name: &str) -> Self {
        ExportSource {
            name: name.to_owned(),
            file: None,
            detect: Some(DetectorKind::S3),
            buckets: Vec::new(),
            rules: Vec::new(),
            variables: BTreeMap::new(),
            allow_broad: false,
            include: Vec::new(),
            exclude: Vec::new(),
            extra: Mapping::new(),
        }
    }
}

/// A branch name that is one plain ref path: it goes into refspecs (`<id>:refs/heads/<b>`)
/// and `refs/realm/<realm>/heads/<b>`, so nothing git would read as syntax.
fn is_branch_name(branch: &str) -> bool {
    !branch.is_empty()
        && !branch.contains("..")
        && !branch.ends_with(".lock")
        && branch.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with(['.', '-'])
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

impl RepoConfig {
    /// Parse and check `.realm/config.yaml`; errors name the file.
    pub fn parse(text: &str) -> Result<Self, BadInput> {
        let config: RepoConfig = crate::realm::yaml::from_str(CONFIG_PATH, text)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), BadInput> {
        let at = |e: BadInput| BadInput {
            message: format!("{CONFIG_PATH}: {}", e.message),
            hint: e.hint,
        };
        names::check("realm", &self.realm.name).map_err(at)?;
        names::check("domain", &self.realm.domain).map_err(at)?;
        if !is_branch_name(&self.realm.branch) {
            return Err(BadInput::new(
                format!(
                    "{CONFIG_PATH}: invalid realm branch `{}`",
                    self.realm.branch.escape_debug()
                ),
                "name the realm's main branch, like `main`, or remove `branch:`",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for export in &self.exports {
            names::check("export", &export.name).map_err(at)?;
            if !seen.insert(export.name.as_str()) {
                return Err(BadInput::new(
                    format!("{CONFIG_PATH}: export `{}` is listed twice", export.name),
                    "keep one source per export",
                ));
            }
            let sources = usize::from(export.file.is_some()) + usize::from(export.detect.is_some());
            if sources != 1 {
                return Err(BadInput::new(
                    format!(
                        "{CONFIG_PATH}: export `{}` needs exactly one of `file:` or `detect:`",
                        export.name
                    ),
                    "see `git realm export --help` for the forms an export source takes",
                ));
            }
            if let Some(file) = &export.file
                && !names::is_safe_relative(file)
            {
                return Err(BadInput::new(
                    format!(
                        "{CONFIG_PATH}: export `{}` reads `{file}`, which is outside the repository",
                        export.name
                    ),
                    "name a file by its path from the repository root",
                ));
            }
            if export.detect == Some(DetectorKind::Rules) && export.rules.is_empty() {
                return Err(BadInput::new(
                    format!(
                        "{CONFIG_PATH}: export `{}` uses `detect: rules` but lists no rules",
                        export.name
                    ),
                    "add `rules: [{pattern: '...', paths: ['**'], into: key}]`",
                ));
            }
        }
        Ok(())
    }

    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).expect("config serializes")
    }

    /// The verifier configured for `from`'s `contract`, if any.
    pub fn import_check(&self, from: &str, contract: &str) -> Option<&ImportCheck> {
        self.imports
            .iter()
            .find(|i| i.contract == contract && i.from.as_deref().is_none_or(|f| f == from))
    }

    pub fn source(&self, export: &str) -> Option<&ExportSource> {
        self.exports.iter().find(|e| e.name == export)
    }

    /// Record or replace how `source.name` is computed.
    pub fn set_source(&mut self, source: ExportSource) {
        match self.exports.iter_mut().find(|e| e.name == source.name) {
            Some(existing) => *existing = source,
            None => self.exports.push(source),
        }
    }
}

/// `.realm/config.yaml` as a whole: this repository's memberships, one per realm.
///
/// A repository in one realm keeps the RFC's single form (`realm:` with `exports:` and
/// `imports:` beside it); joining a second realm rewrites the file as a list:
/// `realms: [{realm: {...}, exports: [...], imports: [...]}, ...]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    pub memberships: Vec<RepoConfig>,
    /// Written as `realms:` even with one membership (it was read that way).
    listed: bool,
    /// Top-level keys of the list form other than `realms:`, kept on rewrite.
    extra: Mapping,
}

#[derive(Serialize, Deserialize)]
struct Listed {
    realms: Vec<RepoConfig>,
    #[serde(flatten)]
    extra: Mapping,
}

impl ConfigFile {
    pub fn single(config: RepoConfig) -> Self {
        ConfigFile {
            memberships: vec![config],
            listed: false,
            extra: Mapping::new(),
        }
    }

    /// Parse and check the file, in either form; errors name the file.
    pub fn parse(text: &str) -> Result<Self, BadInput> {
        let top: Mapping = crate::realm::yaml::from_str(CONFIG_PATH, text)?;
        if !top.contains_key("realms") {
            return RepoConfig::parse(text).map(Self::single);
        }
        let listed: Listed = crate::realm::yaml::from_str(CONFIG_PATH, text)?;
        if listed.realms.is_empty() {
            return Err(BadInput::new(
                format!("{CONFIG_PATH}: `realms:` lists no realm"),
                "list at least one membership, or run 'git realm join REALM'",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for membership in &listed.realms {
            membership.validate()?;
            if !seen.insert(membership.realm.name.as_str()) {
                return Err(BadInput::new(
                    format!(
                        "{CONFIG_PATH}: realm `{}` is listed twice",
                        membership.realm.name
                    ),
                    "keep one membership per realm",
                ));
            }
        }
        Ok(ConfigFile {
            memberships: listed.realms,
            listed: true,
            extra: listed.extra,
        })
    }

    pub fn to_yaml(&self) -> String {
        match self.memberships.as_slice() {
            [only] if !self.listed => only.to_yaml(),
            _ => serde_yaml::to_string(&Listed {
                realms: self.memberships.clone(),
                extra: self.extra.clone(),
            })
            .expect("config serializes"),
        }
    }

    /// The realms, in the file's order.
    pub fn names(&self) -> Vec<&str> {
        self.memberships
            .iter()
            .map(|m| m.realm.name.as_str())
            .collect()
    }

    pub fn membership(&self, realm: &str) -> Option<&RepoConfig> {
        self.memberships.iter().find(|m| m.realm.name == realm)
    }

    /// Record `config` as the membership of its realm: replacing the one there, or adding it
    /// (which turns a single membership into a list).
    pub fn set(&mut self, config: RepoConfig) {
        match self
            .memberships
            .iter_mut()
            .find(|m| m.realm.name == config.realm.name)
        {
            Some(existing) => *existing = config,
            None => self.memberships.push(config),
        }
    }

    /// Drop the membership of `realm`; false when there was none.
    pub fn remove(&mut self, realm: &str) -> bool {
        let before = self.memberships.len();
        self.memberships.retain(|m| m.realm.name != realm);
        self.memberships.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_mapping_parses() {
        let config = RepoConfig::parse(
            "realm:\n  name: letemcook\n  path: ../realm-letemcook  # Relative path\n  domain: aperture\n",
        )
        .unwrap();
        assert_eq!(config.realm.url, "../realm-letemcook");
        assert_eq!(config.realm.branch, "main");
        assert_eq!(
            config.to_yaml(),
            "realm:\n  name: letemcook\n  url: ../realm-letemcook\n  domain: aperture\n"
        );
    }

    #[test]
    fn sources_are_checked() {
        let base = "realm: {name: r, url: x, domain: d}\n";
        assert!(RepoConfig::parse(&format!("{base}exports: [{{name: e}}]")).is_err());
        assert!(RepoConfig::parse(&format!("{base}exports: [{{name: e, file: ../x}}]")).is_err());
        assert!(
            RepoConfig::parse(&format!("{base}exports: [{{name: e, detect: rules}}]")).is_err()
        );
        assert!(RepoConfig::parse(&format!("{base}exports: [{{name: e, detect: s3}}]")).is_ok());
        let config = RepoConfig::parse(&format!(
            "{base}imports: [{{contract: c, from: a, verify: s3-iam, bucket: b}}]"
        ))
        .unwrap();
        assert_eq!(
            config.import_check("a", "c").unwrap().bucket.as_deref(),
            Some("b")
        );
        assert!(config.import_check("z", "c").is_none());
        assert!(
            RepoConfig::parse(&format!("{base}imports: [{{contract: c, verify: s3}}]")).is_err()
        );
        assert!(
            RepoConfig::parse(&format!(
                "{base}exports: [{{name: e, detect: s3}}, {{name: e, file: x.yaml}}]"
            ))
            .is_err()
        );
        for branch in ["main:refs/heads/x", "../x", "-x", "a b", "x.lock", ""] {
            let text = format!("realm: {{name: r, url: x, domain: d, branch: '{branch}'}}");
            assert!(RepoConfig::parse(&text).is_err(), "{branch}");
        }
        assert!(
            RepoConfig::parse("realm: {name: r, url: x, domain: d, branch: release/v1}").is_ok()
        );
        let err = RepoConfig::parse("realm: {name: Bad, url: x, domain: d}").unwrap_err();
        assert!(
            err.message.contains(".realm/config.yaml"),
            "{}",
            err.message
        );
    }

    #[test]
    fn several_memberships_parse_and_single_stays_single() {
        let single = "realm:\n  name: letemcook\n  url: ../realm\n  domain: aperture\n";
        let mut file = ConfigFile::parse(single).unwrap();
        assert_eq!(file.to_yaml(), single);
        let mut other = file.memberships[0].clone();
        other.realm.name = "ml-infra".into();
        other.realm.domain = "aperture-api".into();
        file.set(other);
        let listed = file.to_yaml();
        assert!(
            listed.starts_with("realms:\n- realm:\n    name: letemcook\n"),
            "{listed}"
        );
        let again = ConfigFile::parse(&listed).unwrap();
        assert_eq!(again.names(), ["letemcook", "ml-infra"]);
        assert_eq!(
            again.membership("ml-infra").unwrap().realm.domain,
            "aperture-api"
        );
        assert_eq!(again.to_yaml(), listed);
        let mut one_left = again.clone();
        assert!(one_left.remove("letemcook"));
        assert!(!one_left.remove("letemcook"));
        assert!(one_left.to_yaml().starts_with("realms:\n"));

        let twice = "realms:\n- realm: {name: r, url: x, domain: d}\n- realm: {name: r, url: y, domain: e}\n";
        let err = ConfigFile::parse(twice).unwrap_err();
        assert!(err.message.contains("listed twice"), "{}", err.message);
        assert!(ConfigFile::parse("realms: []").is_err());
        let bad = ConfigFile::parse("realms:\n- realm: {name: Bad, url: x, domain: d}\n");
        assert!(bad.unwrap_err().message.contains(CONFIG_PATH));
    }
}
