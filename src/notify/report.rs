//! What a delivery did and what a dry run would do. The JSON field names are public API.

use serde::Serialize;

use super::Kind;

/// What a delivery did. Its JSON field names are public API (`git realm notify --json`, and
/// `sync --json` embeds it).
#[derive(Debug, Default, Serialize)]
pub struct DeliveryReport {
    pub delivered: Vec<Delivered>,
    pub not_notified: Vec<NotNotified>,
    /// Pending messages the review dropped (`resend` only).
    pub dropped: Vec<Dropped>,
    /// Messages waiting in the pending store after this run, this run's and older ones.
    pub pending: usize,
    /// Why the pending store could not be read or written, if it could not.
    pub store_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivered {
    pub kind: Kind,
    pub provider: String,
    pub consumer: String,
    pub export: String,
    pub version: String,
    pub issue_number: u64,
    pub url: String,
    pub action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// A new issue.
    Opened,
    /// The open issue now describes the newer version (title, body and a comment).
    Updated,
    /// The issue already announced this version (or a newer one): nothing sent.
    Unchanged,
    /// Resolved and closed with a comment.
    Closed,
    /// Resolved an older version than the issue announces: a comment, the issue stays open.
    Commented,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotNotified {
    pub kind: Kind,
    pub provider: String,
    pub consumer: String,
    pub export: String,
    pub version: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    pub kind: Kind,
    pub provider: String,
    pub consumer: String,
    pub export: String,
    pub version: String,
    pub reason: String,
}

/// Where a message would go, for `sync --dry-run`: no network, nothing recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub kind: Kind,
    pub provider: String,
    pub consumer: String,
    pub export: String,
    pub version: String,
    /// `host/owner/repo` of the issue tracker.
    pub repo: Option<String>,
    /// Why it could not be sent as things stand (no token, no repo_url, …).
    pub problem: Option<String>,
}
