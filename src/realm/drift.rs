//! Drift: how the exports computed from a domain's code differ from what the realm records.

use serde::Serialize;
use serde_json::Value;

use crate::realm::snapshot::Snapshot;
use crate::realm::version;

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
    #[serde(skip)]
    pub value: Value,
}

/// The computed values that differ from what `snapshot` records for `domain`.
pub fn compare(snapshot: &Snapshot, domain: &str, values: Vec<(String, Value)>) -> Vec<Drift> {
    let mut out = Vec::new();
    for (name, value) in values {
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
        out.push(Drift {
            export: name,
            recorded_version: recorded.map(|e| e.version.clone()),
            bump,
            breaking: recorded.is_some() && bump == version::Bump::Major,
            summary: if recorded.is_some() {
                version::changelog_lines(&changes)
            } else {
                vec!["Not yet published".to_owned()]
            },
            changes,
            value,
        });
    }
    out
}
