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

/// Whether a file mentions an export: its name, or at least two of its string values (all of
/// them when it has fewer).
pub fn mentions(export_name: &str, values: &[String], data: &[u8]) -> bool {
    use bstr::ByteSlice;
    if data.find(export_name).is_some() {
        return true;
    }
    let needed = values.len().min(2);
    needed > 0
        && values
            .iter()
            .filter(|v| data.find(v.as_str()).is_some())
            .count()
            >= needed
}

/// Vendored code is someone else's: never read for detection.
pub fn is_vendored(path: &[u8]) -> bool {
    path.split(|b| *b == b'/')
        .any(|part| matches!(part, b"vendor" | b"node_modules" | b"third_party"))
}

/// Binary content, as git judges it: a NUL byte in the first 8000 bytes.
pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(8000)].contains(&0)
}
