//! git-realm's hooks in a repository's hooks directory: placed beside the hooks it already
//! has, removed without touching them, held back where a hook manager owns the directory, and
//! the `realm.*` settings they run with.
//!
//! A hook the repository already had keeps running, after git-realm's part and with the same
//! arguments and stdin. In a shell hook git-realm's block goes right after the `#!` line; any
//! other hook (a binary, a Python script, a symlink, one not executable) is renamed to
//! `<hook>.realm-chained` and called from a small shell hook. Uninstall removes the blocks and
//! renames a chained hook back; a file git-realm created is deleted.
//!
//! The pre-push block hands the hook over to git-realm with one `exec`, so git's input reaches
//! git-realm untouched; git-realm then runs the repository's part ([`Theirs`]) itself, with
//! that input replayed, and only when there is one. Without git-realm on PATH the block falls
//! through and the rest of the hook runs as the shell goes on.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use bstr::ByteSlice;
use gix::ObjectId;
use serde::Serialize;

use super::CodeRepo;
use crate::error::BadInput;
pub use crate::hook_script::Hook;
use crate::hook_script::{
    self as script, BLOCK_BEGIN, BLOCK_END, CHAIN_BEGIN, CHAIN_END, CHAINED_SUFFIX, Rest,
};
use crate::realm::config::Membership;

/// What installing one hook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Installed {
    /// There was no hook: git-realm's is the whole file.
    Created,
    /// git-realm's block was added to the repository's shell hook.
    Added,
    /// The repository's hook was renamed to `<hook>.realm-chained` and is called after ours.
    Chained,
    /// An older git-realm block was replaced.
    Updated,
    /// Already installed as it is.
    Unchanged,
}

/// What uninstalling one hook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Removed {
    /// The file was git-realm's alone and is gone.
    Deleted,
    /// git-realm's block was taken out of the repository's hook.
    Stripped,
    /// The chained hook is back under its own name.
    Restored,
    /// There was nothing of git-realm's.
    Absent,
}

/// A tool that owns the repository's hooks and would overwrite (or be broken by) ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Manager {
    Husky,
    PreCommit,
    Lefthook,
}

impl Manager {
    pub fn name(self) -> &'static str {
        match self {
            Manager::Husky => "husky",
            Manager::PreCommit => "pre-commit",
            Manager::Lefthook => "lefthook",
        }
    }

    /// How to run git-realm's hooks from this manager's configuration.
    pub fn instructions(self) -> &'static str {
        match self {
            Manager::Husky => {
                "Add git-realm to husky's hooks (create the files if they do not exist):\n\
                 \n\
                 \x20 echo 'git realm hooks run pre-push \"$@\"' >> .husky/pre-push\n\
                 \x20 echo 'git realm hooks run post-merge \"$@\"' >> .husky/post-merge\n\
                 \x20 echo 'git realm hooks run post-rewrite \"$@\"' >> .husky/post-rewrite\n"
            }
            Manager::PreCommit => {
                "Add git-realm to .pre-commit-config.yaml:\n\
                 \n\
                 \x20 - repo: local\n\
                 \x20   hooks:\n\
                 \x20     - id: git-realm-pre-push\n\
                 \x20       name: git-realm\n\
                 \x20       entry: git realm hooks run pre-push\n\
                 \x20       language: system\n\
                 \x20       stages: [pre-push]\n\
                 \x20       pass_filenames: false\n\
                 \x20       always_run: true\n\
                 \x20     - id: git-realm-update\n\
                 \x20       name: git-realm\n\
                 \x20       entry: git realm hooks run post-merge\n\
                 \x20       language: system\n\
                 \x20       stages: [post-merge, post-rewrite]\n\
                 \x20       pass_filenames: false\n\
                 \x20       always_run: true\n\
                 \n\
                 then run 'pre-commit install --hook-type pre-push --hook-type post-merge --hook-type post-rewrite'.\n"
            }
            Manager::Lefthook => {
                "Add git-realm to lefthook.yml:\n\
                 \n\
                 \x20 pre-push:\n\
                 \x20   commands:\n\
                 \x20     git-realm:\n\
                 \x20       run: git realm hooks run pre-push {1} {2}\n\
                 \x20       use_stdin: true\n\
                 \x20 post-merge:\n\
                 \x20   commands:\n\
                 \x20     git-realm:\n\
                 \x20       run: git realm hooks run post-merge {1}\n\
                 \x20 post-rewrite:\n\
                 \x20   commands:\n\
                 \x20     git-realm:\n\
                 \x20       run: git realm hooks run post-rewrite {1}\n\
                 \n\
                 then run 'lefthook install'.\n"
            }
        }
    }
}

/// The hook manager set up in the repository at `root`, if any. `hooks_path` is
/// `core.hooksPath` as configured.
pub fn detect_manager(root: &Path, hooks_path: Option<&str>) -> Option<Manager> {
    let is_husky = |p: &str| p.split(['/', '\\']).any(|part| part == ".husky");
    if hooks_path.is_some_and(is_husky) || root.join(".husky").is_dir() {
        return Some(Manager::Husky);
    }
    if root.join(".pre-commit-config.yaml").is_file() {
        return Some(Manager::PreCommit);
    }
    let lefthook = [
        "lefthook.yml",
        "lefthook.yaml",
        ".lefthook.yml",
        ".lefthook.yaml",
    ];
    if lefthook.iter().any(|f| root.join(f).is_file()) {
        return Some(Manager::Lefthook);
    }
    None
}

impl CodeRepo {
    /// Where git runs hooks from: `core.hooksPath`, or the common git dir's `hooks` (shared by
    /// linked worktrees).
    pub fn hooks_dir(&self) -> Result<PathBuf> {
        let dir = self
            .git()
            .args(["rev-parse", "--git-path", "hooks"])
            .run()?;
        Ok(self.root.join(dir))
    }

    /// `core.hooksPath` as configured, if it is.
    pub fn configured_hooks_path(&self) -> Option<String> {
        self.repo
            .config_snapshot()
            .string("core.hooksPath")
            .map(|p| p.to_string())
    }

    /// The `realm.*` settings hooks run with, read from git config without running git.
    pub fn hook_settings(&self) -> Result<HookSettings> {
        let config = self.repo.config_snapshot();
        let pre_push = match config
            .string("realm.prePush")
            .map(|v| v.to_str_lossy().to_lowercase())
        {
            None => PrePush::Block,
            Some(v) if v == "block" => PrePush::Block,
            Some(v) if v == "warn" => PrePush::Warn,
            Some(v) if v == "off" => PrePush::Off,
            Some(v) => {
                return Err(BadInput::new(
                    format!("invalid realm.prePush `{v}`"),
                    "set it to block, warn or off: 'git config realm.prePush warn'",
                )
                .into());
            }
        };
        let tracked_branch = config
            .string("realm.trackedBranch")
            .map(|b| {
                b.to_str_lossy()
                    .trim_start_matches("refs/heads/")
                    .to_owned()
            })
            .filter(|b| !b.is_empty());
        let fetch_timeout = config
            .integer("realm.fetchTimeout")
            .and_then(|ms| u64::try_from(ms).ok())
            .map_or(DEFAULT_FETCH_TIMEOUT, Duration::from_millis);
        Ok(HookSettings {
            pre_push,
            tracked_branch,
            fetch_timeout,
        })
    }

    /// `fetch_realm` for hooks: given up (and killed) after `limit`. Whether it succeeded, or
    /// `None` when it ran out of time; git's own message, if any, is already on stderr.
    pub fn fetch_realm_within(
        &self,
        membership: &Membership,
        limit: Duration,
    ) -> Result<Option<bool>> {
        let before = self.refs_under(&format!("refs/realm/{}", membership.name))?;
        let url = self.realm_url(membership);
        let status = self
            .realm_fetch(&url, &super::verify::staging_prefix(&membership.name))
            .status_within(limit)?;
        if status.is_some_and(|s| s.success()) {
            self.adopt_verified(membership)?;
        }
        if status.is_some_and(|s| s.success()) {
            if self.keep_main_branch(membership, &before).is_err() {
                return Ok(Some(false));
            }
            self.record_fetch(membership);
        }
        Ok(status.map(|s| s.success()))
    }

    /// The branch the repository treats as its main line: where `<remote>/HEAD` points, else
    /// `init.defaultBranch`, else `main`.
    pub fn default_branch(&self, remote: Option<&str>) -> String {
        for remote in remote.into_iter().chain(Some("origin")) {
            let prefix = format!("refs/remotes/{remote}/");
            if let Ok(Some(reference)) = self.repo.try_find_reference(&format!("{prefix}HEAD"))
                && let gix::refs::TargetRef::Symbolic(target) = reference.target()
                && let Some(branch) = target.as_bstr().to_str_lossy().strip_prefix(&prefix)
            {
                return branch.to_owned();
            }
        }
        self.repo
            .config_snapshot()
            .string("init.defaultBranch")
            .map(|b| b.to_str_lossy().into_owned())
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "main".to_owned())
    }
}

/// How long post-merge and post-rewrite wait for the realm (`realm.fetchTimeout`, ms).
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// `realm.prePush`: what the pre-push hook does about drift on the tracked branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrePush {
    Block,
    Warn,
    Off,
}

#[derive(Debug, Clone)]
pub struct HookSettings {
    pub pre_push: PrePush,
    /// `realm.trackedBranch`, as a short branch name.
    pub tracked_branch: Option<String>,
    pub fetch_timeout: Duration,
}

/// One ref update git hands the pre-push hook: `<local ref> <local sha> <remote ref> <remote sha>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    pub local_ref: String,
    /// `None` when the push deletes `remote_ref`.
    pub local_commit: Option<ObjectId>,
    pub remote_ref: String,
}

impl PushUpdate {
    /// The updates on pre-push's stdin (lines that do not parse are skipped).
    #[cfg(test)]
    pub fn parse_all(text: &str) -> Vec<PushUpdate> {
        text.lines()
            .filter_map(|line| Self::new(line.split_whitespace().collect::<Vec<_>>().as_slice()))
            .collect()
    }

    /// From the four fields; `None` unless there are four and the local one is an object id.
    pub fn new(fields: &[&str]) -> Option<PushUpdate> {
        let [local_ref, local, remote_ref, _remote] = fields else {
            return None;
        };
        let id = ObjectId::from_hex(local.as_bytes()).ok()?;
        Some(PushUpdate {
            local_ref: (*local_ref).to_owned(),
            local_commit: (!id.is_null()).then_some(id),
            remote_ref: (*remote_ref).to_owned(),
        })
    }

    /// The branch this update moves on the remote, unless it deletes it or is not a branch.
    pub fn pushed_branch(&self) -> Option<(&str, ObjectId)> {
        Some((
            self.remote_ref.strip_prefix("refs/heads/")?,
            self.local_commit?,
        ))
    }
}

/// Install `hook` into `dir`, keeping what is there.
pub fn install(dir: &Path, hook: Hook) -> Result<Installed> {
    let path = dir.join(hook.name());
    let block = hook.block();
    let Some(meta) = metadata(&path)? else {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
        write_hook(&path, hook.template(), 0o755)?;
        return Ok(Installed::Created);
    };
    let text = if meta.is_file() {
        read_text(&path)?
    } else {
        None
    };
    if let Some(text) = &text
        && script::find_block(text, BLOCK_BEGIN, BLOCK_END).is_some()
    {
        let updated = script::replace_block(text, block);
        if updated == *text {
            return Ok(Installed::Unchanged);
        }
        write_hook(&path, &updated, mode_of(&meta))?;
        return Ok(Installed::Updated);
    }
    if let Some(text) = &text
        && is_executable(&meta)
        && script::is_shell_script(text)
    {
        write_hook(&path, &script::insert_block(text, block), mode_of(&meta))?;
        return Ok(Installed::Added);
    }
    let chained = chained_path(dir, hook);
    if metadata(&chained)?.is_some() {
        return Err(BadInput::new(
            format!(
                "cannot install the {} hook: `{}` already exists",
                hook.name(),
                chained.display()
            ),
            format!(
                "move `{}` or `{}` out of the way, then run 'git realm hooks install'",
                path.display(),
                chained.display()
            ),
        )
        .into());
    }
    std::fs::rename(&path, &chained).with_context(|| {
        format!(
            "failed to rename `{}` to `{}`",
            path.display(),
            chained.display()
        )
    })?;
    let content = format!("{}{}", hook.template(), script::chain_block(hook));
    if let Err(e) = write_hook(&path, &content, 0o755) {
        let _ = std::fs::rename(&chained, &path);
        return Err(e);
    }
    Ok(Installed::Chained)
}

/// Remove what [`install`] added to `hook` in `dir`.
pub fn uninstall(dir: &Path, hook: Hook) -> Result<Removed> {
    let path = dir.join(hook.name());
    let Some(meta) = metadata(&path)? else {
        return Ok(Removed::Absent);
    };
    let Some(text) = (if meta.is_file() {
        read_text(&path)?
    } else {
        None
    }) else {
        return Ok(Removed::Absent);
    };
    if script::find_block(&text, BLOCK_BEGIN, BLOCK_END).is_none()
        && script::find_block(&text, CHAIN_BEGIN, CHAIN_END).is_none()
    {
        return Ok(Removed::Absent);
    }
    let chained = chained_path(dir, hook);
    let has_chained = metadata(&chained)?.is_some();
    let rest = script::remove_block(
        &script::remove_block(&text, BLOCK_BEGIN, BLOCK_END),
        CHAIN_BEGIN,
        CHAIN_END,
    );
    if script::is_empty_script(&rest) {
        if has_chained {
            std::fs::rename(&chained, &path).with_context(|| {
                format!(
                    "failed to rename `{}` to `{}`",
                    chained.display(),
                    path.display()
                )
            })?;
            return Ok(Removed::Restored);
        }
        std::fs::remove_file(&path)
            .with_context(|| format!("failed to remove `{}`", path.display()))?;
        return Ok(Removed::Deleted);
    }
    // Someone added to a hook that calls a chained one: keep the call, so theirs still runs.
    let rest = if has_chained {
        script::remove_block(&text, BLOCK_BEGIN, BLOCK_END)
    } else {
        rest
    };
    write_hook(&path, &rest, mode_of(&meta))?;
    Ok(Removed::Stripped)
}

fn chained_path(dir: &Path, hook: Hook) -> PathBuf {
    dir.join(format!("{}{CHAINED_SUFFIX}", hook.name()))
}

/// The hooks directory of the realm repository at `dir`, refused unless it is a realm (its
/// main branch has `realm.yaml`).
pub fn realm_hooks_dir(dir: &Path) -> Result<PathBuf> {
    let git = || super::Git::in_dir(dir);
    let (_, found) = git()
        .args(["cat-file", "-e", "refs/heads/main:realm.yaml"])
        .output()?;
    if !found.status.success() {
        return Err(BadInput::new(
            format!("`{}` is not a realm repository", dir.display()),
            "run 'git realm hooks install --realm' inside the realm's repository (its main branch has realm.yaml)",
        )
        .into());
    }
    let hooks = git().args(["rev-parse", "--git-path", "hooks"]).run()?;
    Ok(dir.join(hooks))
}

/// The repository's own part of a hook whose git-realm block handed over to git-realm: it
/// runs once git-realm's check has passed, with git's arguments and input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Theirs {
    /// `<hook>.realm-chained`, run directly.
    Chained(PathBuf),
    /// The hook file itself, run again with git-realm's block stepping aside.
    Rest(PathBuf),
}

/// What `hook_file` (the hook git ran, `$0`) runs besides git-realm's block, if anything.
pub fn theirs(hook_file: &Path, hook: Hook) -> Result<Option<Theirs>> {
    let Some(text) = read_text(hook_file)? else {
        return Ok(None);
    };
    Ok(match script::rest_of(&text) {
        Rest::Nothing => None,
        Rest::Commands => Some(Theirs::Rest(hook_file.to_owned())),
        Rest::Chained => {
            let chained = chained_path(hook_file.parent().unwrap_or(Path::new(".")), hook);
            // As the stanza does: a chained hook that is gone or not executable is skipped.
            std::fs::metadata(&chained)
                .is_ok_and(|m| m.is_file() && is_executable(&m))
                .then_some(Theirs::Chained(chained))
        }
    })
}

impl Theirs {
    /// Run it with `args`, and `input` on its stdin (this process's stdin when `None`); its
    /// exit status.
    pub fn run(&self, args: &[String], input: Option<&[u8]>) -> Result<std::process::ExitStatus> {
        use std::io::Write;
        use std::process::{Command, Stdio};

        let (path, again) = match self {
            Theirs::Chained(path) => (path, false),
            Theirs::Rest(path) => (path, true),
        };
        let mut command = if cfg!(unix) {
            Command::new(path)
        } else {
            let mut sh = Command::new("sh");
            sh.arg(path);
            sh
        };
        command.args(args);
        if again {
            command.env(script::HOOK_RAN_VAR, "1");
        } else {
            command.env_remove(script::HOOK_RAN_VAR);
        }
        command.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::inherit()
        });
        let mut child = command
            .spawn()
            .with_context(|| format!("failed to run `{}`", path.display()))?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            // A hook that does not read its input closes the pipe: that is its business.
            match stdin.write_all(input) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    let _ = child.wait();
                    return Err(e).with_context(|| {
                        format!("failed to pass git's input to `{}`", path.display())
                    });
                }
                _ => {}
            }
        }
        child
            .wait()
            .with_context(|| format!("failed to run `{}`", path.display()))
    }
}

fn metadata(path: &Path) -> Result<Option<std::fs::Metadata>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("failed to read `{}`", path.display())),
    }
}

/// The file as text, or `None` when it is not UTF-8 (a binary hook).
fn read_text(path: &Path) -> Result<Option<String>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    Ok(String::from_utf8(bytes).ok())
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    0o755
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    mode_of(meta) & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    true
}

/// Write through a temporary file with its mode already set, so git never runs half a hook.
fn write_hook(path: &Path, content: &str, mode: u32) -> Result<()> {
    let dir = path.parent().context("hook path has no directory")?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("hook");
    let tmp = dir.join(format!(".{name}.git-realm-{}", std::process::id()));
    std::fs::write(&tmp, content)
        .with_context(|| format!("failed to write `{}`", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("failed to make `{}` executable", tmp.display()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    std::fs::rename(&tmp, path).with_context(|| format!("failed to write `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_updates_skip_deletes_and_tags() {
        let zero = "0".repeat(40);
        let a = "a".repeat(40);
        let text = format!(
            "refs/heads/main {a} refs/heads/main {zero}\n(delete) {zero} refs/heads/old {a}\nrefs/tags/v1 {a} refs/tags/v1 {zero}\nnonsense\n"
        );
        let updates = PushUpdate::parse_all(&text);
        assert_eq!(updates.len(), 3);
        let branches: Vec<_> = updates
            .iter()
            .filter_map(PushUpdate::pushed_branch)
            .map(|(b, _)| b)
            .collect();
        assert_eq!(branches, ["main"]);
    }

    #[test]
    fn managers_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(detect_manager(dir.path(), None), None);
        assert_eq!(
            detect_manager(dir.path(), Some(".husky/_")),
            Some(Manager::Husky)
        );
        std::fs::write(dir.path().join("lefthook.yml"), "").unwrap();
        assert_eq!(detect_manager(dir.path(), None), Some(Manager::Lefthook));
        std::fs::write(dir.path().join(".pre-commit-config.yaml"), "").unwrap();
        assert_eq!(detect_manager(dir.path(), None), Some(Manager::PreCommit));
        std::fs::create_dir(dir.path().join(".husky")).unwrap();
        assert_eq!(
            detect_manager(dir.path(), Some(".git/hooks")),
            Some(Manager::Husky)
        );
    }
}
