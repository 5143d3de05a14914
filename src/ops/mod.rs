//! The operations behind the commands: each takes a [`Context`] and typed options and returns
//! its report with an [`Outcome`]. They print nothing on stdout; what a user should read
//! besides the report (progress, warnings, hints) goes to the context's messages, which the
//! command line writes to stderr and the MCP server returns beside the report.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Result;

pub mod approve;
pub mod check;
pub mod export;
pub mod fetch;
pub mod graph;
pub mod hooks;
pub mod import;
pub mod init;
pub mod invite;
pub mod join;
pub mod leave;
pub mod list;
pub mod notify;
pub mod status;
pub mod sync;
pub mod verify;

pub use approve::{ApproveOptions, ApproveReport, approve};
pub use check::{CheckAt, CheckOptions, CheckReport, check};
pub use export::{ExportOptions, ExportReport, ExportValue, export};
pub use fetch::{FetchOptions, FetchReport, fetch};
pub use graph::{GraphFormat, GraphOptions, GraphReport, graph};
pub use import::{ImportOptions, ImportReport, import};
pub use init::{InitOptions, InitReport, init};
pub use invite::{InviteOptions, InviteReport, invite};
pub use join::{JoinOptions, JoinReport, join};
pub use leave::{LeaveOptions, LeaveReport, leave};
pub use list::{ListOptions, ListReport, list};
pub use notify::{NotifyOptions, NotifyReport, notify};
pub use status::{StatusOptions, StatusReport, status};
pub use sync::{SyncOptions, SyncReport, sync};
pub use verify::{VerifyOptions, VerifyReport, verify};

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
