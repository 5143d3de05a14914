//! `import`: declare that this domain depends on another domain's export.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::error::BadInput;
use crate::git::WorktreeEntry;
use crate::member::{self as membership, delivery};
use crate::notify;
use crate::output::Report;
use crate::realm::model::ImportStatus;
use crate::realm::plan::{self, ImportPlan, ImportRequest};
use crate::realm::{names, version};

/// What `import` is asked.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The realm to act on; may be left out when the repository belongs to one.
    pub realm: Option<String>,
    /// The export (contract) to import.
    pub contract: String,
    /// The domain that exports it.
    pub from: String,
    /// The semver requirement to accept; `None`: `^<current major>`.
    pub version: Option<String>,
    /// The file in this repository that uses the value (relative to the context's directory).
    pub binding: Option<String>,
    /// Do not close the provider's issue in this repository's tracker.
    pub no_notify: bool,
}

#[derive(Serialize)]
pub struct ImportReport {
    realm: String,
    domain: String,
    contract: String,
    from: String,
    version: String,
    binding: Option<String>,
    status: ImportStatus,
    resolved_version: String,
    commit: Option<String>,
    /// The provider's issue closed when this import moved to a newer version.
    #[serde(skip_serializing_if = "Option::is_none")]
    notifications: Option<notify::DeliveryReport>,
}

impl Report for ImportReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "✓ Import {} from {} ({}, now at {})",
            self.contract, self.from, self.version, self.resolved_version
        )?;
        if let Some(binding) = &self.binding {
            writeln!(out, "  Binding: {binding}")?;
        }
        match &self.commit {
            Some(commit) => writeln!(out, "✓ Realm updated (commit {})", &commit[..7])?,
            None => writeln!(out, "Import unchanged: the realm already records it")?,
        }
        if let Some(report) = &self.notifications {
            crate::output::delivery_lines(report, out)?;
        }
        Ok(())
    }
}

pub fn import(ctx: &Context, options: ImportOptions) -> Result<(ImportReport, Outcome)> {
    let member = membership::load(ctx, options.realm.as_deref())?;
    let realm = &member.config.realm;
    let domain = realm.domain.clone();
    names::check("contract", &options.contract)?;
    names::check("domain", &options.from)?;
    if options.from == domain {
        return Err(BadInput::new(
            format!("`{domain}` cannot import from itself"),
            "name the domain that exports the contract with --from",
        )
        .into());
    }
    if let Some(text) = &options.version {
        version::parse_requirement(text)?;
    }
    let binding = match &options.binding {
        Some(given) => {
            let rel = names::repo_relative(&member.repo.root, &ctx.cwd, given)?;
            match member.repo.worktree_entry(&rel) {
                WorktreeEntry::File(_) => {}
                WorktreeEntry::Symlink(link) => {
                    return Err(BadInput::new(
                        format!("binding `{given}` is reached through the symlink `{link}`"),
                        "name the file the link points to, inside this repository",
                    )
                    .into());
                }
                WorktreeEntry::Missing | WorktreeEntry::NotAFile => {
                    return Err(BadInput::new(
                        format!("binding `{given}` is not a file in this repository"),
                        "name the file that uses the imported value (create it first)",
                    )
                    .into());
                }
            }
            Some(rel)
        }
        None => None,
    };

    let binding_blob = match (&binding, member.repo.head_commit()) {
        (Some(path), Some(head)) => member.repo.blob_id_at(head, path)?.map(|id| id.to_string()),
        _ => None,
    };
    let now = ctx.timestamp();
    let request = ImportRequest {
        domain: &domain,
        contract: &options.contract,
        from: &options.from,
        version: options.version.as_deref(),
        binding: binding.as_deref(),
        binding_blob: binding_blob.as_deref(),
        now: &now,
    };
    let mut planned: Option<ImportPlan> = None;
    let mut resolution = None;
    let published = member.repo.publish(realm, |tip, _| {
        let plan = plan::plan_import(tip, &request)?;
        // Moving an import to a newer version resolves it, as sync does: the provider's issue
        // in this repository can close.
        resolution = plan.resolved.as_deref().map(|version| {
            delivery::resolution(realm, tip, &options.from, &options.contract, version)
        });
        let mut change = plan.change.clone();
        member.sign(&mut change);
        planned = Some(plan);
        Ok(Some((change, realm.branch.clone())))
    })?;
    let import = planned.expect("the build ran").import;
    let notifications = match (resolution, &published) {
        (Some(resolution), Some(_)) if !options.no_notify => Some(delivery::announce(
            ctx,
            &member,
            Vec::new(),
            vec![resolution],
        )?),
        _ => None,
    };
    let report = ImportReport {
        realm: realm.name.clone(),
        domain,
        contract: import.contract,
        from: import.from,
        version: import.version,
        binding: import.binding,
        status: import.status,
        resolved_version: import.resolved_version.unwrap_or_default(),
        commit: published.map(|p| p.commit.to_string()),
        notifications,
    };
    Ok((report, Outcome::Clean))
}
