//! This repository's membership: reading and writing `.realm/config.yaml`, and the trailers
//! every realm commit made from here carries; and the services the operations share about
//! this repository as a member (detection, notes, verified bindings, notification delivery).

use anyhow::{Context as _, Result};

use crate::context::Context;
use crate::error::BadInput;
use crate::git::{CodeRepo, WorktreeEntry};
use crate::realm::change::Change;
use crate::realm::config::{CONFIG_PATH, RepoConfig};

pub mod bindings;
pub mod delivery;
pub mod detection;
pub mod freshness;
pub mod notes;

pub struct Member {
    pub repo: CodeRepo,
    pub config: RepoConfig,
}

/// The repository's config, if it has joined a realm. A symlink on the way is refused, not
/// followed: reading or writing the config must stay inside the repository.
pub fn read_config(repo: &CodeRepo) -> Result<Option<RepoConfig>> {
    let path = match repo.worktree_entry(CONFIG_PATH) {
        WorktreeEntry::File(path) => path,
        WorktreeEntry::Missing => return Ok(None),
        WorktreeEntry::Symlink(link) => {
            return Err(BadInput::new(
                format!("`{link}` is a symlink: git-realm does not follow it"),
                format!("make {CONFIG_PATH} a regular file in this repository"),
            )
            .into());
        }
        WorktreeEntry::NotAFile => {
            return Err(BadInput::new(
                format!("{CONFIG_PATH} is not a regular file"),
                format!("make {CONFIG_PATH} a regular file in this repository"),
            )
            .into());
        }
    };
    let text =
        std::fs::read(&path).with_context(|| format!("failed to read `{}`", path.display()))?;
    let text = std::str::from_utf8(&text).map_err(|_| {
        BadInput::new(
            format!("{CONFIG_PATH}: file is not UTF-8"),
            format!("re-save `{CONFIG_PATH}` as UTF-8"),
        )
    })?;
    Ok(Some(RepoConfig::parse(text)?))
}

/// The repository git-realm runs in, which must have joined a realm.
pub fn load(ctx: &Context) -> Result<Member> {
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
