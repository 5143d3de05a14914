//! Rendering reports: JSON on request, human text otherwise; both read the same struct.

use std::io::{self, Write};

use serde::Serialize;

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
        Format::Human => report.human(&mut out),
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A line of progress or advice, on stderr so stdout stays the result.
pub fn note(message: impl AsRef<str>) {
    eprintln!("{}", message.as_ref());
}
