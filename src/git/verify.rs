//! Realm history checked against the trust rules: the first-parent line of a main branch,
//! oldest first, each commit judged against its first parent (src/realm/trust.rs), and the
//! last commit found clean kept under the code repository's git dir.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use gix::ObjectId;

use super::{CodeRepo, Git, TreeSource, signature};
use crate::error::BadInput;
use crate::realm::config::Membership;
use crate::realm::trust::{self, CommitFacts, Rule, Side, Violation};

/// What a walk over realm history found.
#[derive(Debug, Default)]
pub struct Checked {
    /// How many commits were judged.
    pub commits: usize,
    pub violations: Vec<Violation>,
    /// The newest commit up to which everything is clean.
    pub last_good: Option<ObjectId>,
}

/// Which commits of a range are new to the verifier and which are history it accepted before
/// (or never verified at all). A commit cannot prove when it was signed, so the expiry of an
/// OpenPGP key, or of a signature, is judged as a commit is first seen: a new commit signed by
/// an expired key is refused, while history checked from scratch (a join, a first fetch, a
/// clone's first verification) takes a signature that was good before the key expired as
/// good, or it would be refused for good once any signer's key expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Every commit is new: what a push brings to the realm's hook.
    New,
    /// The commits up to this one on the line checked are history, those after it new.
    After(ObjectId),
    /// Every commit is history: nothing was verified before.
    History,
}

/// `verify` run in the realm's own repository at `cwd` (bare or not): the realm's name, the
/// commit checked up to (`rev`, by default main), where the check started, and what it found.
/// Nothing is cached: a realm keeps no verification marks of its own.
pub fn check_realm_repo(
    cwd: &Path,
    from: Option<&str>,
    rev: Option<&str>,
) -> anyhow::Result<(String, ObjectId, Option<ObjectId>, Checked)> {
    let repo = gix::discover(cwd).map_err(|_| {
        BadInput::new(
            format!("not a git repository: `{}`", cwd.display()),
            "run 'git realm verify' in a repository that joined a realm, or in a realm",
        )
    })?;
    let resolve = |rev: &str| -> anyhow::Result<ObjectId> {
        Ok(repo
            .rev_parse_single(rev)
            .map_err(|_| {
                BadInput::new(
                    format!("unknown revision `{rev}`"),
                    "name a commit or branch of the realm",
                )
            })?
            .object()?
            .peel_to_commit()?
            .id)
    };
    let tip = resolve(rev.unwrap_or("refs/heads/main")).map_err(|_| {
        BadInput::new(
            format!(
                "`{}` is neither a realm nor a repository that joined one",
                cwd.display()
            ),
            "run 'git realm verify' in a repository that joined a realm, or in a realm",
        )
    })?;
    let not_a_realm = || {
        BadInput::new(
            format!(
                "`{}` is neither a realm nor a repository that joined one",
                cwd.display()
            ),
            "run 'git realm verify' in a repository that joined a realm, or in a realm",
        )
    };
    let realm_file = TreeSource::new(&repo, repo.find_commit(tip)?.tree_id()?.detach());
    let name = crate::realm::snapshot::RealmSource::read(&realm_file, "realm.yaml")
        .ok()
        .flatten()
        .and_then(|bytes| {
            crate::realm::yaml::from_slice::<crate::realm::model::RealmFile>("realm.yaml", &bytes)
                .ok()
        })
        .map(|r| r.name)
        .ok_or_else(not_a_realm)?;
    let from = from.map(resolve).transpose()?;
    let dir = repo.git_dir().to_path_buf();
    // Main is the history the realm accepted; commits past it are new.
    let seen = match resolve("refs/heads/main") {
        Ok(main) if main != tip && !is_ancestor(&dir, tip, main)? => Seen::After(main),
        _ => Seen::History,
    };
    let checked = check_history(&repo, &dir, from, tip, seen)?;
    Ok((name, tip, from, checked))
}

/// Judge the first-parent commits of `to` after `from` (all of its history when `None`),
/// those `seen` calls new as new. `from` must be on that line: a `to` that does not descend
/// from it rewrote main.
pub fn check_history(
    repo: &gix::Repository,
    dir: &Path,
    from: Option<ObjectId>,
    to: ObjectId,
    seen: Seen,
) -> Result<Checked> {
    let mut checked = Checked {
        last_good: from,
        ..Checked::default()
    };
    if from == Some(to) {
        return Ok(checked);
    }
    let listed = match from.and_then(|from| first_parents_since(repo, from, to)) {
        Some(line) => line,
        None => {
            let mut list = Git::in_dir(dir).args(["rev-list", "--first-parent", "--reverse"]);
            list = list.arg(to.to_string());
            if let Some(from) = from {
                list = list.arg(format!("^{from}"));
            }
            list.run().context("failed to list realm history")?
        }
    };
    // `from` must be on the line: nothing listed means `to` is older than `from`, and the
    // first commit listed must have `from` as its first parent.
    if let Some(from) = from
        && listed.trim().is_empty()
    {
        checked.violations.push(rewritten(to, from));
        checked.last_good = None;
        return Ok(checked);
    }
    // Whether the commits listed so far are history.
    let mut history = match seen {
        Seen::New => false,
        Seen::After(accepted) => {
            let accepted = accepted.to_string();
            listed.lines().any(|l| l == accepted)
        }
        Seen::History => true,
    };
    let mut first = true;
    for line in listed.lines() {
        let id = ObjectId::from_hex(line.as_bytes()).context("git rev-list printed no id")?;
        let commit = repo
            .find_commit(id)
            .with_context(|| format!("failed to read realm commit {id}"))?;
        let parents: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
        if first && let Some(from) = from {
            first = false;
            if parents.first() != Some(&from) {
                checked.violations.push(rewritten(to, from));
                checked.last_good = None;
                return Ok(checked);
            }
        }
        let mut facts = facts(repo, &commit, id, &parents)?;
        if history {
            facts.signature = facts.signature.as_history();
            facts.merged = facts.merged.map(trust::Signature::as_history);
        }
        if seen == Seen::After(id) {
            history = false;
        }
        let tree = commit
            .tree_id()
            .context("failed to read a realm tree")?
            .detach();
        let after = TreeSource::new(repo, tree);
        let found = match parents.first() {
            Some(parent) => {
                let parent_tree = repo
                    .find_commit(*parent)
                    .with_context(|| format!("failed to read realm commit {parent}"))?
                    .tree_id()
                    .context("failed to read a realm tree")?
                    .detach();
                let before = TreeSource::new(repo, parent_tree);
                changed_paths(repo, Some(parent_tree), Some(tree), "", &mut facts.changed)?;
                trust::check_commit(
                    &facts,
                    Some(&Side { source: &before }),
                    &Side { source: &after },
                )
            }
            None => {
                changed_paths(repo, None, Some(tree), "", &mut facts.changed)?;
                trust::check_commit(&facts, None, &Side { source: &after })
            }
        };
        checked.commits += 1;
        if found.is_empty() && checked.violations.is_empty() {
            checked.last_good = Some(id);
        }
        checked.violations.extend(found);
    }
    Ok(checked)
}

/// The commits after `from` on `to`'s first-parent line, oldest first, one hex id a line (what
/// `git rev-list --first-parent --reverse <to> ^<from>` prints), read in process: the usual
/// case, a few commits on top of the last verified one. `None` when `from` is not within the
/// first few hundred first parents of `to` (git then says what there is).
fn first_parents_since(repo: &gix::Repository, from: ObjectId, to: ObjectId) -> Option<String> {
    const WALK_AT_MOST: usize = 500;
    let mut line = Vec::new();
    let mut at = to;
    while at != from {
        if line.len() == WALK_AT_MOST {
            return None;
        }
        line.push(at);
        at = repo.find_commit(at).ok()?.parent_ids().next()?.detach();
    }
    Some(
        line.iter()
            .rev()
            .map(ObjectId::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// `to` does not continue main from `from` along its first parents.
fn rewritten(to: ObjectId, from: ObjectId) -> Violation {
    Violation {
        commit: to.to_string(),
        domain: None,
        rule: Rule::NonFastForward,
        message: format!(
            "main was rewritten: it does not continue from {}, the last commit verified",
            &from.to_string()[..12]
        ),
        path: None,
        key: None,
    }
}

fn facts(
    repo: &gix::Repository,
    commit: &gix::Commit<'_>,
    id: ObjectId,
    parents: &[ObjectId],
) -> Result<CommitFacts> {
    let author = commit
        .author()
        .with_context(|| format!("failed to read the author of {id}"))?
        .email
        .to_string();
    let message = commit.message_raw_sloppy().to_string();
    let trailers = message.trim_end().rsplit("\n\n").next().unwrap_or_default();
    let trailer = |name: &str| {
        trailers.lines().find_map(|l| {
            l.split_once(": ")
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned())
        })
    };
    let merged = match parents.get(1) {
        Some(proposal) => {
            let proposal = repo
                .find_commit(*proposal)
                .with_context(|| format!("failed to read realm commit {proposal}"))?;
            Some(signature::of_commit(&proposal, || {
                listed_openpgp_keys(repo, &proposal)
            }))
        }
        None => None,
    };
    Ok(CommitFacts {
        id: id.to_string(),
        author,
        domain: trailer("Realm-Domain"),
        approved_by: trailer("Approved-by"),
        signature: signature::of_commit(commit, || listed_openpgp_keys(repo, commit)),
        merged,
        changed: Vec::new(),
    })
}

/// The OpenPGP keys the realm lists in `commit` and in its first parent: a key may be added
/// (a join) or removed by the commit it signs. Which of them speaks for whom is the rules'.
fn listed_openpgp_keys(repo: &gix::Repository, commit: &gix::Commit<'_>) -> Vec<String> {
    let mut trees: Vec<ObjectId> = commit
        .tree_id()
        .ok()
        .map(|t| t.detach())
        .into_iter()
        .collect();
    if let Some(parent) = commit.parent_ids().next()
        && let Ok(parent) = repo.find_commit(parent.detach())
        && let Ok(tree) = parent.tree_id()
    {
        trees.push(tree.detach());
    }
    let mut keys = Vec::new();
    for tree in trees {
        for key in trust::listed_openpgp_keys(&TreeSource::new(repo, tree)) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

/// The entries of `tree` by name: (id, is a tree).
fn entries(
    repo: &gix::Repository,
    tree: Option<ObjectId>,
) -> Result<BTreeMap<String, (ObjectId, bool)>> {
    let mut out = BTreeMap::new();
    let Some(tree) = tree else {
        return Ok(out);
    };
    let tree = repo
        .find_tree(tree)
        .context("failed to read a realm tree")?;
    for entry in tree.iter() {
        let entry = entry.context("failed to decode a realm tree")?;
        out.insert(
            entry.filename().to_string(),
            (entry.object_id(), entry.mode().is_tree()),
        );
    }
    Ok(out)
}

/// The paths (files, and anything that is not a directory) that differ between two trees.
fn changed_paths(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    prefix: &str,
    out: &mut Vec<String>,
) -> Result<()> {
    if old == new {
        return Ok(());
    }
    let old = entries(repo, old)?;
    let new = entries(repo, new)?;
    let names: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for name in names {
        let (a, b) = (old.get(name), new.get(name));
        if a == b {
            continue;
        }
        let path = format!("{prefix}{name}");
        let tree_of = |e: Option<&(ObjectId, bool)>| e.filter(|(_, t)| *t).map(|(id, _)| *id);
        let is_file = |e: Option<&(ObjectId, bool)>| e.is_some_and(|(_, t)| !*t);
        if tree_of(a).is_some() || tree_of(b).is_some() {
            changed_paths(repo, tree_of(a), tree_of(b), &format!("{path}/"), out)?;
        }
        if is_file(a) || is_file(b) {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether `ancestor` is `descendant` or one of its ancestors.
pub fn is_ancestor(dir: &Path, ancestor: ObjectId, descendant: ObjectId) -> Result<bool> {
    let (_, out) = Git::in_dir(dir)
        .args(["merge-base", "--is-ancestor"])
        .arg(ancestor.to_string())
        .arg(descendant.to_string())
        .output()?;
    Ok(out.status.success())
}

impl CodeRepo {
    /// [`is_ancestor`] read in process; git answers where gix cannot walk the history (a
    /// shallow clone, a missing commit).
    pub fn is_ancestor(&self, ancestor: ObjectId, descendant: ObjectId) -> Result<bool> {
        match self.repo.merge_base(ancestor, descendant) {
            Ok(base) => Ok(base.is_some_and(|base| base.detach() == ancestor)),
            Err(_) => is_ancestor(&self.root, ancestor, descendant),
        }
    }

    fn verified_path(&self, realm: &str) -> PathBuf {
        self.common_dir().join("realm").join("verified").join(realm)
    }

    /// The last realm commit found clean, if it is recorded (and still in the repository).
    pub fn last_verified(&self, realm: &str) -> Option<ObjectId> {
        let text = std::fs::read_to_string(self.verified_path(realm)).ok()?;
        let id = ObjectId::from_hex(text.trim().as_bytes()).ok()?;
        self.repo.find_commit(id).ok().map(|_| id)
    }

    /// Record `commit` as verified; losing this only costs the next run time.
    pub fn save_verified(&self, realm: &str, commit: ObjectId) {
        let _ = crate::index::write_atomically(
            &self.verified_path(realm),
            format!("{commit}\n").as_bytes(),
        );
    }

    /// Check the realm's main line up to `tip`: after `from` when given, else after the last
    /// commit verified (which `tip` must continue, unless it is older), else all of it.
    /// `remember` (for main's tip) records how far it is clean. The commits past the last one
    /// verified are new ([`Seen`]); without one, everything is checked as history.
    pub fn verify_realm(
        &self,
        realm: &str,
        from: Option<ObjectId>,
        tip: ObjectId,
        remember: bool,
    ) -> Result<Checked> {
        let cached = self.last_verified(realm);
        let from = match from {
            Some(from) => Some(from),
            None => match cached {
                // An older commit of the verified line: nothing to check.
                Some(cached) if self.is_ancestor(tip, cached)? => {
                    return Ok(Checked::default());
                }
                // Otherwise it must continue the verified line.
                cached => cached,
            },
        };
        let seen = match cached {
            None => Seen::History,
            // The usual case: everything after the last commit verified is new.
            Some(cached) if from == Some(cached) => Seen::After(cached),
            Some(cached) if self.is_ancestor(tip, cached)? => Seen::History,
            Some(cached) => Seen::After(cached),
        };
        let checked = check_history(&self.repo, &self.root, from, tip, seen)?;
        if remember && let Some(good) = checked.last_good {
            self.save_verified(realm, good);
        }
        Ok(checked)
    }
}

/// A realm repository receiving a push, as its `pre-receive` hook sees it: the pushed objects
/// are still in git's quarantine directory, which gix does not look in, so they are reached
/// through a scratch repository whose alternates are the quarantine and the realm's objects.
pub struct Receiving {
    git_dir: PathBuf,
    scratch: Option<PathBuf>,
    repo: gix::Repository,
}

impl Receiving {
    pub fn open(cwd: &Path) -> Result<Receiving> {
        let git_dir = match std::env::var_os("GIT_DIR") {
            Some(dir) => cwd.join(dir),
            None => cwd.to_path_buf(),
        };
        let real = gix::open_opts(&git_dir, gix::open::Options::isolated())
            .with_context(|| format!("`{}` is not a git repository", git_dir.display()))?;
        let git_dir = real.git_dir().to_path_buf();
        let objects = real.common_dir().join("objects");
        let Some(quarantine) = std::env::var_os("GIT_QUARANTINE_PATH") else {
            return Ok(Receiving {
                git_dir,
                scratch: None,
                repo: real,
            });
        };
        let scratch = git_dir.join(format!("realm-verify-{}", std::process::id()));
        let made = (|| -> Result<gix::Repository> {
            std::fs::create_dir_all(scratch.join("objects/info"))?;
            std::fs::create_dir_all(scratch.join("refs"))?;
            std::fs::write(scratch.join("HEAD"), "ref: refs/heads/main\n")?;
            // The scratch repository reads the realm's objects, so it hashes as the realm does.
            let config = match real.object_hash() {
                gix::hash::Kind::Sha1 => "[core]\n\trepositoryformatversion = 0\n\tbare = true\n",
                _ => {
                    "[core]\n\trepositoryformatversion = 1\n\tbare = true\n[extensions]\n\tobjectformat = sha256\n"
                }
            };
            std::fs::write(scratch.join("config"), config)?;
            std::fs::write(
                scratch.join("objects/info/alternates"),
                format!(
                    "{}\n{}\n",
                    Path::new(&quarantine).display(),
                    objects.display()
                ),
            )?;
            Ok(gix::open_opts(&scratch, gix::open::Options::isolated())?)
        })();
        match made {
            Ok(repo) => Ok(Receiving {
                git_dir,
                scratch: Some(scratch),
                repo,
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&scratch);
                Err(e.context("failed to read the pushed objects"))
            }
        }
    }

    /// The branch the realm treats as main: where its HEAD points.
    pub fn main_ref(&self) -> String {
        std::fs::read_to_string(self.git_dir.join("HEAD"))
            .ok()
            .and_then(|head| head.trim().strip_prefix("ref: ").map(str::to_owned))
            .unwrap_or_else(|| "refs/heads/main".to_owned())
    }

    /// Check what is pushed: every commit in it is new.
    pub fn check(&self, from: Option<ObjectId>, to: ObjectId) -> Result<Checked> {
        check_history(&self.repo, &self.git_dir, from, to, Seen::New)
    }
}

impl Drop for Receiving {
    fn drop(&mut self) {
        if let Some(scratch) = &self.scratch {
            let _ = std::fs::remove_dir_all(scratch);
        }
    }
}

/// Where a fetch puts the realm's branches until they are verified.
pub fn staging_prefix(realm: &str) -> String {
    format!("refs/realm-fetch/{realm}")
}

impl CodeRepo {
    /// After a fetch into [`staging_prefix`]: verify the realm's new main line and move
    /// `refs/realm/<realm>/…` to what was fetched, or, on a violation, keep them as they were
    /// and say which commit broke which rule. The staging refs go either way.
    pub fn adopt_verified(&self, membership: &Membership) -> Result<()> {
        let staging = staging_prefix(&membership.name);
        match self.adopt(membership, &staging) {
            // One transaction moves the fetched refs in and empties the staging area.
            Ok(mut script) => {
                for (name, _) in self.refs_read(&staging).unwrap_or_default() {
                    script.push_str(&format!("delete {name}\n"));
                }
                let moved = self
                    .git()
                    .args(["update-ref", "--stdin"])
                    .stdin(script)
                    .run()
                    .context("failed to update the realm refs");
                // What is left in the staging area (after a failure, or what the in-process
                // read could not list) goes as before.
                self.delete_refs(&staging)?;
                moved.map(|_| ())
            }
            Err(refused) => {
                self.delete_refs(&staging)?;
                Err(refused)
            }
        }
    }

    /// Refuse `new_main` as the realm's main unless it continues the main fetched before
    /// and every commit since verifies.
    pub fn refuse_unverified(&self, membership: &Membership, new_main: ObjectId) -> Result<()> {
        let main_ref = CodeRepo::realm_ref(&membership.name, &membership.branch);
        let old_main = self.ref_target(&main_ref)?;
        self.refuse_unverified_after(membership, old_main, new_main)
    }

    /// [`CodeRepo::refuse_unverified`] with the main fetched before given (a write's retries
    /// keep it in memory and move the realm's main ref when they end).
    pub fn refuse_unverified_after(
        &self,
        membership: &Membership,
        old_main: Option<ObjectId>,
        new_main: ObjectId,
    ) -> Result<()> {
        let name = &membership.name;
        let violations = match old_main {
            // The usual case, and every retry of a write: main was verified up to where it
            // was, and only what came since is checked (which finds a rewrite too).
            Some(old) if self.last_verified(name) == Some(old) => {
                self.verify_realm(name, Some(old), new_main, true)?
                    .violations
            }
            Some(old) if !self.is_ancestor(old, new_main)? => vec![rewritten(new_main, old)],
            _ => self.verify_realm(name, None, new_main, true)?.violations,
        };
        if let Some(first) = violations.first() {
            let more = match violations.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            return Err(BadInput::new(
                format!(
                    "refusing the realm `{name}` as fetched: commit {} breaks rule `{}`: {}{more}",
                    &first.commit[..12],
                    first.rule.as_str(),
                    first.message
                ),
                format!(
                    "the realm as verified before is kept; tell its approvers ('git realm verify {new_main}' lists every violation)"
                ),
            )
            .into());
        }
        Ok(())
    }

    /// The `update-ref --stdin` lines that make the refs fetched to `staging` the realm's,
    /// once what they bring verifies.
    fn adopt(&self, membership: &Membership, staging: &str) -> Result<String> {
        let name = &membership.name;
        let Some(new_main) = self.ref_target(&format!("{staging}/heads/{}", membership.branch))?
        else {
            return Err(super::missing_branch(membership));
        };
        self.refuse_unverified(membership, new_main)?;
        let heads = format!("refs/realm/{name}/heads/");
        let (fetched, current) = match (self.refs_read(staging), self.refs_read(&heads)) {
            (Some(fetched), Some(current)) => (
                fetched
                    .iter()
                    .map(|(refname, id)| format!("{refname} {id}\n"))
                    .collect(),
                current
                    .into_iter()
                    .map(|(refname, _)| refname + "\n")
                    .collect(),
            ),
            _ => (
                self.git()
                    .args(["for-each-ref", "--format=%(refname) %(objectname)", staging])
                    .run()?,
                self.git()
                    .args(["for-each-ref", "--format=%(refname)"])
                    .arg(&heads)
                    .run()?,
            ),
        };
        let mut script = String::new();
        let mut kept = std::collections::BTreeSet::new();
        for line in fetched.lines() {
            let Some((refname, id)) = line.split_once(' ') else {
                continue;
            };
            let Some(rest) = refname.strip_prefix(staging) else {
                continue;
            };
            let target = format!("refs/realm/{name}{rest}");
            script.push_str(&format!("update {target} {id}\n"));
            kept.insert(target);
        }
        for refname in current
            .lines()
            .filter(|r| !r.is_empty() && !kept.contains(*r))
        {
            script.push_str(&format!("delete {refname}\n"));
        }
        Ok(script)
    }
}
