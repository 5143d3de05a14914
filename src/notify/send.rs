//! One message to one tracker: find the issue by its marker, then open, update, comment on or
//! close it, retrying transient failures without repeating a step already done.

use super::forge::Forge;
use super::issue;
use super::message::version;
use super::repo_url::RepoRef;
use super::{Action, Delivered, Kind, Notice, Resolution, RetryPolicy, Tracker, TrackerError};

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

pub(super) fn send_notice(
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

pub(super) fn send_resolution(
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
