//! Parsed realm domains kept between runs, under the git dir: what each directory under
//! `domains/` yielded, keyed by its name and tree id, so a realm that changed by one domain
//! re-parses one domain. Safe to delete (the next run parses everything again), and never
//! wrong: a tree id names the files exactly, the file is keyed by git-realm's version, and a
//! domain is kept only when it reads back exactly as it was parsed.
//!
//! One line per domain: `<tree id> <name>\t<json>`. A run parses the JSON of the lines it
//! uses only, so reading the cache costs little more than reading the file.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::PathBuf;

use anyhow::Result;
use gix::ObjectId;

use super::{CodeRepo, TreeSource};
use crate::realm::snapshot::{DomainCache, DomainLoad, Snapshot};

/// Changes when what a cached line means does; with the version, names the cache file.
const FORMAT: u32 = 1;

/// How many trees of one domain are kept: the current one and the one before, so commands
/// that read two realm commits (a hook comparing before and after) do not evict each other.
const KEPT_PER_DOMAIN: usize = 2;

/// From how many domains the cache is parsed on several threads.
const PARSED_AHEAD_FROM: usize = 500;

/// The domains of one realm tree, taken from the cache where their tree was seen before.
pub(super) struct SnapshotCache {
    path: PathBuf,
    /// The tree of each directory under `domains/` in the realm being loaded.
    trees: HashMap<String, ObjectId>,
    /// The cache file as read.
    text: String,
    /// Its lines: key (`<tree id> <name>`) and where the JSON is in `text`, in file order.
    lines: Vec<(Range<usize>, Range<usize>)>,
    /// The line of each key.
    by_key: HashMap<String, usize>,
    /// Lines parsed ahead, by line: in a large realm, on every core.
    parsed: HashMap<usize, DomainLoad>,
    /// The lines this run used or made, in order, by key.
    used: Vec<(String, Json)>,
    changed: bool,
}

/// A domain's JSON: on a line of the file as read, or made by this run.
enum Json {
    Line(usize),
    New(String),
}

fn key(tree: &ObjectId, name: &str) -> String {
    format!("{tree} {name}")
}

impl SnapshotCache {
    fn new(path: PathBuf, trees: HashMap<String, ObjectId>) -> Self {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut lines = Vec::new();
        let mut by_key = HashMap::new();
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let start = at;
            at += line.len();
            let Some(tab) = line.find('\t') else {
                continue;
            };
            let json = start + tab + 1..start + line.trim_end_matches('\n').len();
            if !by_key.contains_key(&line[..tab]) {
                by_key.insert(line[..tab].to_owned(), lines.len());
                lines.push((start..start + tab, json));
            }
        }
        let mut cache = SnapshotCache {
            path,
            trees,
            text,
            lines,
            by_key,
            parsed: HashMap::new(),
            used: Vec::new(),
            changed: false,
        };
        cache.parse_ahead();
        cache
    }

    /// Parse the lines the realm's domains will ask for, split over the cores, when there
    /// are enough of them to pay for the threads.
    fn parse_ahead(&mut self) {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if threads == 1 || self.trees.len() < PARSED_AHEAD_FROM {
            return;
        }
        let wanted: Vec<usize> = self
            .trees
            .iter()
            .filter_map(|(name, tree)| self.by_key.get(&key(tree, name)).copied())
            .collect();
        let (text, lines) = (&self.text, &self.lines);
        let parse = |part: &[usize]| -> Vec<(usize, DomainLoad)> {
            part.iter()
                .filter_map(|&line| {
                    let load = serde_json::from_str(&text[lines[line].1.clone()]).ok()?;
                    Some((line, load))
                })
                .collect()
        };
        let chunk = wanted.len().div_ceil(threads).max(1);
        self.parsed = std::thread::scope(|scope| {
            let workers: Vec<_> = wanted
                .chunks(chunk)
                .map(|part| scope.spawn(move || parse(part)))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("a realm cache thread panicked"))
                .collect()
        });
    }

    /// Write the cache back when this run parsed something: the lines it used, and of the
    /// others, the newest for each domain up to [`KEPT_PER_DOMAIN`]. A failure to write only
    /// costs the next run time, so it is not an error.
    pub(super) fn save(self) {
        if !self.changed {
            return;
        }
        let used_lines: HashSet<usize> = self
            .used
            .iter()
            .filter_map(|(_, json)| match json {
                Json::Line(line) => Some(*line),
                Json::New(_) => None,
            })
            .collect();
        let used = self.used.iter().map(|(key, json)| {
            let json = match json {
                Json::Line(line) => &self.text[self.lines[*line].1.clone()],
                Json::New(new) => new.as_str(),
            };
            (key.as_str(), json)
        });
        let old = self
            .lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !used_lines.contains(i))
            .map(|(_, (key, json))| (&self.text[key.clone()], &self.text[json.clone()]));
        let mut per_domain: HashMap<&str, usize> = HashMap::new();
        let mut out = String::with_capacity(self.text.len());
        for (key, json) in used.chain(old) {
            let name = key.split_once(' ').map_or(key, |(_, name)| name);
            let count = per_domain.entry(name).or_default();
            if *count >= KEPT_PER_DOMAIN {
                continue;
            }
            *count += 1;
            out.push_str(key);
            out.push('\t');
            out.push_str(json);
            out.push('\n');
        }
        let _ = crate::index::write_atomically(&self.path, out.as_bytes());
    }
}

impl DomainCache for SnapshotCache {
    fn get(&mut self, domain: &str) -> Option<DomainLoad> {
        let key = key(self.trees.get(domain)?, domain);
        let line = *self.by_key.get(&key)?;
        let load = match self.parsed.remove(&line) {
            Some(load) => load,
            None => serde_json::from_str(&self.text[self.lines[line].1.clone()]).ok()?,
        };
        self.used.push((key, Json::Line(line)));
        Some(load)
    }

    fn keep(&mut self, domain: &str, load: &DomainLoad) {
        // The name ends the key at a tab and the line at a newline: such a name (never a
        // valid one) is parsed each time instead.
        if domain.contains(['\t', '\n', '\r']) {
            return;
        }
        let Some(tree) = self.trees.get(domain) else {
            return;
        };
        let Ok(json) = serde_json::to_string(load) else {
            return;
        };
        // YAML holds what JSON cannot say the same way (keys that are not strings, tags, NaN):
        // such a domain is parsed each time rather than kept changed.
        match serde_json::from_str::<DomainLoad>(&json) {
            Ok(back) if back == *load => {}
            _ => return,
        }
        self.used.push((key(tree, domain), Json::New(json)));
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
        let tree = self.commit_tree(commit)?;
        let source = TreeSource::new(&self.repo, tree);
        let mut cache = self.snapshot_cache(&source, origin);
        let snapshot = Snapshot::load_cached(&source, origin, &mut cache)?;
        if keep {
            cache.save();
        }
        Ok(snapshot)
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

    /// Kept domains come back as they were kept, parsed ahead on several threads or one by
    /// one; a domain whose tree changed is not answered, and both trees stay in the file.
    #[test]
    fn kept_domains_come_back_as_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache");
        let tree = |i: usize| ObjectId::from_hex(format!("{i:040x}").as_bytes()).unwrap();
        for count in [3, PARSED_AHEAD_FROM + 100] {
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
                assert!(cache.get(name).is_none());
                cache.keep(name, &state(name));
            }
            cache.save();
            let mut cache = SnapshotCache::new(path.clone(), trees(1));
            for (i, name) in names.iter().enumerate() {
                match cache.get(name) {
                    None => {
                        assert_eq!(i, 1);
                        cache.keep(name, &DomainLoad::Broken("changed".into()));
                    }
                    Some(load) => assert_eq!(load, state(name)),
                }
            }
            cache.save();
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text.lines().count(), count + 1);
            assert_eq!(text.lines().filter(|l| l.contains(" d1\t")).count(), 2);
        }
    }
}
