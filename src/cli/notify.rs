//! `git realm notify`: re-send the notifications a sync could not deliver.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::git::CodeRepo;
use crate::member as membership;
use crate::notify::{self, Message};
use crate::output;
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

/// Exit status 1 when something is still pending: notify ran to the end and its report is the
/// result, but the job it exists for is not done, like `check` finding a stale import. Scripts
/// can retry on 1. Status 2 (an error, no report) is kept for when notify could not run: not a
/// repository, an unreadable pending file, its lock held by another git-realm.
pub fn run(ctx: &Ctx, _args: NotifyArgs) -> Result<Outcome> {
    let repo = CodeRepo::discover(&ctx.cwd)?;
    let git_dir = repo.common_dir().to_path_buf();
    let delivery = crate::member::delivery::checked_config(&repo)?;
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
    crate::member::delivery::hints(ctx, &report);
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
