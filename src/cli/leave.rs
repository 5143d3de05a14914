//! `git realm leave`: remove this domain from its realm.

use std::io::Write;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use super::{Ctx, Outcome};
use crate::error::Refusal;
use crate::index;
use crate::member as membership;
use crate::output::Report;
use crate::realm::change::Change;
use crate::realm::config::CONFIG_PATH;
use crate::realm::snapshot;

/// Remove this domain from its realm
///
/// Deletes the domain's directory from the realm, and .realm/config.yaml and the fetched realm
/// refs here. Refused while other domains import from this one, unless --force (their imports
/// then become broken).
#[derive(Debug, Args)]
pub struct LeaveArgs {
    /// Leave even though other domains import from this one
    #[arg(long)]
    force: bool,
}

#[derive(Serialize)]
struct LeaveReport {
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

pub fn run(ctx: &Ctx, args: LeaveArgs) -> Result<Outcome> {
    let member = membership::load(ctx)?;
    index::check_writable()?;
    let realm = &member.config.realm;
    let domain = realm.domain.clone();
    let mut consumers = Vec::new();
    let published = member.repo.publish(realm, |tip, _| {
        if tip.domain(&domain).is_none() {
            return Ok(None);
        }
        consumers = tip
            .consumers_of(&domain, None)
            .into_iter()
            .map(str::to_owned)
            .collect();
        // A broken domain's imports cannot be read: it may import from this one.
        if !tip.broken.is_empty() && !args.force {
            let broken: Vec<&str> = tip.broken.keys().map(String::as_str).collect();
            return Err(Refusal::new(
                format!(
                    "cannot tell whether broken domains import from `{domain}`: {}",
                    broken.join(", ")
                ),
                "ask them to fix their files in the realm, or leave anyway with 'git realm leave --force'",
            )
            .into());
        }
        if !consumers.is_empty() && !args.force {
            return Err(Refusal::new(
                format!("domains import from `{domain}`: {}", consumers.join(", ")),
                "ask them to drop those imports, or leave anyway with 'git realm leave --force'",
            )
            .into());
        }
        let mut after = tip.clone();
        after.domains.remove(&domain);
        let mut change = Change::new(format!("{domain}: leave realm {}", tip.realm.name));
        change.remove(snapshot::domain_dir(&domain));
        change.put(".github/CODEOWNERS", after.codeowners());
        member.sign(&mut change);
        Ok(Some((change, realm.branch.clone())))
    })?;

    member
        .repo
        .delete_refs(&format!("refs/realm/{}", realm.name))?;
    let config_path = member.repo.root.join(CONFIG_PATH);
    std::fs::remove_file(&config_path)
        .with_context(|| format!("failed to remove `{}`", config_path.display()))?;
    if let Some(dir) = config_path.parent() {
        let _ = std::fs::remove_dir(dir);
    }
    index::update(|index| index.remove_repo(&realm.name, &member.repo.root.display().to_string()))?;
    super::hooks::remove_after_leave(&member.repo);
    ctx.emit(&LeaveReport {
        realm: realm.name.clone(),
        domain,
        broken_consumers: consumers,
        commit: published.map(|p| p.commit.to_string()),
    })?;
    Ok(Outcome::Clean)
}
