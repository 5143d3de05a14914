//! Detection results kept between runs, under the git dir: what each file of the last
//! checked tree contributed to one export. Safe to delete (the next run reads everything
//! again), and never wrong: it is keyed by the detector's configuration and git-realm's
//! version, and holds the tree it describes.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use gix::ObjectId;
use serde::{Deserialize, Serialize};

use super::CodeRepo;
use crate::detect::Findings;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DetectCache {
    /// The tree these findings describe.
    pub tree: String,
    /// Findings by path, for the files that contributed anything.
    pub files: BTreeMap<String, Findings>,
}

/// A key for a detector configuration: changes when the configuration or git-realm does.
pub fn fingerprint(config: &impl Serialize) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    serde_json::to_string(config)
        .unwrap_or_default()
        .hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

impl CodeRepo {
    fn detect_cache_path(&self, fingerprint: &str) -> PathBuf {
        self.common_dir()
            .join("realm")
            .join("detect")
            .join(format!("{fingerprint}.json"))
    }

    /// The cache for `fingerprint`, if there is a readable one.
    pub fn load_detect_cache(&self, fingerprint: &str) -> Option<(ObjectId, DetectCache)> {
        let bytes = std::fs::read(self.detect_cache_path(fingerprint)).ok()?;
        let cache: DetectCache = serde_json::from_slice(&bytes).ok()?;
        let tree = ObjectId::from_hex(cache.tree.as_bytes()).ok()?;
        Some((tree, cache))
    }

    /// Keep `cache`; a failure to write only costs the next run time, so it is not an error.
    pub fn save_detect_cache(&self, fingerprint: &str, cache: &DetectCache) {
        if let Ok(bytes) = serde_json::to_vec(cache) {
            let _ = crate::index::write_atomically(&self.detect_cache_path(fingerprint), &bytes);
        }
    }
}
