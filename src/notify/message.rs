//! What is delivered: a provider's notice of a new export version, a consumer's resolution of
//! one, and the rules by which messages about the same issue fold into one.

use serde::{Deserialize, Serialize};

/// A provider's new export version, to be told to one consumer.
///
/// A notice is self-contained: `previous` is the version the consumer last resolved (its
/// `resolved_version`), and `changes` are the changelog lines of every version after it up to
/// `version`, so a newer notice supersedes an older one for the same (consumer, export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub realm: String,
    /// The domain that published the export.
    pub provider: String,
    /// The domain that imports it and is told.
    pub consumer: String,
    /// The consumer's `repo_url` from its `domain.yaml`, where its issue goes.
    pub consumer_repo_url: Option<String>,
    /// The consumer's `forge:` from its `domain.yaml`: which kind of forge its host runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer_forge: Option<String>,
    pub export: String,
    pub version: String,
    pub previous: Option<String>,
    /// Changelog lines, like `Added training-metrics/experiments/* (read, write)`.
    pub changes: Vec<String>,
    pub breaking: bool,
    /// For a breaking change in its grace period: the date consumers see it from.
    pub effective_from: Option<String>,
    /// The consumer's binding file for this import, to review.
    pub binding: Option<String>,
}

/// A consumer's sync resolved an import: its open issue for that export is closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    pub realm: String,
    pub provider: String,
    /// The domain that resolved (this repository's).
    pub consumer: String,
    /// This domain's own `repo_url`, where the issue is.
    pub consumer_repo_url: Option<String>,
    /// This domain's own `forge:` from its `domain.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer_forge: Option<String>,
    pub export: String,
    /// The version now resolved.
    pub version: String,
}

/// One thing to deliver, as the pending store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Message {
    Notice(Notice),
    Resolution(Resolution),
}

impl Message {
    pub(super) fn kind(&self) -> Kind {
        match self {
            Message::Notice(_) => Kind::Notice,
            Message::Resolution(_) => Kind::Resolution,
        }
    }

    /// Messages with equal keys are about the same issue and fold into one.
    pub(super) fn key(&self) -> (Kind, &str, &str, &str, &str) {
        let (realm, provider, export, consumer) = self.names();
        (self.kind(), realm, provider, export, consumer)
    }

    /// (realm, provider, export, consumer)
    pub fn names(&self) -> (&str, &str, &str, &str) {
        match self {
            Message::Notice(n) => (&n.realm, &n.provider, &n.export, &n.consumer),
            Message::Resolution(r) => (&r.realm, &r.provider, &r.export, &r.consumer),
        }
    }

    pub fn version(&self) -> &str {
        match self {
            Message::Notice(n) => &n.version,
            Message::Resolution(r) => &r.version,
        }
    }

    pub fn consumer_repo_url(&self) -> Option<&str> {
        match self {
            Message::Notice(n) => n.consumer_repo_url.as_deref(),
            Message::Resolution(r) => r.consumer_repo_url.as_deref(),
        }
    }

    pub fn consumer_forge(&self) -> Option<&str> {
        match self {
            Message::Notice(n) => n.consumer_forge.as_deref(),
            Message::Resolution(r) => r.consumer_forge.as_deref(),
        }
    }

    pub fn set_consumer_repo_url(&mut self, url: Option<String>) {
        match self {
            Message::Notice(n) => n.consumer_repo_url = url,
            Message::Resolution(r) => r.consumer_repo_url = url,
        }
    }

    pub fn set_consumer_forge(&mut self, forge: Option<String>) {
        match self {
            Message::Notice(n) => n.consumer_forge = forge,
            Message::Resolution(r) => r.consumer_forge = forge,
        }
    }

    /// `self` (pending) and a `newer` message with the same key, as one message: the one with
    /// the higher version, which says everything the other does.
    ///
    /// A newer notice is never chained onto a pending one: its `previous` is what the consumer
    /// has resolved, so a pending notice for that version is one the consumer no longer needs.
    pub(super) fn fold(self, newer: Message) -> Message {
        let older_is_newer = matches!(
            (version(self.version()), version(newer.version())),
            (Some(old), Some(new)) if old > new
        );
        if older_is_newer { self } else { newer }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Notice,
    Resolution,
}

pub(super) fn version(text: &str) -> Option<semver::Version> {
    text.trim().parse().ok()
}
