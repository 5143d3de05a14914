//! When the realm was last fetched into this repository, and how often readers fetch it again
//! (`realm.fetchInterval`). The time is kept per realm in `<git-common-dir>/realm/fetched/`,
//! beside the realm's URL as configured then: a file, not a ref or its reflog, because a fetch
//! that finds nothing new moves no ref, yet makes what was fetched before current again.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use bstr::ByteSlice;

use super::CodeRepo;
use crate::error::BadInput;
use crate::realm::config::Membership;

/// How long the realm state a reading command uses may be before it fetches it again, unless
/// `realm.fetchInterval` says otherwise.
pub const DEFAULT_FETCH_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// `realm.fetchInterval`: when `status` and `check` fetch the realm before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchInterval {
    /// When the state is at least this old (zero: every time).
    Every(Duration),
    /// Never by themselves: only `git realm fetch`, writes and the hooks fetch.
    Never,
}

impl FetchInterval {
    /// From the configured text: `never`, `always` (or `0`), or a whole number with a unit
    /// `s`, `m`, `h`, `d` or `w` (seconds without one): `30m`, `1h`, `2d`.
    pub fn parse(text: &str) -> Option<FetchInterval> {
        let text = text.trim().to_ascii_lowercase();
        match text.as_str() {
            "never" => return Some(FetchInterval::Never),
            "always" => return Some(FetchInterval::Every(Duration::ZERO)),
            _ => {}
        }
        let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (number, unit) = text.split_at(digits);
        let number: u64 = number.parse().ok()?;
        let seconds = match unit.trim() {
            "" | "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hour" | "hours" => 60 * 60,
            "d" | "day" | "days" => 24 * 60 * 60,
            "w" | "week" | "weeks" => 7 * 24 * 60 * 60,
            _ => return None,
        };
        Some(FetchInterval::Every(Duration::from_secs(
            number.checked_mul(seconds)?,
        )))
    }
}

impl CodeRepo {
    fn fetched_path(&self, realm: &str) -> PathBuf {
        self.common_dir().join("realm").join("fetched").join(realm)
    }

    /// When `membership`'s realm was last fetched from the URL it names now; `None` when that
    /// is not recorded (fetched by an older git-realm or by hand, or from another URL).
    pub fn fetched_at(&self, membership: &Membership) -> Option<jiff::Timestamp> {
        let text = std::fs::read_to_string(self.fetched_path(&membership.name)).ok()?;
        let (at, url) = text.split_once('\n')?;
        if url.strip_suffix('\n').unwrap_or(url) != membership.url {
            return None;
        }
        at.trim().parse().ok()
    }

    /// Record that `membership`'s realm was fetched now; losing this costs a fetch at most.
    pub fn record_fetch(&self, membership: &Membership) {
        // The injected clock when there is one, as the readers compare against it.
        let now = crate::context::now().unwrap_or_else(|_| jiff::Timestamp::now());
        let now = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
        let _ = crate::index::write_atomically(
            &self.fetched_path(&membership.name),
            format!("{now}\n{}\n", membership.url).as_bytes(),
        );
    }

    /// Whether `membership`'s realm is a repository on this machine whose branches are
    /// exactly those fetched under `refs/realm/<realm>/heads/`: a fetch would bring nothing,
    /// so reading its refs (a millisecond) stands in for running `git fetch`. False when it
    /// cannot tell.
    pub fn local_realm_in_step(&self, membership: &Membership) -> bool {
        if super::is_url(&membership.url) {
            return false;
        }
        let Ok(theirs) = gix::open_opts(self.realm_url(membership), gix::open::Options::isolated())
        else {
            return false;
        };
        let ours = format!("refs/realm/{}/heads/", membership.name);
        match (
            branches(&theirs, "refs/heads/"),
            branches(&self.repo, &ours),
        ) {
            (Some(theirs), Some(ours)) => !theirs.is_empty() && theirs == ours,
            _ => false,
        }
    }

    /// `realm.fetchInterval` (default an hour).
    pub fn fetch_interval(&self) -> Result<FetchInterval> {
        let Some(value) = self.repo.config_snapshot().string("realm.fetchInterval") else {
            return Ok(FetchInterval::Every(DEFAULT_FETCH_INTERVAL));
        };
        let value = value.to_str_lossy();
        FetchInterval::parse(&value).ok_or_else(|| {
            BadInput::new(
                format!("invalid realm.fetchInterval `{value}`"),
                "set it to a duration like 30m, 1h or 2d, to 0 (always) or to never: \
                 'git config realm.fetchInterval 1h'",
            )
            .into()
        })
    }
}

/// The branches under `prefix`, by name after it, with what they point at; `None` when a ref
/// cannot be read or is not a plain pointer to an object.
fn branches(repo: &gix::Repository, prefix: &str) -> Option<Vec<(String, gix::ObjectId)>> {
    let refs = repo.references().ok()?;
    let mut out = Vec::new();
    for reference in refs.prefixed(prefix).ok()? {
        let reference = reference.ok()?;
        let name = reference.name().as_bstr().to_string();
        let id = reference.try_id()?.detach();
        out.push((name.strip_prefix(prefix)?.to_owned(), id));
    }
    out.sort();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::FetchInterval::{self, Every, Never};
    use std::time::Duration;

    #[test]
    fn intervals() {
        for (text, interval) in [
            ("never", Never),
            (" Never ", Never),
            ("0", Every(Duration::ZERO)),
            ("always", Every(Duration::ZERO)),
            ("90", Every(Duration::from_secs(90))),
            ("90s", Every(Duration::from_secs(90))),
            ("30m", Every(Duration::from_secs(30 * 60))),
            ("1h", Every(Duration::from_secs(3600))),
            ("2 hours", Every(Duration::from_secs(7200))),
            ("2d", Every(Duration::from_secs(2 * 86400))),
            ("1w", Every(Duration::from_secs(7 * 86400))),
        ] {
            assert_eq!(FetchInterval::parse(text), Some(interval), "{text}");
        }
        for text in [
            "",
            "h",
            "1x",
            "-1h",
            "1.5h",
            "soon",
            "99999999999999999999w",
        ] {
            assert_eq!(FetchInterval::parse(text), None, "{text}");
        }
    }
}
