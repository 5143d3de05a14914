//! The realm as seen from a code repository: fetched under `refs/realm/<realm>/`, written as
//! one commit built on the fetched tip and pushed as a fast-forward, rebuilt when another
//! domain got there first.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bstr::ByteSlice;
use gix::ObjectId;
use gix::bstr::BString;
use gix::objs::tree::{EntryKind, EntryMode};

use super::object_format::{FormatMismatch, ObjectFormat};
use super::{CodeRepo, Git, TreeSource, command, missing_branch};
use crate::error::BadInput;
use crate::realm::change::Change;
use crate::realm::config::Membership;
use crate::realm::snapshot::{Overlay, Scope, Snapshot};

/// How long a write keeps retrying while other domains land first (`realm.retryTimeout`).
const DEFAULT_RETRY_FOR: Duration = Duration::from_secs(120);

/// The pause before retry `n` (after `n` lost races) is drawn from 0 up to a ceiling, at most
/// `BACKOFF_CAP` ("full jitter"): writers that lost together do not retry together. Writers
/// take turns at the realm's main, one commit landing at a time, so the ceiling is counted in
/// turns: the pace at which commits landed while this write was retrying (its time divided by
/// how many landed), times 2^n up to 2^`BACKOFF_TURNS`. A writer that lost waits a few turns,
/// more while the crowd is large, and not the seconds a doubling of the push's duration grows
/// to: on a crowded realm those pauses left it idle, and too short ones had every writer
/// fetch and push again for each commit that lands. Before a landing was seen (the first
/// loss, or a lock held by a push that then failed), the lost push's duration times 2^n
/// stands in for the pace.
const BACKOFF_FLOOR: Duration = Duration::from_millis(10);
const BACKOFF_CAP: Duration = Duration::from_secs(8);
const BACKOFF_TURNS: u32 = 3;

fn backoff(losses: u32, pace: Option<Duration>, push_took: Duration) -> Duration {
    let ceiling = match pace {
        Some(pace) => pace
            .max(BACKOFF_FLOOR)
            .saturating_mul(1 << losses.min(BACKOFF_TURNS)),
        None => push_took
            .max(BACKOFF_FLOOR)
            .saturating_mul(1 << losses.min(16)),
    }
    .min(BACKOFF_CAP);
    Duration::from_millis(fastrand::u64(0..=ceiling.as_millis() as u64))
}

/// `<name>` for a path inside (or naming) a domain's directory `domains/<name>`.
fn domain_name(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("domains/")?;
    rest.split('/').next().filter(|n| !n.is_empty())
}

/// One write racing other domains' to the realm.
struct Race<'a> {
    membership: &'a Membership,
    url: &'a str,
    started: Instant,
    /// `realm.retryTimeout`.
    retry_for: Duration,
}

/// A decided change, and the commit that carries it on the tip it was last put on.
struct Planned {
    /// The realm commit the change was last put on.
    base: ObjectId,
    change: Change,
    branch: String,
    /// The realm tree the change leaves on `base`, and the commit of it.
    tree: ObjectId,
    commit: ObjectId,
    /// Whether commits are signed (`user.signingkey`).
    signed: bool,
}

/// One entry of a realm tree.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TreeEntry {
    name: BString,
    mode: EntryMode,
    id: ObjectId,
}

/// With `GIT_REALM_TRACE` set, how a write went, on stderr (for benchmarks and debugging).
fn trace(line: String) {
    if std::env::var_os("GIT_REALM_TRACE").is_some_and(|v| !v.is_empty()) {
        crate::output::note(format!("trace: publish: {line}"));
    }
}

#[derive(Debug)]
pub enum PushOutcome {
    Pushed,
    /// Someone else moved the branch first (or holds its lock): fetch and rebuild.
    Rejected,
}

/// A realm commit that landed.
#[derive(Debug, Clone)]
pub struct Published {
    pub commit: ObjectId,
    pub branch: String,
}

/// Whether `url` is a URL (or scp-like `host:path`) rather than a local path.
pub fn is_url(url: &str) -> bool {
    if url.contains("://") {
        return true;
    }
    match url.find(':') {
        Some(colon) => !url[..colon].contains('/') && colon > 1,
        None => false,
    }
}

/// `url` as it may be shown to others: without the credentials CI often puts into remote
/// URLs (`https://x-access-token:TOKEN@github.com/…`). Over http(s) any user part goes (a
/// token can be the user name alone); in other URLs (`ssh://git@host/…`) the user is a
/// login and stays unless it carries a `:password`; scp-like `git@host:…` has no password.
pub fn public_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user, host)) if matches!(scheme, "http" | "https") || user.contains(':') => {
            format!("{scheme}://{host}{path}")
        }
        _ => url.to_owned(),
    }
}

impl CodeRepo {
    /// The realm's location as git takes it: local paths are relative to the repository root.
    pub fn realm_url(&self, membership: &Membership) -> String {
        if is_url(&membership.url) {
            membership.url.clone()
        } else {
            let path = self.root.join(&membership.url);
            std::fs::canonicalize(&path)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned()
        }
    }

    /// Where the fetched state of `realm`'s `branch` is kept.
    pub fn realm_ref(realm: &str, branch: &str) -> String {
        format!("refs/realm/{realm}/heads/{branch}")
    }

    /// Update `refs/realm/<realm>/heads/*` from the realm. A realm without its main branch
    /// leaves them as they were: what was fetched last stays readable.
    pub fn fetch_realm(&self, membership: &Membership) -> Result<()> {
        let limit = self.network_timeout()?;
        self.fetch_realm_limited(membership, limit)
    }

    /// [`CodeRepo::fetch_realm`] given up (and what it fetched dropped) after `limit`, as
    /// readers do that fetch a realm older than `realm.fetchInterval` before reading it.
    pub fn fetch_realm_limited(&self, membership: &Membership, limit: Duration) -> Result<()> {
        let url = self.realm_url(membership);
        let prefix = format!("refs/realm/{}", membership.name);
        let before = self.refs_under(&prefix)?;
        let staging = super::verify::staging_prefix(&membership.name);
        self.fetch_into_within(&url, &staging, limit).map_err(|e| {
            if let Some(mismatch) = e.downcast_ref::<FormatMismatch>() {
                return mismatch.refusal(&membership.url).into();
            }
            if command::is_timeout(&e) {
                // What the killed fetch may have left in the staging area goes.
                if let Err(cleanup) = self.delete_refs(&staging) {
                    return cleanup;
                }
                return command::timed_out(e, &format!("fetching realm `{}`", membership.name));
            }
            BadInput::new(
                format!(
                    "failed to fetch realm `{}` from `{}`: {e:#}",
                    membership.name, membership.url
                ),
                format!(
                    "check `url:` in .realm/config.yaml, and that 'git ls-remote {}' works",
                    membership.url
                ),
            )
            .into()
        })?;
        self.adopt_verified(membership)?;
        self.keep_main_branch(membership, &before)?;
        self.record_fetch(membership);
        // Parsed now, while the network is the cost: the commands that read what was fetched
        // (a dry run among them, which writes nothing) then find it in the cache. Whatever is
        // wrong with the realm, they say it.
        let _ = self.warm_fetched_realm(membership);
        Ok(())
    }

    /// The refs under `prefix`, as `update-ref --stdin` lines that would restore them.
    pub fn refs_under(&self, prefix: &str) -> Result<String> {
        if let Some(refs) = self.refs_read(prefix) {
            return Ok(refs
                .iter()
                .map(|(name, id)| format!("update {name} {id}"))
                .collect::<Vec<_>>()
                .join("\n"));
        }
        self.git()
            .args([
                "for-each-ref",
                "--format=update %(refname) %(objectname)",
                prefix,
            ])
            .run()
    }

    /// After a fetch: when the realm has no branch `membership.branch` (deleted, or the
    /// wrong URL), put back the refs `before` lists, and say so.
    pub fn keep_main_branch(&self, membership: &Membership, before: &str) -> Result<()> {
        let main_ref = Self::realm_ref(&membership.name, &membership.branch);
        if self.ref_target(&main_ref)?.is_some() {
            return Ok(());
        }
        let prefix = format!("refs/realm/{}/", membership.name);
        self.restore_refs(&prefix, before)?;
        Err(missing_branch(membership))
    }

    /// Put the refs under `prefix` back to `before` (see [`CodeRepo::refs_under`]).
    fn restore_refs(&self, prefix: &str, before: &str) -> Result<()> {
        let kept: Vec<&str> = before
            .lines()
            .filter_map(|line| line.split(' ').nth(1))
            .collect();
        let script: String = self
            .ref_names(prefix)?
            .iter()
            .filter(|name| !kept.contains(&name.as_str()))
            .map(|name| format!("delete {name}\n"))
            .chain(
                before
                    .lines()
                    .filter(|line| !line.is_empty())
                    .map(|line| format!("{line}\n")),
            )
            .collect();
        if script.is_empty() {
            return Ok(());
        }
        self.git()
            .args(["update-ref", "--stdin"])
            .stdin(script)
            .run()
            .context("failed to restore the realm refs fetched before")?;
        Ok(())
    }

    /// `git fetch` of every branch of `url` to `<prefix>/heads/*`, pruning what the realm
    /// deleted; shared by the commands and the hooks' time-limited fetch.
    pub fn realm_fetch(&self, url: &str, prefix: &str) -> Git {
        self.git()
            .args([
                "-c",
                "gc.auto=0",
                "-c",
                "maintenance.auto=false",
                "fetch",
                "--quiet",
                "--no-tags",
                "--prune",
                "--no-write-fetch-head",
                "--no-recurse-submodules",
                "--",
            ])
            .arg(url)
            .arg(format!("+refs/heads/*:{prefix}/heads/*"))
    }

    /// Fetch every branch of `url` to `<prefix>/heads/*`, pruning what the realm deleted.
    pub fn fetch_into(&self, url: &str, prefix: &str) -> Result<()> {
        let limit = self.network_timeout()?;
        self.fetch_into_within(url, prefix, limit)
    }

    /// [`CodeRepo::fetch_into`], stopped after `limit`.
    fn fetch_into_within(&self, url: &str, prefix: &str, limit: Duration) -> Result<()> {
        let (_, output) = self.realm_fetch(url, prefix).within(limit).output()?;
        if !output.status.success() {
            if let Some(mismatch) =
                FormatMismatch::from_stderr(&String::from_utf8_lossy(&output.stderr))
            {
                return Err(mismatch.into());
            }
            bail!("git fetch: {}", super::command::stderr_line(&output));
        }
        Ok(())
    }

    /// Delete every ref under `prefix`.
    pub fn delete_refs(&self, prefix: &str) -> Result<()> {
        let script: String = self
            .ref_names(prefix)?
            .iter()
            .map(|name| format!("delete {name}\n"))
            .collect();
        if !script.is_empty() {
            self.git()
                .args(["update-ref", "--stdin"])
                .stdin(script)
                .run()?;
        }
        Ok(())
    }

    /// The names of the refs `git for-each-ref PREFIX` lists: read in process where
    /// [`CodeRepo::refs_read`] can, else by git.
    fn ref_names(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(match self.refs_read(prefix) {
            Some(refs) => refs.into_iter().map(|(name, _)| name).collect(),
            None => self
                .git()
                .args(["for-each-ref", "--format=%(refname)", prefix])
                .run()?
                .lines()
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }

    /// The refs `git for-each-ref PREFIX` lists (`PREFIX` itself and the refs under
    /// `PREFIX/`), sorted by name, each with the object it points at, read in process;
    /// `None` when a ref cannot be read that way (a symbolic ref, a broken file): git lists
    /// them then.
    pub(super) fn refs_read(&self, prefix: &str) -> Option<Vec<(String, ObjectId)>> {
        let under = if prefix.ends_with('/') {
            prefix.to_owned()
        } else {
            format!("{prefix}/")
        };
        let platform = self.repo.references().ok()?;
        let mut refs = Vec::new();
        for reference in platform.prefixed(under.as_str()).ok()? {
            let reference = reference.ok()?;
            let name = reference.name().as_bstr().to_string();
            if !name.starts_with(&under) {
                continue;
            }
            refs.push((name, reference.target().try_id()?.to_owned()));
        }
        if !prefix.ends_with('/') && self.repo.try_find_reference(prefix).ok()?.is_some() {
            // A ref named `PREFIX` itself: rare, and left to git.
            return None;
        }
        refs.sort();
        Some(refs)
    }

    pub fn set_ref(&self, name: &str, target: ObjectId) -> Result<()> {
        self.git()
            .args(["update-ref", name, &target.to_string()])
            .run()?;
        Ok(())
    }

    /// The tree `change` leaves on `parent`'s (the empty tree without one); `None` when it
    /// would change nothing.
    fn change_tree(&self, parent: Option<ObjectId>, change: &Change) -> Result<Option<ObjectId>> {
        let base_tree = match parent {
            Some(commit) => self.commit_tree(commit)?,
            None => ObjectId::empty_tree(self.repo.object_hash()),
        };
        let mut editor = self
            .repo
            .edit_tree(base_tree)
            .context("failed to edit the realm tree")?;
        for (path, content) in &change.edits {
            match content {
                Some(bytes) => {
                    let blob = self
                        .repo
                        .write_blob(bytes)
                        .context("failed to write a realm file")?;
                    editor
                        .upsert(path.as_str(), EntryKind::Blob, blob)
                        .with_context(|| format!("failed to place `{path}` in the realm tree"))?;
                }
                None => {
                    editor
                        .remove(path.as_str())
                        .with_context(|| format!("failed to remove `{path}`"))?;
                }
            }
        }
        let tree = editor
            .write()
            .context("failed to write the realm tree")?
            .detach();
        if tree == base_tree && parent.is_some() {
            return Ok(None);
        }
        Ok(Some(tree))
    }

    /// `git commit-tree` (git's identity rules, its signing when `sign`): `tree` on `parent`
    /// and the commits `change` merges, with `change`'s message.
    fn commit_with_git(
        &self,
        tree: ObjectId,
        parent: Option<ObjectId>,
        change: &Change,
        sign: bool,
    ) -> Result<ObjectId> {
        let mut git = self.git().arg("commit-tree").arg(tree.to_string());
        if sign {
            git = git.arg("-S");
        }
        if let Some(parent) = parent {
            git = git.arg("-p").arg(parent.to_string());
        }
        for merged in &change.merged {
            git = git.arg("-p").arg(merged);
        }
        let id = git.arg("-F").arg("-").stdin(change.message()).run()?;
        ObjectId::from_hex(id.as_bytes()).context("git commit-tree printed no commit id")
    }

    /// Write `change` on top of `parent` as one commit; `None` when it would change nothing.
    pub fn write_commit(
        &self,
        parent: Option<ObjectId>,
        change: &Change,
    ) -> Result<Option<ObjectId>> {
        let Some(tree) = self.change_tree(parent, change)? else {
            return Ok(None);
        };
        let sign = super::signature::repo_signing_key(self)?.is_some();
        self.commit_with_git(tree, parent, change, sign).map(Some)
    }

    /// Push `updates` (`<commit>:<ref>` pairs, or `:<ref>` to delete) in one atomic push.
    pub fn push(&self, url: &str, updates: &[String]) -> Result<PushOutcome> {
        let limit = self.network_timeout()?;
        let (display, output) = self
            .git()
            .args(["push", "--porcelain", "--atomic", "--no-verify", "--"])
            .arg(url)
            .args(updates)
            .within(limit)
            .output()
            .map_err(|e| {
                if command::is_timeout(&e) {
                    command::timed_out(e, &format!("pushing to `{}`", public_url(url)))
                } else {
                    e
                }
            })?;
        if output.status.success() {
            return Ok(PushOutcome::Pushed);
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let rejected: Vec<&str> = stdout.lines().filter(|l| l.starts_with('!')).collect();
        let hint = "check that you may push to the realm: 'git push --dry-run' to its URL shows \
                    what its server says";
        if rejected.is_empty() {
            return Err(BadInput::new(
                format!(
                    "`{display}` failed: {}",
                    super::command::stderr_line(&output)
                ),
                hint,
            )
            .into());
        }
        // `!<TAB><from>:<to><TAB>[rejected] (reason)`: the branch and git's reason, without
        // the refs the atomic push dropped because of another one.
        let refused: Vec<(String, String)> = rejected
            .iter()
            .map(|line| rejection(line))
            .filter(|(_, reason)| !reason.contains("atomic"))
            .collect();
        let retryable = refused.is_empty()
            || refused.iter().any(|(_, reason)| {
                [
                    "non-fast-forward",
                    "fetch first",
                    "stale info",
                    "lock",
                    "failed to update ref",
                ]
                .iter()
                .any(|r| reason.contains(r))
            });
        if retryable {
            return Ok(PushOutcome::Rejected);
        }
        let what: Vec<String> = refused
            .iter()
            .map(|(branch, reason)| format!("`{branch}`: {reason}"))
            .collect();
        // What the realm's server said (a hook's message) comes on stderr as `remote:` lines.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said: Vec<&str> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix("remote:"))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let mut message = format!("the realm refused the push to {}", what.join(", "));
        if !said.is_empty() {
            message.push_str(&format!(
                " (its server said: {})",
                shorten(&said.join("; "), 300)
            ));
        }
        Err(BadInput::new(
            message,
            "the realm's server decides what may be pushed: ask its maintainers what it \
             requires; 'git push --dry-run' to the realm's URL shows its answer",
        )
        .into())
    }

    /// Fetch, build one commit on the realm's tip with `build`, push it; on a lost race, fetch
    /// the tip again and rebuild. `build` returns the change and the realm branch it goes to,
    /// or `None` when there is nothing to write.
    ///
    /// A lost race is cheap to retry: only the main branch is fetched again, and when the
    /// commits that won touched none of the domains the change writes (the usual case: every
    /// domain writes its own directory), the commit is carried over to the new tip in
    /// process, its domain directories set into the new tip's tree, without calling `build`
    /// again. Retries pause a few turns of the realm with full jitter (see `backoff`), for up
    /// to `realm.retryTimeout` seconds (default 120) in all from the first attempt.
    pub fn publish(
        &self,
        membership: &Membership,
        mut build: impl FnMut(&Snapshot, ObjectId) -> Result<Option<(Change, String)>>,
    ) -> Result<Option<Published>> {
        let started = Instant::now();
        let retry_for = self.retry_timeout()?;
        let url = self.realm_url(membership);
        let main_ref = Self::realm_ref(&membership.name, &membership.branch);
        self.fetch_realm(membership)?;
        let tip = self
            .ref_target(&main_ref)?
            .ok_or_else(|| missing_branch(membership))?;
        trace(format!(
            "fetched {tip} in {} ms",
            started.elapsed().as_millis()
        ));
        let race = Race {
            membership,
            url: &url,
            started,
            retry_for,
        };
        let mut verified = tip;
        let published = self.publish_from(&race, &mut verified, &mut build);
        // However the write ended: the realm's main as verified last (unless this write
        // landed on it), and what the retries fetched into the staging area goes.
        let landed_on_main = matches!(&published, Ok(Some(p)) if p.branch == membership.branch);
        let cleaned = self.after_retries(
            membership,
            (verified != tip && !landed_on_main).then_some(verified),
        );
        let published = published?;
        cleaned?;
        Ok(published)
    }

    /// Move the realm's main ref to `verified` (when given) and delete the staged main a
    /// retry fetched, in one update.
    fn after_retries(&self, membership: &Membership, verified: Option<ObjectId>) -> Result<()> {
        let mut script = String::new();
        if let Some(verified) = verified {
            script.push_str(&format!(
                "update {} {verified}\n",
                Self::realm_ref(&membership.name, &membership.branch)
            ));
        }
        let staged = Self::staged_main(membership);
        if self.ref_target(&staged)?.is_some() {
            script.push_str(&format!("delete {staged}\n"));
        }
        if !script.is_empty() {
            self.git()
                .args(["update-ref", "--stdin"])
                .stdin(script)
                .run()?;
        }
        Ok(())
    }

    /// The loop of [`CodeRepo::publish`], from the fetched and verified `tip`, which follows
    /// the realm's main as the retries fetch and verify it.
    fn publish_from(
        &self,
        race: &Race<'_>,
        tip: &mut ObjectId,
        build: &mut impl FnMut(&Snapshot, ObjectId) -> Result<Option<(Change, String)>>,
    ) -> Result<Option<Published>> {
        let membership = race.membership;
        // `realm.retryTimeout` bounds the retries: the first fetch has `realm.timeout` of its
        // own, and a crowd of writers starting at once can make it slow.
        let retrying = Instant::now();
        // What was decided, and the commit that carries it on the tip it was last put on.
        let mut planned: Option<Planned> = None;
        // Whether commits are signed (`user.signingkey`), looked up once.
        let mut sign: Option<bool> = None;
        let mut attempt = 0u32;
        // How many commits landed on the realm's main since the retries began: their pace is
        // what the pauses are counted in.
        let mut landed = 0u32;
        // What the retries spent, for the trace: fetching and verifying, pausing.
        let (mut fetching, mut pausing) = (Duration::ZERO, Duration::ZERO);
        loop {
            attempt += 1;
            let carried = match &planned {
                Some(p) if p.base == *tip => Some((p.tree, p.commit)),
                Some(p) => {
                    let carrying = Instant::now();
                    let carried = match self.carry_over(p, *tip)? {
                        Some(tree) => Some((tree, self.recommit(p, tree, *tip)?)),
                        None => None,
                    };
                    if carried.is_some() {
                        trace(format!(
                            "attempt {attempt}: carried over onto {tip} in {} ms",
                            carrying.elapsed().as_millis()
                        ));
                    }
                    carried
                }
                None => None,
            };
            let planned = match (carried, planned.take()) {
                (Some((tree, commit)), Some(p)) => planned.insert(Planned {
                    base: *tip,
                    tree,
                    commit,
                    ..p
                }),
                _ => {
                    let snapshot = self.snapshot(*tip, &membership.url)?;
                    super::signature::require_signing(self, &snapshot)?;
                    if let Some(why) = snapshot.broken.get(&membership.domain) {
                        return Err(BadInput::new(
                            format!(
                                "domain `{}` is broken in realm `{}`: {why}",
                                membership.domain, membership.name
                            ),
                            format!(
                                "fix the files under domains/{}/ in the realm (a plain clone of it), then run this again",
                                membership.domain
                            ),
                        )
                        .into());
                    }
                    let Some((change, branch)) = build(&snapshot, *tip)? else {
                        return Ok(None);
                    };
                    self.readable_after(*tip, &change, &membership.url)?;
                    trace(format!("attempt {attempt}: decided on {tip}"));
                    let Some(tree) = self.change_tree(Some(*tip), &change)? else {
                        return Ok(None);
                    };
                    let signed = match sign {
                        Some(signed) => signed,
                        None => *sign.insert(super::signature::repo_signing_key(self)?.is_some()),
                    };
                    let commit = self.commit_with_git(tree, Some(*tip), &change, signed)?;
                    planned.insert(Planned {
                        base: *tip,
                        change,
                        branch,
                        tree,
                        commit,
                        signed,
                    })
                }
            };
            let (commit, branch) = (planned.commit, &planned.branch);
            let mut updates = vec![format!("{commit}:refs/heads/{branch}")];
            updates.extend(
                planned
                    .change
                    .delete_branches
                    .iter()
                    .map(|b| format!(":refs/heads/{b}")),
            );
            let pushing = Instant::now();
            let pushed = self.push(race.url, &updates)?;
            let push_took = pushing.elapsed();
            match pushed {
                PushOutcome::Pushed => {
                    // The realm refs as the push left them, in one update.
                    let mut script = format!(
                        "update {} {commit}\n",
                        Self::realm_ref(&membership.name, branch)
                    );
                    for deleted in &planned.change.delete_branches {
                        script.push_str(&format!(
                            "delete {}\n",
                            Self::realm_ref(&membership.name, deleted)
                        ));
                    }
                    // What the retries staged goes in the same update.
                    let staged = Self::staged_main(membership);
                    if self.ref_target(&staged)?.is_some() {
                        script.push_str(&format!("delete {staged}\n"));
                    }
                    self.git()
                        .args(["update-ref", "--stdin"])
                        .stdin(script)
                        .run()?;
                    if *branch == membership.branch {
                        // As after a fetch: what this repository reads next is parsed.
                        let _ = self.snapshot(commit, &membership.url);
                    }
                    trace(format!(
                        "landed {commit} on `{branch}` at attempt {attempt} after {} ms \
                         (retries: {} ms fetching, {} ms pausing; last push {} ms)",
                        race.started.elapsed().as_millis(),
                        fetching.as_millis(),
                        pausing.as_millis(),
                        push_took.as_millis()
                    ));
                    return Ok(Some(Published {
                        commit,
                        branch: branch.clone(),
                    }));
                }
                PushOutcome::Rejected => {
                    let left = race.retry_for.saturating_sub(retrying.elapsed());
                    if left.is_zero() {
                        break;
                    }
                    let pace = (landed > 0).then(|| retrying.elapsed() / landed);
                    let pause = backoff(attempt, pace, push_took).min(left);
                    std::thread::sleep(pause);
                    pausing += pause;
                    let fetch_started = Instant::now();
                    let before = *tip;
                    *tip = self.fetch_tip(membership, race.url, *tip)?;
                    fetching += fetch_started.elapsed();
                    let since = self.landed_between(before, *tip);
                    landed = landed.saturating_add(since);
                    trace(format!(
                        "attempt {attempt}: lost (push {} ms), paused {} ms, fetched {tip} in {} ms \
                         ({since} landed since)",
                        push_took.as_millis(),
                        pause.as_millis(),
                        fetch_started.elapsed().as_millis()
                    ));
                }
            }
        }
        trace(format!("gave up after {attempt} attempts"));
        Err(BadInput::new(
            format!(
                "the realm kept moving: no commit landed on `{}` in {} s ({attempt} attempts)",
                membership.branch,
                race.retry_for.as_secs()
            ),
            format!(
                "nothing was written; run the command again, or keep trying longer: \
                 'git config realm.retryTimeout {}'",
                race.retry_for.as_secs() * 2
            ),
        )
        .into())
    }

    /// Where a retry fetches the realm's main branch before it is verified.
    fn staged_main(membership: &Membership) -> String {
        format!(
            "{}/heads/{}",
            super::verify::staging_prefix(&membership.name),
            membership.branch
        )
    }

    /// After losing a race: fetch the realm's main branch alone, verify it as continuing
    /// `verified` (the main verified last) and return its tip. Only realm commits are offered
    /// in the negotiation (the code repository's history has nothing the realm needs); the
    /// refs are left for the write to update when it ends (see [`CodeRepo::after_retries`]).
    fn fetch_tip(
        &self,
        membership: &Membership,
        url: &str,
        verified: ObjectId,
    ) -> Result<ObjectId> {
        // Fetched aside and verified before it moves the realm's main.
        let staged = Self::staged_main(membership);
        let limit = self.network_timeout()?;
        let fetched = self
            .git()
            .args([
                "-c",
                "gc.auto=0",
                "-c",
                "maintenance.auto=false",
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--no-recurse-submodules",
                "--no-show-forced-updates",
            ])
            .arg(format!("--negotiation-tip={verified}"))
            .arg("--")
            .arg(url)
            .arg(format!("+refs/heads/{}:{staged}", membership.branch))
            .within(limit)
            .run();
        if let Err(e) = fetched {
            return Err(if command::is_timeout(&e) {
                command::timed_out(e, &format!("fetching realm `{}`", membership.name))
            } else {
                BadInput::new(
                    format!(
                        "failed to fetch realm `{}` from `{}`: {e:#}",
                        membership.name, membership.url
                    ),
                    "nothing was written; run the command again",
                )
                .into()
            });
        }
        let Some(tip) = self.ref_target(&staged)? else {
            return Err(missing_branch(membership));
        };
        self.refuse_unverified_after(membership, Some(verified), tip)?;
        Ok(tip)
    }

    /// The tree `planned` leaves on `tip`, without deciding again: when its change writes only
    /// domain directories, and `tip` differs from the commit it was put on only in other
    /// domains' directories, `tip`'s tree with those directories as `planned` wrote them.
    /// Anything else (realm.yaml, CODEOWNERS, the same domain, an approval's merge) is
    /// decided again: `None`.
    fn carry_over(&self, planned: &Planned, tip: ObjectId) -> Result<Option<ObjectId>> {
        let change = &planned.change;
        if !change.merged.is_empty() || !change.delete_branches.is_empty() {
            return Ok(None);
        }
        let written: Option<Vec<&str>> = change.edits.keys().map(|p| domain_name(p)).collect();
        let Some(mut written) = written else {
            return Ok(None);
        };
        written.sort_unstable();
        written.dedup();
        let base = self.tree_entries(self.commit_tree(planned.base)?)?;
        let theirs_tree = self.commit_tree(tip)?;
        let theirs = self.tree_entries(theirs_tree)?;
        let outside = |entries: &[TreeEntry]| -> Vec<TreeEntry> {
            entries
                .iter()
                .filter(|e| e.name != "domains")
                .cloned()
                .collect()
        };
        if outside(&base) != outside(&theirs) {
            return Ok(None);
        }
        let (Some(base_domains), Some(their_domains), Some(our_domains)) = (
            self.subtree_entries(&base, "domains")?,
            self.subtree_entries(&theirs, "domains")?,
            self.subtree_entries(&self.tree_entries(planned.tree)?, "domains")?,
        ) else {
            return Ok(None);
        };
        let find = |entries: &[TreeEntry], name: &str| -> Option<(EntryMode, ObjectId)> {
            entries
                .iter()
                .find(|e| e.name == name)
                .map(|e| (e.mode, e.id))
        };
        if written
            .iter()
            .any(|d| find(&base_domains, d) != find(&their_domains, d))
        {
            return Ok(None);
        }
        let mut editor = self
            .repo
            .edit_tree(theirs_tree)
            .context("failed to edit the realm tree")?;
        for domain in &written {
            let path = format!("domains/{domain}");
            match find(&our_domains, domain) {
                Some((mode, id)) => editor
                    .upsert(path.as_str(), mode.kind(), id)
                    .with_context(|| format!("failed to place `{path}` in the realm tree"))?,
                None => editor
                    .remove(path.as_str())
                    .with_context(|| format!("failed to remove `{path}`"))?,
            };
        }
        let tree = editor
            .write()
            .context("failed to write the realm tree")?
            .detach();
        Ok(Some(tree))
    }

    /// How many commits the first-parent line leads from `from` to `to` (the commits that
    /// landed on the realm's main between two fetches), counting at most a few hundred; 0 when
    /// `to` does not continue `from` or cannot be read.
    fn landed_between(&self, from: ObjectId, to: ObjectId) -> u32 {
        const MAX: u32 = 512;
        let mut at = to;
        for n in 0..MAX {
            if at == from {
                return n;
            }
            let parent = self
                .repo
                .find_commit(at)
                .ok()
                .and_then(|c| c.parent_ids().next().map(|p| p.detach()));
            match parent {
                Some(parent) => at = parent,
                None => return 0,
            }
        }
        if at == from { MAX } else { 0 }
    }

    /// The entries of tree `id`.
    fn tree_entries(&self, id: ObjectId) -> Result<Vec<TreeEntry>> {
        let tree = self
            .repo
            .find_tree(id)
            .with_context(|| format!("failed to read realm tree {id}"))?;
        let decoded = tree
            .decode()
            .with_context(|| format!("failed to read realm tree {id}"))?;
        Ok(decoded
            .entries
            .iter()
            .map(|e| TreeEntry {
                name: e.filename.to_owned(),
                mode: e.mode,
                id: e.oid.to_owned(),
            })
            .collect())
    }

    /// The entries of the directory `name` among `entries`: empty when there is none,
    /// `None` when it is not a directory.
    fn subtree_entries(&self, entries: &[TreeEntry], name: &str) -> Result<Option<Vec<TreeEntry>>> {
        match entries.iter().find(|e| e.name == name) {
            None => Ok(Some(Vec::new())),
            Some(e) if e.mode.is_tree() => self.tree_entries(e.id).map(Some),
            Some(_) => Ok(None),
        }
    }

    /// `planned`'s commit with `tree` on `parent`: the same author, committer and message,
    /// written in process; signed commits are made by git again (a signature covers the tree).
    fn recommit(&self, planned: &Planned, tree: ObjectId, parent: ObjectId) -> Result<ObjectId> {
        if planned.signed {
            return self.commit_with_git(tree, Some(parent), &planned.change, true);
        }
        let template = self
            .repo
            .find_commit(planned.commit)
            .with_context(|| format!("failed to read commit {}", planned.commit))?;
        let mut commit = template
            .decode()
            .and_then(|c| c.into_owned())
            .with_context(|| format!("failed to read commit {}", planned.commit))?;
        commit.tree = tree;
        commit.parents = std::iter::once(parent)
            .chain(commit.parents.iter().skip(1).copied())
            .collect();
        Ok(self
            .repo
            .write_object(&commit)
            .context("failed to write a realm commit")?
            .detach())
    }

    /// `realm.timeout`: how long one network call (fetch, push) may take.
    pub fn network_timeout(&self) -> Result<Duration> {
        let value = self
            .repo
            .config_snapshot()
            .string("realm.timeout")
            .map(|v| v.to_str_lossy().into_owned());
        command::parse_timeout(value.as_deref())
    }

    /// `realm.retryTimeout`: how long a write keeps retrying while others land first.
    fn retry_timeout(&self) -> Result<Duration> {
        let Some(value) = self.repo.config_snapshot().string("realm.retryTimeout") else {
            return Ok(DEFAULT_RETRY_FOR);
        };
        let value = value.to_str_lossy();
        match value.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
            _ => Err(BadInput::new(
                format!("invalid realm.retryTimeout `{value}`"),
                "set it to a whole number of seconds: 'git config realm.retryTimeout 120'",
            )
            .into()),
        }
    }

    /// Refuse `change` unless the realm it leaves at `tip` can be read back: a value nested
    /// deeper than YAML may be, or a file grown past 1 MiB, would stop every domain.
    fn readable_after(&self, tip: ObjectId, change: &Change, origin: &str) -> Result<()> {
        let base = TreeSource::new(&self.repo, self.commit_tree(tip)?);
        let after = Overlay {
            base: &base,
            edits: &change.edits,
        };
        match Snapshot::load(&after, origin) {
            Ok(snapshot) => match snapshot.broken.iter().find(|(domain, _)| {
                let dir = format!("domains/{domain}/");
                change.edits.keys().any(|path| path.starts_with(&dir))
            }) {
                None => Ok(()),
                Some((_, why)) => Err(BadInput::new(
                    format!("refusing to write the realm, it would become unreadable: {why}"),
                    "make the value smaller (a realm file is at most 1 MiB) or less deeply nested",
                )
                .into()),
            },
            Err(e) => Err(BadInput::new(
                format!("refusing to write the realm, it would become unreadable: {e:#}"),
                "make the value smaller (a realm file is at most 1 MiB) or less deeply nested",
            )
            .into()),
        }
    }

    /// Pending proposals (branch names without `proposals/`), optionally only `domain`'s.
    pub fn proposals(&self, membership: &Membership, domain: Option<&str>) -> Result<Vec<String>> {
        let prefix = match domain {
            Some(d) => format!("refs/realm/{}/heads/proposals/{d}/", membership.name),
            None => format!("refs/realm/{}/heads/proposals/", membership.name),
        };
        let out = self
            .git()
            .args(["for-each-ref", "--format=%(refname)"])
            .arg(&prefix)
            .run()?;
        let strip = format!("refs/realm/{}/heads/proposals/", membership.name);
        Ok(out
            .lines()
            .filter_map(|l| l.strip_prefix(&strip))
            .map(str::to_owned)
            .collect())
    }

    /// The last fetched tip of the realm's main branch, and the realm parsed there.
    pub fn fetched_realm(&self, membership: &Membership) -> Result<(ObjectId, Snapshot)> {
        let tip = self.fetched_tip(membership)?;
        Ok((tip, self.snapshot(tip, &membership.url)?))
    }

    /// Parse the domains of the fetched realm the cache does not hold yet, reading none it
    /// does.
    fn warm_fetched_realm(&self, membership: &Membership) -> Result<()> {
        let tip = self.fetched_tip(membership)?;
        self.warm_snapshot_cache(tip, &membership.url)
    }

    /// [`CodeRepo::fetched_realm`] with only what `scope` needs whole (see [`Scope`]): the
    /// other domains as skeletons, where the cache holds them.
    pub fn fetched_realm_for(
        &self,
        membership: &Membership,
        scope: Scope,
    ) -> Result<(ObjectId, Snapshot)> {
        let tip = self.fetched_tip(membership)?;
        Ok((
            tip,
            self.load_snapshot_scoped(tip, &membership.url, true, scope)?,
        ))
    }

    /// [`CodeRepo::fetched_realm`] for a run that promises to write nothing (a dry run): the
    /// parsed realm is taken from the cache but not added to it.
    pub fn fetched_realm_read_only(&self, membership: &Membership) -> Result<(ObjectId, Snapshot)> {
        let tip = self.fetched_tip(membership)?;
        Ok((tip, self.snapshot_read_only(tip, &membership.url)?))
    }

    fn fetched_tip(&self, membership: &Membership) -> Result<ObjectId> {
        self.ref_target(&Self::realm_ref(&membership.name, &membership.branch))?
            .ok_or_else(|| {
                BadInput::new(
                    format!(
                        "realm `{}` has not been fetched into this repository",
                        membership.name
                    ),
                    "run 'git realm fetch'",
                )
                .into()
            })
    }
}

/// The branch and git's reason from a `git push --porcelain` rejection line.
fn rejection(line: &str) -> (String, String) {
    let mut fields = line.split('\t').skip(1);
    let refs = fields.next().unwrap_or_default();
    let branch = refs.rsplit(':').next().unwrap_or(refs);
    let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
    let summary = fields.next().unwrap_or_default().trim();
    let reason = match (summary.find('('), summary.rfind(')')) {
        (Some(open), Some(close)) if open < close => &summary[open + 1..close],
        _ => summary.trim_start_matches('[').trim_end_matches(']'),
    };
    (branch.to_owned(), reason.trim().to_owned())
}

/// `text` cut to about `max` characters.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Whether `path` holds a git repository (bare or not).
pub fn is_git_repo(path: &Path) -> bool {
    gix::open_opts(path, gix::open::Options::isolated()).is_ok()
}

/// `git init` a new repository at `path` with `branch` as its first branch, in `format`
/// (default: git's, which `init.defaultObjectFormat` and `GIT_DEFAULT_HASH` set).
pub fn init_repo(
    path: &Path,
    bare: bool,
    branch: &str,
    format: Option<ObjectFormat>,
) -> Result<()> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut git = Git::in_dir(parent).args(["init", "--quiet", "-b", branch]);
    if bare {
        git = git.arg("--bare");
    }
    if let Some(format) = format {
        git = git.arg(format!("--object-format={}", format.as_str()));
    }
    git.arg(path).run()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_url;

    #[test]
    fn public_urls_carry_no_credentials() {
        use super::public_url;
        for (url, public) in [
            (
                "https://x-access-token:ghs_S3cret@github.com/o/r.git",
                "https://github.com/o/r.git",
            ),
            ("https://ghp_T0ken@github.com/o/r", "https://github.com/o/r"),
            ("http://u:p@h:8080/r", "http://h:8080/r"),
            (
                "ssh://git@github.com/o/r.git",
                "ssh://git@github.com/o/r.git",
            ),
            ("ssh://u:pw@h/r", "ssh://h/r"),
            ("git@github.com:o/r.git", "git@github.com:o/r.git"),
            ("https://github.com/o/r", "https://github.com/o/r"),
            ("../r", "../r"),
        ] {
            assert_eq!(public_url(url), public, "{url}");
        }
    }

    #[test]
    fn writes_to_domain_directories_and_pauses() {
        use super::{BACKOFF_CAP, backoff, domain_name};
        use std::time::Duration;
        assert_eq!(domain_name("domains/a/exports.yaml"), Some("a"));
        assert_eq!(domain_name("domains/a"), Some("a"));
        assert_eq!(domain_name("domains/"), None);
        assert_eq!(domain_name("realm.yaml"), None);
        assert_eq!(domain_name(".github/CODEOWNERS"), None);
        let took = Duration::from_millis(50);
        let pace = Duration::from_millis(30);
        for losses in 1..40 {
            let pause = backoff(losses, None, took);
            assert!(pause <= BACKOFF_CAP && pause <= took * 2u32.pow(losses.min(16)));
            // Counted in turns at the realm: a few landings' time at most.
            let pause = backoff(losses, Some(pace), took);
            assert!(pause <= pace * 8, "{pause:?} after {losses} losses");
        }
        assert!(backoff(30, Some(Duration::from_secs(60)), took) <= BACKOFF_CAP);
    }

    #[test]
    fn urls_and_paths() {
        for url in [
            "https://h/x.git",
            "git@github.com:o/r.git",
            "ssh://git@h/x",
            "file:///tmp/x",
        ] {
            assert!(is_url(url), "{url}");
        }
        for path in ["../realm", "/abs/realm", "realm", "./a:b", "C:/x"] {
            assert!(!is_url(path), "{path}");
        }
    }
}
