//! `notify`: re-send the notifications a sync could not deliver.

use anyhow::Result;

use super::{Context, Outcome};
use crate::git::CodeRepo;
use crate::member as membership;
use crate::notify::{self, DeliveryReport, Message};
use crate::realm::snapshot::Snapshot;

/// What `notify` is asked: nothing yet; a struct so options can come without changing callers.
#[derive(Debug, Clone, Default)]
pub struct NotifyOptions {}

/// What `notify` reports is what the delivery did: sent, dropped, still pending.
pub type NotifyReport = DeliveryReport;

/// Exit status 1 when something is still pending: notify ran to the end and its report is the
/// result, but the job it exists for is not done, like `check` finding a stale import. Scripts
/// can retry on 1. Status 2 (an error, no report) is kept for when notify could not run: not a
/// repository, an unreadable pending file, its lock held by another git-realm.
pub fn notify(ctx: &Context, _options: NotifyOptions) -> Result<(NotifyReport, Outcome)> {
    let repo = CodeRepo::discover(&ctx.cwd)?;
    let git_dir = repo.common_dir().to_path_buf();
    let delivery = crate::member::delivery::checked_config(&repo)?;
    let snapshot = if notify::pending_path(&git_dir).exists() {
        realm_now(ctx, &repo)
    } else {
        None
    };
    let report = notify::resend(&delivery, &git_dir, |message| {
        review(snapshot.as_ref(), message)
    })?;
    if report.delivered.is_empty() && report.dropped.is_empty() && report.not_notified.is_empty() {
        ctx.note("Nothing to send: no notification is pending");
    }
    crate::member::delivery::hints(ctx, &report);
    let outcome = if report.not_notified.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    };
    Ok((report, outcome))
}

/// The realm as it is now (fetched, or as last fetched when fetching fails), if this repository
/// has joined one; `(realm name, snapshot)`.
fn realm_now(ctx: &Context, repo: &CodeRepo) -> Option<(String, Snapshot)> {
    let config = membership::read_config(repo).ok().flatten()?;
    let realm = &config.realm;
    if let Err(e) = repo.fetch_realm(realm) {
        ctx.warn(format!(
            "warning: could not fetch realm `{}`, using what was fetched last: {e:#}",
            realm.name
        ));
    }
    match repo.fetched_realm(realm) {
        Ok((_, snapshot)) => Some((realm.name.clone(), snapshot)),
        Err(e) => {
            ctx.warn(format!(
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
