//! How old the realm state a reading command uses is: fetched first, within the hooks' short
//! time limit, when the realm is a path on this machine or the state is older than
//! `realm.fetchInterval`; what was fetched before when the realm does not answer.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

use super::Member;
use crate::context::Context;
use crate::git::fetch_time::FetchInterval;
use crate::git::{CodeRepo, is_url};
use crate::realm::config::Membership;

/// When the realm state a report reads was fetched. Flattened into reports: `fetched_at`,
/// `fetched`.
#[derive(Debug, Clone, Serialize)]
pub struct Freshness {
    /// When the state was fetched (RFC 3339), if that is recorded.
    pub fetched_at: Option<String>,
    pub fetched: Fetched,
    /// How old the state is, in seconds, for the human report.
    #[serde(skip)]
    pub age: Option<i64>,
}

/// Whether this run fetched the realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fetched {
    /// Fetched by this run, before reading it (or, for a realm on this machine, found to hold
    /// just what was fetched).
    Auto,
    /// As fetched before: recent enough, or `realm.fetchInterval` is `never`.
    Cached,
    /// This run tried to fetch and could not; as fetched before.
    Failed,
}

/// [`freshen_membership`] for the realm `member` belongs to.
pub fn freshen(ctx: &Context, member: &Member) -> Result<Freshness> {
    freshen_membership(ctx, &member.repo, &member.config.realm)
}

/// Fetch `membership`'s realm when it is due (see the module), and say how old the state
/// under `refs/realm/` is now. A fetch that fails leaves one line on stderr and the state as
/// it was; only a bad `realm.fetchInterval` is an error.
pub fn freshen_membership(
    ctx: &Context,
    repo: &CodeRepo,
    membership: &Membership,
) -> Result<Freshness> {
    let interval = repo.fetch_interval()?;
    let before = state(ctx, repo, membership, Fetched::Cached);
    let missing = repo
        .ref_target(&CodeRepo::realm_ref(&membership.name, &membership.branch))?
        .is_none();
    let due = match interval {
        FetchInterval::Never => false,
        FetchInterval::Every(every) => {
            missing
                || !is_url(&membership.url)
                || before.age.is_none_or(|age| {
                    // A time in the future is not trusted to be recent.
                    age < 0 || Duration::from_secs(age.unsigned_abs()) >= every
                })
        }
    };
    if !due {
        return Ok(before);
    }
    // A realm on this machine whose branches are those fetched: nothing to fetch.
    if !missing && repo.local_realm_in_step(membership) {
        repo.record_fetch(membership);
        return Ok(state(ctx, repo, membership, Fetched::Auto));
    }
    let limit = repo
        .hook_settings()
        .map_or(crate::git::hooks::DEFAULT_FETCH_TIMEOUT, |s| {
            s.fetch_timeout
        });
    let started = Instant::now();
    match repo.fetch_realm_limited(membership, limit) {
        Ok(()) => Ok(state(ctx, repo, membership, Fetched::Auto)),
        Err(err) => {
            let why = if started.elapsed() >= limit {
                format!(
                    "realm `{}` did not answer within {} ms",
                    membership.name,
                    limit.as_millis()
                )
            } else {
                format!("{err:#}")
            };
            let using = match (&before.fetched_at, missing) {
                (_, true) => "no realm state fetched before".to_owned(),
                (Some(_), false) => format!(
                    "using the realm state fetched {}",
                    crate::output::fetched_when(&before)
                ),
                (None, false) => "using the realm state fetched before".to_owned(),
            };
            ctx.warn(format!("note: {why}; {using}"));
            Ok(Freshness {
                fetched: Fetched::Failed,
                ..before
            })
        }
    }
}

fn state(ctx: &Context, repo: &CodeRepo, membership: &Membership, fetched: Fetched) -> Freshness {
    let at = repo.fetched_at(membership);
    Freshness {
        fetched_at: at.map(|t| t.to_string()),
        fetched,
        age: at.map(|t| ctx.now.as_second() - t.as_second()),
    }
}
