//! `git realm import`: declare that this domain depends on another domain's export.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Ctx, Outcome};
use crate::error::BadInput;
use crate::git::WorktreeEntry;
use crate::member as membership;
use crate::notify;
use crate::output::Report;
use crate::realm::change::Change;
use crate::realm::model::{Import, ImportStatus};
use crate::realm::{names, snapshot, version};

/// Declare that this domain depends on another domain's export
///
/// Records the import in the realm with the version requirement it accepts and the binding:
/// the file here that uses the value (an IAM policy, a config), which is the file to review
/// when a new version comes.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export (contract) to import
    #[arg(long)]
    contract: String,

    /// The domain that exports it
    #[arg(long, value_name = "DOMAIN")]
    from: String,

    /// Accept versions matching this semver requirement (default: ^<current major>)
    #[arg(long, value_name = "REQ")]
    version: Option<String>,

    /// Do not close the provider's issue in this repository's tracker
    #[arg(long)]
    no_notify: bool,

    /// Name the file in this repository that uses the value
    #[arg(long, value_name = "FILE")]
    binding: Option<String>,
}

#[derive(Serialize)]
struct ImportReport {
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

pub fn run(ctx: &Ctx, args: ImportArgs) -> Result<Outcome> {
    let member = membership::load(ctx)?;
    let realm = &member.config.realm;
    let domain = realm.domain.clone();
    names::check("contract", &args.contract)?;
    names::check("domain", &args.from)?;
    if args.from == domain {
        return Err(BadInput::new(
            format!("`{domain}` cannot import from itself"),
            "name the domain that exports the contract with --from",
        )
        .into());
    }
    let requirement = args
        .version
        .as_deref()
        .map(version::parse_requirement)
        .transpose()?;
    let binding = match &args.binding {
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
    let mut recorded = None;
    let mut resolution = None;
    let published = member.repo.publish(realm, |tip, _| {
        if tip.domain(&domain).is_none() {
            return Err(BadInput::new(
                format!("domain `{domain}` is not in realm `{}` yet", realm.name),
                "wait until an approver accepts the join ('git realm approve'), then try again",
            )
            .into());
        }
        let Some(provider) = tip.domain(&args.from) else {
            let known: Vec<&str> = tip
                .domains
                .keys()
                .map(String::as_str)
                .filter(|d| *d != domain)
                .collect();
            return Err(BadInput::new(
                format!("unknown domain `{}` in realm `{}`", args.from, realm.name),
                format!(
                    "domains in the realm: {}",
                    if known.is_empty() {
                        "none yet".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            )
            .into());
        };
        let Some(export) = provider
            .exports
            .exports
            .iter()
            .find(|e| e.name == args.contract)
        else {
            let known: Vec<&str> = provider
                .exports
                .exports
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            return Err(BadInput::new(
                format!(
                    "domain `{}` exports no contract `{}`",
                    args.from, args.contract
                ),
                format!(
                    "its exports: {}",
                    if known.is_empty() {
                        "none yet".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            )
            .into());
        };
        let latest = version::parse_version(&export.version)?;
        let req_text = match &args.version {
            Some(text) => text.clone(),
            None => format!("^{}", latest.major),
        };
        let req = requirement
            .clone()
            .unwrap_or_else(|| version::parse_requirement(&req_text).expect("valid"));
        if !req.matches(&latest) {
            return Err(BadInput::new(
                format!(
                    "`{}/{}` is at {latest}, which does not satisfy `{req_text}`",
                    args.from, args.contract
                ),
                format!(
                    "accept the current version, e.g. --version ^{}",
                    latest.major
                ),
            )
            .into());
        }
        let mut imports = tip
            .domain(&domain)
            .map(|d| d.imports.clone())
            .unwrap_or_default();
        let import = Import {
            contract: args.contract.clone(),
            from: args.from.clone(),
            version: req_text.clone(),
            binding: binding.clone(),
            status: ImportStatus::Current,
            resolved_version: Some(latest.to_string()),
            resolved_at: Some(ctx.timestamp()),
            binding_blob: binding_blob.clone(),
            verified: None,
            ungranted: Vec::new(),
            extra: Default::default(),
        };
        match imports
            .imports
            .iter_mut()
            .find(|i| i.contract == import.contract && i.from == import.from)
        {
            Some(existing) => {
                // Moving an import to a newer version resolves it, as sync does: the
                // provider's issue in this repository can close.
                if existing.resolved_version != import.resolved_version {
                    resolution = Some(notify::Resolution {
                        realm: realm.name.clone(),
                        provider: import.from.clone(),
                        consumer: domain.clone(),
                        consumer_repo_url: tip
                            .domain(&domain)
                            .and_then(|d| d.domain.repo_url.clone()),
                        consumer_forge: tip
                            .domain(&domain)
                            .and_then(|d| d.domain.forge().map(str::to_owned)),
                        export: import.contract.clone(),
                        version: latest.to_string(),
                    });
                }
                let extra = std::mem::take(&mut existing.extra);
                *existing = Import {
                    extra,
                    ..import.clone()
                };
            }
            None => imports.imports.push(import.clone()),
        }
        recorded = Some(import);
        let mut change = Change::new(format!(
            "{domain}: import {}/{} {req_text}",
            args.from, args.contract
        ));
        change.put_yaml(snapshot::imports_file(&domain), &imports);
        member.sign(&mut change);
        Ok(Some((change, realm.branch.clone())))
    })?;
    let import = recorded.expect("the build ran");
    let notifications = match (resolution, &published) {
        (Some(resolution), Some(_)) if !args.no_notify => {
            let delivery = crate::member::delivery::config(&member.repo)?;
            let report = notify::deliver(
                &delivery,
                member.repo.common_dir(),
                Vec::new(),
                vec![resolution],
            );
            crate::member::delivery::hints(ctx, &report);
            Some(report)
        }
        _ => None,
    };
    ctx.emit(&ImportReport {
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
    })?;
    Ok(Outcome::Clean)
}
