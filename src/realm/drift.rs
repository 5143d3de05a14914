//! Drift: how the exports computed from a domain's code differ from what the realm records.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::realm::snapshot::Snapshot;
use crate::realm::version::{self, ChangeKind};

/// Per key of a value, each item with the `path:line`s of the code it came from.
pub type Sources = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// How an export computed from the code differs from what the realm records.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub export: String,
    /// The version the realm records; `None` for an export not yet published.
    pub recorded_version: Option<String>,
    pub bump: version::Bump,
    pub breaking: bool,
    pub changes: Vec<version::ValueChange>,
    /// The changes as a changelog would name them.
    pub summary: Vec<String>,
    /// The changes with the code behind each: where an added item was found, and that a
    /// removed one no longer is.
    pub explained: Vec<String>,
    /// Where each added item was found (`path:line`), by item.
    pub sources: BTreeMap<String, Vec<String>>,
    #[serde(skip)]
    pub value: Value,
}

/// How many places are named for one item before the rest are counted.
const PLACES_SHOWN: usize = 3;

/// The computed values (with the sources of their items) that differ from what `snapshot`
/// records for `domain`.
pub fn compare(
    snapshot: &Snapshot,
    domain: &str,
    values: Vec<(String, Value, Sources)>,
) -> Vec<Drift> {
    let mut out = Vec::new();
    for (name, value, sources) in values {
        let recorded = snapshot.export(domain, &name);
        let changes = match recorded {
            Some(export) => version::diff(&export.value, &value),
            None => version::diff(&Value::Null, &value),
        };
        if recorded.is_some() && changes.is_empty() {
            continue;
        }
        let bump = if recorded.is_some() {
            version::bump_for(&changes)
        } else {
            version::Bump::Major
        };
        let mut places: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for change in changes.iter().filter(|c| c.kind == ChangeKind::Added) {
            if let Some(found) = sources
                .get(&change.at)
                .and_then(|items| items.get(&change.item))
            {
                let entry = places.entry(change.item.clone()).or_default();
                entry.extend(found.iter().cloned());
                entry.sort();
                entry.dedup();
            }
        }
        let summary = if recorded.is_some() {
            version::changelog_lines(&changes)
        } else {
            vec!["Not yet published".to_owned()]
        };
        let explained = if recorded.is_some() {
            explain(&changes, &places)
        } else {
            summary.clone()
        };
        out.push(Drift {
            export: name,
            recorded_version: recorded.map(|e| e.version.clone()),
            bump,
            breaking: recorded.is_some() && bump == version::Bump::Major,
            summary,
            explained,
            sources: places,
            changes,
            value,
        });
    }
    out
}

/// Changelog lines, each followed by the code behind it: `Added x (read, write) at a.py:3`,
/// `Removed y (read): no longer in the code`.
fn explain(
    changes: &[version::ValueChange],
    places: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let lines = version::changelog_lines(changes);
    let mut grouped: Vec<(ChangeKind, &str)> =
        changes.iter().map(|c| (c.kind, c.item.as_str())).collect();
    grouped.sort();
    grouped.dedup();
    lines
        .into_iter()
        .zip(grouped)
        .map(|(line, (kind, item))| match kind {
            ChangeKind::Added => match places.get(item) {
                Some(found) if !found.is_empty() => {
                    let mut shown = found[..found.len().min(PLACES_SHOWN)].join(", ");
                    if found.len() > PLACES_SHOWN {
                        shown.push_str(&format!(" and {} more", found.len() - PLACES_SHOWN));
                    }
                    format!("{line} at {shown}")
                }
                _ => line,
            },
            ChangeKind::Removed => format!("{line}: no longer in the code"),
            ChangeKind::Changed => line,
        })
        .collect()
}
