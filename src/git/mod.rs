//! The only module that touches git: gix for objects and refs, the `git` program for the
//! network, commits and config.

mod blobs;
pub mod command;
mod config_list;
pub mod detect_cache;
pub mod fetch_time;
pub mod hooks;
pub mod notes;
pub mod object_format;
pub mod proposals;
pub mod realm_init;
mod realm_store;
pub mod signature;
mod snapshot_cache;
pub mod verify;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use anyhow::{Context, Result};
use gix::ObjectId;

pub use blobs::{TreeFile, WorktreeEntry, warn_missing};
pub use command::Git;
use config_list::ConfigList;
pub use realm_store::{Published, init_repo, is_git_repo, is_url, public_url};

use crate::error::BadInput;
use crate::realm::snapshot::{RealmSource, Snapshot};

/// The code repository git-realm was started in.
#[derive(Clone)]
pub struct CodeRepo {
    repo: gix::Repository,
    /// The working tree's root.
    pub root: PathBuf,
}

impl CodeRepo {
    /// Find the repository containing `cwd` (honouring `GIT_DIR`, as hooks set it).
    pub fn discover(cwd: &Path) -> Result<CodeRepo> {
        let repo = gix::discover_with_environment_overrides(cwd).map_err(|_| {
            BadInput::new(
                format!("not a git repository: `{}`", cwd.display()),
                "run git-realm inside a git repository, or create one with 'git init'",
            )
        })?;
        let root = repo
            .workdir()
            .ok_or_else(|| {
                BadInput::new(
                    format!("`{}` is a bare repository", repo.git_dir().display()),
                    "run git-realm in a repository with a working tree",
                )
            })?
            .to_path_buf();
        let root = std::fs::canonicalize(&root)
            .with_context(|| format!("failed to resolve `{}`", root.display()))?;
        // A repository found anew (a command, a tool call of the MCP server) reads config
        // anew: what was listed before may have been changed since.
        command::forget_config();
        Ok(CodeRepo { repo, root })
    }

    /// Whether the object database has `id` (loose or packed).
    pub fn has_object(&self, id: gix::ObjectId) -> bool {
        self.repo.has_object(id)
    }

    /// The repository's hash kind (SHA-1 or SHA-256).
    pub fn object_hash(&self) -> gix::hash::Kind {
        self.repo.object_hash()
    }

    /// The git dir shared by all worktrees (`git rev-parse --git-common-dir`), where state
    /// local to this clone lives.
    pub fn common_dir(&self) -> &Path {
        self.repo.common_dir()
    }

    /// `git` run at the root of this repository.
    pub fn git(&self) -> Git {
        Git::in_dir(&self.root)
    }

    /// Git's config listed by one process, listed again after a git command that may have
    /// written it; `None` when git cannot list it.
    fn config_list(&self) -> Result<Option<Arc<ConfigList>>> {
        ConfigList::cached(&self.root)
    }

    /// A git config value as git itself resolves it (all scopes, includes, environment).
    pub fn config(&self, key: &str) -> Result<Option<String>> {
        if let Some(list) = self.config_list()? {
            return Ok(list.get(key).map(|v| v.trim().to_owned()));
        }
        let (_, output) = self.git().args(["config", "--get", key]).output()?;
        Ok(output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned()))
    }

    /// Every `key value` line of `git config --get-regexp PATTERN`; empty when none match.
    pub fn config_matching(&self, pattern: &str) -> Result<String> {
        if let Some(found) = self.config_list()?.and_then(|list| list.matching(pattern)) {
            return Ok(found);
        }
        let (_, output) = self
            .git()
            .args(["config", "--get-regexp", pattern])
            .output()?;
        Ok(if output.status.success() {
            String::from_utf8_lossy(&output.stdout).into_owned()
        } else {
            String::new()
        })
    }

    /// Stage `path` (relative to the root) for the next commit, as `git submodule add` stages
    /// `.gitmodules`.
    pub fn stage(&self, path: &str) -> Result<()> {
        self.git().args(["add", "--", path]).run().map(|_| ())
    }

    /// The user's email, which governance checks against maintainers and approvers.
    pub fn user_email(&self) -> Result<String> {
        match self.config_list()? {
            Some(list) => email_or_hint(list.get("user.email").unwrap_or_default()),
            None => user_email(&self.root),
        }
    }

    /// Every value of a multi-valued config key, one a line, as `git config --get-all` prints.
    pub fn config_all(&self, key: &str) -> Result<String> {
        if let Some(list) = self.config_list()? {
            return Ok(list.get_all(key));
        }
        let (_, output) = self.git().args(["config", "--get-all", key]).output()?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The commit HEAD points at, if there is one yet.
    pub fn head_commit(&self) -> Option<ObjectId> {
        self.repo.head_id().ok().map(|id| id.detach())
    }

    /// The commit a ref points at, if the ref exists.
    pub fn ref_target(&self, name: &str) -> Result<Option<ObjectId>> {
        match self
            .repo
            .try_find_reference(name)
            .with_context(|| format!("failed to read ref `{name}`"))?
        {
            Some(mut reference) => Ok(Some(
                reference
                    .peel_to_id()
                    .with_context(|| format!("failed to peel ref `{name}`"))?
                    .detach(),
            )),
            None => Ok(None),
        }
    }

    /// Parse the realm as of `commit`.
    pub fn snapshot(&self, commit: ObjectId, origin: &str) -> Result<Snapshot> {
        self.load_snapshot(commit, origin, true)
    }

    pub fn commit_tree(&self, commit: ObjectId) -> Result<ObjectId> {
        Ok(self
            .repo
            .find_commit(commit)
            .with_context(|| format!("failed to read commit {commit}"))?
            .tree_id()
            .with_context(|| format!("failed to read the tree of {commit}"))?
            .detach())
    }

    /// Rev-parse `spec` to a commit.
    pub fn resolve_commit(&self, spec: &str) -> Result<ObjectId> {
        let unknown = || {
            BadInput::new(
                format!("unknown revision `{spec}`"),
                "name a commit, branch or tag of this repository",
            )
        };
        let id = match self.repo.rev_parse_single(spec) {
            Ok(id) => id.detach(),
            // gix reads an abbreviated id as SHA-1 only; git finds it in a SHA-256 repository.
            Err(_) if self.repo.object_hash() != gix::hash::Kind::Sha1 => self
                .git()
                .args(["rev-parse", "--verify", "--quiet", "--end-of-options", spec])
                .run()
                .ok()
                .and_then(|hex| ObjectId::from_hex(hex.as_bytes()).ok())
                .ok_or_else(unknown)?,
            Err(_) => return Err(unknown().into()),
        };
        let commit = self
            .repo
            .find_object(id)
            .context("failed to read object")?
            .peel_to_commit()
            .map_err(|_| {
                BadInput::new(
                    format!("`{spec}` is not a commit"),
                    "name a commit, branch or tag",
                )
            })?;
        Ok(commit.id)
    }
}

/// The email git would record for a commit made in `dir`.
pub fn user_email(dir: &Path) -> Result<String> {
    let (_, output) = Git::in_dir(dir)
        .args(["config", "--get", "user.email"])
        .output()?;
    email_or_hint(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The configured email, or the error that asks for one.
fn email_or_hint(email: String) -> Result<String> {
    let email = email.trim().to_owned();
    if email.is_empty() {
        return Err(BadInput::new(
            "git-realm needs your email to record who changed the realm",
            "run 'git config --global user.email you@example.com'",
        )
        .into());
    }
    Ok(email)
}

/// A tree in an object database, read as a realm. Directory listings are decoded once and
/// kept: a realm of a thousand domains reads `domains/` three thousand times.
pub struct TreeSource<'r> {
    repo: &'r gix::Repository,
    tree: ObjectId,
    listings: RefCell<HashMap<String, Rc<Vec<Entry>>>>,
}

struct Entry {
    name: String,
    is_tree: bool,
    is_blob: bool,
    /// What the entry is, for an entry that is neither a tree nor a regular file.
    kind: &'static str,
    id: ObjectId,
}

impl<'r> TreeSource<'r> {
    pub fn new(repo: &'r gix::Repository, tree: ObjectId) -> Self {
        TreeSource {
            repo,
            tree,
            listings: RefCell::new(HashMap::new()),
        }
    }

    /// The entries of directory `dir` (`""` for the root), or `None` when there is none.
    fn listing(&self, dir: &str) -> Result<Option<Rc<Vec<Entry>>>> {
        if let Some(found) = self.listings.borrow().get(dir) {
            return Ok(Some(found.clone()));
        }
        let id = if dir.is_empty() {
            self.tree
        } else {
            let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
            let Some(parent) = self.listing(parent)? else {
                return Ok(None);
            };
            match parent.iter().find(|e| e.name == name && e.is_tree) {
                Some(entry) => entry.id,
                None => return Ok(None),
            }
        };
        let tree = self
            .repo
            .find_tree(id)
            .context("failed to read realm tree")?;
        let mut entries = Vec::new();
        for entry in tree.iter() {
            let entry = entry.context("failed to decode realm tree")?;
            let mode = entry.mode();
            entries.push(Entry {
                name: entry.filename().to_string(),
                is_tree: mode.is_tree(),
                is_blob: mode.is_blob(),
                kind: if mode.is_link() {
                    "symlink"
                } else if mode.is_commit() {
                    "submodule"
                } else {
                    "directory"
                },
                id: entry.object_id(),
            });
        }
        let entries = Rc::new(entries);
        self.listings
            .borrow_mut()
            .insert(dir.to_owned(), entries.clone());
        Ok(Some(entries))
    }

    fn children(&self, dir: &str, want_trees: bool) -> Result<Vec<String>> {
        Ok(self
            .listing(dir)?
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| if want_trees { e.is_tree } else { e.is_blob })
                    .map(|e| e.name.clone())
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl RealmSource for TreeSource<'_> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let Some(entries) = self.listing(dir)? else {
            return Ok(None);
        };
        match entries.iter().find(|e| e.name == name) {
            Some(entry) if entry.is_blob => {
                // Refused unread: a realm file may be at most 1 MiB (`yaml::MAX_FILE_BYTES`).
                let size = self
                    .repo
                    .find_header(entry.id)
                    .with_context(|| format!("failed to read `{path}`"))?
                    .size();
                if size > crate::realm::yaml::MAX_FILE_BYTES as u64 {
                    return Err(crate::realm::yaml::too_large(path, size).into());
                }
                let blob = self
                    .repo
                    .find_blob(entry.id)
                    .with_context(|| format!("failed to read `{path}`"))?;
                Ok(Some(blob.data.clone()))
            }
            // Never followed: a link's target is a path on the reader's machine.
            Some(entry) => Err(BadInput::new(
                format!(
                    "realm file `{path}` is a {}, not a regular file",
                    entry.kind
                ),
                format!("replace `{path}` in the realm with a regular file"),
            )
            .into()),
            None => Ok(None),
        }
    }

    fn subdirs(&self, dir: &str) -> Result<Vec<String>> {
        self.children(dir, true)
    }

    fn files(&self, dir: &str) -> Result<Vec<String>> {
        self.children(dir, false)
    }
}

/// The error for a realm without the branch its membership names.
fn missing_branch(membership: &crate::realm::config::Membership) -> anyhow::Error {
    BadInput::new(
        format!(
            "realm `{}` has no branch `{}`",
            membership.url, membership.branch
        ),
        "check the realm's URL, or set `branch:` in .realm/config.yaml",
    )
    .into()
}
