//! Computing an export's value from this repository, at a commit or in the working tree.

use std::collections::BTreeMap;

use anyhow::Result;
use gix::ObjectId;
use serde::Serialize;
use serde_json::Value;

use super::Member;
use crate::detect::{self, Detector, Findings, LeftOut};
use crate::error::BadInput;
use crate::git::detect_cache::{self, DetectCache};
use crate::git::notes::RealmWrite;
use crate::git::warn_missing;
use crate::git::{CodeRepo, WorktreeEntry};
use crate::realm::config::{DetectorKind, ExportSource};
use crate::realm::drift::{self, Drift};
use crate::realm::join::Candidate;
use crate::realm::model::ExportsFile;
use crate::realm::snapshot::Snapshot;
use crate::realm::sync::facts_of_subject;
use crate::realm::yaml;

/// Files larger than this are not read for detection: they are data, bundles or generated
/// code, and reading them would cost more than all the source around them.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Where values are computed: a commit's blobs, or the working tree as it is.
#[derive(Debug, Clone, Copy)]
pub enum At {
    Commit(ObjectId),
    Worktree,
}

/// Whether a computation may refresh the detection cache under the git dir.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    Refresh,
    /// For runs that promise to write nothing at all (`sync --dry-run`).
    ReadOnly,
}

/// An export's value and where each of its items came from.
#[derive(Debug, Clone, Serialize)]
pub struct Detected {
    #[serde(skip)]
    pub value: Value,
    /// Per key (`read`, `write`, …), each item with the `path:line`s it was found at.
    pub sources: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Patterns the code shows that the export leaves out, and why.
    pub left_out: Vec<LeftOutAt>,
}

/// A pattern left out of the value, at `path:line`.
#[derive(Debug, Clone, Serialize)]
pub struct LeftOutAt {
    pub pattern: String,
    pub at: String,
    pub reason: detect::Reason,
}

impl Detected {
    fn of_value(value: Value) -> Detected {
        Detected {
            value,
            sources: BTreeMap::new(),
            left_out: Vec::new(),
        }
    }

    fn of_findings<'a>(
        keys: &'a Findings,
        files: impl IntoIterator<Item = (&'a str, &'a Findings)> + Clone,
    ) -> Detected {
        let sources = detect::merge(std::iter::once(("", keys)).chain(files.clone()));
        let mut left_out: Vec<LeftOutAt> = files
            .into_iter()
            .flat_map(|(path, f)| {
                f.left_out.iter().map(
                    move |LeftOut {
                              pattern,
                              line,
                              reason,
                          }| LeftOutAt {
                        pattern: pattern.clone(),
                        at: format!("{path}:{line}"),
                        reason: *reason,
                    },
                )
            })
            .collect();
        left_out.sort_by(|a, b| (&a.pattern, &a.at).cmp(&(&b.pattern, &b.at)));
        Detected {
            value: detect::value_of(&sources),
            sources,
            left_out,
        }
    }

    /// Placeholders standing for buckets in this value (`${S3_BUCKET}/…`): not mapped in
    /// `variables:`.
    pub fn unmapped_variables(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .sources
            .values()
            .flat_map(|items| items.keys())
            .filter_map(|item| {
                let name = item.strip_prefix("${")?.split_once('}')?.0;
                Some(name.to_owned())
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The same detection with every item's bucket prefix `prefix` taken off: the value as an
    /// export published before values kept their bucket spells it.
    fn relative_to(mut self, prefix: &str) -> Detected {
        for items in self.sources.values_mut() {
            *items = std::mem::take(items)
                .into_iter()
                .map(|(item, places)| {
                    (
                        item.strip_prefix(prefix)
                            .map_or(item.clone(), str::to_owned),
                        places,
                    )
                })
                .collect();
        }
        self.value = detect::value_of(&self.sources);
        self
    }
}

/// The value `source` yields at `at` (`None`: HEAD), with where each item came from.
pub fn detect_export(
    repo: &CodeRepo,
    source: &ExportSource,
    at: Option<At>,
    cache: CacheUse,
) -> Result<Detected> {
    let at = match at {
        Some(at) => at,
        None => At::Commit(repo.head_commit().ok_or_else(|| {
            BadInput::new(
                "this repository has no commit yet",
                "commit the code the export is computed from first",
            )
        })?),
    };
    if let Some(file) = &source.file {
        let bytes = match at {
            At::Commit(commit) => repo.file_at(commit, file)?,
            At::Worktree => {
                if let WorktreeEntry::Symlink(link) = repo.worktree_entry(file) {
                    return Err(BadInput::new(
                        format!(
                            "export `{}` reads `{file}`, which is reached through the symlink `{link}`",
                            source.name
                        ),
                        "name the file the link points to in .realm/config.yaml",
                    )
                    .into());
                }
                repo.worktree_file(file.as_bytes())?
            }
        };
        let bytes = bytes.ok_or_else(|| {
            BadInput::new(
                format!(
                    "export `{}` reads `{file}`, which does not exist here",
                    source.name
                ),
                "restore the file, or change the export's source in .realm/config.yaml",
            )
        })?;
        return Ok(Detected::of_value(yaml::from_slice(file, &bytes)?));
    }
    let detector = Detector::new(source)?;
    match at {
        At::Commit(commit) => detect_at_commit(repo, source, &detector, commit, cache),
        At::Worktree => {
            let mut findings: Vec<(String, Findings)> = Vec::new();
            for path in repo.worktree_files()? {
                if detector.wants(&path)
                    && let Some(bytes) = repo.worktree_file(&path)?
                    && bytes.len() as u64 <= MAX_FILE_BYTES
                {
                    if let Some(found) = detector.found(&path, &bytes) {
                        findings.push((path.to_string(), found));
                    }
                }
            }
            let keys = detector.keys();
            Ok(Detected::of_findings(
                &keys,
                findings.iter().map(|(p, f)| (p.as_str(), f)),
            ))
        }
    }
}

/// Detection over a commit's blobs, reading only the files that changed since the tree the
/// cache describes.
fn detect_at_commit(
    repo: &CodeRepo,
    source: &ExportSource,
    detector: &Detector,
    commit: ObjectId,
    cache_use: CacheUse,
) -> Result<Detected> {
    let tree = repo.commit_tree(commit)?;
    let fingerprint = detect_cache::fingerprint(source);
    let keys = detector.keys();
    let assembled = |cache: &DetectCache| {
        Detected::of_findings(&keys, cache.files.iter().map(|(p, f)| (p.as_str(), f)))
    };
    let mut cache = match repo.load_detect_cache(&fingerprint) {
        Some((cached, cache)) if cached == tree => {
            return Ok(assembled(&cache));
        }
        Some((cached, mut cache)) if repo.has_object(cached) => {
            let mut changed = Vec::new();
            for (path, blob) in repo.changed_files(cached, tree)? {
                cache.files.remove(&path.to_string());
                if let Some(id) = blob.filter(|_| detector.wants(&path)) {
                    changed.push(crate::git::TreeFile { path, id });
                }
            }
            let found = repo.map_blobs(&changed, MAX_FILE_BYTES, |file, data| {
                detector.found(&file.path, data).map(Box::new)
            })?;
            warn_missing(&found.missing);
            for (file, found) in changed.iter().zip(found.values) {
                if let Some(found) = found.flatten() {
                    cache.files.insert(file.path.to_string(), *found);
                }
            }
            cache
        }
        _ => {
            let files = repo.files_at(commit, |path| detector.wants(path))?;
            // What a file shows nothing in is dropped on the thread that scanned it, and the
            // rest is boxed: one word per file of 100k, not the findings' size.
            let found = repo.map_blobs(&files, MAX_FILE_BYTES, |file, data| {
                detector.found(&file.path, data).map(Box::new)
            })?;
            warn_missing(&found.missing);
            let files = files
                .iter()
                .zip(found.values)
                .filter_map(|(file, found)| Some((file, found.flatten()?)));
            DetectCache {
                tree: String::new(),
                files: files
                    .map(|(file, found)| (file.path.to_string(), *found))
                    .collect(),
            }
        }
    };
    cache.tree = tree.to_string();
    if cache_use == CacheUse::Refresh {
        repo.save_detect_cache(&fingerprint, &cache);
    }
    Ok(assembled(&cache))
}

/// The values of `sources` at `commit`, in their order, each as [`detect_export`] computes it:
/// what the pre-push hook detects once for the exports of every realm. Detected exports whose
/// caches describe the same tree share one walk of the files changed since and one read of
/// each blob, scanned by every detector that wants it.
pub fn detect_sources(
    repo: &CodeRepo,
    sources: &[&ExportSource],
    commit: ObjectId,
    cache_use: CacheUse,
) -> Result<Vec<Detected>> {
    if sources.iter().filter(|s| s.file.is_none()).count() <= 1 {
        return sources
            .iter()
            .map(|source| detect_export(repo, source, Some(At::Commit(commit)), cache_use))
            .collect();
    }
    struct Pending {
        at: usize,
        detector: Detector,
        fingerprint: String,
        cache: DetectCache,
    }
    let tree = repo.commit_tree(commit)?;
    let mut out: Vec<Option<Detected>> = vec![None; sources.len()];
    // Pending detections, grouped by the tree their cache describes (`None`: no usable cache).
    let mut groups: Vec<(Option<ObjectId>, Vec<Pending>)> = Vec::new();
    for (at, source) in sources.iter().enumerate() {
        if source.file.is_some() {
            out[at] = Some(detect_export(
                repo,
                source,
                Some(At::Commit(commit)),
                cache_use,
            )?);
            continue;
        }
        let detector = Detector::new(source)?;
        let fingerprint = detect_cache::fingerprint(*source);
        let (base, cache) = match repo.load_detect_cache(&fingerprint) {
            Some((cached, cache)) if cached == tree => {
                out[at] = Some(Detected::of_findings(
                    &detector.keys(),
                    cache.files.iter().map(|(p, f)| (p.as_str(), f)),
                ));
                continue;
            }
            Some((cached, cache)) if repo.has_object(cached) => (Some(cached), cache),
            _ => (None, DetectCache::default()),
        };
        let pending = Pending {
            at,
            detector,
            fingerprint,
            cache,
        };
        match groups.iter_mut().find(|(b, _)| *b == base) {
            Some((_, group)) => group.push(pending),
            None => groups.push((base, vec![pending])),
        }
    }
    for (base, mut group) in groups {
        let files = match base {
            Some(cached) => {
                let mut changed = Vec::new();
                for (path, blob) in repo.changed_files(cached, tree)? {
                    let key = path.to_string();
                    for pending in &mut group {
                        pending.cache.files.remove(&key);
                    }
                    if let Some(id) = blob.filter(|_| group.iter().any(|p| p.detector.wants(&path)))
                    {
                        changed.push(crate::git::TreeFile { path, id });
                    }
                }
                changed
            }
            None => repo.files_at(commit, |path| group.iter().any(|p| p.detector.wants(path)))?,
        };
        // Per file, what each detector found, or `None` when none found anything (most files).
        let found = repo.map_blobs(&files, MAX_FILE_BYTES, |file, data| {
            let mut found: Option<Vec<Option<Findings>>> = None;
            for (at, p) in group.iter().enumerate() {
                if p.detector.wants(&file.path)
                    && let Some(one) = p.detector.found(&file.path, data)
                {
                    found.get_or_insert_with(|| vec![None; group.len()])[at] = Some(one);
                }
            }
            found
        })?;
        warn_missing(&found.missing);
        for (file, found) in files.iter().zip(found.values) {
            for (pending, found) in group.iter_mut().zip(found.into_iter().flatten().flatten()) {
                if let Some(found) = found {
                    pending.cache.files.insert(file.path.to_string(), found);
                }
            }
        }
        for mut pending in group {
            pending.cache.tree = tree.to_string();
            if cache_use == CacheUse::Refresh {
                repo.save_detect_cache(&pending.fingerprint, &pending.cache);
            }
            out[pending.at] = Some(Detected::of_findings(
                &pending.detector.keys(),
                pending.cache.files.iter().map(|(p, f)| (p.as_str(), f)),
            ));
        }
    }
    Ok(out
        .into_iter()
        .map(|d| d.expect("every source detected"))
        .collect())
}

/// The realm write (of `writes`, oldest first) that published `version` of `export`: the one
/// whose subject names it (a sync), else the oldest of the latest run of writes whose exports
/// file holds it (a join publishes without naming them; later writes may only carry it on).
fn published_from<'a>(
    repo: &CodeRepo,
    domain: &str,
    writes: &'a [RealmWrite],
    export: &str,
    version: &str,
) -> Option<&'a RealmWrite> {
    let path = format!("domains/{domain}/exports.yaml");
    let mut found = None;
    for write in writes.iter().rev() {
        let (named, _) = facts_of_subject(domain, &write.subject);
        let holds = match named.into_iter().find(|(name, _)| name == export) {
            Some((_, v)) if v == version => return Some(write),
            Some(_) => false,
            None => repo
                .file_at(write.commit, &path)
                .ok()
                .flatten()
                .and_then(|bytes| yaml::from_slice::<ExportsFile>(&path, &bytes).ok())
                .is_some_and(|file| {
                    file.exports
                        .iter()
                        .any(|e| e.name == export && e.version == version)
                }),
        };
        if holds {
            found = Some(write);
        } else if found.is_some() {
            break;
        }
    }
    found
}

/// Every export of this domain whose computed value at `at` differs from the realm's.
pub fn drift(member: &Member, snapshot: &Snapshot, at: At) -> Result<Vec<Drift>> {
    let detected = explained(member, snapshot, at, CacheUse::Refresh)?;
    Ok(drift_of(member, snapshot, &detected))
}

/// The drift of exports already detected.
pub fn drift_of(
    member: &Member,
    snapshot: &Snapshot,
    detected: &[(String, Detected)],
) -> Vec<Drift> {
    let mut drifts = drift::compare(
        snapshot,
        &member.config.realm.domain,
        detected
            .iter()
            .map(|(name, d)| (name.clone(), d.value.clone(), d.sources.clone()))
            .collect(),
    );
    // Only a drift that removes something pays for reading the realm's history.
    if drifts.iter().any(Drift::removes) {
        locate_removed(member, snapshot, &mut drifts);
    }
    drifts
}

/// Where each removed item was in the code: the realm commit that published the recorded
/// version names, in its `Source-Commit:`, the code commit its value came from; when this
/// repository has that commit, the export is detected there (from the cache, reading only the
/// files changed since) and each removed item gets its `path:line`s. Anything missing leaves
/// the drift as it is.
fn locate_removed(member: &Member, snapshot: &Snapshot, drifts: &mut [Drift]) {
    let realm = &member.config.realm;
    let repo = &member.repo;
    let Ok(Some(tip)) = repo.ref_target(&CodeRepo::realm_ref(&realm.name, &realm.branch)) else {
        return;
    };
    let Ok(writes) = repo.realm_writes(&realm.domain, tip, None) else {
        return;
    };
    for drift in drifts.iter_mut().filter(|d| d.removes()) {
        let (Some(version), Some(source)) =
            (&drift.recorded_version, member.config.source(&drift.export))
        else {
            continue;
        };
        if source.file.is_some() {
            continue;
        }
        let Some(write) = published_from(repo, &realm.domain, &writes, &drift.export, version)
        else {
            continue;
        };
        let Ok(detected) = detect_export(
            repo,
            source,
            Some(At::Commit(write.source)),
            CacheUse::ReadOnly,
        ) else {
            continue;
        };
        let recorded = snapshot
            .export(&realm.domain, &drift.export)
            .map(|e| &e.value);
        let detected = migrate(source, recorded, detected);
        let short = write.source.to_hex_with_len(7).to_string();
        drift.locate_removed(&short, &detected.sources);
    }
}

/// One line on stderr per export that leaves patterns out, and per placeholder bucket no one
/// mapped, pointing at `check --explain`.
pub fn note_left_out(ctx: &crate::context::Context, detected: &[(String, Detected)]) {
    for (name, d) in detected {
        if !d.left_out.is_empty() {
            let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
            for l in &d.left_out {
                *reasons.entry(l.reason.describe()).or_default() += 1;
            }
            let reasons: Vec<String> = reasons.iter().map(|(r, n)| format!("{r}: {n}")).collect();
            ctx.note(format!(
                "note: export '{name}' leaves out {} pattern{} ({}); 'git realm check --explain' lists them",
                d.left_out.len(),
                if d.left_out.len() == 1 { "" } else { "s" },
                reasons.join(", ")
            ));
        }
        let unmapped = d.unmapped_variables();
        if !unmapped.is_empty() {
            ctx.note(format!(
                "note: export '{name}' has buckets written as placeholders: {}; map them in .realm/config.yaml (`variables: {{{}: <bucket>}}`)",
                unmapped
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                unmapped[0]
            ));
        }
    }
}

/// The value of every export this repository computes, each with its sources, as the realm
/// will take it (see [`migrate`]).
pub fn explained(
    member: &Member,
    snapshot: &Snapshot,
    at: At,
    cache: CacheUse,
) -> Result<Vec<(String, Detected)>> {
    Ok(as_recorded(
        member,
        snapshot,
        detect_all(member, at, cache)?,
    ))
}

/// Every export this repository computes (sources in `.realm/config.yaml`), as detected.
pub fn detect_all(member: &Member, at: At, cache: CacheUse) -> Result<Vec<(String, Detected)>> {
    member
        .config
        .exports
        .iter()
        .map(|source| {
            Ok((
                source.name.clone(),
                detect_export(&member.repo, source, Some(at), cache)?,
            ))
        })
        .collect()
}

/// Detected values as `snapshot`'s realm will take them (see [`migrate`]).
pub fn as_recorded(
    member: &Member,
    snapshot: &Snapshot,
    detected: Vec<(String, Detected)>,
) -> Vec<(String, Detected)> {
    detected
        .into_iter()
        .map(|(name, detected)| {
            let detected = match member.config.source(&name) {
                Some(source) => {
                    let recorded = snapshot
                        .export(&member.config.realm.domain, &name)
                        .map(|e| &e.value);
                    migrate(source, recorded, detected)
                }
                None => detected,
            };
            (name, detected)
        })
        .collect()
}

/// Exports published before values kept their bucket wrote keys without it. When the realm's
/// value is such a one, the code still uses a single bucket, and the config names none, the
/// keys keep that spelling: what changed in the code shows as drift, the new spelling does not.
/// Naming the bucket (`buckets: [name]`) makes it explicit and ends the guess.
pub fn migrate(source: &ExportSource, recorded: Option<&Value>, detected: Detected) -> Detected {
    if source.detect != Some(DetectorKind::S3) || !source.buckets.is_empty() {
        return detected;
    }
    let Some(recorded) = recorded.and_then(Value::as_object) else {
        return detected;
    };
    let mut buckets = detected
        .sources
        .values()
        .flat_map(|items| items.keys())
        .filter_map(|item| item.split_once('/').map(|(bucket, _)| bucket));
    let Some(bucket) = buckets.next() else {
        return detected;
    };
    if buckets.any(|b| b != bucket) {
        return detected;
    }
    let prefix = format!("{bucket}/");
    let old_items = recorded
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str);
    let mut any = false;
    for item in old_items {
        if item.starts_with(&prefix) {
            return detected;
        }
        any = true;
    }
    if any {
        detected.relative_to(&prefix)
    } else {
        detected
    }
}

/// How many left-out patterns `join` names when it exports nothing.
const LEFT_OUT_LISTED: usize = 5;

/// The built-in preset's export name.
pub const S3_EXPORT: &str = "required-s3-permissions";

/// What `join` finds in a repository: the s3 preset's export, when the code uses S3.
///
/// `bindings` are files that use other domains' exports; they are left out, so a policy that
/// grants another domain's paths does not make this domain export them too.
///
/// A bucket written as a placeholder is mapped (`variables:`) to the one bucket a constant of
/// that name is given anywhere in `files`; when every pattern then lies in one bucket, the
/// export names it (`buckets: [it]`) and its keys are written without it, as the RFC does.
pub fn detect_on_join(
    ctx: &crate::context::Context,
    repo: &CodeRepo,
    head: ObjectId,
    bindings: &[String],
    files: &[(String, Vec<u8>)],
) -> Result<Option<(ExportSource, Value)>> {
    let mut source = ExportSource::s3(S3_EXPORT);
    source.exclude = bindings.to_vec();
    source.exclude.sort();
    source.exclude.dedup();
    // The probes write no cache: only the source `join` settles on is checked again later.
    let detected = detect_export(repo, &source, Some(At::Commit(head)), CacheUse::ReadOnly)?;
    let items: Vec<&String> = detected
        .sources
        .values()
        .flat_map(|items| items.keys())
        .collect();
    if items.is_empty() {
        // Nothing exported, so no `check --explain` to ask: say here what was left out.
        for l in detected.left_out.iter().take(LEFT_OUT_LISTED) {
            ctx.note(format!(
                "note: left out ({}): {} at {}",
                l.reason.describe(),
                l.pattern,
                l.at
            ));
        }
        if detected.left_out.len() > LEFT_OUT_LISTED {
            ctx.note(format!(
                "note: and {} more left out",
                detected.left_out.len() - LEFT_OUT_LISTED
            ));
        }
        return Ok(None);
    }
    let variables: std::collections::BTreeSet<&str> = items
        .iter()
        .filter_map(|item| item.strip_prefix("${")?.split_once('}').map(|(v, _)| v))
        .collect();
    for name in variables {
        let values = detect::constant_values(
            name,
            files
                .iter()
                .filter(|(path, _)| detect::runs(path.as_bytes()))
                .map(|(_, data)| data.as_slice()),
        );
        if values.len() == 1 {
            let value = values.into_iter().next().expect("one");
            source.variables.insert(name.to_owned(), value);
        }
    }
    let probed = detect_export(repo, &source, Some(At::Commit(head)), CacheUse::ReadOnly)?;
    let buckets: std::collections::BTreeSet<&str> = probed
        .sources
        .values()
        .flat_map(|items| items.keys())
        .filter_map(|item| item.split_once('/').map(|(bucket, _)| bucket))
        .collect();
    if buckets.len() == 1 {
        let bucket = buckets.into_iter().next().expect("one").to_owned();
        if !bucket.contains("${") {
            source.buckets = vec![bucket];
        }
    }
    let detected = detect_export(repo, &source, Some(At::Commit(head)), CacheUse::Refresh)?;
    note_left_out(ctx, &[(source.name.clone(), detected.clone())]);
    Ok(Some((source, detected.value)))
}

/// The text files of `head` that are not vendored, for matching against other domains' exports.
pub fn text_files(repo: &CodeRepo, head: ObjectId) -> Result<Vec<(String, Vec<u8>)>> {
    let files = repo.files_at(head, |path| {
        !path.starts_with(b".realm/")
            && !detect::is_vendored(path)
            && !detect::has_binary_extension(path)
    })?;
    let read = repo.map_blobs(&files, MAX_FILE_BYTES, |_, data| {
        (!detect::is_binary(data)).then(|| data.to_vec())
    })?;
    warn_missing(&read.missing);
    Ok(files
        .iter()
        .zip(read.values)
        .filter_map(|(file, data)| Some((file.path.to_string(), data.flatten()?)))
        .collect())
}

/// Every other domain's export that one of `files` mentions, with the first such file. A file
/// that names the export counts; one that only shows its values must also grant S3 access
/// (an IAM statement, a CDK grant, a bucket policy): using the same paths is not binding them.
pub fn candidate_imports(
    snapshot: &Snapshot,
    domain: &str,
    files: &[(String, Vec<u8>)],
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (provider, state) in snapshot
        .domains
        .iter()
        .filter(|(name, _)| name.as_str() != domain)
    {
        for export in &state.exports.exports {
            let mut values = Vec::new();
            string_leaves(&export.value, &mut values);
            if let Some((path, _)) = files.iter().find(|(_, data)| {
                detect::mentions(&export.name, &[], data)
                    || (detect::grants(data) && detect::mentions(&export.name, &values, data))
            }) {
                out.push(Candidate {
                    contract: export.name.clone(),
                    from: provider.clone(),
                    binding: path.clone(),
                    binding_blob: None,
                });
            }
        }
    }
    out
}

fn string_leaves(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| string_leaves(v, out)),
        Value::Object(map) => map.values().for_each(|v| string_leaves(v, out)),
        _ => {}
    }
}
