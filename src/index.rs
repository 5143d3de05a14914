//! The user's index of realms (RFC `index.yaml`), under the XDG config directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_yaml::Mapping;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Index {
    #[serde(default)]
    pub realms: Vec<IndexedRealm>,
    #[serde(flatten)]
    pub extra: Mapping,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexedRealm {
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub repos: Vec<IndexedRepo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndexedRepo {
    pub path: String,
    pub domain: String,
}

/// `$XDG_CONFIG_HOME/git-realm/index.yaml`, else `~/.config/git-realm/index.yaml`.
pub fn path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("git-realm").join("index.yaml"))
}

/// Whether the index can be updated, for commands that change the realm first and the
/// index after: a broken index must stop them before the realm changes, not after.
pub fn check_writable() -> Result<()> {
    load().map(|_| ())
}

pub fn load() -> Result<Index> {
    let Some(path) = path() else {
        return Ok(Index::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(crate::realm::yaml::from_str(
            &path.display().to_string(),
            &text,
        )?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
        Err(e) => Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    }
}

/// Apply `edit` to the index and write it back atomically.
pub fn update(edit: impl FnOnce(&mut Index)) -> Result<()> {
    let Some(path) = path() else { return Ok(()) };
    let mut index = load()?;
    edit(&mut index);
    write_atomically(&path, crate::realm::yaml::to_string(&index).as_bytes())
}

impl Index {
    pub fn add(&mut self, name: &str, url: &str, repo: IndexedRepo) {
        let realm = match self
            .realms
            .iter_mut()
            .position(|r| r.name == name && r.url == url)
        {
            Some(i) => &mut self.realms[i],
            None => {
                self.realms.push(IndexedRealm {
                    name: name.to_owned(),
                    url: url.to_owned(),
                    repos: Vec::new(),
                });
                self.realms.last_mut().expect("just pushed")
            }
        };
        if !realm.repos.contains(&repo) {
            realm.repos.push(repo);
        }
    }

    pub fn remove_repo(&mut self, name: &str, repo_path: &str) {
        for realm in self.realms.iter_mut().filter(|r| r.name == name) {
            realm.repos.retain(|r| r.path != repo_path);
        }
        self.realms
            .retain(|r| r.name != name || !r.repos.is_empty());
    }
}

/// Write `bytes` to `path` through a temporary file and a rename, creating parent directories.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("path has no parent directory")?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create `{}`", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("failed to write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("failed to write `{}`", path.display()))
}
