//! Publishing a new value of an export: version, changelog and schema, decided from the
//! realm's current state. Pure: the caller writes the result as one realm commit.

use semver::Version;
use serde::Serialize;
use serde_json::Value;

use crate::error::BadInput;
use crate::realm::model::{ChangelogEntry, Export, ExportsFile};
use crate::realm::snapshot::Snapshot;
use crate::realm::{schema, version};

/// What a domain wants an export to be.
#[derive(Debug, Clone)]
pub struct ExportUpdate {
    pub name: String,
    pub value: Value,
    /// `None` keeps the current description.
    pub description: Option<String>,
    /// `None` keeps the current schema.
    pub schema: Option<Value>,
    pub version: Option<Version>,
}

/// A publication that follows from an update.
#[derive(Debug, Clone, Serialize)]
pub struct Publication {
    pub export: String,
    pub previous: Option<String>,
    pub version: String,
    pub bump: version::Bump,
    pub breaking: bool,
    pub changes: Vec<version::ValueChange>,
    pub changelog: Vec<String>,
}

/// Apply `update` to `exports` (the domain's exports file, from `snapshot` or already
/// updated by an earlier publication of the same commit): the new exports file and what was
/// published, or `None` when the export already says exactly this.
pub fn apply(
    snapshot: &Snapshot,
    exports: &ExportsFile,
    domain: &str,
    update: &ExportUpdate,
    date: &str,
) -> Result<Option<(ExportsFile, Publication)>, BadInput> {
    let mut exports = exports.clone();
    let current = exports.exports.iter().position(|e| e.name == update.name);
    let what = format!("export `{domain}/{}`", update.name);

    let (schema_value, description) = match current.map(|i| &exports.exports[i]) {
        Some(e) => (
            update.schema.clone().or_else(|| e.schema.clone()),
            update.description.clone().or_else(|| e.description.clone()),
        ),
        None => (update.schema.clone(), update.description.clone()),
    };
    if let Some(schema_value) = &schema_value {
        schema::validate(&what, schema_value, &update.value, &snapshot.contracts)?;
    }

    let publication = match current.map(|i| &exports.exports[i]) {
        None => {
            let version = update
                .version
                .clone()
                .unwrap_or_else(|| Version::new(1, 0, 0));
            Publication {
                export: update.name.clone(),
                previous: None,
                version: version.to_string(),
                bump: version::Bump::Major,
                breaking: false,
                changes: Vec::new(),
                changelog: vec!["First published".to_owned()],
            }
        }
        Some(existing) => {
            let current_version = version::parse_version(&existing.version)?;
            let changes = version::diff(&existing.value, &update.value);
            let mut bump = version::bump_for(&changes);
            if bump == version::Bump::None
                && (existing.description != description || existing.schema != schema_value)
            {
                bump = version::Bump::Patch;
            }
            if bump == version::Bump::None && update.version.is_none() {
                return Ok(None);
            }
            let next = version::next(&current_version, bump, update.version.as_ref())?;
            let mut changelog = version::changelog_lines(&changes);
            if changelog.is_empty() {
                changelog.push("Updated the description or schema".to_owned());
            }
            Publication {
                export: update.name.clone(),
                previous: Some(existing.version.clone()),
                version: next.to_string(),
                bump,
                breaking: bump == version::Bump::Major,
                changes,
                changelog,
            }
        }
    };

    let entry = ChangelogEntry {
        version: publication.version.clone(),
        date: date.to_owned(),
        changes: publication.changelog.clone(),
        extra: Default::default(),
    };
    let grace = snapshot.realm.governance.breaking_changes.grace_period_days;
    let effective_from = (publication.breaking && grace > 0).then(|| effective_date(date, grace));
    match current {
        Some(i) => {
            let export = &mut exports.exports[i];
            // An addition during a breaking change's grace period keeps its date: consumers
            // still move on the day the breaking change was announced for.
            if publication.breaking || !is_pending(export, date) {
                export.effective_from = effective_from;
            }
            export.version = publication.version.clone();
            export.description = description;
            export.schema = schema_value;
            export.value = update.value.clone();
            export.changelog.insert(0, entry);
        }
        None => exports.exports.push(Export {
            name: update.name.clone(),
            version: publication.version.clone(),
            description,
            schema: schema_value,
            value: update.value.clone(),
            changelog: vec![entry],
            effective_from: None,
            extra: Default::default(),
        }),
    }
    Ok(Some((exports, publication)))
}

/// `days` after `today` (both `YYYY-MM-DD`).
pub fn effective_date(today: &str, days: u32) -> String {
    match today.parse::<jiff::civil::Date>() {
        Ok(date) => date
            .checked_add(jiff::Span::new().days(i64::from(days)))
            .map(|d| d.to_string())
            .unwrap_or_else(|_| today.to_owned()),
        Err(_) => today.to_owned(),
    }
}

/// The version consumers see on `today`: during a breaking change's grace period, the one
/// before it: the newest one of an older major version.
pub fn effective_version<'a>(export: &'a Export, today: &str) -> &'a str {
    if !is_pending(export, today) {
        return &export.version;
    }
    let major = semver::Version::parse(&export.version)
        .map(|v| v.major)
        .ok();
    export
        .changelog
        .iter()
        .map(|entry| entry.version.as_str())
        .find(|v| semver::Version::parse(v).ok().map(|v| v.major) < major)
        .unwrap_or(&export.version)
}

/// Whether `export` has a breaking change announced but not in effect on `today`.
pub fn is_pending(export: &Export, today: &str) -> bool {
    export
        .effective_from
        .as_deref()
        .is_some_and(|from| today < from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_periods() {
        assert_eq!(effective_date("2026-01-24", 14), "2026-02-07");
        let export: Export = serde_yaml::from_str(
            "name: e\nversion: 2.0.0\neffective_from: 2026-02-07\nchangelog:\n- {version: 2.0.0, date: 2026-01-24}\n- {version: 1.3.0, date: 2026-01-20}\n",
        )
        .unwrap();
        assert_eq!(effective_version(&export, "2026-02-06"), "1.3.0");
        assert_eq!(effective_version(&export, "2026-02-07"), "2.0.0");

        // An addition during the grace period keeps the date and the version consumers see.
        let snapshot = crate::realm::snapshot::Snapshot {
            realm: serde_yaml::from_str("name: r\ngovernance: {}\n").unwrap(),
            domains: Default::default(),
            contracts: Default::default(),
            broken: Default::default(),
            broken_owners: Default::default(),
            skeletons: Default::default(),
        };
        let exports = ExportsFile {
            exports: vec![Export {
                value: serde_json::json!(["a"]),
                ..export
            }],
            extra: Default::default(),
        };
        let update = ExportUpdate {
            name: "e".into(),
            value: serde_json::json!(["a", "b"]),
            description: None,
            schema: None,
            version: None,
        };
        let (after, publication) = apply(&snapshot, &exports, "d", &update, "2026-01-30")
            .unwrap()
            .unwrap();
        assert_eq!(publication.version, "2.1.0");
        let export = &after.exports[0];
        assert_eq!(export.effective_from.as_deref(), Some("2026-02-07"));
        assert_eq!(effective_version(export, "2026-02-06"), "1.3.0");
        assert_eq!(effective_version(export, "2026-02-07"), "2.1.0");
    }
}
