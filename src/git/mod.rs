//! The only module that touches git: gix for objects and refs, the `git` program for the
//! network, commits and config.

pub mod command;
mod blobs;
mod realm_store;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use gix::ObjectId;

pub use command::Git;
pub use blobs::TreeFile;
pub use realm_store::{Published, init_repo, is_git_repo, is_url};

use crate::error::BadInput;
use crate::realm::snapshot::{RealmSource, Snapshot};

/// The code repository git-realm was started in.
pub struct CodeRepo {
    pub repo: gix::Repository,
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
        Ok(CodeRepo { repo, root })
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

    /// A git config value as git itself resolves it (all scopes, includes, environment).
    pub fn config(&self, key: &str) -> Result<Option<String>> {
        let (_, output) = self.git().args(["config", "--get", key]).output()?;
        Ok(output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned()))
    }

    /// The user's email, which governance checks against maintainers and approvers.
    pub fn user_email(&self) -> Result<String> {
        user_email(&self.root)
    }

    /// The commit HEAD points at, if there is one yet.
    pub fn head_commit(&self) -> Option<ObjectId> {
        self.repo.head_id().ok().map(|id| id.detach())
    }

    /// The commit a ref points at, if the ref exists.
    pub fn ref_target(&self, name: &str) -> Result<Option<ObjectId>> {
        match self.repo.try_find_reference(name).with_context(|| format!("failed to read ref `{name}`"))? {
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
        let tree = self.commit_tree(commit)?;
        Snapshot::load(&TreeSource { repo: &self.repo, tree }, origin)
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
        let id = self.repo.rev_parse_single(spec).map_err(|_| {
            BadInput::new(format!("unknown revision `{spec}`"), "name a commit, branch or tag of this repository")
        })?;
        let commit = id
            .object()
            .context("failed to read object")?
            .peel_to_commit()
            .map_err(|_| BadInput::new(format!("`{spec}` is not a commit"), "name a commit, branch or tag"))?;
        Ok(commit.id)
    }
}

/// The email git would record for a commit made in `dir`.
pub fn user_email(dir: &Path) -> Result<String> {
    let (_, output) = Git::in_dir(dir).args(["config", "--get", "user.email"]).output()?;
    let email = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if email.is_empty() {
        return Err(BadInput::new(
            "git-realm needs your email to record who changed the realm",
            "run 'git config --global user.email you@example.com'",
        )
        .into());
    }
    Ok(email)
}

/// A tree in an object database, read as a realm.
pub struct TreeSource<'r> {
    pub repo: &'r gix::Repository,
    pub tree: ObjectId,
}

impl TreeSource<'_> {
    fn entry(&self, path: &str) -> Result<Option<gix::object::tree::Entry<'_>>> {
        let tree = self.repo.find_tree(self.tree).context("failed to read realm tree")?;
        if path.is_empty() {
            return Ok(None);
        }
        tree.lookup_entry(path.split('/').map(str::as_bytes))
            .with_context(|| format!("failed to look up `{path}` in the realm"))
    }

    fn children(&self, dir: &str, want_trees: bool) -> Result<Vec<String>> {
        let id = match self.entry(dir)? {
            Some(entry) if entry.mode().is_tree() => entry.object_id(),
            _ => return Ok(Vec::new()),
        };
        let tree = self.repo.find_tree(id).context("failed to read realm tree")?;
        let mut out = Vec::new();
        for entry in tree.iter() {
            let entry = entry.context("failed to decode realm tree")?;
            if entry.mode().is_tree() == want_trees && (want_trees || entry.mode().is_blob()) {
                out.push(entry.filename().to_string());
            }
        }
        Ok(out)
    }
}

impl RealmSource for TreeSource<'_> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        match self.entry(path)? {
            Some(entry) if entry.mode().is_blob() => {
                let blob = self.repo.find_blob(entry.object_id()).with_context(|| format!("failed to read `{path}`"))?;
                Ok(Some(blob.data.clone()))
            }
            _ => Ok(None),
        }
    }

    fn subdirs(&self, dir: &str) -> Result<Vec<String>> {
        self.children(dir, true)
    }

    fn files(&self, dir: &str) -> Result<Vec<String>> {
        self.children(dir, false)
    }
}
