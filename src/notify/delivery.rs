//! Delivering messages: this run's fresh ones folded with those pending ([`deliver`]), the
//! pending store re-sent ([`resend`]), and the plan of a dry run ([`plan`]).

use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use super::forge::{self, Forge};
use super::pending::{self, PendingMessage};
use super::send::{send_notice, send_resolution};
use super::tracker::tracker_for;
use super::{
    Delivered, DeliveryConfig, DeliveryReport, Dropped, Kind, Message, NotNotified, Notice,
    Planned, Resolution, Tracker, repo_url,
};

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
    review: impl FnMut(&mut Message) -> Option<String>,
) -> anyhow::Result<DeliveryReport> {
    resend_of(config, git_dir, None, review)
}

/// [`resend`], of the messages about `realm` alone when given: the others stay pending as
/// they are.
pub fn resend_of(
    config: &DeliveryConfig,
    git_dir: &Path,
    realm: Option<&str>,
    mut review: impl FnMut(&mut Message) -> Option<String>,
) -> anyhow::Result<DeliveryReport> {
    let mut store = pending::Store::open(git_dir)?;
    let mut report = DeliveryReport::default();
    let mut queue = Vec::new();
    let mut left_alone = Vec::new();
    for mut entry in std::mem::take(&mut store.messages) {
        if realm.is_some_and(|realm| entry.message.names().0 != realm) {
            left_alone.push(entry);
            continue;
        }
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
    store.messages = left_alone;
    store.messages.extend(send_all(config, queue, &mut report));
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
