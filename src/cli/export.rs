//! `git realm export`: declare or update an export of this domain.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use serde_json::Value;

use super::{Ctx, Outcome};
use crate::error::BadInput;
use crate::git::WorktreeEntry;
use crate::member::{self as membership, Member};
use crate::notify;
use crate::output::Report;
use crate::realm::change::Change;
use crate::realm::config::ExportSource;
use crate::realm::publish::{self, ExportUpdate, Publication};
use crate::realm::{names, snapshot, version, yaml};

/// Declare or update an export of this domain
///
/// The value comes from --value (JSON), from a file in this repository (--file: the file
/// becomes the export's source, so editing it later is drift), or from detection (--detect,
/// configured in .realm/config.yaml). The version follows from what changed unless --version
/// says otherwise; it must then be higher and cover the change.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["value", "file", "detect"]))]
pub struct ExportArgs {
    /// Name the export (lowercase letters, digits and '-')
    #[arg(long)]
    name: String,

    /// Publish as this version instead of the computed one
    #[arg(long)]
    version: Option<String>,

    /// Take the value from this JSON text
    #[arg(long, value_name = "JSON")]
    value: Option<String>,

    /// Take the value from this YAML or JSON file in the repository, and keep reading it
    #[arg(long, value_name = "FILE")]
    file: Option<String>,

    /// Compute the value with the detector configured for this export
    #[arg(long)]
    detect: bool,

    /// Describe what the export is for
    #[arg(long)]
    description: Option<String>,

    /// Do not notify consumers of the new version
    #[arg(long)]
    no_notify: bool,

    /// Check the value against the JSON Schema in this YAML or JSON file
    #[arg(long, value_name = "FILE")]
    schema: Option<String>,
}

#[derive(Serialize)]
struct ExportReport {
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

pub fn run(ctx: &Ctx, args: ExportArgs) -> Result<Outcome> {
    let mut member = membership::load(ctx)?;
    names::check("export", &args.name)?;
    let explicit = args
        .version
        .as_deref()
        .map(version::parse_version)
        .transpose()?;
    let schema = match &args.schema {
        Some(path) => Some(read_value_file(ctx, &member, path)?.1),
        None => None,
    };
    let (value, source) = if let Some(text) = &args.value {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            BadInput::new(
                format!("invalid JSON in --value: {e}"),
                "quote the value for the shell, e.g. --value '{\"read\": [\"a/*\"]}'",
            )
        })?;
        (value, None)
    } else if let Some(path) = &args.file {
        let (rel, value) = read_value_file(ctx, &member, path)?;
        (value, Some(ExportSource::file(&args.name, &rel)))
    } else {
        let source = member
            .config
            .source(&args.name)
            .cloned()
            .unwrap_or_else(|| ExportSource::s3(&args.name));
        let detected = crate::member::detection::detect_export(
            &member.repo,
            &source,
            None,
            crate::member::detection::CacheUse::Refresh,
        )?;
        // An export published before values kept their bucket keeps its spelling here too.
        let recorded = member
            .repo
            .fetched_realm(&member.config.realm)
            .ok()
            .and_then(|(_, snapshot)| {
                snapshot
                    .export(&member.config.realm.domain, &args.name)
                    .map(|e| e.value.clone())
            });
        let value = crate::member::detection::migrate(&source, recorded.as_ref(), detected).value;
        (value, Some(source))
    };
    let update = ExportUpdate {
        name: args.name.clone(),
        value,
        description: args.description,
        schema,
        version: explicit,
    };
    let (outcome, notices) = publish_update(ctx, &member, &update)?;
    if let Some(source) = source {
        member.config.set_source(source);
        membership::write_config(&member.repo, &member.config)?;
    }
    let (publication, published) = match outcome {
        Some((publication, published)) => (Some(publication), Some(published)),
        None => (None, None),
    };
    let proposal = published
        .as_ref()
        .filter(|p| p.branch != member.config.realm.branch)
        .map(|p| p.branch.clone());
    // A version that landed is announced as sync announces it; a proposal waits for approval.
    let notifications =
        (published.is_some() && proposal.is_none() && !args.no_notify && !notices.is_empty())
            .then(|| -> Result<notify::DeliveryReport> {
                let delivery = crate::member::delivery::config(&member.repo)?;
                Ok(notify::deliver(
                    &delivery,
                    member.repo.common_dir(),
                    notices,
                    Vec::new(),
                ))
            })
            .transpose()?;
    if let Some(report) = &notifications {
        crate::member::delivery::hints(ctx, report);
    }
    if let (Some(p), Some(landed), None, Some(head)) = (
        &publication,
        &published,
        &proposal,
        member.repo.head_commit(),
    ) {
        let realm = &member.config.realm;
        let line = crate::git::notes::export_line(
            &realm.name,
            &realm.domain,
            &p.export,
            &p.version,
            landed.commit,
        );
        crate::member::notes::record_and_share(ctx, &member, head, &[line]);
    }
    ctx.emit(&ExportReport {
        notifications,
        realm: member.config.realm.name.clone(),
        domain: member.config.realm.domain.clone(),
        result: match (&publication, &proposal) {
            (None, _) => "unchanged",
            (Some(_), Some(_)) => "proposed",
            (Some(_), None) => "published",
        },
        publication,
        proposal,
        commit: published.map(|p| p.commit.to_string()),
    })?;
    Ok(Outcome::Clean)
}

/// Publish one export update as one realm commit (a proposal when it is a breaking change
/// that needs approval).
type Landed = Option<(Publication, crate::git::Published)>;

pub fn publish_update(
    ctx: &Ctx,
    member: &Member,
    update: &ExportUpdate,
) -> Result<(Landed, Vec<notify::Notice>)> {
    let realm = &member.config.realm;
    let domain = &realm.domain;
    let email = member.repo.user_email()?;
    let mut result = None;
    let mut notices = Vec::new();
    let published = member.repo.publish(realm, |tip, _| {
        if tip.domain(domain).is_none() {
            return Err(BadInput::new(
                format!("domain `{domain}` is not in realm `{}` yet", realm.name),
                "wait until an approver accepts the join ('git realm approve'), then try again",
            )
            .into());
        }
        let current = tip
            .domain(domain)
            .map(|d| d.exports.clone())
            .unwrap_or_default();
        let Some((exports, publication)) =
            publish::apply(tip, &current, domain, update, &ctx.date())?
        else {
            return Ok(None);
        };
        let governance = &tip.realm.governance;
        let needs_approval = publication.breaking
            && governance.breaking_changes.require_approval
            && !governance.is_approver(&email);
        let branch = if needs_approval {
            format!(
                "proposals/{domain}/{}-{}",
                publication.export, publication.version
            )
        } else {
            realm.branch.clone()
        };
        let mut change = Change::new(format!(
            "{domain}: export {} {}",
            publication.export, publication.version
        ));
        change.put_yaml(snapshot::exports_file(domain), &exports);
        member.sign(&mut change);
        notices = exports
            .exports
            .iter()
            .find(|e| e.name == publication.export)
            .map(|export| notify::announce::notices(tip, domain, export))
            .unwrap_or_default();
        result = Some(publication);
        Ok(Some((change, branch)))
    })?;
    Ok((published.and_then(|p| result.map(|r| (r, p))), notices))
}

/// Read a YAML or JSON file of this repository: its repository-relative path and its value.
fn read_value_file(ctx: &Ctx, member: &Member, given: &str) -> Result<(String, Value)> {
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
