//! This repository's membership: reading and writing `.realm/config.yaml`, and the trailers
//! every realm commit made from here carries; and the services the operations share about
//! this repository as a member (detection, notes, verified bindings, notification delivery).

use anyhow::{Context as _, Result};

use crate::context::Context;
use crate::error::BadInput;
use crate::git::{CodeRepo, WorktreeEntry};
use crate::realm::change::Change;
use crate::realm::config::{CONFIG_PATH, ConfigFile, RepoConfig};

pub mod bindings;
pub mod delivery;
pub mod detection;
pub mod freshness;
pub mod notes;

pub struct Member {
    pub repo: CodeRepo,
    pub config: RepoConfig,
}

/// The repository's memberships, if it has joined a realm. A symlink on the way is refused,
/// not followed: reading or writing the config must stay inside the repository.
pub fn read_config(repo: &CodeRepo) -> Result<Option<ConfigFile>> {
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
    Ok(Some(ConfigFile::parse(text)?))
}

/// The repository git-realm runs in, as a member of one realm: `realm` when given, else the
/// only realm it belongs to. Commands where the choice matters (export, import, leave) ask
/// for `--realm` when the repository belongs to several.
pub fn load(ctx: &Context, realm: Option<&str>) -> Result<Member> {
    let (repo, file) = joined(ctx)?;
    if realm.is_none() && file.memberships.len() > 1 {
        let names = file.names();
        return Err(BadInput::new(
            format!(
                "this repository belongs to {} realms ({}): say which one",
                names.len(),
                names.join(", ")
            ),
            format!(
                "add {}",
                names
                    .iter()
                    .map(|n| format!("--realm {n}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        )
        .into());
    }
    let mut members = select(repo, file, realm)?;
    Ok(members.remove(0))
}

/// The repository as a member of each realm it belongs to (of `realm` alone when given), in
/// the config's order: what the reading commands and the hooks go through.
pub fn load_all(ctx: &Context, realm: Option<&str>) -> Result<Vec<Member>> {
    let (repo, file) = joined(ctx)?;
    select(repo, file, realm)
}

/// The memberships of `file` that `realm` selects, each with the repository.
pub fn select(repo: CodeRepo, file: ConfigFile, realm: Option<&str>) -> Result<Vec<Member>> {
    if let Some(name) = realm
        && file.membership(name).is_none()
    {
        return Err(BadInput::new(
            format!("this repository is not a member of realm `{name}`"),
            format!(
                "its realms: {} (or run 'git realm join REALM' to join another)",
                file.names().join(", ")
            ),
        )
        .into());
    }
    Ok(file
        .memberships
        .into_iter()
        .filter(|m| realm.is_none_or(|name| m.realm.name == name))
        .map(|config| Member {
            repo: repo.clone(),
            config,
        })
        .collect())
}

fn joined(ctx: &Context) -> Result<(CodeRepo, ConfigFile)> {
    let repo = CodeRepo::discover(&ctx.cwd)?;
    let file = read_config(&repo)?.ok_or_else(|| {
        BadInput::new(
            format!(
                "`{}` has not joined a realm (no {CONFIG_PATH})",
                repo.root.display()
            ),
            "run 'git realm join REALM' first",
        )
    })?;
    Ok((repo, file))
}

/// Record `config` as this repository's membership of its realm, keeping the others.
pub fn write_config(repo: &CodeRepo, config: &RepoConfig) -> Result<()> {
    let file = match read_config(repo)? {
        Some(mut file) => {
            file.set(config.clone());
            file
        }
        None => ConfigFile::single(config.clone()),
    };
    crate::index::write_atomically(&repo.root.join(CONFIG_PATH), file.to_yaml().as_bytes())
}

/// Forget the membership of `realm`; the file goes with the last one. True when the
/// repository still belongs to another realm.
pub fn remove_membership(repo: &CodeRepo, realm: &str) -> Result<bool> {
    let path = repo.root.join(CONFIG_PATH);
    if let Some(mut file) = read_config(repo)?
        && file.remove(realm)
        && !file.memberships.is_empty()
    {
        crate::index::write_atomically(&path, file.to_yaml().as_bytes())?;
        return Ok(true);
    }
    std::fs::remove_file(&path)
        .with_context(|| format!("failed to remove `{}`", path.display()))?;
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir(dir);
    }
    Ok(false)
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
