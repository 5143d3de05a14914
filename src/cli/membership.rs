//! This repository's membership: reading and writing `.realm/config.yaml`, and the trailers
//! every realm commit made from here carries.

use anyhow::{Context, Result};

use super::Ctx;
use crate::error::BadInput;
use crate::git::CodeRepo;
use crate::realm::change::Change;
use crate::realm::config::{CONFIG_PATH, RepoConfig};

pub struct Member {
    pub repo: CodeRepo,
    pub config: RepoConfig,
}

/// The repository's config, if it has joined a realm.
pub fn read_config(repo: &CodeRepo) -> Result<Option<RepoConfig>> {
    let path = repo.root.join(CONFIG_PATH);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(RepoConfig::parse(&text)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    }
}

/// The repository git-realm runs in, which must have joined a realm.
pub fn load(ctx: &Ctx) -> Result<Member> {
    let repo = CodeRepo::discover(&ctx.cwd)?;
    let config = read_config(&repo)?.ok_or_else(|| {
        BadInput::new(
            format!(
                "`{}` has not joined a realm (no {CONFIG_PATH})",
                repo.root.display()
            ),
            "run 'git realm join REALM' first",
        )
    })?;
    Ok(Member { repo, config })
}

pub fn write_config(repo: &CodeRepo, config: &RepoConfig) -> Result<()> {
    crate::index::write_atomically(&repo.root.join(CONFIG_PATH), config.to_yaml().as_bytes())
}

impl Member {
    /// `Realm-Domain:` and, where the repository has a commit, `Source-Commit:`.
    pub fn sign(&self, change: &mut Change) {
        sign(&self.repo, &self.config.realm.domain, change);
    }
}

pub fn sign(repo: &CodeRepo, domain: &str, change: &mut Change) {
    change.trailer("Realm-Domain", domain);
    if let Some(head) = repo.head_commit() {
        change.trailer("Source-Commit", head.to_string());
    }
}
