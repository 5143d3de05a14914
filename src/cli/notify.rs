//! `git realm notify`: re-send the notifications a sync could not deliver.

use std::io::Write;

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, membership};
use crate::error::BadInput;
use crate::git::CodeRepo;
use crate::notify::{self, Action, DeliveryConfig, DeliveryReport, Kind, Message};
use crate::output::{self, Report};
use crate::realm::snapshot::Snapshot;

/// Re-send the notifications a sync could not deliver
///
/// sync and approve record what they could not deliver (no token, a consumer without a usable
/// repo_url, its forge unreachable) in .git/realm/pending-notifications.json, and notify sends
/// exactly that. Running it twice opens nothing twice: each consumer's issue is found again by
/// a hidden marker. Before sending, each message is checked against the realm (fetched first):
/// repo_url is read again, and notices for versions the consumer has meanwhile resolved, or for
/// domains that left, are dropped.
///
/// Issues go to the forge the consumer's repo_url host runs: github.com (GITHUB_TOKEN or
/// GH_TOKEN; GitHub Enterprise through GITHUB_API_URL or git config realm.githubApiUrl),
/// gitlab.com and GITLAB_HOST (GITLAB_TOKEN, or CI_JOB_TOKEN inside GitLab CI) and
/// codeberg.org (FORGEJO_TOKEN or GITEA_TOKEN) are known; another host is named with git config
/// realm.<host>.forge github|gitlab|forgejo, its API base with realm.<host>.apiUrl and its
/// token's variable with realm.<host>.tokenEnv. A token is sent only to hosts named this way,
/// never to one that only a realm file (repo_url, forge:) names.
///
/// Exit status: 0 when nothing is left to send; 1 when some notifications are still pending (the
/// report says why); 2 when notify could not run at all.
#[derive(Debug, Args)]
pub struct NotifyArgs {}

impl Report for DeliveryReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        human(self, out)
    }
}

/// The lines of a delivery report, shared with `sync`.
pub fn human(report: &DeliveryReport, out: &mut dyn Write) -> std::io::Result<()> {
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

/// Advice on stderr after a delivery, shared with `sync`.
pub fn hints(report: &DeliveryReport) {
    if let Some(error) = &report.store_error {
        output::note(format!("warning: {error}"));
    }
    if !report.not_notified.is_empty() {
        output::note(
            "hint: fix the cause above, then run 'git realm notify' to send what is pending",
        );
    }
}

/// Where and as whom this repository's notifications go: the environment's tokens,
/// `realm.githubApiUrl`, and the `realm.<host>.forge|apiUrl|tokenEnv` settings.
pub fn delivery_config(repo: &CodeRepo) -> Result<DeliveryConfig> {
    Ok(DeliveryConfig::from_env(
        repo.config("realm.githubApiUrl")?,
        &repo.config_matching(r"^realm\..+\.(forge|apiurl|tokenenv)$")?,
    ))
}

/// [`delivery_config`], refusing unusable `realm.<host>.*` settings before anything is written.
pub fn checked_delivery_config(repo: &CodeRepo) -> Result<DeliveryConfig> {
    let config = delivery_config(repo)?;
    if let Err((message, hint)) = config.check_hosts() {
        return Err(BadInput::new(message, hint).into());
    }
    Ok(config)
}

/// Exit status 1 when something is still pending: notify ran to the end and its report is the
/// result, but the job it exists for is not done, like `check` finding a stale import. Scripts
/// can retry on 1. Status 2 (an error, no report) is kept for when notify could not run: not a
/// repository, an unreadable pending file, its lock held by another git-realm.
pub fn run(ctx: &Ctx, _args: NotifyArgs) -> Result<Outcome> {
    let repo = CodeRepo::discover(&ctx.cwd)?;
    let git_dir = repo.common_dir().to_path_buf();
    let delivery = checked_delivery_config(&repo)?;
    let snapshot = if notify::pending_path(&git_dir).exists() {
        realm_now(&repo)
    } else {
        None
    };
    let report = notify::resend(&delivery, &git_dir, |message| {
        review(snapshot.as_ref(), message)
    })?;
    if report.delivered.is_empty() && report.dropped.is_empty() && report.not_notified.is_empty() {
        output::note("Nothing to send: no notification is pending");
    }
    ctx.emit(&report)?;
    hints(&report);
    Ok(if report.not_notified.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// The realm as it is now (fetched, or as last fetched when fetching fails), if this repository
/// has joined one; `(realm name, snapshot)`.
fn realm_now(repo: &CodeRepo) -> Option<(String, Snapshot)> {
    let config = membership::read_config(repo).ok().flatten()?;
    let realm = &config.realm;
    if let Err(e) = repo.fetch_realm(realm) {
        output::warn(format!(
            "warning: could not fetch realm `{}`, using what was fetched last: {e:#}",
            realm.name
        ));
    }
    match repo.fetched_realm(realm) {
        Ok((_, snapshot)) => Some((realm.name.clone(), snapshot)),
        Err(e) => {
            output::warn(format!(
                "warning: sending without checking against the realm: {e:#}"
            ));
            None
        }
    }
}

/// Check a pending message against the realm: refresh its `repo_url`, or say why to drop it.
fn review(realm: Option<&(String, Snapshot)>, message: &mut Message) -> Option<String> {
    let (name, snapshot) = realm?;
    let (realm_name, provider, export, consumer) = message.names();
    if realm_name != name {
        return None;
    }
    let Some(state) = snapshot.domain(consumer) else {
        return Some(format!(
            "domain `{consumer}` is no longer in realm `{name}`"
        ));
    };
    if let Message::Notice(notice) = &*message {
        let import = state
            .imports
            .imports
            .iter()
            .find(|i| i.from == provider && i.contract == export);
        let Some(import) = import else {
            return Some(format!(
                "`{consumer}` no longer imports {provider}/{export}"
            ));
        };
        let resolved = import
            .resolved_version
            .as_deref()
            .and_then(|v| semver::Version::parse(v).ok());
        let announced = semver::Version::parse(&notice.version).ok();
        if let (Some(resolved), Some(announced)) = (resolved, announced) {
            if resolved >= announced {
                return Some(format!("`{consumer}` has already resolved {resolved}"));
            }
        }
    }
    message.set_consumer_repo_url(state.domain.repo_url.clone());
    message.set_consumer_forge(state.domain.forge().map(str::to_owned));
    None
}
