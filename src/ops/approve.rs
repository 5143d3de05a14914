//! `approve`: accept a pending proposal (a join, a breaking change).

use std::io::Write;

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::{Context, Outcome};
use crate::error::BadInput;
use crate::git::CodeRepo;
use crate::member as membership;
use crate::notify;
use crate::output::Report;
use crate::realm::proposal::{self, Proposal};

/// What `approve` is asked.
#[derive(Debug, Clone, Default)]
pub struct ApproveOptions {
    /// The realm to act on; may be left out when the repository belongs to one.
    pub realm: Option<String>,
    /// The proposal to accept: `aperture/join`, or its branch `proposals/aperture/join`.
    pub proposal: String,
    /// Do not notify consumers.
    pub no_notify: bool,
}

#[derive(Serialize)]
pub struct ApproveReport {
    realm: String,
    proposal: String,
    approved_by: String,
    commit: String,
    /// What was delivered to consumers' trackers, and what is pending; absent when the
    /// proposal announces nothing (a join) or with --no-notify.
    #[serde(skip_serializing_if = "Option::is_none")]
    notifications: Option<notify::DeliveryReport>,
}

impl Report for ApproveReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "✓ Approved {} into realm '{}' (commit {})",
            self.proposal,
            self.realm,
            &self.commit[..7]
        )?;
        if let Some(report) = self.notifications.as_ref().filter(|r| {
            !r.delivered.is_empty() || !r.not_notified.is_empty() || !r.dropped.is_empty()
        }) {
            writeln!(out, "Notifying consumers:")?;
            crate::output::delivery_lines(report, out)?;
        }
        Ok(())
    }
}

pub fn approve(ctx: &Context, options: ApproveOptions) -> Result<(ApproveReport, Outcome)> {
    let member = membership::load(ctx, options.realm.as_deref())?;
    let realm = &member.config.realm;
    let repo = &member.repo;
    let email = repo.user_email()?;
    let name = options
        .proposal
        .strip_prefix("proposals/")
        .unwrap_or(&options.proposal);
    let domain = proposal::proposal_domain(name)?.to_owned();
    let branch = format!("proposals/{name}");
    let mut announced = (Vec::new(), Vec::new());
    let published = repo.publish(realm, |tip, tip_commit| {
        tip.realm
            .governance
            .require_approver(&email, &tip.realm.name)?;
        let proposal_ref = CodeRepo::realm_ref(&realm.name, &branch);
        let Some(id) = repo.ref_target(&proposal_ref)? else {
            let pending = repo.proposals(realm, None)?.join(", ");
            return Err(BadInput::new(
                format!("no proposal `{}` in realm `{}`", options.proposal, realm.name),
                if pending.is_empty() {
                    "there are no pending proposals".to_owned()
                } else {
                    format!("pending proposals: {pending}")
                },
            )
            .into());
        };
        let commit = repo
            .proposal_commit(id)
            .with_context(|| format!("failed to read proposal `{}`", options.proposal))?;
        let base = commit.base.ok_or_else(|| {
            BadInput::new(
                format!("proposal `{}` has no parent commit", options.proposal),
                format!(
                    "it was not made by git-realm on the realm; review and delete `{branch}` in the realm"
                ),
            )
        })?;
        let changed = repo.changed_paths(base, id)?;
        let base_tree = repo.realm_tree(base)?;
        let proposed_tree = repo.realm_tree(id)?;
        let ours_tree = repo.realm_tree(tip_commit)?;
        let merged = proposal::merge_proposal(
            tip,
            &ours_tree,
            &Proposal {
                name: &options.proposal,
                branch: &branch,
                domain: &domain,
                commit: &id.to_string(),
                message: &commit.message,
                changed: &changed,
                base: &base_tree,
                proposed: &proposed_tree,
            },
            &email,
            &ctx.date(),
            &realm.url,
        )?;
        // The proposal's new versions and resolutions land now: they are told now.
        announced = notify::announce::between(tip, &merged.after);
        Ok(Some((merged.change, realm.branch.clone())))
    })?;
    let published = published.ok_or_else(|| {
        BadInput::new(
            format!("proposal `{}` changes nothing", options.proposal),
            format!("the realm already holds its changes; delete `{branch}` in the realm"),
        )
    })?;
    let (notices, resolutions) = announced;
    let mut notifications = None;
    let nothing_to_tell = notices.is_empty() && resolutions.is_empty();
    if !options.no_notify && !nothing_to_tell {
        notifications = Some(crate::member::delivery::announce(
            ctx,
            &member,
            notices,
            resolutions,
        )?);
    }
    let report = ApproveReport {
        notifications,
        realm: realm.name.clone(),
        proposal: branch,
        approved_by: email,
        commit: published.commit.to_string(),
    };
    Ok((report, Outcome::Clean))
}
