//! The pre-push hook: exports computed at each pushed commit against the fetched realm; drift
//! blocks the push to the tracked branch and warns on others. No network.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Write;

use anyhow::Result;
use gix::ObjectId;
use serde::Serialize;

use super::super::per_realm::PerRealm;
use super::super::{Context, Outcome};
use crate::error::BadInput;
use crate::git::CodeRepo;
use crate::git::hooks::{Hook, PrePush, PushUpdate};
use crate::member::detection::{self, At, CacheUse, Detected};
use crate::member::{self as membership, Member};
use crate::output::Report;
use crate::realm::config::ExportSource;
use crate::realm::drift::Drift;
use crate::realm::model::ImportStatus;
use crate::realm::snapshot::Snapshot;
use crate::realm::status::ImportState;

/// What every realm's exports come to at each pushed commit: detection runs once per commit
/// for the exports of all realms together (each export belongs to one realm; a source two
/// memberships share is detected once). File exports read one blob; detected ones go through
/// the detection cache under the git dir, so only blobs changed since the last check are read.
struct Detections<'a> {
    members: &'a [Member],
    /// The distinct sources of all memberships' exports.
    sources: Vec<&'a ExportSource>,
    /// Per membership, per export, its source's place in `sources`.
    places: Vec<Vec<usize>>,
    at: HashMap<ObjectId, Vec<Detected>>,
}

impl<'a> Detections<'a> {
    fn new(members: &'a [Member]) -> Self {
        let mut sources: Vec<&ExportSource> = Vec::new();
        let places = members
            .iter()
            .map(|member| {
                member
                    .config
                    .exports
                    .iter()
                    .map(|source| match sources.iter().position(|s| *s == source) {
                        Some(place) => place,
                        None => {
                            sources.push(source);
                            sources.len() - 1
                        }
                    })
                    .collect()
            })
            .collect();
        Detections {
            members,
            sources,
            places,
            at: HashMap::new(),
        }
    }

    /// Which exports of membership `m` differ at `commit` from what `realm` records: the
    /// pre-push hook's one question.
    fn drift_at(&mut self, m: usize, realm: &Snapshot, commit: ObjectId) -> Result<Vec<Drift>> {
        let member = &self.members[m];
        let mine: Vec<(String, Detected)> = if self.members.len() == 1 {
            // One realm: its detection is asked for once per commit, and moved, not copied.
            let sources: Vec<&ExportSource> = member.config.exports.iter().collect();
            let detected =
                detection::detect_sources(&member.repo, &sources, commit, CacheUse::Refresh)?;
            let names = member.config.exports.iter().map(|s| s.name.clone());
            names.zip(detected).collect()
        } else {
            let detected = match self.at.entry(commit) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => slot.insert(detection::detect_sources(
                    &member.repo,
                    &self.sources,
                    commit,
                    CacheUse::Refresh,
                )?),
            };
            member
                .config
                .exports
                .iter()
                .zip(&self.places[m])
                .map(|(source, &place)| (source.name.clone(), detected[place].clone()))
                .collect()
        };
        let detected = detection::as_recorded(member, realm, mine);
        Ok(detection::drift_of(member, realm, &detected))
    }
}

/// What the pre-push hook is given: git's arguments and the refs being pushed.
#[derive(Debug)]
pub struct PrePushOptions {
    /// The remote's name (git's first argument), for its default branch.
    pub remote: Option<String>,
    pub refs: PushedRefs,
    /// Check only this realm's exports and imports; every realm's when `None`.
    pub realm: Option<String>,
}

/// The ref updates being pushed, as the hook received them.
#[derive(Debug)]
pub enum PushedRefs {
    /// git's `<local ref> <local sha> <remote ref> <remote sha>` lines (empty when stdin is a
    /// terminal), as read from stdin.
    Lines(Vec<u8>),
    /// Reading stdin failed.
    Unreadable(std::io::Error),
    /// pre-commit runs the hook with `PRE_COMMIT_*` variables instead of stdin.
    PreCommit {
        local_ref: String,
        to: String,
        remote_ref: String,
        from: String,
    },
}

impl PushedRefs {
    /// pre-commit's `PRE_COMMIT_*` variables, when it is the one running the hook.
    pub fn from_pre_commit() -> Option<PushedRefs> {
        let to = std::env::var("PRE_COMMIT_TO_REF").ok()?;
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        Some(PushedRefs::PreCommit {
            local_ref: std::env::var("PRE_COMMIT_LOCAL_BRANCH")
                .unwrap_or_else(|_| "HEAD".to_owned()),
            to,
            remote_ref: var("PRE_COMMIT_REMOTE_BRANCH"),
            from: var("PRE_COMMIT_FROM_REF"),
        })
    }
}

#[derive(Serialize)]
pub struct PrePushReport {
    realm: String,
    /// The fetched realm commit the pushed exports were compared with.
    realm_commit: String,
    tracked_branch: String,
    mode: PrePush,
    branches: Vec<PushedBranch>,
    blocked: bool,
}

#[derive(Serialize)]
struct PushedBranch {
    branch: String,
    commit: String,
    drift: Vec<Drift>,
    /// Current imports whose binding, at this commit, no longer grants the value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ungranted: Vec<ImportState>,
    blocked: bool,
}

/// Imports current in `realm` whose binding at `commit` no longer grants the value.
fn ungranted_at(
    member: &Member,
    realm: &Snapshot,
    commit: ObjectId,
    today: &str,
) -> Result<Vec<ImportState>> {
    Ok(
        crate::member::bindings::imports_of(member, realm, At::Commit(commit), today)?
            .into_iter()
            .filter(|i| {
                i.status == ImportStatus::Ungranted && i.resolved_version == i.latest_version
            })
            .collect(),
    )
}

impl Report for PrePushReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for pushed in self.branches.iter().filter(|b| !b.drift.is_empty()) {
            let level = if pushed.blocked { "error" } else { "warning" };
            writeln!(
                out,
                "{level}: the push to '{}' ({}) changes exports of realm '{}':",
                pushed.branch,
                &pushed.commit[..7],
                self.realm
            )?;
            for drift in &pushed.drift {
                match &drift.recorded_version {
                    Some(v) => writeln!(
                        out,
                        "  {} (the realm has {v}{})",
                        drift.export,
                        breaking(drift)
                    )?,
                    None => writeln!(out, "  {} (not in the realm yet)", drift.export)?,
                }
                for line in drift
                    .explained
                    .iter()
                    .filter(|_| drift.recorded_version.is_some())
                {
                    writeln!(out, "    {line}")?;
                }
            }
        }
        for pushed in self.branches.iter().filter(|b| !b.ungranted.is_empty()) {
            let level = if pushed.blocked { "error" } else { "warning" };
            writeln!(
                out,
                "{level}: the push to '{}' ({}) stops granting imports of realm '{}':",
                pushed.branch,
                &pushed.commit[..7],
                self.realm
            )?;
            for import in &pushed.ungranted {
                writeln!(
                    out,
                    "  {} from {} ({})",
                    import.contract,
                    import.from,
                    import.binding.as_deref().unwrap_or("no binding")
                )?;
                for line in &import.ungranted {
                    writeln!(out, "    {line}")?;
                }
            }
        }
        Ok(())
    }
}

impl PrePushReport {
    /// The verdict told after the report: why the push is refused and how to go on, or a hint
    /// when drift goes to another branch.
    pub fn verdict(&self) -> Vec<String> {
        let skip =
            "hint: to push anyway, use 'GIT_REALM_SKIP=1 git push' or 'git push --no-verify'";
        let only_grants = self.branches.iter().all(|b| b.drift.is_empty());
        if self.blocked && only_grants {
            vec![
                format!(
                    "error: push to '{}' refused: a binding stops granting a current import",
                    self.tracked_branch
                ),
                "hint: restore the grant in the binding, then push again".to_owned(),
                skip.to_owned(),
            ]
        } else if self.blocked {
            vec![
                format!(
                    "error: push to '{}' refused: the realm must be synced first",
                    self.tracked_branch
                ),
                "hint: run 'git realm sync', then push again".to_owned(),
                skip.to_owned(),
            ]
        } else if self.branches.iter().any(|b| !b.drift.is_empty()) {
            vec![format!(
                "hint: run 'git realm sync' before this reaches '{}'",
                self.tracked_branch
            )]
        } else {
            Vec::new()
        }
    }
}

impl PerRealm<PrePushReport> {
    /// The verdict after the reports of every realm: each line once, however many realms
    /// tell it.
    pub fn verdict(&self) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        for line in self.reports().into_iter().flat_map(PrePushReport::verdict) {
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
        lines
    }
}

fn breaking(drift: &Drift) -> &'static str {
    if drift.breaking {
        "; this change is breaking"
    } else {
        ""
    }
}

/// The pre-push hook: no report when there is nothing to check (`realm.prePush=off`, no realm
/// joined, no branch pushed); a report that blocks the push to the tracked branch
/// ([`Outcome::Findings`]) when it changes exports or stops granting imports. An error other
/// than [`Malformed`] input becomes a warning: the hook then passes.
pub fn pre_push(
    ctx: &Context,
    options: PrePushOptions,
) -> Result<(Option<PerRealm<PrePushReport>>, Outcome)> {
    super::forgiving(ctx, Hook::PrePush, check(ctx, options))
}

fn check(
    ctx: &Context,
    options: PrePushOptions,
) -> Result<(Option<PerRealm<PrePushReport>>, Outcome)> {
    let repo = CodeRepo::discover(&ctx.cwd)?;
    let settings = repo.hook_settings()?;
    if settings.pre_push == PrePush::Off {
        return Ok((None, Outcome::Clean));
    }
    let Some(file) = membership::read_config(&repo)? else {
        return Ok((None, Outcome::Clean));
    };
    let updates = pushed_updates(&repo, options.refs)?;
    let pushed: Vec<(&str, ObjectId)> = updates
        .iter()
        .filter_map(PushUpdate::pushed_branch)
        .collect();
    if pushed.is_empty() {
        return Ok((None, Outcome::Clean));
    }
    let tracked = match &settings.tracked_branch {
        Some(branch) => branch.clone(),
        None => repo.default_branch(options.remote.as_deref()),
    };
    let members = membership::select(repo, file, options.realm.as_deref())?;
    let mut detections = Detections::new(&members);
    let mut reports = Vec::new();
    for (m, member) in members.iter().enumerate() {
        let report = check_realm(
            ctx,
            &mut detections,
            m,
            &pushed,
            &tracked,
            settings.pre_push,
        )?;
        reports.push((member.config.realm.name.clone(), report));
    }
    let outcome = if reports.iter().any(|(_, r)| r.blocked) {
        Outcome::Findings
    } else {
        Outcome::Clean
    };
    Ok((PerRealm::collect(reports), outcome))
}

/// The pushed commits against one realm's exports and imports.
fn check_realm(
    ctx: &Context,
    detections: &mut Detections,
    m: usize,
    pushed: &[(&str, ObjectId)],
    tracked: &str,
    mode: PrePush,
) -> Result<PrePushReport> {
    let member = &detections.members[m];
    let (realm_commit, realm) = member.repo.fetched_realm(&member.config.realm)?;
    let today = ctx.date();
    let mut computed: HashMap<ObjectId, Vec<Drift>> = HashMap::new();
    let mut granted: HashMap<ObjectId, Vec<ImportState>> = HashMap::new();
    let mut branches = Vec::new();
    for &(branch, commit) in pushed {
        // Several branches often point at one commit: compute it once.
        let drift = match computed.entry(commit) {
            Entry::Occupied(known) => known.get().clone(),
            Entry::Vacant(slot) => slot.insert(detections.drift_at(m, &realm, commit)?).clone(),
        };
        let ungranted = match granted.entry(commit) {
            Entry::Occupied(known) => known.get().clone(),
            Entry::Vacant(slot) => slot
                .insert(ungranted_at(member, &realm, commit, &today)?)
                .clone(),
        };
        let blocked = (!drift.is_empty() || !ungranted.is_empty())
            && branch == tracked
            && mode == PrePush::Block;
        branches.push(PushedBranch {
            branch: branch.to_owned(),
            commit: commit.to_string(),
            drift,
            ungranted,
            blocked,
        });
    }
    Ok(PrePushReport {
        realm: member.config.realm.name.clone(),
        realm_commit: realm_commit.to_string(),
        blocked: branches.iter().any(|b| b.blocked),
        tracked_branch: tracked.to_owned(),
        mode,
        branches,
    })
}

/// Input git never gives the pre-push hook: the push is stopped (exit 2), not waved through.
#[derive(Debug)]
pub struct Malformed;

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("pre-push hook: the pushed refs on stdin are not what git sends")
    }
}

impl std::error::Error for Malformed {}

/// The ref updates being pushed, each line of git's checked.
fn pushed_updates(repo: &CodeRepo, refs: PushedRefs) -> Result<Vec<PushUpdate>> {
    match refs {
        PushedRefs::PreCommit {
            local_ref,
            to,
            remote_ref,
            from,
        } => Ok(PushUpdate::new(&[&local_ref, &to, &remote_ref, &from])
            .into_iter()
            .collect()),
        PushedRefs::Unreadable(e) => {
            Err(anyhow::Error::new(e).context("failed to read the pushed refs from stdin"))
        }
        PushedRefs::Lines(bytes) => parse_stdin(repo, &bytes).map_err(|e| e.context(Malformed)),
    }
}

/// git's `<local ref> <local sha> <remote ref> <remote sha>` lines, each checked: anything
/// else (a NUL byte, a line of other fields, an object this repository does not have) is
/// refused.
fn parse_stdin(repo: &CodeRepo, bytes: &[u8]) -> Result<Vec<PushUpdate>> {
    let hint = "the push was stopped: git-realm's hook reads only what 'git push' gives it; \
                to push without the hook, use 'git push --no-verify'";
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(BadInput::new(format!("a NUL byte at offset {at}"), hint).into());
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| BadInput::new(format!("not UTF-8 text: {e}"), hint))?;
    let mut updates = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let remote_id = fields.get(3).map(|f| ObjectId::from_hex(f.as_bytes()));
        let (Some(update), Some(Ok(remote_id))) = (PushUpdate::new(&fields), remote_id) else {
            return Err(BadInput::new(
                format!(
                    "line {} is not `<local ref> <local sha> <remote ref> <remote sha>`: `{line}`",
                    n + 1
                ),
                hint,
            )
            .into());
        };
        let kind = repo.object_hash();
        if let Some(other) = [update.local_commit, Some(remote_id)]
            .into_iter()
            .flatten()
            .find(|id| id.kind() != kind)
        {
            return Err(BadInput::new(
                format!(
                    "line {} names object {other}, which is not a {kind} object id as this repository's are",
                    n + 1
                ),
                hint,
            )
            .into());
        }
        if let Some(id) = update.local_commit
            && !repo.has_object(id)
        {
            return Err(BadInput::new(
                format!(
                    "line {} names object {id}, which this repository does not have",
                    n + 1
                ),
                hint,
            )
            .into());
        }
        updates.push(update);
    }
    Ok(updates)
}
