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
mod forge;
mod forgejo;
mod github;
mod gitlab;
mod http;
mod issue;
mod pending;
pub mod repo_url;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use forge::Forge;
use repo_url::RepoRef;

use pending::PendingMessage;
pub use pending::path as pending_path;

/// The label every notification issue carries.
pub const LABEL: &str = "realm";

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
    fn kind(&self) -> Kind {
        match self {
            Message::Notice(_) => Kind::Notice,
            Message::Resolution(_) => Kind::Resolution,
        }
    }

    /// Messages with equal keys are about the same issue and fold into one.
    fn key(&self) -> (Kind, &str, &str, &str, &str) {
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
    fn fold(self, newer: Message) -> Message {
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

/// A forge token. It has no `Display`, its `Debug` hides it, and it is not serialized.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn new(secret: String) -> Token {
        Token(secret)
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Bounded retries of transient failures.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries per message, the first included.
    pub attempts: u32,
    /// The first wait; each further wait doubles it. Zero retries without waiting.
    pub base: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(500),
        }
    }
}

impl RetryPolicy {
    /// The wait before try `tries + 1`, or `None` when the server asks for longer than we wait.
    fn wait(&self, tries: u32, asked: Option<Duration>) -> Option<Duration> {
        let longest = self.base * 60;
        match asked {
            Some(asked) if asked > longest => None,
            Some(asked) => Some(asked),
            None => Some((self.base * 2u32.saturating_pow(tries.saturating_sub(1))).min(longest)),
        }
    }
}

/// Where and as whom to deliver.
#[derive(Debug, Clone, Default)]
pub struct DeliveryConfig {
    /// The GitHub token (`GITHUB_TOKEN`, else `GH_TOKEN`).
    pub token: Option<Token>,
    /// The GitHub API base for every GitHub consumer (`GITHUB_API_URL`, else
    /// `realm.githubApiUrl`); without it, only github.com repositories are reached on GitHub,
    /// through api.github.com, besides hosts configured one by one.
    pub api_url: Option<String>,
    pub retry: RetryPolicy,
    /// `realm.<host>.forge`, `.apiUrl` and `.tokenEnv`, by lowercase host.
    pub hosts: HashMap<String, forge::HostSettings>,
    /// The other forges' tokens by the variable they came from (`GITLAB_TOKEN`, a `tokenEnv`…).
    pub secrets: HashMap<String, Token>,
    /// The GitLab instance this runs in as a GitLab CI job, where `CI_JOB_TOKEN` is valid.
    pub gitlab_ci_host: Option<String>,
}

impl DeliveryConfig {
    /// The token from `GITHUB_TOKEN` or `GH_TOKEN`, the API base from `GITHUB_API_URL` or else
    /// `configured_api_url` (the caller reads git config `realm.githubApiUrl`), the per-host
    /// settings `host_listing` holds (the output of
    /// `git config --get-regexp '^realm\..+\.(forge|apiurl|tokenenv)$'`), the other forges'
    /// tokens and those of the variables `tokenEnv` names, and the retry base from
    /// `GIT_REALM_RETRY_BASE_MS`.
    pub fn from_env(configured_api_url: Option<String>, host_listing: &str) -> DeliveryConfig {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let token = var("GITHUB_TOKEN")
            .or_else(|| var("GH_TOKEN"))
            .map(Token::new);
        let api_url = var("GITHUB_API_URL").or(configured_api_url.filter(|v| !v.trim().is_empty()));
        let mut retry = RetryPolicy::default();
        if let Some(ms) = var("GIT_REALM_RETRY_BASE_MS").and_then(|v| v.parse().ok()) {
            retry.base = Duration::from_millis(ms);
        }
        let mut hosts = forge::host_settings(host_listing);
        if let Some(gitlab) = var("GITLAB_HOST").or_else(|| var("GL_HOST")) {
            forge::add_gitlab_host(&mut hosts, &gitlab);
        }
        let secrets = forge::TOKEN_VARS
            .iter()
            .copied()
            .chain(hosts.values().filter_map(|h| h.token_env.as_deref()))
            .filter_map(|name| Some((name.to_owned(), Token::new(var(name)?))))
            .collect();
        DeliveryConfig {
            token,
            api_url,
            retry,
            hosts,
            secrets,
            gitlab_ci_host: forge::gitlab_ci_host(var),
        }
    }

    /// The first unusable `realm.<host>.*` setting, as (what is wrong, how to fix it).
    pub fn check_hosts(&self) -> Result<(), (String, String)> {
        forge::check_hosts(&self.hosts)
    }

    /// `text` with every token replaced.
    fn scrub(&self, text: &str) -> String {
        self.token
            .iter()
            .chain(self.secrets.values())
            .fold(text.to_owned(), |text, token| github::scrub(&text, token))
    }
}

/// An issue as far as notifications care.
#[derive(Debug, Clone)]
pub struct Issue {
    pub number: u64,
    /// The web page of the issue.
    pub url: String,
    pub body: String,
}

/// A tracker failure; its message never contains the token.
#[derive(Debug, Clone)]
pub struct TrackerError {
    /// Worth trying again (5xx, rate limit, transport).
    pub transient: bool,
    /// How long the server asked to wait.
    pub retry_after: Option<Duration>,
    pub message: String,
}

impl TrackerError {
    fn permanent(message: String) -> TrackerError {
        TrackerError {
            transient: false,
            retry_after: None,
            message,
        }
    }
}

/// Where notification issues live. Each call is one request; retries are the caller's.
pub trait Tracker {
    /// The open issue whose body carries `marker`, if any.
    fn find_open(&mut self, repo: &RepoRef, marker: &str) -> Result<Option<Issue>, TrackerError>;
    /// Open an issue labelled [`LABEL`].
    fn create(&mut self, repo: &RepoRef, title: &str, body: &str) -> Result<Issue, TrackerError>;
    fn edit(
        &mut self,
        repo: &RepoRef,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), TrackerError>;
    fn comment(&mut self, repo: &RepoRef, number: u64, body: &str) -> Result<(), TrackerError>;
    fn close(&mut self, repo: &RepoRef, number: u64) -> Result<(), TrackerError>;
}

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

/// Deliver this sync's notices and resolutions; record what could not be delivered.
///
/// `git_dir` is the code repository's common git dir (`git rev-parse --git-common-dir`). Never
/// fails: problems are in the report, and a realm commit already made stays made. Messages
/// already pending for other (consumer, export) pairs are left for [`resend`].
pub fn deliver(
    config: &DeliveryConfig,
    git_dir: &Path,
    notices: Vec<Notice>,
    resolutions: Vec<Resolution>,
) -> DeliveryReport {
    let fresh: Vec<Message> = notices
        .into_iter()
        .filter(|n| n.consumer != n.provider)
        .map(Message::Notice)
        .chain(resolutions.into_iter().map(Message::Resolution))
        .collect();
    let mut report = DeliveryReport::default();
    let mut store = match pending::Store::open(git_dir) {
        Ok(store) => Some(store),
        Err(e) => {
            report.store_error = Some(format!("{e:#}"));
            None
        }
    };
    let mut waiting = store
        .as_mut()
        .map(|s| std::mem::take(&mut s.messages))
        .unwrap_or_default();
    let queue = fold_into(&mut waiting, fresh);
    let failed = send_all(config, queue, &mut report);
    if let Some(store) = &mut store {
        store.messages = waiting;
        store.messages.extend(failed);
        report.pending = store.messages.len();
        if let Err(e) = store.save() {
            report.store_error = Some(format!("{e:#}"));
        }
    }
    report
}

/// Deliver everything pending (`git realm notify`).
///
/// `review` sees each pending message first: it may change it (a `repo_url` read again from
/// the realm) and returns why to drop it, or `None` to send it. Fails only when the pending
/// store cannot be read or written.
pub fn resend(
    config: &DeliveryConfig,
    git_dir: &Path,
    mut review: impl FnMut(&mut Message) -> Option<String>,
) -> anyhow::Result<DeliveryReport> {
    let mut store = pending::Store::open(git_dir)?;
    let mut report = DeliveryReport::default();
    let mut queue = Vec::new();
    for mut entry in std::mem::take(&mut store.messages) {
        match review(&mut entry.message) {
            None => queue.push(entry.message),
            Some(reason) => {
                let (kind, provider, consumer, export, version) = labels(&entry.message);
                report.dropped.push(Dropped {
                    kind,
                    provider,
                    consumer,
                    export,
                    version,
                    reason,
                });
            }
        }
    }
    let queue = fold_into(&mut Vec::new(), queue);
    store.messages = send_all(config, queue, &mut report);
    report.pending = store.messages.len();
    store.save()?;
    Ok(report)
}

/// Take the messages of `waiting` that share a key with one in `fresh` and fold them together;
/// the result is the queue to send, one message per key.
fn fold_into(waiting: &mut Vec<PendingMessage>, fresh: Vec<Message>) -> Vec<Message> {
    let mut queue: Vec<Message> = Vec::new();
    for message in fresh {
        let earlier_in_queue = queue.iter().position(|q| q.key() == message.key());
        let earlier_waiting = waiting
            .iter()
            .position(|w| w.message.key() == message.key());
        let message = match earlier_waiting {
            Some(i) => waiting.remove(i).message.fold(message),
            None => message,
        };
        match earlier_in_queue {
            Some(i) => {
                let earlier = queue.remove(i);
                queue.insert(i, earlier.fold(message));
            }
            None => queue.push(message),
        }
    }
    queue
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

/// Who would be notified, and where, without sending anything.
pub fn plan(
    config: &DeliveryConfig,
    notices: &[Notice],
    resolutions: &[Resolution],
) -> Vec<Planned> {
    let messages = notices
        .iter()
        .filter(|n| n.consumer != n.provider)
        .cloned()
        .map(Message::Notice)
        .chain(resolutions.iter().cloned().map(Message::Resolution));
    messages
        .filter_map(|message| {
            let (kind, provider, consumer, export, version) = labels(&message);
            let (repo, problem) = match forge::route(config, &message) {
                Ok(Some(route)) => (Some(route.repo.to_string()), None),
                Ok(None) => return None,
                // The tracker is named even when it cannot be reached as things stand.
                Err(problem) => (
                    message
                        .consumer_repo_url()
                        .and_then(|url| repo_url::locate(url).ok())
                        .map(|(host, path)| format!("{host}/{}", path.join("/"))),
                    Some(problem),
                ),
            };
            Some(Planned {
                kind,
                provider,
                consumer,
                export,
                version,
                repo,
                problem,
            })
        })
        .collect()
}

/// Send each message; return those not delivered, with why.
fn send_all(
    config: &DeliveryConfig,
    queue: Vec<Message>,
    report: &mut DeliveryReport,
) -> Vec<PendingMessage> {
    type Trackers = HashMap<(Forge, String, String), Result<Box<dyn Tracker>, String>>;
    let mut trackers: Trackers = HashMap::new();
    let mut runtime: Option<Result<Rc<tokio::runtime::Runtime>, String>> = None;
    let mut failed = Vec::new();
    for message in queue {
        let outcome = (|| -> Result<Option<Delivered>, String> {
            let Some(route) = forge::route(config, &message)? else {
                return Ok(None);
            };
            let runtime = runtime
                .get_or_insert_with(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map(Rc::new)
                        .map_err(|e| format!("failed to start the HTTP runtime: {e}"))
                })
                .clone()?;
            let key = (route.forge, route.api_base.clone(), route.token_var.clone());
            let tracker = trackers
                .entry(key)
                .or_insert_with(|| tracker_for(&route, runtime).map_err(|e| e.message))
                .as_mut()
                .map_err(|e| e.clone())?;
            let repo = &route.repo;
            let forge = route.forge;
            let result = match &message {
                Message::Notice(notice) => {
                    send_notice(tracker.as_mut(), &config.retry, forge, repo, notice).map(Some)
                }
                Message::Resolution(resolution) => {
                    send_resolution(tracker.as_mut(), &config.retry, forge, repo, resolution)
                }
            };
            result.map_err(|e| format!("{repo}: {e}"))
        })();
        match outcome {
            Ok(Some(delivered)) => report.delivered.push(delivered),
            Ok(None) => {}
            Err(reason) => {
                let reason = config.scrub(&reason);
                let (kind, provider, consumer, export, version) = labels(&message);
                report.not_notified.push(NotNotified {
                    kind,
                    provider,
                    consumer,
                    export,
                    version,
                    reason: reason.clone(),
                });
                failed.push(PendingMessage { message, reason });
            }
        }
    }
    failed
}

/// The client for one forge's API, as one token.
fn tracker_for(
    route: &forge::Route,
    runtime: Rc<tokio::runtime::Runtime>,
) -> Result<Box<dyn Tracker>, TrackerError> {
    Ok(match route.forge {
        Forge::GitHub => Box::new(github::GitHub::new(&route.api_base, &route.token, runtime)?),
        Forge::GitLab => Box::new(gitlab::GitLab::new(route, runtime)?),
        Forge::Forgejo => Box::new(forgejo::Forgejo::new(route, runtime)?),
    })
}

fn labels(message: &Message) -> (Kind, String, String, String, String) {
    let (_, provider, export, consumer) = message.names();
    (
        message.kind(),
        provider.to_owned(),
        consumer.to_owned(),
        export.to_owned(),
        message.version().to_owned(),
    )
}

/// Run `step` until it succeeds, fails for good, or the tries run out.
fn with_retry<T>(
    policy: &RetryPolicy,
    forge: &str,
    mut step: impl FnMut() -> Result<T, TrackerError>,
) -> Result<T, String> {
    let mut tries = 0;
    loop {
        tries += 1;
        match step() {
            Ok(value) => return Ok(value),
            Err(e) if !e.transient => return Err(e.message),
            Err(e) if tries >= policy.attempts.max(1) => {
                return Err(format!("{} (gave up after {tries} tries)", e.message));
            }
            Err(e) => match policy.wait(tries, e.retry_after) {
                Some(wait) => std::thread::sleep(wait),
                None => {
                    let asked = e.retry_after.unwrap_or_default().as_secs();
                    return Err(format!(
                        "{} ({forge} asks to wait {asked}s; try again later)",
                        e.message
                    ));
                }
            },
        }
    }
}

fn version(text: &str) -> Option<semver::Version> {
    text.trim().parse().ok()
}

fn send_notice(
    tracker: &mut dyn Tracker,
    retry: &RetryPolicy,
    forge: Forge,
    repo: &RepoRef,
    notice: &Notice,
) -> Result<Delivered, String> {
    let marker = issue::marker(
        &notice.realm,
        &notice.provider,
        &notice.export,
        &notice.consumer,
    );
    let title = issue::title(notice);
    let body = issue::body(notice, forge);
    // Steps done survive a retry, so a retried delivery does not repeat them.
    let mut tried_create = false;
    let mut edited = false;
    let mut commented = false;
    let (issue, action) = with_retry(retry, forge.name(), || {
        let Some(found) = tracker.find_open(repo, &marker)? else {
            tried_create = true;
            return Ok((tracker.create(repo, &title, &body)?, Action::Opened));
        };
        let announced = issue::announced_version(&found.body);
        let already =
            matches!((&announced, version(&notice.version)), (Some(a), Some(v)) if *a >= v);
        if already && !edited {
            return Ok((
                found,
                if tried_create {
                    Action::Opened
                } else {
                    Action::Unchanged
                },
            ));
        }
        if !edited {
            tracker.edit(repo, found.number, &title, &body)?;
            edited = true;
        }
        if !commented {
            tracker.comment(
                repo,
                found.number,
                &issue::update_comment(notice, announced.as_ref(), forge),
            )?;
            commented = true;
        }
        Ok((found, Action::Updated))
    })?;
    Ok(Delivered {
        kind: Kind::Notice,
        provider: notice.provider.clone(),
        consumer: notice.consumer.clone(),
        export: notice.export.clone(),
        version: notice.version.clone(),
        issue_number: issue.number,
        url: issue.url,
        action,
    })
}

fn send_resolution(
    tracker: &mut dyn Tracker,
    retry: &RetryPolicy,
    forge: Forge,
    repo: &RepoRef,
    resolution: &Resolution,
) -> Result<Option<Delivered>, String> {
    let marker = issue::marker(
        &resolution.realm,
        &resolution.provider,
        &resolution.export,
        &resolution.consumer,
    );
    let resolved = version(&resolution.version);
    let mut commented = false;
    let done = with_retry(retry, forge.name(), || {
        let Some(found) = tracker.find_open(repo, &marker)? else {
            return Ok(None);
        };
        let announced = issue::announced_version(&found.body);
        if let (Some(announced), Some(resolved)) = (&announced, &resolved) {
            if announced > resolved {
                if !commented {
                    tracker.comment(
                        repo,
                        found.number,
                        &issue::partly_resolved_comment(resolution, announced, forge),
                    )?;
                    commented = true;
                }
                return Ok(Some((found, Action::Commented)));
            }
        }
        if !commented {
            tracker.comment(
                repo,
                found.number,
                &issue::resolved_comment(resolution, forge),
            )?;
            commented = true;
        }
        tracker.close(repo, found.number)?;
        Ok(Some((found, Action::Closed)))
    })?;
    Ok(done.map(|(issue, action)| Delivered {
        kind: Kind::Resolution,
        provider: resolution.provider.clone(),
        consumer: resolution.consumer.clone(),
        export: resolution.export.clone(),
        version: resolution.version.clone(),
        issue_number: issue.number,
        url: issue.url,
        action,
    }))
}
