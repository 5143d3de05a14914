//! Computing an export's value from this repository, at a commit or in the working tree.

use anyhow::Result;
use gix::ObjectId;
use serde_json::Value;

use super::membership::Member;
use crate::detect::{self, Detector, Findings};
use crate::error::BadInput;
use crate::git::detect_cache::{self, DetectCache};
use crate::git::{CodeRepo, WorktreeEntry};
use crate::realm::config::ExportSource;
use crate::realm::drift::{self, Drift};
use crate::realm::join::Candidate;
use crate::realm::snapshot::Snapshot;
use crate::realm::yaml;

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

/// The value `source` yields at `at` (`None`: HEAD).
pub fn compute(
    repo: &CodeRepo,
    source: &ExportSource,
    at: Option<At>,
    cache: CacheUse,
) -> Result<Value> {
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
        return Ok(yaml::from_slice(file, &bytes)?);
    }
    let detector = Reader {
        detector: Detector::new(source)?,
        exclude: &source.exclude,
    };
    let mut findings: Vec<Findings> = Vec::new();
    match at {
        At::Commit(commit) => return detect_at_commit(repo, source, &detector, commit, cache),
        At::Worktree => {
            for path in repo.worktree_files()? {
                if detector.wants(&path)
                    && let Some(bytes) = repo.worktree_file(&path)?
                {
                    findings.push(detector.scan(&path, &bytes));
                }
            }
        }
    }
    let keys = detector.detector.keys();
    Ok(detect::assemble(std::iter::once(&keys).chain(&findings)))
}

/// A detector and the files its export's source leaves out.
struct Reader<'a> {
    detector: Detector,
    exclude: &'a [String],
}

impl Reader<'_> {
    fn wants(&self, path: &[u8]) -> bool {
        !self.exclude.iter().any(|e| e.as_bytes() == path) && self.detector.wants(path)
    }

    fn scan(&self, path: &[u8], data: &[u8]) -> Findings {
        self.detector.scan(path, data)
    }
}

/// The value from the cached findings, with every key the detector fills.
fn assemble(detector: &Reader, cache: &DetectCache) -> Value {
    let keys = detector.detector.keys();
    detect::assemble(std::iter::once(&keys).chain(cache.files.values()))
}

/// Detection over a commit's blobs, reading only the files that changed since the tree the
/// cache describes.
fn detect_at_commit(
    repo: &CodeRepo,
    source: &ExportSource,
    detector: &Reader,
    commit: ObjectId,
    cache_use: CacheUse,
) -> Result<Value> {
    let tree = repo.commit_tree(commit)?;
    let fingerprint = detect_cache::fingerprint(source);
    let mut cache = match repo.load_detect_cache(&fingerprint) {
        Some((cached, cache)) if cached == tree => {
            return Ok(assemble(detector, &cache));
        }
        Some((cached, mut cache)) if repo.repo.has_object(cached) => {
            for (path, blob) in repo.changed_files(cached, tree)? {
                let key = path.to_string();
                cache.files.remove(&key);
                if let Some(blob) = blob.filter(|_| detector.wants(&path)) {
                    let found = detector.scan(&path, &repo.blob(blob)?);
                    if detect::found_any(&found) {
                        cache.files.insert(key, found);
                    }
                }
            }
            cache
        }
        _ => {
            let mut files = repo.files_at(commit)?;
            files.retain(|file| detector.wants(&file.path));
            let found = repo.map_blobs(&files, |file, data| detector.scan(&file.path, data))?;
            let files = files
                .iter()
                .zip(found)
                .filter(|(_, found)| detect::found_any(found));
            DetectCache {
                tree: String::new(),
                files: files
                    .map(|(file, found)| (file.path.to_string(), found))
                    .collect(),
            }
        }
    };
    cache.tree = tree.to_string();
    if cache_use == CacheUse::Refresh {
        repo.save_detect_cache(&fingerprint, &cache);
    }
    Ok(assemble(detector, &cache))
}

/// Every export of this domain whose computed value at `at` differs from the realm's.
pub fn drift(member: &Member, snapshot: &Snapshot, at: At) -> Result<Vec<Drift>> {
    let values = computed(member, at, CacheUse::Refresh)?;
    Ok(drift::compare(
        snapshot,
        &member.config.realm.domain,
        values,
    ))
}

/// The value of every export this repository computes (sources in `.realm/config.yaml`).
pub fn computed(member: &Member, at: At, cache: CacheUse) -> Result<Vec<(String, Value)>> {
    member
        .config
        .exports
        .iter()
        .map(|source| {
            Ok((
                source.name.clone(),
                compute(&member.repo, source, Some(at), cache)?,
            ))
        })
        .collect()
}

/// The built-in preset's export name.
pub const S3_EXPORT: &str = "required-s3-permissions";

/// What `join` finds in a repository: the s3 preset's export, when the code uses S3.
///
/// `bindings` are files that use other domains' exports; they are left out, so a policy that
/// grants another domain's paths does not make this domain export them too.
pub fn detect_on_join(
    repo: &CodeRepo,
    head: ObjectId,
    bindings: &[String],
) -> Result<Option<(ExportSource, Value)>> {
    let mut source = ExportSource::s3(S3_EXPORT);
    source.exclude = bindings.to_vec();
    source.exclude.sort();
    source.exclude.dedup();
    let value = compute(repo, &source, Some(At::Commit(head)), CacheUse::Refresh)?;
    let found = value.as_object().is_some_and(|o| {
        o.values()
            .any(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    });
    Ok(found.then_some((source, value)))
}

/// The text files of `head` that are not vendored, for matching against other domains' exports.
pub fn text_files(repo: &CodeRepo, head: ObjectId) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for file in repo.files_at(head)? {
        let path = file.path.to_string();
        if path.starts_with(".realm/") || detect::is_vendored(path.as_bytes()) {
            continue;
        }
        let data = repo.blob(file.id)?;
        if !detect::is_binary(&data) {
            out.push((path, data));
        }
    }
    Ok(out)
}

/// Every other domain's export that one of `files` mentions, with the first such file.
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
            if let Some((path, _)) = files
                .iter()
                .find(|(_, data)| detect::mentions(&export.name, &values, data))
            {
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
