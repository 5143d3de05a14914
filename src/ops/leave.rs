//! `leave`: remove this domain from its realm.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::index;
use crate::member as membership;
use crate::output::Report;
use crate::realm::config::CONFIG_PATH;
use crate::realm::leave::{check_consumers_across, consumers_across, plan_leave};

/// What `leave` is asked.
#[derive(Debug, Clone, Default)]
pub struct LeaveOptions {
    /// The realm to act on; may be left out when the repository belongs to one.
    pub realm: Option<String>,
    /// Leave even though other domains import from this one.
    pub force: bool,
}

#[derive(Serialize)]
pub struct LeaveReport {
    realm: String,
    domain: String,
    /// Domains whose imports from this one are now broken.
    broken_consumers: Vec<String>,
    commit: Option<String>,
}

impl Report for LeaveReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "✓ Removed domains/{}/ from realm '{}'",
            self.domain, self.realm
        )?;
        writeln!(out, "✓ Removed {CONFIG_PATH}")?;
        if !self.broken_consumers.is_empty() {
            writeln!(
                out,
                "! Imports now broken in: {}",
                self.broken_consumers.join(", ")
            )?;
        }
        Ok(())
    }
}

/// Leave the realm: its commit, then this repository's config, fetched realm refs and index
/// entry. The hooks are the caller's to remove.
pub fn leave(ctx: &Context, options: LeaveOptions) -> Result<(LeaveReport, Outcome)> {
    let member = membership::load(ctx, options.realm.as_deref())?;
    index::check_writable()?;
    let realm = &member.config.realm;
    let domain = realm.domain.clone();
    let mut consumers = Vec::new();
    let published = member.repo.publish(realm, |tip, _| {
        let Some(leave) = plan_leave(tip, &domain, options.force)? else {
            return Ok(None);
        };
        let elsewhere = crate::member::bindings::elsewhere(&member, tip)?;
        let across = consumers_across(&elsewhere, &realm.name, &domain);
        check_consumers_across(&across, &domain, options.force)?;
        consumers = leave.broken_consumers;
        consumers.extend(across);
        let mut change = leave.change;
        member.sign(&mut change);
        Ok(Some((change, realm.branch.clone())))
    })?;

    member
        .repo
        .delete_refs(&format!("refs/realm/{}", realm.name))?;
    let still_member = membership::remove_membership(&member.repo, &realm.name)?;
    index::update(|index| index.remove_repo(&realm.name, &member.repo.root.display().to_string()))?;
    let report = LeaveReport {
        realm: realm.name.clone(),
        domain,
        broken_consumers: consumers,
        commit: published.map(|p| p.commit.to_string()),
    };
    // The hooks go with the last membership, as join installed them.
    if !still_member {
        crate::ops::hooks::remove_after_leave(ctx, &member.repo);
    }
    Ok((report, Outcome::Clean))
}
