//! Making a realm's repository: a new one (`git init`) or an empty one taken as it is, and its
//! first commit on `main`; a failure leaves nothing half-made behind.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::object_format::{EmptyRepo, ObjectFormat};
use super::{Git, init_repo};

/// Where the realm goes: a repository to create, or an empty one that is there already (it
/// keeps whether it is bare, and its object format).
#[derive(Debug, Clone, Copy)]
pub enum RealmRepo {
    New {
        bare: bool,
        format: Option<ObjectFormat>,
    },
    Empty(EmptyRepo),
}

impl RealmRepo {
    pub fn bare(self) -> bool {
        match self {
            RealmRepo::New { bare, .. } => bare,
            RealmRepo::Empty(existing) => existing.bare,
        }
    }
}

/// Make the realm's repository at `path` with one commit on `main` that holds `files`,
/// `subject` its message, signed when `sign`; pushes into its checked-out branch are accepted.
/// On failure the repository goes again: a directory made here is removed, what was added to
/// an empty repository is undone. Returns the commit's id.
pub fn create_realm(
    path: &Path,
    repo: RealmRepo,
    subject: &str,
    files: &[(&str, String)],
    sign: bool,
) -> Result<String> {
    let created_dir = !path.exists();
    let bare = repo.bare();
    let head = match repo {
        RealmRepo::Empty(_) => Some(Git::in_dir(path).args(["symbolic-ref", "HEAD"]).run()),
        RealmRepo::New { .. } => None,
    };
    let result = match repo {
        RealmRepo::Empty(_) => Git::in_dir(path)
            .args(["symbolic-ref", "HEAD", "refs/heads/main"])
            .run()
            .and_then(|_| first_commit(path, bare, subject, files, sign)),
        RealmRepo::New { bare, format } => init_repo(path, bare, "main", format)
            .and_then(|()| first_commit(path, bare, subject, files, sign)),
    };
    if result.is_err() {
        // Leave nothing half-made behind; an empty repository that was there stays.
        if let Some(Ok(head)) = head {
            let git = || Git::in_dir(path);
            let _ = git().args(["update-ref", "-d", "refs/heads/main"]).run();
            let _ = git().args(["symbolic-ref", "HEAD", &head]).run();
            let _ = git()
                .args(["config", "--unset", "receive.denyCurrentBranch"])
                .run();
        }
        let existing = matches!(repo, RealmRepo::Empty(_));
        // An empty bare repository that was there stays as it is; elsewhere, all but its
        // `.git` goes.
        let existing_bare = matches!(repo, RealmRepo::Empty(e) if e.bare);
        if created_dir {
            let _ = std::fs::remove_dir_all(path);
        } else if !existing_bare && let Ok(entries) = std::fs::read_dir(path) {
            let is_content = |name: &std::ffi::OsStr| !existing || name != ".git";
            for entry in entries.flatten().filter(|e| is_content(&e.file_name())) {
                let p = entry.path();
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
        }
    }
    result
}

fn first_commit(
    path: &Path,
    bare: bool,
    subject: &str,
    files: &[(&str, String)],
    sign: bool,
) -> Result<String> {
    let git = || Git::in_dir(path);
    let mut index_lines = String::new();
    for (file, content) in files {
        let blob = git()
            .args(["hash-object", "-w", "--stdin"])
            .stdin(content.as_bytes())
            .run()?;
        index_lines.push_str(&format!("100644 {blob}\t{file}\n"));
    }
    // A private index builds the tree, so nothing depends on a working tree existing.
    let index_file = index_path(path, bare);
    let with_index = |g: Git| g.env("GIT_INDEX_FILE", &index_file);
    with_index(
        git()
            .args(["update-index", "--add", "--index-info"])
            .stdin(index_lines),
    )
    .run()?;
    let tree = with_index(git().arg("write-tree")).run()?;
    let _ = std::fs::remove_file(&index_file);
    let commit = git()
        .args(["commit-tree", &tree, "-F", "-"])
        .args(sign.then_some("-S"))
        .stdin(format!("{subject}\n"))
        .run()?;
    git()
        .args(["update-ref", "refs/heads/main", &commit])
        .run()?;
    git()
        .args(["config", "receive.denyCurrentBranch", "updateInstead"])
        .run()?;
    if !bare {
        git().args(["reset", "--quiet", "--hard", "HEAD"]).run()?;
    }
    Ok(commit)
}

fn index_path(path: &Path, bare: bool) -> PathBuf {
    let git_dir = if bare {
        path.to_path_buf()
    } else {
        path.join(".git")
    };
    git_dir.join("realm-init-index")
}
