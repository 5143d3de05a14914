//! `export`: declare or update an export of this domain.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use super::{Context, Outcome};
use crate::error::BadInput;
use crate::git::WorktreeEntry;
use crate::member::detection::{self, CacheUse};
use crate::member::{self as membership, Member, delivery};
use crate::notify;
use crate::output::Report;
use crate::realm::config::ExportSource;
use crate::realm::plan::{self, ExportPlan};
use crate::realm::publish::{ExportUpdate, Publication};
use crate::realm::{names, version, yaml};

/// Where an export's value comes from.
#[derive(Debug, Clone)]
pub enum ExportValue {
    /// This JSON text.
    Json(String),
    /// This YAML or JSON file of the repository, which becomes the export's source.
    File(String),
    /// The detector configured for the export (S3 paths when none is).
    Detect,
}

/// What `export` is asked.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The realm to act on; may be left out when the repository belongs to one.
    pub realm: Option<String>,
    /// The export's name.
    pub name: String,
    /// Publish as this version instead of the computed one.
    pub version: Option<String>,
    pub value: ExportValue,
    /// `None` keeps the current description.
    pub description: Option<String>,
    /// A YAML or JSON file holding the JSON Schema the value must satisfy.
    pub schema: Option<String>,
    /// Do not notify consumers of the new version.
    pub no_notify: bool,
}

#[derive(Serialize)]
pub struct ExportReport {
    realm: String,
    domain: String,
    #[serde(flatten)]
    publication: Option<Publication>,
    /// `published`, `proposed` (a breaking change awaiting approval) or `unchanged`.
    result: &'static str,
    proposal: Option<String>,
    commit: Option<String>,
    /// What consumers of the new version were told; absent when nothing was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    notifications: Option<notify::DeliveryReport>,
}

impl Report for ExportReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let Some(p) = &self.publication else {
            return writeln!(
                out,
                "Export unchanged: the realm already records this value"
            );
        };
        match &p.previous {
            Some(prev) => writeln!(
                out,
                "✓ Export {}: {prev} → {}{}",
                p.export,
                p.version,
                if p.breaking { " (breaking)" } else { "" }
            )?,
            None => writeln!(out, "✓ Export {}: {}", p.export, p.version)?,
        }
        for line in &p.changelog {
            writeln!(out, "  {line}")?;
        }
        if let (Some(proposal), Some(commit)) = (&self.proposal, &self.commit) {
            writeln!(
                out,
                "✓ Proposed as {proposal} (commit {}); an approver must run 'git realm approve {}'",
                &commit[..7],
                proposal.trim_start_matches("proposals/")
            )
        } else if let Some(commit) = &self.commit {
            writeln!(out, "✓ Realm updated (commit {})", &commit[..7])?;
            if let Some(report) = &self.notifications {
                writeln!(out, "Notifying consumers:")?;
                crate::output::delivery_lines(report, out)?;
            }
            Ok(())
        } else {
            Ok(())
        }
    }
}

pub fn export(ctx: &Context, options: ExportOptions) -> Result<(ExportReport, Outcome)> {
    let mut member = membership::load(ctx, options.realm.as_deref())?;
    let name = &options.name;
    names::check("export", name)?;
    belongs_here(&member, name)?;
    let explicit = options
        .version
        .as_deref()
        .map(version::parse_version)
        .transpose()?;
    let schema = match &options.schema {
        Some(path) => Some(read_value_file(ctx, &member, path)?.1),
        None => None,
    };
    let (value, source) = match &options.value {
        ExportValue::Json(text) => {
            let value: Value = serde_json::from_str(text).map_err(|e| {
                BadInput::new(
                    format!("invalid JSON in --value: {e}"),
                    "quote the value for the shell, e.g. --value '{\"read\": [\"a/*\"]}'",
                )
            })?;
            (value, None)
        }
        ExportValue::File(path) => {
            let (rel, value) = read_value_file(ctx, &member, path)?;
            (value, Some(ExportSource::file(name, &rel)))
        }
        ExportValue::Detect => {
            let source = member
                .config
                .source(name)
                .cloned()
                .unwrap_or_else(|| ExportSource::s3(name));
            let detected =
                detection::detect_export(&member.repo, &source, None, CacheUse::Refresh)?;
            // An export published before values kept their bucket keeps its spelling here too.
            let recorded = member
                .repo
                .fetched_realm(&member.config.realm)
                .ok()
                .and_then(|(_, snapshot)| {
                    snapshot
                        .export(&member.config.realm.domain, name)
                        .map(|e| e.value.clone())
                });
            let value = detection::migrate(&source, recorded.as_ref(), detected).value;
            (value, Some(source))
        }
    };
    let update = ExportUpdate {
        name: name.clone(),
        value,
        description: options.description.clone(),
        schema,
        version: explicit,
    };

    let realm = &member.config.realm;
    let domain = &realm.domain;
    let email = member.repo.user_email()?;
    let today = ctx.date();
    let mut planned: Option<ExportPlan> = None;
    let mut notices = Vec::new();
    let published = member.repo.publish(realm, |tip, _| {
        let plan = plan::plan_export(tip, domain, std::slice::from_ref(&update), &email, &today)?;
        // Consumers are told about the version as the tip it lands on records them, and as
        // the other realms this repository belongs to record those importing across realms.
        let elsewhere = crate::member::bindings::elsewhere(&member, tip)?;
        notices = plan
            .exports
            .exports
            .iter()
            .filter(|e| plan.published.iter().any(|p| p.export == e.name))
            .flat_map(|export| notify::announce::notices_in(tip, &elsewhere, domain, export))
            .collect();
        let branch = plan
            .proposal
            .clone()
            .unwrap_or_else(|| realm.branch.clone());
        let change = plan.change.clone().map(|mut change| {
            member.sign(&mut change);
            (change, branch)
        });
        planned = Some(plan);
        Ok(change)
    })?;
    let publication = planned.and_then(|p| p.published.into_iter().next());
    let (publication, published) = match (publication, published) {
        (Some(publication), Some(published)) => (Some(publication), Some(published)),
        _ => (None, None),
    };

    if let Some(source) = source {
        member.config.set_source(source);
        membership::write_config(&member.repo, &member.config)?;
    }
    let realm = &member.config.realm;
    let proposal = published
        .as_ref()
        .filter(|p| p.branch != realm.branch)
        .map(|p| p.branch.clone());
    // A version that landed is announced as sync announces it; a proposal waits for approval.
    let notifications =
        if published.is_some() && proposal.is_none() && !options.no_notify && !notices.is_empty() {
            Some(delivery::announce(ctx, &member, notices, Vec::new())?)
        } else {
            None
        };
    if let (Some(p), Some(landed), None, Some(head)) = (
        &publication,
        &published,
        &proposal,
        member.repo.head_commit(),
    ) {
        let line = crate::git::notes::export_line(
            &realm.name,
            &realm.domain,
            &p.export,
            &p.version,
            landed.commit,
        );
        crate::member::notes::record_and_share(ctx, &member, head, &[line]);
    }
    let report = ExportReport {
        notifications,
        realm: realm.name.clone(),
        domain: realm.domain.clone(),
        result: match (&publication, &proposal) {
            (None, _) => "unchanged",
            (Some(_), Some(_)) => "proposed",
            (Some(_), None) => "published",
        },
        publication,
        proposal,
        commit: published.map(|p| p.commit.to_string()),
    };
    Ok((report, Outcome::Clean))
}

/// An export belongs to one realm: `name` is refused when another membership of this
/// repository computes it (`.realm/config.yaml`) or its realm records it for this repository's
/// domain there (as far as it was fetched).
fn belongs_here(member: &Member, name: &str) -> Result<()> {
    let Some(file) = membership::read_config(&member.repo)? else {
        return Ok(());
    };
    let here = &member.config.realm.name;
    for other in file.memberships.iter().filter(|m| &m.realm.name != here) {
        let realm = &other.realm;
        let published = || {
            member
                .repo
                .fetched_realm(realm)
                .ok()
                .is_some_and(|(_, snapshot)| snapshot.export(&realm.domain, name).is_some())
        };
        if other.source(name).is_some() || published() {
            return Err(BadInput::new(
                format!(
                    "export `{name}` belongs to realm `{}` (domain `{}`): an export belongs to one realm",
                    realm.name, realm.domain
                ),
                format!(
                    "to update it, run 'git realm export --name {name} --realm {}'; to export to realm `{here}`, choose another name",
                    realm.name
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// Read a YAML or JSON file of this repository: its repository-relative path and its value.
fn read_value_file(ctx: &Context, member: &Member, given: &str) -> Result<(String, Value)> {
    let rel = names::repo_relative(&member.repo.root, &ctx.cwd, given)?;
    let path = match member.repo.worktree_entry(&rel) {
        WorktreeEntry::File(path) => path,
        WorktreeEntry::Missing => {
            return Err(BadInput::new(
                format!("file `{given}` does not exist"),
                "name an existing file in this repository",
            )
            .into());
        }
        WorktreeEntry::Symlink(link) => {
            return Err(BadInput::new(
                format!("file `{given}` is reached through the symlink `{link}`"),
                "name the file the link points to: git-realm reads no file through a symlink",
            )
            .into());
        }
        WorktreeEntry::NotAFile => {
            return Err(BadInput::new(
                format!("`{given}` is not a regular file"),
                "name a YAML or JSON file",
            )
            .into());
        }
    };
    let cannot_read = |e: std::io::Error| {
        BadInput::new(
            format!("cannot read `{given}`: {e}"),
            "check the file's permissions",
        )
    };
    let size = std::fs::metadata(&path).map_err(cannot_read)?.len();
    if size > yaml::MAX_FILE_BYTES as u64 {
        return Err(yaml::too_large(&rel, size).into());
    }
    let bytes = std::fs::read(&path).map_err(cannot_read)?;
    Ok((rel.clone(), yaml::from_slice(&rel, &bytes)?))
}
