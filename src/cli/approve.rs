//! `git realm approve`: accept a pending proposal (a join, a breaking change).

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use super::{Ctx, Outcome};
use crate::error::BadInput;
use crate::git::{CodeRepo, TreeSource};
use crate::member as membership;
use crate::notify;
use crate::output::Report;
use crate::realm::change::Change;
use crate::realm::model::ExportsFile;
use crate::realm::snapshot::{self, Overlay, Snapshot};
use crate::realm::{names, yaml};

/// Accept a pending proposal (approvers only)
///
/// PROPOSAL is a branch under proposals/ in the realm, as join and export print it
/// (`aperture/join`, `aperture/required-s3-permissions-2.0.0`). Its changes are merged into the
/// realm's main branch with an `Approved-by:` trailer, and the proposal branch is deleted.
/// An accepted breaking change takes effect after the realm's grace period. Consumers of the
/// exports it changes are notified as sync would notify them (see 'git realm notify').
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The proposal to accept
    proposal: String,

    /// Do not notify consumers
    #[arg(long)]
    no_notify: bool,
}

#[derive(Serialize)]
struct ApproveReport {
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

pub fn run(ctx: &Ctx, args: ApproveArgs) -> Result<Outcome> {
    let member = membership::load(ctx)?;
    let realm = &member.config.realm;
    let repo = &member.repo;
    let email = repo.user_email()?;
    let name = args
        .proposal
        .strip_prefix("proposals/")
        .unwrap_or(&args.proposal);
    let domain = proposal_domain(name)?.to_owned();
    let branch = format!("proposals/{name}");
    let mut announced = (Vec::new(), Vec::new());
    let published = repo.publish(realm, |tip, tip_commit| {
        let governance = &tip.realm.governance;
        governance.require_approver(&email, &tip.realm.name)?;
        let proposal_ref = CodeRepo::realm_ref(&realm.name, &branch);
        let Some(proposal) = repo.ref_target(&proposal_ref)? else {
            let pending = repo.proposals(realm, None)?.join(", ");
            return Err(BadInput::new(
                format!("no proposal `{}` in realm `{}`", args.proposal, realm.name),
                if pending.is_empty() {
                    "there are no pending proposals".to_owned()
                } else {
                    format!("pending proposals: {pending}")
                },
            )
            .into());
        };
        let commit = repo
            .repo
            .find_commit(proposal)
            .with_context(|| format!("failed to read proposal `{}`", args.proposal))?;
        let base = commit.parent_ids().next().map(|id| id.detach()).ok_or_else(|| {
            BadInput::new(
                format!("proposal `{}` has no parent commit", args.proposal),
                format!("it was not made by git-realm on the realm; review and delete `{branch}` in the realm"),
            )
        })?;
        let message = commit.message_raw_sloppy().to_string();
        let changed = repo
            .git()
            .args(["diff-tree", "-r", "--name-only", "--no-commit-id", &base.to_string(), &proposal.to_string()])
            .run()?;
        let base_tree = TreeSource::new(&repo.repo, repo.commit_tree(base)?);
        let theirs_tree = TreeSource::new(&repo.repo, repo.commit_tree(proposal)?);
        let ours_tree = TreeSource::new(&repo.repo, repo.commit_tree(tip_commit)?);
        use crate::realm::snapshot::RealmSource;
        let mut edits = BTreeMap::new();
        let own = format!("{}/", snapshot::domain_dir(&domain));
        for path in changed.lines().filter(|p| *p != ".github/CODEOWNERS") {
            // A proposal speaks for one domain: it may not touch realm.yaml (say, to add an
            // approver) or another domain's files behind the approver's back.
            if !path.starts_with(&own) {
                return Err(BadInput::new(
                    format!("proposal `{}` changes `{path}`, outside `{own}`", args.proposal),
                    format!(
                        "a proposal may change only its domain's directory: review it with 'git show {proposal}'"
                    ),
                )
                .into());
            }
            let (base, theirs, ours) = (base_tree.read(path)?, theirs_tree.read(path)?, ours_tree.read(path)?);
            if ours != base && ours != theirs {
                return Err(BadInput::new(
                    format!("proposal `{}` conflicts with the realm: `{path}` changed since it was proposed", args.proposal),
                    "ask the proposer to make the change again on the current realm",
                )
                .into());
            }
            let theirs = match theirs {
                Some(bytes) if path.ends_with("/exports.yaml") => {
                    Some(start_grace_periods(path, &bytes, tip, &ctx.date())?)
                }
                other => other,
            };
            edits.insert(path.to_owned(), theirs);
        }
        let after = Snapshot::load(&Overlay { base: &ours_tree, edits: &edits }, &realm.url)?;
        // The proposal's new versions and resolutions land now: they are told now.
        announced = notify::announce::between(tip, &after);
        let mut change = Change::new(message.lines().next().unwrap_or("approve proposal").to_owned());
        change.edits = edits;
        change.put(".github/CODEOWNERS", after.codeowners());
        // Only the trailers git-realm writes, from the trailer block (the last paragraph;
        // `sync -m` text above it is the proposer's): an `Approved-by:` in the proposal is
        // the proposer's claim, not an approval.
        let trailers = message.trim_end().rsplit("\n\n").next().unwrap_or_default();
        for (key, value) in trailers.lines().filter_map(|l| l.split_once(": ")) {
            if matches!(key, "Realm-Domain" | "Source-Commit") {
                change.trailer(key, value);
            }
        }
        change.trailer("Approved-by", email.clone());
        change.merged.push(proposal.to_string());
        change.delete_branches.push(branch.clone());
        Ok(Some((change, realm.branch.clone())))
    })?;
    let published = published.ok_or_else(|| {
        BadInput::new(
            format!("proposal `{}` changes nothing", args.proposal),
            format!("the realm already holds its changes; delete `{branch}` in the realm"),
        )
    })?;
    let (notices, resolutions) = announced;
    let mut notifications = None;
    let nothing_to_tell = notices.is_empty() && resolutions.is_empty();
    if !args.no_notify && !nothing_to_tell {
        let delivery = crate::member::delivery::config(repo)?;
        let report = notify::deliver(&delivery, repo.common_dir(), notices, resolutions);
        crate::member::delivery::hints(ctx, &report);
        notifications = Some(report);
    }
    ctx.emit(&ApproveReport {
        notifications,
        realm: realm.name.clone(),
        proposal: branch,
        approved_by: email,
        commit: published.commit.to_string(),
    })?;
    Ok(Outcome::Clean)
}

/// The domain a proposal name (`aperture/join`, `aperture/paths-2.0.0`) speaks for; refused
/// unless the name can be a realm branch.
fn proposal_domain(name: &str) -> Result<&str, BadInput> {
    let invalid = || {
        BadInput::new(
            format!("invalid proposal `{}`", name.escape_debug()),
            "name a proposal as join, export or sync printed it, like aperture/join",
        )
    };
    let (domain, rest) = name.split_once('/').ok_or_else(invalid)?;
    let rest_ok = !rest.is_empty()
        && !rest.contains("..")
        && !rest.ends_with(".lock")
        && rest.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
        });
    if !names::is_valid(domain) || !rest_ok {
        return Err(invalid());
    }
    Ok(domain)
}

/// A breaking change takes effect a grace period after its approval, not its proposal.
fn start_grace_periods(path: &str, bytes: &[u8], tip: &Snapshot, today: &str) -> Result<Vec<u8>> {
    let mut exports: ExportsFile = yaml::from_slice(path, bytes)?;
    let domain = path.split('/').nth(1).unwrap_or_default();
    let grace = tip.realm.governance.breaking_changes.grace_period_days;
    let mut touched = false;
    for export in &mut exports.exports {
        let current = tip.export(domain, &export.name).map(|e| e.version.as_str());
        if export.effective_from.is_some() && current != Some(export.version.as_str()) {
            export.effective_from = Some(crate::realm::publish::effective_date(today, grace));
            touched = true;
        }
    }
    Ok(if touched {
        yaml::to_string(&exports).into_bytes()
    } else {
        bytes.to_vec()
    })
}

#[cfg(test)]
mod tests {
    use super::proposal_domain;

    #[test]
    fn proposal_names() {
        assert_eq!(proposal_domain("aperture/join").unwrap(), "aperture");
        assert_eq!(
            proposal_domain("aperture/required-s3-permissions-2.0.0").unwrap(),
            "aperture"
        );
        for bad in [
            "",
            "aperture",
            "aperture/",
            "../../heads/main",
            "Aperture/join",
            "a/x..y",
            "a/b c",
            "a/.hidden",
            "a/x.lock",
        ] {
            assert!(proposal_domain(bad).is_err(), "{bad}");
        }
    }
}
