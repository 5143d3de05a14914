//! Rendering reports: JSON on request, human text otherwise; both read the same struct.

use std::io::{self, Write};

use serde::Serialize;

use crate::notify::{Action, DeliveryReport, Kind};

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
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = match format {
        Format::Json => serde_json::to_writer_pretty(&mut out, report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Human => {
            let mut text = Vec::new();
            report
                .human(&mut text)
                .and_then(|()| out.write_all(printable(&String::from_utf8_lossy(&text)).as_bytes()))
        }
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
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

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped_but_lines_kept() {
        assert_eq!(
            super::printable("a\tb\n\u{1b}[2Jc\r\n"),
            "a\tb\n\\u{1b}[2Jc\\r\n"
        );
    }
}
