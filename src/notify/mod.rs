//! Telling consumers about new export versions in their own issue trackers.
//!
//! When `sync` publishes a new version of an export, each consuming domain hears about it in an
//! issue in the repository its `domain.yaml` `repo_url` names, on GitHub (and Enterprise), GitLab
//! (and self-managed) or Forgejo/Gitea, as `forge` decides from the host. There
//! is one open issue per (consumer, export): it carries the label `realm` and a hidden marker
//! naming realm, provider, export and consumer, by which later deliveries find it again. A newer
//! version edits that issue's title and body and comments on it; the consumer's own resolving
//! `sync` comments and closes it.
//!
//! # API
//!
//! - [`deliver`] takes this run's [`Notice`]s (provider side) and [`Resolution`]s (consumer side)
//!   and a [`DeliveryConfig`] (built by [`DeliveryConfig::from_env`] from the environment,
//!   `realm.githubApiUrl` and `realm.<host>.*`). It never fails: what it cannot deliver (no
//!   token, no usable `repo_url`, an unnamed host, an API error after retries) is reported in
//!   [`DeliveryReport::not_notified`] and recorded in the repository's pending store. A message for a (consumer, export) that is
//!   already pending is folded into the new one, so nothing is lost and nothing is sent twice.
//! - [`resend`] (`git realm notify`) delivers what is pending, after letting the caller review
//!   each message against the realm: refresh a `repo_url`, drop what the consumer has meanwhile
//!   resolved.
//! - [`plan`] says who would be notified and where, sending nothing (`sync --dry-run`).
//! - [`announce`] reads from the realm what a change tells whom.
//!
//! A provider never notifies itself (a notice whose consumer is its provider is skipped). Both
//! `deliver` and `resend` are idempotent: an issue is looked up by its marker before anything is
//! created, and an issue that already announces a version is not announced again.
//!
//! # Layout
//!
//! `message` (notices, resolutions and how they fold), `config` (tokens, hosts, retries),
//! `tracker` (the trait and the client for a route), `send` (one message to one tracker),
//! `delivery` (deliver, resend, plan) and `report`; the forges in `github`, `gitlab` and
//! `forgejo` over `http`, which `forge` chooses; the issue text in `issue`; the pending store in
//! `pending`.
//!
//! # Storage
//!
//! `<git-common-dir>/realm/pending-notifications.json` (see `pending`): local to the clone,
//! written atomically under a lock file.
//!
//! # Secrets
//!
//! Tokens (`GITHUB_TOKEN`/`GH_TOKEN`, `GITLAB_TOKEN`, `CI_JOB_TOKEN`, `FORGEJO_TOKEN`/
//! `GITEA_TOKEN`, those `realm.<host>.tokenEnv` names) live in [`Token`]s, which never print, and
//! are scrubbed from every error text before it reaches a report, the pending file or the
//! terminal. Each goes only to the hosts `forge` allows it.
//!
//! # Retries
//!
//! 5xx answers, rate limits (429, or 403 with rate-limit headers; `Retry-After`, GitHub's
//! `X-RateLimit-Reset`, GitLab's `RateLimit-Reset`) and transport failures are
//! retried up to [`RetryPolicy::attempts`] times with exponential backoff from
//! [`RetryPolicy::base`] (`GIT_REALM_RETRY_BASE_MS`, default 500 ms); a server asking to wait
//! longer than 60 × base is not waited for, and the message stays pending.

pub mod announce;
mod config;
mod delivery;
mod forge;
mod forgejo;
mod github;
mod gitlab;
mod http;
mod issue;
mod message;
mod pending;
pub mod repo_url;
mod report;
mod send;
mod tracker;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

pub use config::{DeliveryConfig, RetryPolicy, Token};
pub use delivery::{deliver, plan, resend, resend_of};
pub use message::{Kind, Message, Notice, Resolution};
pub use pending::path as pending_path;
pub use report::{Action, Delivered, DeliveryReport, Dropped, NotNotified, Planned};
pub use tracker::{Issue, LABEL, Tracker, TrackerError};
