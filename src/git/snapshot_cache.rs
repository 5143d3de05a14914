//! Parsed realm domains kept between runs, under the git dir: what each directory under
//! `domains/` yielded, keyed by its name and tree id, so a realm that changed by one domain
//! re-parses one domain. Safe to delete (the next run parses everything again), and never
//! wrong: a tree id names the files exactly, the file is keyed by git-realm's version, and a
//! domain is kept only when it reads back exactly as it was parsed.
//!
//! The file: [`MAGIC`], then one record per domain: the key `<tree id> <name>` and the
//! domain in the encoding of [`codec`], each after its length (4 bytes, little-endian). A run
//! decodes the records it uses only; decoding builds the values directly, so a realm of
//! 10,000 domains loads in a few tens of milliseconds.

mod codec;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::PathBuf;

use anyhow::Result;
use gix::ObjectId;

use super::{CodeRepo, TreeSource};
use crate::realm::snapshot::{DomainCache, DomainLoad, Scope, Snapshot};

/// Changes when what a record means does; with the version, names the cache file.
const FORMAT: u32 = 2;

/// How every cache file starts; a file that does not is ignored (and rewritten).
const MAGIC: &[u8; 8] = b"realm\0\x03\n";

/// How many trees of one domain are kept: the current one and the one before, so commands
/// that read two realm commits (a hook comparing before and after) do not evict each other.
const KEPT_PER_DOMAIN: usize = 2;

/// The domains of one realm tree, taken from the cache where their tree was seen before.
pub(super) struct SnapshotCache {
    path: PathBuf,
    /// The tree of each directory under `domains/` in the realm being loaded.
    trees: HashMap<String, ObjectId>,
    /// The cache file as read.
    data: Vec<u8>,
    /// Its records: where the key (`<tree id> <name>`) and the encoded domain are in
    /// `data`, in file order.
    records: Vec<(Range<usize>, Range<usize>)>,
    /// The record of each key.
    by_key: HashMap<String, usize>,
    /// The records this run used or made, in order, by key.
    used: Vec<(String, Body)>,
    changed: bool,
}

/// An encoded domain: in a record of the file as read, or made by this run.
enum Body {
    Record(usize),
    New(Vec<u8>),
}

fn key(tree: &ObjectId, name: &str) -> String {
    format!("{tree} {name}")
}

/// The records of a cache file: (key, body) ranges, up to the first that is cut short or
/// whose key is not text. Nothing for a file that does not start with [`MAGIC`].
fn records(data: &[u8]) -> Vec<(Range<usize>, Range<usize>)> {
    let mut out = Vec::new();
    if !data.starts_with(MAGIC) {
        return out;
    }
    let mut at = MAGIC.len();
    let field = |at: &mut usize| -> Option<Range<usize>> {
        let len = data.get(*at..*at + 4)?;
        let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
        let start = *at + 4;
        let end = start.checked_add(len).filter(|&end| end <= data.len())?;
        *at = end;
        Some(start..end)
    };
    while at < data.len() {
        let (Some(key), Some(body)) = (field(&mut at), field(&mut at)) else {
            break;
        };
        if std::str::from_utf8(&data[key.clone()]).is_err() {
            break;
        }
        out.push((key, body));
    }
    out
}

fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

impl SnapshotCache {
    fn new(path: PathBuf, trees: HashMap<String, ObjectId>) -> Self {
        let data = std::fs::read(&path).unwrap_or_default();
        let records = records(&data);
        let mut by_key = HashMap::with_capacity(records.len());
        for (i, (key, _)) in records.iter().enumerate() {
            // Checked to be text when the records were found.
            let key = std::str::from_utf8(&data[key.clone()]).unwrap_or_default();
            by_key.entry(key.to_owned()).or_insert(i);
        }
        SnapshotCache {
            path,
            trees,
            data,
            records,
            by_key,
            used: Vec::new(),
            changed: false,
        }
    }

    fn key_of(&self, record: usize) -> &str {
        std::str::from_utf8(&self.data[self.records[record].0.clone()]).unwrap_or_default()
    }

    /// Write the cache back when this run parsed something: the records it used, and of the
    /// others, the newest for each domain up to [`KEPT_PER_DOMAIN`]. A failure to write only
    /// costs the next run time, so it is not an error.
    pub(super) fn save(self) {
        if !self.changed {
            return;
        }
        let used_records: HashSet<usize> = self
            .used
            .iter()
            .filter_map(|(_, body)| match body {
                Body::Record(record) => Some(*record),
                Body::New(_) => None,
            })
            .collect();
        let used = self.used.iter().map(|(key, body)| {
            let body = match body {
                Body::Record(record) => &self.data[self.records[*record].1.clone()],
                Body::New(new) => new.as_slice(),
            };
            (key.as_str(), body)
        });
        let old = (0..self.records.len())
            .filter(|i| !used_records.contains(i))
            .map(|i| (self.key_of(i), &self.data[self.records[i].1.clone()]));
        let mut per_domain: HashMap<&str, usize> = HashMap::new();
        let mut written: HashSet<&str> = HashSet::with_capacity(self.used.len());
        let mut out = Vec::with_capacity(self.data.len().max(MAGIC.len()));
        out.extend_from_slice(MAGIC);
        for (key, body) in used.chain(old) {
            // A record that did not decode was parsed again: only the new one is kept.
            if !written.insert(key) {
                continue;
            }
            let name = key.split_once(' ').map_or(key, |(_, name)| name);
            let count = per_domain.entry(name).or_default();
            if *count >= KEPT_PER_DOMAIN {
                continue;
            }
            *count += 1;
            push_field(&mut out, key.as_bytes());
            push_field(&mut out, body);
        }
        let _ = crate::index::write_atomically(&self.path, &out);
        remove_stale(&self.path);
    }
}

/// Remove the files beside `path` that are not caches of this format (left by an earlier
/// version of git-realm): nothing reads them again.
fn remove_stale(path: &std::path::Path) {
    use std::io::Read;
    let Some(Ok(dir)) = path.parent().map(std::fs::read_dir) else {
        return;
    };
    for entry in dir.flatten() {
        let file = entry.path();
        let name = entry.file_name();
        // Only files named as caches are (16 hex digits): a temporary file being written
        // by another run is left alone.
        let named = name.len() == 16
            && name
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_hexdigit()));
        if !named || file == path {
            continue;
        }
        let mut head = [0; MAGIC.len()];
        let ours = std::fs::File::open(&file)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| head == *MAGIC);
        if !ours {
            let _ = std::fs::remove_file(&file);
        }
    }
}

impl DomainCache for SnapshotCache {
    fn get(&mut self, domain: &str, whole: bool) -> Option<DomainLoad> {
        let key = key(self.trees.get(domain)?, domain);
        let record = *self.by_key.get(&key)?;
        let load = codec::decode_as(&self.data[self.records[record].1.clone()], whole)?;
        self.used.push((key, Body::Record(record)));
        Some(load)
    }

    fn holds(&mut self, domain: &str) -> bool {
        let Some(tree) = self.trees.get(domain) else {
            return false;
        };
        let key = key(tree, domain);
        let Some(&record) = self.by_key.get(&key) else {
            return false;
        };
        self.used.push((key, Body::Record(record)));
        true
    }

    fn keep(&mut self, domain: &str, load: &DomainLoad) {
        let Some(tree) = self.trees.get(domain) else {
            return;
        };
        let mut body = Vec::new();
        if codec::encode(load, &mut body).is_none() {
            return;
        }
        // Kept only when it reads back as it was parsed; otherwise parsed each time.
        if codec::decode(&body).as_ref() != Some(load) {
            return;
        }
        self.used.push((key(tree, domain), Body::New(body)));
        self.changed = true;
    }
}

impl CodeRepo {
    /// The realm as of `commit`, parsed with the domains the cache holds; `keep`: adding the
    /// ones parsed now.
    pub(super) fn load_snapshot(
        &self,
        commit: ObjectId,
        origin: &str,
        keep: bool,
    ) -> Result<Snapshot> {
        self.load_snapshot_scoped(commit, origin, keep, Scope::Whole)
    }

    /// [`CodeRepo::load_snapshot`] with the domains `scope` does not need whole taken from
    /// the cache as skeletons.
    pub(super) fn load_snapshot_scoped(
        &self,
        commit: ObjectId,
        origin: &str,
        keep: bool,
        scope: Scope,
    ) -> Result<Snapshot> {
        let tree = self.commit_tree(commit)?;
        let source = TreeSource::new(&self.repo, tree);
        let mut cache = self.snapshot_cache(&source, origin);
        let snapshot = Snapshot::load_scoped(&source, origin, &mut cache, scope)?;
        if keep {
            cache.save();
        }
        Ok(snapshot)
    }

    /// Parse into the cache the domains of the realm as of `commit` that it does not hold
    /// (see [`crate::realm::snapshot::warm`]).
    pub(super) fn warm_snapshot_cache(&self, commit: ObjectId, origin: &str) -> Result<()> {
        let tree = self.commit_tree(commit)?;
        let source = TreeSource::new(&self.repo, tree);
        let mut cache = self.snapshot_cache(&source, origin);
        crate::realm::snapshot::warm(&source, &mut cache)?;
        cache.save();
        Ok(())
    }

    /// [`CodeRepo::snapshot`] for a run that promises to write nothing.
    pub fn snapshot_read_only(&self, commit: ObjectId, origin: &str) -> Result<Snapshot> {
        self.load_snapshot(commit, origin, false)
    }

    /// The cache for loading the realm tree `source` reads; `origin` (the realm's URL) keeps
    /// the domains of different realms apart.
    pub(super) fn snapshot_cache(&self, source: &TreeSource, origin: &str) -> SnapshotCache {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        FORMAT.hash(&mut hasher);
        origin.hash(&mut hasher);
        let path = self
            .common_dir()
            .join("realm")
            .join("snapshot")
            .join(format!("{:016x}", hasher.finish()));
        SnapshotCache::new(path, source.domain_trees().unwrap_or_default())
    }
}

impl TreeSource<'_> {
    /// The tree of each directory under `domains/`.
    fn domain_trees(&self) -> Result<HashMap<String, ObjectId>> {
        Ok(self
            .listing("domains")?
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e.is_tree)
                    .map(|e| (e.name.clone(), e.id))
                    .collect()
            })
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realm::snapshot::DomainState;

    fn state(name: &str) -> DomainLoad {
        let domain = serde_yaml::from_str(&format!("name: {name}\n")).unwrap();
        DomainLoad::Loaded(Box::new(DomainState {
            domain,
            exports: Default::default(),
            imports: Default::default(),
        }))
    }

    /// Kept domains come back as they were kept; a domain whose tree changed is not
    /// answered, and both trees stay in the file.
    #[test]
    fn kept_domains_come_back_as_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache");
        let tree = |i: usize| ObjectId::from_hex(format!("{i:040x}").as_bytes()).unwrap();
        for count in [3, 600] {
            let _ = std::fs::remove_file(&path);
            let names: Vec<String> = (0..count).map(|i| format!("d{i}")).collect();
            let trees = |changed: usize| -> HashMap<String, ObjectId> {
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), tree(if i == changed { i + count } else { i })))
                    .collect()
            };
            let mut cache = SnapshotCache::new(path.clone(), trees(usize::MAX));
            for name in &names {
                assert!(cache.get(name, true).is_none());
                cache.keep(name, &state(name));
            }
            cache.save();
            let mut cache = SnapshotCache::new(path.clone(), trees(1));
            for (i, name) in names.iter().enumerate() {
                match cache.get(name, true) {
                    None => {
                        assert_eq!(i, 1);
                        cache.keep(name, &DomainLoad::Broken("changed".into()));
                    }
                    Some(load) => assert_eq!(load, state(name)),
                }
            }
            cache.save();
            let data = std::fs::read(&path).unwrap();
            let keys: Vec<&str> = records(&data)
                .into_iter()
                .map(|(key, _)| std::str::from_utf8(&data[key]).unwrap())
                .collect();
            assert_eq!(keys.len(), count + 1);
            assert_eq!(keys.iter().filter(|k| k.ends_with(" d1")).count(), 2);
        }
    }
}
