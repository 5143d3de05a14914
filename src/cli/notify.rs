//! `git realm notify`: re-send the notifications a sync could not deliver.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, NotifyOptions};

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
pub struct NotifyArgs {
    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: NotifyArgs) -> Result<Outcome> {
    let options = NotifyOptions {
        realm: args.realm.realm,
    };
    let (report, outcome) = ops::notify(ctx, options)?;
    ctx.emit(&report)?;
    Ok(outcome)
}
