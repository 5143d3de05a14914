//! Rendering reports: JSON on request, human text otherwise; both read the same struct.

use std::io::{self, Write};

use serde::Serialize;

use crate::member::freshness::Freshness;
use crate::notify::{Action, DeliveryReport, Kind};
use crate::realm::drift::Drift;
use crate::realm::model::ImportStatus;
use crate::realm::status::{Announcement, BrokenDomain, Consumer, ImportState};

/// What a command reports. The JSON form is public API: its field names do not change.
pub trait Report: Serialize {
    /// The human form, written to stdout.
    fn human(&self, out: &mut dyn Write) -> io::Result<()>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

pub fn emit<R: Report>(format: Format, report: &R) -> anyhow::Result<()> {
    match write_report(&mut io::stdout().lock(), format, report) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The report as [`emit`] writes it. Human text ends with a newline whatever the report's
/// last line, so that a `hint:` on stderr after it starts a line of its own.
fn write_report<R: Report>(out: &mut dyn Write, format: Format, report: &R) -> io::Result<()> {
    match format {
        Format::Json => serde_json::to_writer_pretty(&mut *out, report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Human => {
            let mut text = Vec::new();
            report.human(&mut text)?;
            let mut text = printable(&String::from_utf8_lossy(&text));
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            out.write_all(text.as_bytes())
        }
    }
}

/// A line of progress or advice, on stderr so stdout stays the result.
pub fn note(message: impl AsRef<str>) {
    eprintln!("{}", printable(message.as_ref()));
}

/// A warning or hint on stderr that quotes an error: kept to one line, whatever the error
/// quotes (see `error::one_line`).
pub fn warn(message: impl AsRef<str>) {
    eprintln!("{}", crate::error::one_line(message.as_ref()));
}

/// Human text as it may reach a terminal: realm content (changelog lines, values, names in
/// other domains' files) is written by others, so control characters other than newline and
/// tab are shown escaped rather than obeyed.
fn printable(text: &str) -> String {
    text.split_inclusive(['\n', '\t'])
        .map(|part| {
            let (body, end) = match part.strip_suffix(['\n', '\t']) {
                Some(body) => (body, &part[body.len()..]),
                None => (part, ""),
            };
            format!("{}{end}", crate::error::one_line(body))
        })
        .collect()
}

impl Report for DeliveryReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        delivery_lines(self, out)
    }
}

/// The lines of a delivery report, shared by `notify`, `sync`, `export`, `import` and `approve`.
pub fn delivery_lines(report: &DeliveryReport, out: &mut dyn Write) -> std::io::Result<()> {
    for d in &report.delivered {
        let subject = format!("{}/{} {}", d.provider, d.export, d.version);
        let line = match d.action {
            Action::Opened => format!(
                "Opened issue #{} for {} about {subject}",
                d.issue_number, d.consumer
            ),
            Action::Updated => format!(
                "Updated issue #{} for {} to {subject}",
                d.issue_number, d.consumer
            ),
            Action::Unchanged => format!(
                "Issue #{} for {} already announces {subject}",
                d.issue_number, d.consumer
            ),
            Action::Closed => format!(
                "Closed issue #{}: {} resolved {subject}",
                d.issue_number, d.consumer
            ),
            Action::Commented => {
                format!(
                    "Commented on issue #{}: {} resolved {subject}, a newer version is still open",
                    d.issue_number, d.consumer
                )
            }
        };
        writeln!(out, "✓ {line}  {}", d.url)?;
    }
    for d in &report.dropped {
        writeln!(
            out,
            "- Dropped {} for {} about {}/{} {}: {}",
            kind(d.kind),
            d.consumer,
            d.provider,
            d.export,
            d.version,
            d.reason
        )?;
    }
    for n in &report.not_notified {
        let subject = format!("{}/{} {}", n.provider, n.export, n.version);
        match n.kind {
            Kind::Notice => writeln!(
                out,
                "✗ Not notified: {} about {subject}: {}",
                n.consumer, n.reason
            )?,
            // The consumer is this domain: what failed is closing its issue.
            Kind::Resolution => writeln!(
                out,
                "✗ Issue not closed: {} resolved {subject}: {}",
                n.consumer, n.reason
            )?,
        }
    }
    Ok(())
}

fn kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Notice => "the notice",
        Kind::Resolution => "the resolution",
    }
}

/// How a report words its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    /// A paragraph each, after a blank line, named in full (`Stale import 'e' from a: …`), with
    /// the binding to review and the changes to read: `status`.
    Paragraphs,
    /// A line each, opened by its kind (`stale: import 'e' from a: …`): `check`.
    Tagged,
}

/// How every report names an import: `'contract' from provider`.
pub fn import_label(contract: &str, from: &str) -> String {
    format!("'{contract}' from {from}")
}

/// The line saying what is wrong with an import (stale, broken, ungranted); `None` while it is
/// current.
pub fn import_finding(import: &ImportState, voice: Voice) -> Option<String> {
    let from = match &import.realm {
        Some(realm) => format!("{realm}/{}", import.from),
        None => import.from.clone(),
    };
    let label = import_label(&import.contract, &from);
    let latest = import.latest_version.as_deref().unwrap_or("?");
    let (tag, heading, what) = match import.status {
        ImportStatus::Current => return None,
        ImportStatus::Stale => (
            "stale",
            "Stale",
            format!(
                "{} → {latest} available",
                import.resolved_version.as_deref().unwrap_or("none")
            ),
        ),
        ImportStatus::Broken => (
            "broken",
            "Broken",
            import.reason.as_deref().unwrap_or("unknown").to_owned(),
        ),
        ImportStatus::Ungranted => (
            "ungranted",
            "Ungranted",
            match voice {
                Voice::Paragraphs => format!("the binding does not grant {latest}"),
                Voice::Tagged => format!(
                    "{} does not grant it",
                    import.binding.as_deref().unwrap_or("the binding")
                ),
            },
        ),
    };
    Some(match voice {
        Voice::Paragraphs => format!("{heading} import {label}: {what}"),
        Voice::Tagged => format!("{tag}: import {label}: {what}"),
    })
}

/// The line announcing to an import a breaking change that is accepted but not yet in effect.
pub fn announcement_line(import: &ImportState, announced: &Announcement, voice: Voice) -> String {
    let what = format!(
        "{} {} takes effect on {}",
        import_label(&import.contract, &import.from),
        announced.version,
        announced.effective_from
    );
    match voice {
        Voice::Paragraphs => format!("Breaking change announced: {what}"),
        Voice::Tagged => format!("breaking: {what}"),
    }
}

/// Lines under the one before, each after `indent`.
pub fn indented(out: &mut dyn Write, indent: &str, lines: &[String]) -> io::Result<()> {
    for line in lines {
        writeln!(out, "{indent}{line}")?;
    }
    Ok(())
}

/// `  Binding: FILE`: the file in this repository that uses an import's value.
pub fn binding_line(out: &mut dyn Write, binding: &str) -> io::Result<()> {
    writeln!(out, "  Binding: {binding}")
}

/// `  Changes:` and the changelog lines under it; nothing when there are none.
pub fn changes_lines(out: &mut dyn Write, changes: &[String]) -> io::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    writeln!(out, "  Changes:")?;
    indented(out, "    ", changes)
}

/// What a report says about one import that needs attention: its finding (with what the
/// binding does not grant), a breaking change announced to it and, in paragraphs, the binding
/// to review and the changes since it was resolved.
pub fn import_lines(out: &mut dyn Write, import: &ImportState, voice: Voice) -> io::Result<()> {
    let paragraph = |out: &mut dyn Write| match voice {
        Voice::Paragraphs => writeln!(out),
        Voice::Tagged => Ok(()),
    };
    if let Some(finding) = import_finding(import, voice) {
        paragraph(out)?;
        writeln!(out, "{finding}")?;
        if import.status == ImportStatus::Ungranted {
            indented(out, "  ", &import.ungranted)?;
        }
    }
    if let Some(announced) = &import.announced {
        paragraph(out)?;
        writeln!(out, "{}", announcement_line(import, announced, voice))?;
        if voice == Voice::Paragraphs {
            indented(out, "  ", &announced.changes)?;
        }
    }
    if voice == Voice::Paragraphs {
        if let Some(binding) = &import.binding {
            binding_line(out, binding)?;
        }
        changes_lines(out, &import.changes)?;
    }
    Ok(())
}

/// The line saying an export computed from the code differs from what realm `realm` records.
pub fn drift_line(drift: &Drift, realm: &str, voice: Voice) -> String {
    let breaking = if drift.breaking { " (breaking)" } else { "" };
    match (voice, &drift.recorded_version) {
        (Voice::Paragraphs, _) => format!("Export '{}' has local changes{breaking}:", drift.export),
        (Voice::Tagged, Some(version)) => format!(
            "drift: export '{}' differs from {version} in realm '{realm}'{breaking}",
            drift.export
        ),
        (Voice::Tagged, None) => format!(
            "drift: export '{}' is not published in realm '{realm}'",
            drift.export
        ),
    }
}

/// A drift line and, under it, each change with the code behind it.
pub fn drift_lines(
    out: &mut dyn Write,
    drift: &Drift,
    realm: &str,
    voice: Voice,
) -> io::Result<()> {
    if voice == Voice::Paragraphs {
        writeln!(out)?;
    }
    writeln!(out, "{}", drift_line(drift, realm, voice))?;
    indented(out, "  ", &drift.explained)
}

/// A consumer of an export, what it requires and how its import stands, with what its
/// verifier found at its last resolution where it has one:
/// `- fungal (imports ^1, current; binding verified at its last resolution)`.
pub fn consumer_line(consumer: &Consumer) -> String {
    let verified = match consumer.verified {
        None => "",
        Some(true) => "; binding verified at its last resolution",
        Some(false) => "; resolved without its binding granting the value",
    };
    format!(
        "- {} (imports {}, {}{verified})",
        consumer_name(consumer),
        consumer.requirement,
        consumer.status.as_str()
    )
}

/// `fungal`, or `letemcook/fungal` for a consumer in another realm than the provider's.
fn consumer_name(consumer: &Consumer) -> String {
    match &consumer.realm {
        Some(realm) => format!("{realm}/{}", consumer.domain),
        None => consumer.domain.clone(),
    }
}

/// A consumer told about new versions, with what it imports: `fungal (imports e ^1)`.
pub fn consumer_import_line(consumer: &Consumer) -> String {
    let domain = consumer_name(consumer);
    format!(
        "{domain} (imports {} {})",
        consumer.contract, consumer.requirement
    )
}

/// `Realm state fetched 3 hours ago (2026-12-03 13:02 UTC)`: how old the realm state a
/// report reads is.
pub fn fetched_line(freshness: &Freshness) -> String {
    match freshness.fetched_at {
        Some(_) => format!("Realm state fetched {}", fetched_when(freshness)),
        None => {
            "Realm state fetched at a time not recorded ('git realm fetch' updates it)".to_owned()
        }
    }
}

/// `3 hours ago (2026-12-03 13:02 UTC)`, or `at a time not recorded`.
pub fn fetched_when(freshness: &Freshness) -> String {
    let at = freshness
        .fetched_at
        .as_deref()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok());
    let Some(at) = at else {
        return "at a time not recorded".to_owned();
    };
    let age = freshness.age.unwrap_or(0).max(0);
    let ago = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    let ago = match age {
        0..60 => "just now".to_owned(),
        60..3600 => ago(age / 60, "minute"),
        3600..172_800 => ago(age / 3600, "hour"),
        _ => ago(age / 86_400, "day"),
    };
    format!("{ago} ({} UTC)", at.strftime("%Y-%m-%d %H:%M"))
}

/// The line every report gives a domain whose realm files cannot be used, kept to one line.
pub fn broken_domain_line(broken: &BrokenDomain) -> String {
    crate::error::one_line(&broken.line())
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_output_ends_its_last_line() {
        #[derive(serde::Serialize)]
        struct Unended(&'static str);
        impl super::Report for Unended {
            fn human(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
                write!(out, "{}", self.0)
            }
        }
        let written = |text| {
            let mut out = Vec::new();
            super::write_report(&mut out, super::Format::Human, &Unended(text)).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(written("a\nb"), "a\nb\n");
        assert_eq!(written("a\n"), "a\n");
        // Nothing to say stays nothing: no empty line on stdout.
        assert_eq!(written(""), "");
    }

    use super::*;

    fn import(status: ImportStatus) -> ImportState {
        ImportState {
            contract: "e".to_owned(),
            from: "a".to_owned(),
            realm: None,
            requirement: "^1".to_owned(),
            binding: Some("infra/policy.json".to_owned()),
            status,
            resolved_version: Some("1.0.0".to_owned()),
            latest_version: Some("1.1.0".to_owned()),
            changes: Vec::new(),
            reason: None,
            announced: None,
            ungranted: Vec::new(),
            over_grants: Vec::new(),
        }
    }

    fn written(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).expect("written");
        String::from_utf8(out).expect("utf-8")
    }

    fn both(import: &ImportState) -> (String, String) {
        (
            written(|out| import_lines(out, import, Voice::Paragraphs)),
            written(|out| import_lines(out, import, Voice::Tagged)),
        )
    }

    #[test]
    fn a_stale_import_with_its_binding_and_changes() {
        let mut stale = import(ImportStatus::Stale);
        stale.changes = vec!["Added y".to_owned()];
        assert_eq!(
            both(&stale),
            (
                "\nStale import 'e' from a: 1.0.0 → 1.1.0 available\n  Binding: infra/policy.json\n  Changes:\n    Added y\n".to_owned(),
                "stale: import 'e' from a: 1.0.0 → 1.1.0 available\n".to_owned()
            )
        );
        stale.resolved_version = None;
        stale.latest_version = None;
        assert_eq!(
            import_finding(&stale, Voice::Tagged).as_deref(),
            Some("stale: import 'e' from a: none → ? available")
        );
    }

    #[test]
    fn a_broken_import_says_why() {
        let mut broken = import(ImportStatus::Broken);
        broken.binding = None;
        broken.reason = Some("domain `a` is no longer in the realm".to_owned());
        assert_eq!(
            both(&broken),
            (
                "\nBroken import 'e' from a: domain `a` is no longer in the realm\n".to_owned(),
                "broken: import 'e' from a: domain `a` is no longer in the realm\n".to_owned()
            )
        );
        broken.reason = None;
        assert_eq!(
            import_finding(&broken, Voice::Paragraphs).as_deref(),
            Some("Broken import 'e' from a: unknown")
        );
    }

    #[test]
    fn an_ungranted_import_lists_what_is_missing() {
        let mut ungranted = import(ImportStatus::Ungranted);
        ungranted.ungranted = vec!["s3:GetObject on bucket-b".to_owned()];
        assert_eq!(
            both(&ungranted),
            (
                "\nUngranted import 'e' from a: the binding does not grant 1.1.0\n  s3:GetObject on bucket-b\n  Binding: infra/policy.json\n".to_owned(),
                "ungranted: import 'e' from a: infra/policy.json does not grant it\n  s3:GetObject on bucket-b\n".to_owned()
            )
        );
        ungranted.binding = None;
        assert_eq!(
            import_finding(&ungranted, Voice::Tagged).as_deref(),
            Some("ungranted: import 'e' from a: the binding does not grant it")
        );
    }

    #[test]
    fn a_current_import_with_a_breaking_change_announced() {
        let mut current = import(ImportStatus::Current);
        current.binding = None;
        assert_eq!(both(&current), (String::new(), String::new()));
        current.announced = Some(Announcement {
            version: "2.0.0".to_owned(),
            effective_from: "2026-02-07".to_owned(),
            changes: vec!["Removed y".to_owned()],
        });
        assert_eq!(
            both(&current),
            (
                "\nBreaking change announced: 'e' from a 2.0.0 takes effect on 2026-02-07\n  Removed y\n".to_owned(),
                "breaking: 'e' from a 2.0.0 takes effect on 2026-02-07\n".to_owned()
            )
        );
    }

    fn drift(recorded_version: Option<&str>, breaking: bool) -> Drift {
        Drift {
            export: "perms".to_owned(),
            recorded_version: recorded_version.map(str::to_owned),
            bump: crate::realm::version::Bump::Minor,
            breaking,
            changes: Vec::new(),
            summary: Vec::new(),
            explained: vec!["+ s3:PutObject (src/upload.rs:3)".to_owned()],
            sources: Default::default(),
            removed_sources: Default::default(),
            removed_in: None,
            value: serde_json::Value::Null,
        }
    }

    #[test]
    fn drift_lines_with_their_explanation() {
        let published = drift(Some("1.0.0"), true);
        assert_eq!(
            written(|out| drift_lines(out, &published, "r", Voice::Paragraphs)),
            "\nExport 'perms' has local changes (breaking):\n  + s3:PutObject (src/upload.rs:3)\n"
        );
        assert_eq!(
            written(|out| drift_lines(out, &published, "r", Voice::Tagged)),
            "drift: export 'perms' differs from 1.0.0 in realm 'r' (breaking)\n  + s3:PutObject (src/upload.rs:3)\n"
        );
        let new = drift(None, false);
        assert_eq!(
            drift_line(&new, "r", Voice::Tagged),
            "drift: export 'perms' is not published in realm 'r'"
        );
        assert_eq!(
            drift_line(&new, "r", Voice::Paragraphs),
            "Export 'perms' has local changes:"
        );
    }

    #[test]
    fn consumer_lines() {
        let mut consumer = Consumer {
            domain: "fungal".to_owned(),
            realm: None,
            contract: "perms".to_owned(),
            requirement: "^1".to_owned(),
            status: ImportStatus::Stale,
            binding: None,
            repo_url: None,
            verified: None,
        };
        assert_eq!(consumer_line(&consumer), "- fungal (imports ^1, stale)");
        assert_eq!(consumer_import_line(&consumer), "fungal (imports perms ^1)");
        consumer.verified = Some(true);
        assert_eq!(
            consumer_line(&consumer),
            "- fungal (imports ^1, stale; binding verified at its last resolution)"
        );
        consumer.verified = Some(false);
        assert_eq!(
            consumer_line(&consumer),
            "- fungal (imports ^1, stale; resolved without its binding granting the value)"
        );
    }

    #[test]
    fn fetch_ages() {
        use crate::member::freshness::{Fetched, Freshness};
        let at = |age: i64| Freshness {
            fetched_at: Some("2026-12-03T13:02:00Z".to_owned()),
            fetched: Fetched::Cached,
            age: Some(age),
        };
        for (age, line) in [
            (0, "just now"),
            (-5, "just now"),
            (59, "just now"),
            (60, "1 minute ago"),
            (3599, "59 minutes ago"),
            (3600, "1 hour ago"),
            (3 * 3600 + 5, "3 hours ago"),
            (47 * 3600, "47 hours ago"),
            (2 * 86_400, "2 days ago"),
        ] {
            assert_eq!(
                fetched_line(&at(age)),
                format!("Realm state fetched {line} (2026-12-03 13:02 UTC)")
            );
        }
        let unknown = Freshness {
            fetched_at: None,
            ..at(0)
        };
        assert!(fetched_line(&unknown).contains("not recorded"));
    }

    #[test]
    fn a_broken_domain_on_one_line() {
        let broken = BrokenDomain {
            domain: "b".to_owned(),
            reason: "domains/b/imports.yaml: invalid YAML\nat line 1".to_owned(),
        };
        assert!(!broken_domain_line(&broken).contains('\n'));
        assert!(broken_domain_line(&broken).starts_with("domain 'b' is broken in the realm: "));
    }
    #[test]
    fn control_characters_are_escaped_but_lines_kept() {
        assert_eq!(printable("a\tb\n\u{1b}[2Jc\r\n"), "a\tb\n\\u{1b}[2Jc\\r\n");
    }
}
