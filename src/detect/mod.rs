//! Export detection: pure functions over blobs handed in by `git`.
//!
//! A [`Detector`] is compiled from an export's source in `.realm/config.yaml`. The caller
//! walks a tree, asks [`Detector::wants`] per path, hands the wanted blobs to
//! [`Detector::scan`] and merges the per-file [`Findings`] with [`assemble`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::error::BadInput;
use crate::realm::config::ExportSource;

/// What one file contributed: key (`read`, `write`, a rule's `into`) to the items found.
pub type Findings = BTreeMap<String, BTreeSet<String>>;

pub struct Detector {
    _source: ExportSource,
}

impl Detector {
    pub fn new(source: &ExportSource) -> Result<Detector, BadInput> {
        Ok(Detector {
            _source: source.clone(),
        })
    }

    /// Whether the file at `path` (repository-relative, `/`-separated) is read at all.
    pub fn wants(&self, _path: &[u8]) -> bool {
        false
    }

    /// What the file at `path` with content `data` contributes.
    pub fn scan(&self, _path: &[u8], _data: &[u8]) -> Findings {
        Findings::new()
    }
}

/// The export value from every file's findings: sorted, de-duplicated arrays per key.
pub fn assemble<'a>(findings: impl IntoIterator<Item = &'a Findings>) -> Value {
    let mut all: Findings = BTreeMap::new();
    for f in findings {
        for (key, items) in f {
            all.entry(key.clone())
                .or_default()
                .extend(items.iter().cloned());
        }
    }
    Value::Object(
        all.into_iter()
            .map(|(k, v)| (k, Value::Array(v.into_iter().map(Value::String).collect())))
            .collect(),
    )
}
