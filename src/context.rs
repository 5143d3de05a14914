//! What every operation is handed ([`Context`]: where it runs, what time it is, where its
//! messages go) and how it ends ([`Outcome`]). Below the operations, so that the services they
//! share can speak to the user too.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Result;

/// How an operation that ran ends: clean, or with findings (drift, stale imports, a refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum Outcome {
    Clean = 0,
    Findings = 1,
}

/// What every operation is handed: where it runs, what time it is, and where its messages go.
pub struct Context {
    pub cwd: PathBuf,
    pub now: jiff::Timestamp,
    messages: Messages,
}

enum Messages {
    /// Written to stderr as they come (the command line).
    Stderr,
    /// Kept for the caller (the MCP server), in order.
    Kept(Mutex<Vec<String>>),
}

impl Context {
    /// A context whose messages go to stderr as they come.
    pub fn new(cwd: PathBuf, now: jiff::Timestamp) -> Context {
        Context {
            cwd,
            now,
            messages: Messages::Stderr,
        }
    }

    /// A context that keeps its messages for [`Context::take_messages`].
    pub fn keeping_messages(cwd: PathBuf, now: jiff::Timestamp) -> Context {
        Context {
            cwd,
            now,
            messages: Messages::Kept(Mutex::new(Vec::new())),
        }
    }

    /// A line of progress or advice (`hint: …`, `warning: …` included as written).
    pub fn note(&self, message: impl AsRef<str>) {
        match &self.messages {
            Messages::Stderr => crate::output::note(message),
            Messages::Kept(kept) => kept
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(message.as_ref().to_owned()),
        }
    }

    /// A warning that quotes an error: kept to one line, whatever the error quotes.
    pub fn warn(&self, message: impl AsRef<str>) {
        self.note(crate::error::one_line(message.as_ref()));
    }

    /// The messages kept so far (none for a context that writes them to stderr).
    pub fn take_messages(&self) -> Vec<String> {
        match &self.messages {
            Messages::Stderr => Vec::new(),
            Messages::Kept(kept) => {
                std::mem::take(&mut *kept.lock().unwrap_or_else(|e| e.into_inner()))
            }
        }
    }

    /// Now, as realm files record it: `2026-01-24T10:00:00Z`.
    pub fn timestamp(&self) -> String {
        jiff::Timestamp::from_second(self.now.as_second())
            .expect("in range")
            .to_string()
    }

    /// Today's date in UTC, as changelogs record it.
    pub fn date(&self) -> String {
        self.now
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string()
    }
}

/// The clock: `GIT_REALM_NOW` (RFC 3339) when set, so tests and replays are repeatable.
pub fn now() -> Result<jiff::Timestamp> {
    match std::env::var("GIT_REALM_NOW") {
        Ok(value) if !value.is_empty() => value.parse().map_err(|e| {
            crate::error::BadInput::new(
                format!("invalid GIT_REALM_NOW `{value}`: {e}"),
                "use an RFC 3339 time like 2026-01-24T10:00:00Z, or unset it",
            )
            .into()
        }),
        _ => Ok(jiff::Timestamp::now()),
    }
}
