//! `sync`: publish changed exports, resolve stale imports, in one realm commit.

use std::io::Write;

use anyhow::Result;
use gix::ObjectId;
use serde::Serialize;
use serde_json::Value;

use super::per_realm::{PerRealm, each_realm};
use super::{Context, Outcome};
use crate::error::BadInput;
use crate::member::detection::{self, At, CacheUse};
use crate::member::{Member, delivery};
use crate::notify;
use crate::output::{self, Report};
use crate::realm::snapshot::Snapshot;
use crate::realm::sync::{self as realm_sync, Plan, SyncInput};

/// What `sync` is asked.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// The realm to act on; all the repository belongs to when `None`.
    pub realm: Option<String>,
    /// Show what would change, without fetching, writing or notifying.
    pub dry_run: bool,
    /// Do not notify consumers.
    pub no_notify: bool,
    /// Text added to the realm commit's message.
    pub message: Option<String>,
    /// Resolve imports whose binding does not grant the value, recording what is missing.
    pub force: bool,
}

/// A plan and what it tells consumers once it lands.
#[derive(Default)]
struct Planned {
    plan: Plan,
    notices: Vec<notify::Notice>,
    resolutions: Vec<notify::Resolution>,
}

#[derive(Serialize)]
pub struct SyncReport {
    realm: String,
    domain: String,
    dry_run: bool,
    source_commit: String,
    #[serde(flatten)]
    plan: Plan,
    realm_commit: Option<String>,
    /// With --dry-run: who would be told, and where.
    #[serde(skip_serializing_if = "Option::is_none")]
    would_notify: Option<Vec<notify::Planned>>,
    /// What was delivered to consumers' trackers, and what is pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    notifications: Option<notify::DeliveryReport>,
}

impl Report for SyncReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let plan = &self.plan;
        let would = if self.dry_run {
            "Would update"
        } else {
            "Updated"
        };
        if !plan.published.is_empty() {
            writeln!(
                out,
                "Exports {}:",
                if self.dry_run {
                    "to publish"
                } else {
                    "updated"
                }
            )?;
            for p in &plan.published {
                let breaking = if p.breaking { " (breaking)" } else { "" };
                match &p.previous {
                    Some(prev) => {
                        writeln!(out, "  {}: {prev} → {}{breaking}", p.export, p.version)?
                    }
                    None => writeln!(out, "  {}: {}", p.export, p.version)?,
                }
                output::indented(out, "    ", &p.changelog)?;
            }
        }
        if !plan.consumers.is_empty() {
            writeln!(out, "Consumers:")?;
            for c in &plan.consumers {
                writeln!(out, "  {}", output::consumer_import_line(c))?;
            }
        }
        if !plan.resolved.is_empty() {
            writeln!(
                out,
                "Imports {}:",
                if self.dry_run {
                    "to resolve"
                } else {
                    "resolved"
                }
            )?;
            for r in &plan.resolved {
                writeln!(
                    out,
                    "  {} from {}: now at {}",
                    r.contract, r.from, r.version
                )?;
                output::indented(out, "    ", &r.changes)?;
                if let Some(binding) = &r.binding {
                    writeln!(out, "    Review binding: {binding}")?;
                    if r.binding_unchanged {
                        writeln!(
                            out,
                            "    warning: {binding} has not changed since the previous resolution"
                        )?;
                    }
                }
            }
        }
        for u in &plan.ungranted {
            let what = if plan.refused || u.latest_version == u.resolved_version {
                "not resolved"
            } else {
                "resolved with --force"
            };
            writeln!(
                out,
                "Ungranted import {}: {} does not grant {} ({what}):",
                output::import_label(&u.contract, &u.from),
                u.binding.as_deref().unwrap_or("the binding"),
                u.latest_version.as_deref().unwrap_or("?"),
            )?;
            output::indented(out, "  ", &u.ungranted)?;
        }
        for b in &plan.broken {
            if let Some(finding) = output::import_finding(b, output::Voice::Paragraphs) {
                writeln!(out, "{finding} (not resolved)")?;
            }
        }
        match (&self.realm_commit, &plan.proposal) {
            (Some(commit), Some(proposal)) => writeln!(
                out,
                "✓ Proposed as {proposal} (commit {}); an approver must run 'git realm approve {}'",
                &commit[..7],
                proposal.trim_start_matches("proposals/")
            ),
            (Some(commit), None) => writeln!(out, "✓ Realm synced (commit {})", &commit[..7]),
            (None, _) if plan.refused => {
                writeln!(
                    out,
                    "✗ Nothing synced: an import is not granted by its binding"
                )
            }
            (None, _) if plan.change.is_some() => {
                writeln!(out, "{would} the realm in one commit (dry run)")
            }
            (None, _) => writeln!(out, "✓ Nothing to sync: the realm is up to date"),
        }?;
        if let Some(planned) = self.would_notify.as_ref().filter(|p| !p.is_empty()) {
            writeln!(out, "Would notify:")?;
            for p in planned {
                let place = p.repo.as_deref().unwrap_or("no tracker");
                let who = match p.kind {
                    notify::Kind::Notice => p.consumer.clone(),
                    notify::Kind::Resolution => format!(
                        "{} (closing its issue about {}/{})",
                        p.consumer, p.provider, p.export
                    ),
                };
                match &p.problem {
                    Some(problem) => {
                        writeln!(out, "  {who} in {place} (not as things stand: {problem})")?
                    }
                    None => writeln!(out, "  {who} in {place}")?,
                }
            }
        }
        if let Some(report) = self.notifications.as_ref().filter(|r| {
            !r.delivered.is_empty() || !r.not_notified.is_empty() || !r.dropped.is_empty()
        }) {
            writeln!(out, "Notifying consumers:")?;
            crate::output::delivery_lines(report, out)?;
        }
        Ok(())
    }
}

pub fn sync(ctx: &Context, options: SyncOptions) -> Result<(PerRealm<SyncReport>, Outcome)> {
    let realm = options.realm.clone();
    each_realm(ctx, realm.as_deref(), |member| {
        sync_in(ctx, &options, member)
    })
}

/// `sync` as a member of one realm.
fn sync_in(ctx: &Context, options: &SyncOptions, member: Member) -> Result<(SyncReport, Outcome)> {
    let realm = &member.config.realm;
    let head = member.repo.head_commit().ok_or_else(|| {
        BadInput::new(
            "this repository has no commit yet",
            "commit the code the exports come from first",
        )
    })?;
    let cache = if options.dry_run {
        CacheUse::ReadOnly
    } else {
        CacheUse::Refresh
    };
    // Unusable notification settings are refused before anything is written.
    let delivery = if options.no_notify {
        delivery::config(&member.repo)?
    } else {
        delivery::checked_config(&member.repo)?
    };
    let detected = detection::detect_all(&member, At::Commit(head), cache)?;
    let values_for = |snapshot: &Snapshot| -> Vec<(String, serde_json::Value)> {
        detection::as_recorded(&member, snapshot, detected.clone())
            .into_iter()
            .map(|(name, d)| (name, d.value))
            .collect()
    };
    let email = member.repo.user_email()?;
    if !options.dry_run && member.repo.has_uncommitted_changes()? {
        ctx.note("note: uncommitted changes are not published; sync reads exports from HEAD");
    }

    let (
        Planned {
            plan,
            notices,
            resolutions,
        },
        published,
    ) = if options.dry_run {
        let (_, tip) = member.repo.fetched_realm_read_only(realm)?;
        (
            plan(
                ctx,
                &member,
                &tip,
                head,
                &values_for(&tip),
                &email,
                options,
            )?,
            None,
        )
    } else {
        ctx.note(format!("Syncing with realm '{}'...", realm.name));
        let mut last = Planned::default();
        let published = member.repo.publish(realm, |tip, _| {
            last = plan(ctx, &member, tip, head, &values_for(tip), &email, options)?;
            let branch = last
                .plan
                .proposal
                .clone()
                .unwrap_or_else(|| realm.branch.clone());
            Ok(last.plan.change.clone().map(|change| (change, branch)))
        })?;
        (last, published)
    };
    // Only what lands on the main branch is announced; a proposal waits for its approval,
    // which announces it.
    let would_notify = (options.dry_run && !options.no_notify).then(|| match plan.proposal {
        Some(_) => Vec::new(),
        None => notify::plan(&delivery, &notices, &resolutions),
    });
    let landed = published.as_ref().is_some_and(|p| p.branch == realm.branch);
    let notifications = if landed && !options.no_notify {
        Some(delivery::announce(ctx, &member, notices, resolutions)?)
    } else {
        None
    };
    let outcome = if plan.broken.is_empty() && plan.ungranted.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    };
    let refused = plan.refused;
    // Notes (SPEC 6): what this code commit became in the realm, shared with the code remote.
    if !options.dry_run {
        let landed = published.as_ref().map(|p| p.commit);
        crate::member::notes::after_sync(ctx, &member, &plan, head, landed);
    }
    if refused {
        ctx.note("error: sync refused: a binding does not grant the import it binds");
        ctx.note(
            "hint: grant what is listed in the binding and commit it, then run 'git realm sync' again; 'git realm sync --force' resolves it anyway and records the gap",
        );
    }
    let report = SyncReport {
        would_notify,
        notifications,
        realm: realm.name.clone(),
        domain: realm.domain.clone(),
        dry_run: options.dry_run,
        source_commit: head.to_string(),
        realm_commit: published.map(|p| p.commit.to_string()),
        plan,
    };
    Ok((report, outcome))
}

/// Decide the sync against realm tip `tip`, and what it tells consumers.
fn plan(
    ctx: &Context,
    member: &Member,
    tip: &Snapshot,
    head: ObjectId,
    values: &[(String, Value)],
    email: &str,
    options: &SyncOptions,
) -> Result<Planned> {
    let realm = &member.config.realm;
    let domain = &realm.domain;
    let today = ctx.date();
    let input = SyncInput {
        domain,
        values,
        email,
        today: &today,
        now: &ctx.timestamp(),
        message: options.message.as_deref(),
        force: options.force,
    };
    let mut plan = realm_sync::plan(
        tip,
        &input,
        |binding| {
            Ok(member
                .repo
                .blob_id_at(head, binding)?
                .map(|id| id.to_string()))
        },
        |import| {
            Ok(
                crate::member::bindings::verify(member, tip, import, At::Commit(head), &today)?
                    .map(|v| v.missing()),
            )
        },
    )?;
    if let Some(change) = &mut plan.change {
        member.sign(change);
    }
    let mut notices = Vec::new();
    for publication in &plan.published {
        if let Some(export) = plan.exports.iter().find(|e| e.name == publication.export) {
            notices.extend(notify::announce::notices(tip, domain, export));
        }
    }
    let resolutions = plan
        .resolved
        .iter()
        .map(|r| delivery::resolution(realm, tip, &r.from, &r.contract, &r.version))
        .collect();
    Ok(Planned {
        plan,
        notices,
        resolutions,
    })
}
