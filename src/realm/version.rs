//! Versions from values: a structural diff of old and new value decides the semver bump, and
//! names each change for the changelog.

use std::collections::BTreeMap;

use semver::Version;
use serde::Serialize;
use serde_json::Value;

use crate::error::BadInput;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    None,
    Patch,
    Minor,
    Major,
}

/// One concrete difference between two values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ValueChange {
    pub kind: ChangeKind,
    /// Where in the value: object keys joined with `.`; empty at the top.
    pub at: String,
    /// The item added or removed, or `old -> new` for a change.
    pub item: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ValueChange {
    pub fn is_breaking(&self) -> bool {
        self.kind != ChangeKind::Added
    }
}

/// Every difference from `old` to `new`: arrays compare as sets of items, objects by key.
pub fn diff(old: &Value, new: &Value) -> Vec<ValueChange> {
    let mut out = Vec::new();
    diff_at("", old, new, &mut out);
    out
}

fn diff_at(at: &str, old: &Value, new: &Value, out: &mut Vec<ValueChange>) {
    let child = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}.{key}")
        }
    };
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => diff_at(&child(key), value, other, out),
                    None => out.push(change(ChangeKind::Removed, at, key_item(key, value))),
                }
            }
            for (key, value) in b {
                if !a.contains_key(key) {
                    out.push(change(ChangeKind::Added, at, key_item(key, value)));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for item in a.iter().filter(|i| !b.contains(i)) {
                out.push(change(ChangeKind::Removed, at, render(item)));
            }
            for item in b.iter().filter(|i| !a.contains(i)) {
                out.push(change(ChangeKind::Added, at, render(item)));
            }
        }
        _ if old == new => {}
        _ => out.push(change(
            ChangeKind::Changed,
            at,
            format!("{} -> {}", render(old), render(new)),
        )),
    }
}

fn change(kind: ChangeKind, at: &str, item: String) -> ValueChange {
    ValueChange {
        kind,
        at: at.to_owned(),
        item,
    }
}

fn key_item(key: &str, value: &Value) -> String {
    format!("{key}: {}", render(value))
}

fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The bump a set of changes calls for.
pub fn bump_for(changes: &[ValueChange]) -> Bump {
    if changes.iter().any(ValueChange::is_breaking) {
        Bump::Major
    } else if changes.is_empty() {
        Bump::None
    } else {
        Bump::Minor
    }
}

pub fn bumped(current: &Version, bump: Bump) -> Version {
    match bump {
        Bump::None => current.clone(),
        Bump::Patch => Version::new(current.major, current.minor, current.patch + 1),
        Bump::Minor => Version::new(current.major, current.minor + 1, 0),
        Bump::Major => Version::new(current.major + 1, 0, 0),
    }
}

/// The version to publish: `explicit` when given (greater than `current` and at least the
/// computed bump), otherwise `current` bumped.
pub fn next(
    current: &Version,
    bump: Bump,
    explicit: Option<&Version>,
) -> Result<Version, BadInput> {
    let computed = bumped(current, bump.max(Bump::Patch));
    match explicit {
        None => Ok(computed),
        Some(v) if v > current && *v >= computed => Ok(v.clone()),
        Some(v) => Err(BadInput::new(
            format!(
                "version {v} is too low: the current version is {current} and this change needs at least {computed}"
            ),
            format!("use --version {computed} or higher, or leave --version out"),
        )),
    }
}

pub fn parse_version(text: &str) -> Result<Version, BadInput> {
    Version::parse(text).map_err(|e| {
        BadInput::new(
            format!("invalid version `{text}`: {e}"),
            "versions are semver, like 1.4.0",
        )
    })
}

pub fn parse_requirement(text: &str) -> Result<semver::VersionReq, BadInput> {
    semver::VersionReq::parse(text).map_err(|e| {
        BadInput::new(
            format!("invalid version requirement `{text}`: {e}"),
            "requirements are semver, like ^1, >=1.2.0 or ~1.4",
        )
    })
}

/// Changelog lines: additions of the same item under several keys are told once,
/// `Added training-metrics/experiments/* (read, write)`.
pub fn changelog_lines(changes: &[ValueChange]) -> Vec<String> {
    let mut grouped: BTreeMap<(ChangeKind, &str), Vec<&str>> = BTreeMap::new();
    for c in changes {
        grouped
            .entry((c.kind, c.item.as_str()))
            .or_default()
            .push(c.at.as_str());
    }
    grouped
        .into_iter()
        .map(|((kind, item), places)| {
            let verb = match kind {
                ChangeKind::Added => "Added",
                ChangeKind::Removed => "Removed",
                ChangeKind::Changed => "Changed",
            };
            let places: Vec<&str> = places.into_iter().filter(|p| !p.is_empty()).collect();
            if places.is_empty() {
                format!("{verb} {item}")
            } else {
                format!("{verb} {item} ({})", places.join(", "))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn additions_are_minor_and_grouped() {
        let old = json!({"read": ["a"], "write": []});
        let new = json!({"read": ["a", "t/*"], "write": ["t/*"]});
        let changes = diff(&old, &new);
        assert_eq!(bump_for(&changes), Bump::Minor);
        assert_eq!(changelog_lines(&changes), ["Added t/* (read, write)"]);
        assert_eq!(next(&v("1.0.0"), Bump::Minor, None).unwrap(), v("1.1.0"));
    }

    #[test]
    fn removals_and_changes_are_breaking() {
        let changes = diff(&json!({"read": ["a", "b"]}), &json!({"read": ["a"]}));
        assert_eq!(bump_for(&changes), Bump::Major);
        assert_eq!(changelog_lines(&changes), ["Removed b (read)"]);
        let changes = diff(&json!({"url": "x"}), &json!({"url": "y"}));
        assert_eq!(changelog_lines(&changes), ["Changed x -> y (url)"]);
        assert_eq!(bump_for(&diff(&json!([1]), &json!({"a": 1}))), Bump::Major);
        assert_eq!(bump_for(&diff(&json!({"a": 1}), &json!({}))), Bump::Major);
        assert_eq!(bump_for(&diff(&json!({}), &json!({"a": 1}))), Bump::Minor);
        assert_eq!(
            bump_for(&diff(&json!({"a": [1]}), &json!({"a": [1]}))),
            Bump::None
        );
    }

    #[test]
    fn explicit_versions_must_cover_the_bump() {
        assert_eq!(
            next(&v("1.3.0"), Bump::Minor, Some(&v("1.5.0"))).unwrap(),
            v("1.5.0")
        );
        assert!(next(&v("1.3.0"), Bump::Minor, Some(&v("1.3.1"))).is_err());
        assert!(next(&v("1.3.0"), Bump::Major, Some(&v("1.9.0"))).is_err());
        assert!(next(&v("1.3.0"), Bump::None, Some(&v("1.3.0"))).is_err());
        assert_eq!(next(&v("1.3.0"), Bump::Patch, None).unwrap(), v("1.3.1"));
    }
}
