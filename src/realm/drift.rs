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
    /// Where each removed item was (`path:line`) in the code commit the recorded version was
    /// published from, by item; empty when that commit is not in this repository.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub removed_sources: BTreeMap<String, Vec<String>>,
    /// The code commit `removed_sources` were read at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_in: Option<String>,
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
            explain(&changes, &places, None)
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
            removed_sources: BTreeMap::new(),
            removed_in: None,
            changes,
            value,
        });
    }
    out
}

impl Drift {
    /// Whether the code no longer shows some item the realm records.
    pub fn removes(&self) -> bool {
        self.recorded_version.is_some()
            && self.changes.iter().any(|c| c.kind == ChangeKind::Removed)
    }

    /// Name where each removed item was: `sources` is the detection at the code commit the
    /// recorded version was published from, `commit` its short id.
    pub fn locate_removed(&mut self, commit: &str, sources: &Sources) {
        let mut places: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for change in self
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Removed)
        {
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
        if places.is_empty() {
            return;
        }
        self.explained = explain(&self.changes, &self.sources, Some((commit, &places)));
        self.removed_sources = places;
        self.removed_in = Some(commit.to_owned());
    }
}

/// `found`'s first places, and how many more.
fn shown(found: &[String]) -> String {
    let mut shown = found[..found.len().min(PLACES_SHOWN)].join(", ");
    if found.len() > PLACES_SHOWN {
        shown.push_str(&format!(" and {} more", found.len() - PLACES_SHOWN));
    }
    shown
}

/// Changelog lines, each followed by the code behind it: `Added x (read, write) at a.py:3`,
/// `Removed y (read): was at b.py:7 in 1a2b3c4` when the commit the recorded version came from
/// is here (`removed`), `Removed y (read): no longer in the code` otherwise.
fn explain(
    changes: &[version::ValueChange],
    places: &BTreeMap<String, Vec<String>>,
    removed: Option<(&str, &BTreeMap<String, Vec<String>>)>,
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
                Some(found) if !found.is_empty() => format!("{line} at {}", shown(found)),
                _ => line,
            },
            ChangeKind::Removed => {
                match removed.and_then(|(commit, r)| Some((commit, r.get(item)?))) {
                    Some((commit, found)) if !found.is_empty() => {
                        format!("{line}: was at {} in {commit}", shown(found))
                    }
                    _ => format!("{line}: no longer in the code"),
                }
            }
            ChangeKind::Changed => line,
        })
        .collect()
}
