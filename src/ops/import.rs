//! `import`: declare that this domain depends on another domain's export.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::error::BadInput;
use crate::git::WorktreeEntry;
use crate::member::detection::At;
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
    /// The domain that exports it: `DOMAIN` in this realm, or `REALM/DOMAIN` in another realm
    /// this repository belongs to (or the realm at `from_url`).
    pub from: String,
    /// Where the provider's realm lives, when this repository is not a member of it: it is
    /// fetched read-only, and the URL is recorded in the import (`realm_url:`) so later
    /// commands fetch it too.
    pub from_url: Option<String>,
    /// The semver requirement to accept; `None`: `^<current major>`.
    pub version: Option<String>,
    /// The file in this repository that uses the value (relative to the context's directory).
    pub binding: Option<String>,
    /// Do not close the provider's issue in this repository's tracker.
    pub no_notify: bool,
    /// Record the import even when its binding does not grant the value, with what is
    /// missing (as `sync --force` resolves such an import).
    pub force: bool,
}

#[derive(Serialize)]
pub struct ImportReport {
    realm: String,
    domain: String,
    contract: String,
    from: String,
    /// The provider's realm, for an import across realms.
    #[serde(skip_serializing_if = "Option::is_none")]
    from_realm: Option<String>,
    version: String,
    binding: Option<String>,
    status: ImportStatus,
    resolved_version: String,
    commit: Option<String>,
    /// With a verifier: whether the binding grants the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<bool>,
    /// What the binding does not grant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ungranted: Vec<String>,
    /// Set when the binding does not grant the value and `--force` was not given: nothing was
    /// written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    refused: bool,
    /// The provider's issue closed when this import moved to a newer version.
    #[serde(skip_serializing_if = "Option::is_none")]
    notifications: Option<notify::DeliveryReport>,
}

impl Report for ImportReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let from = match &self.from_realm {
            Some(realm) => format!("{realm}/{}", self.from),
            None => self.from.clone(),
        };
        if !self.ungranted.is_empty() {
            let what = if self.refused {
                "not recorded"
            } else {
                "recorded with --force"
            };
            writeln!(
                out,
                "Ungranted import {}: {} does not grant {} ({what}):",
                crate::output::import_label(&self.contract, &from),
                self.binding.as_deref().unwrap_or("the binding"),
                self.resolved_version,
            )?;
            crate::output::indented(out, "  ", &self.ungranted)?;
        }
        if self.refused {
            writeln!(
                out,
                "✗ Nothing recorded: the import is not granted by its binding"
            )?;
            return Ok(());
        }
        let mark = if self.ungranted.is_empty() {
            "✓"
        } else {
            "!"
        };
        writeln!(
            out,
            "{mark} Import {} from {from} ({}, now at {})",
            self.contract, self.version, self.resolved_version
        )?;
        if let Some(binding) = &self.binding {
            let verified = match self.verified {
                Some(true) => " (grants the value)",
                Some(false) => " (does not grant the value)",
                None => "",
            };
            writeln!(out, "  Binding: {binding}{verified}")?;
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
    // `REALM/DOMAIN`; anything else is a domain name (and refused as one when it is not).
    let (from_realm, from) = match options.from.split_once('/') {
        Some((r, d)) if names::is_valid(r) => (Some(r.to_owned()), d.to_owned()),
        _ => (None, options.from.clone()),
    };
    names::check("domain", &from)?;
    let from_realm = from_realm.filter(|r| *r != realm.name);
    // The provider's realm, as this repository reads it: a membership, or read-only.
    let provider_realm = match (&from_realm, &options.from_url) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(BadInput::new(
                "--from-url names the realm of the provider: give --from as REALM/DOMAIN",
                format!(
                    "e.g. --from REALM/{from} --from-url {}",
                    options.from_url.as_deref().unwrap_or_default()
                ),
            )
            .into());
        }
        (Some(name), url) => Some(provider_realm(&member, name, url.as_deref())?),
    };
    if from_realm.is_some() && options.from_url.is_some() {
        ctx.note(format!(
            "Fetching realm '{}' (read-only)...",
            from_realm.as_deref().unwrap_or_default()
        ));
    }
    let provider_tip = match &provider_realm {
        Some(membership) => {
            if options.from_url.is_some() {
                member.repo.fetch_realm(membership)?;
            }
            Some(member.repo.fetched_realm(membership)?.1)
        }
        None => None,
    };
    if let Some(tip) = &provider_tip
        && let Some(name) = &from_realm
        && &tip.realm.name != name
    {
        return Err(BadInput::new(
            format!(
                "the realm fetched as `{name}` calls itself `{}` in its realm.yaml",
                tip.realm.name
            ),
            format!(
                "name it as it names itself: --from {}/{from}",
                tip.realm.name
            ),
        )
        .into());
    }
    if from_realm.is_none() && from == domain {
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

    let head = member.repo.head_commit();
    let blob_of = |path: &str| -> Result<Option<String>> {
        match head {
            Some(head) => Ok(member.repo.blob_id_at(head, path)?.map(|id| id.to_string())),
            None => Ok(None),
        }
    };
    let given_blob = match &binding {
        Some(path) => blob_of(path)?,
        None => None,
    };
    let now = ctx.timestamp();
    let today = ctx.date();
    // The binding is verified as sync verifies it: in the committed code (HEAD).
    let at = match head {
        Some(head) => At::Commit(head),
        None => At::Worktree,
    };
    let mut planned: Option<ImportPlan> = None;
    let mut resolution = None;
    let mut missing: Option<Vec<String>> = None;
    let published = member.repo.publish(realm, |tip, _| {
        // A re-import without --binding keeps the binding the realm records.
        let kept = match &binding {
            Some(_) => None,
            None => plan::recorded_import(
                tip,
                &domain,
                &options.contract,
                &from,
                from_realm.as_deref(),
            )
            .and_then(|i| i.binding.clone()),
        };
        let kept_blob = match &kept {
            Some(path) => blob_of(path)?,
            None => None,
        };
        let request = ImportRequest {
            domain: &domain,
            contract: &options.contract,
            from: &from,
            realm: from_realm.as_deref(),
            realm_url: options.from_url.as_deref(),
            version: options.version.as_deref(),
            binding: binding.as_deref().or(kept.as_deref()),
            binding_blob: given_blob.as_deref().or(kept_blob.as_deref()),
            now: &now,
        };
        let mut plan =
            plan::plan_import_across(tip, provider_tip.as_ref().unwrap_or(tip), &request)?;
        // The verifier sync runs, over the import as it would be recorded.
        let mut elsewhere = crate::member::bindings::elsewhere(&member, tip)?;
        if let (Some(name), Some(provider)) = (&from_realm, &provider_tip) {
            elsewhere.realms.insert(name.clone(), provider.clone());
            elsewhere.missing.remove(name);
        }
        missing =
            crate::member::bindings::verify_in(&member, tip, &elsewhere, &plan.import, at, &today)?
                .map(|verdict| verdict.missing());
        if let Some(missing) = &missing {
            plan::record_verdict(&mut plan, domain.as_str(), missing);
            // Not granted, the import is not recorded without --force (as sync refuses).
            if !missing.is_empty() && !options.force {
                planned = Some(plan);
                return Ok(None);
            }
        }
        // Moving an import to a newer version resolves it, as sync does: the provider's issue
        // in this repository can close.
        resolution = plan.resolved.as_deref().map(|version| {
            let mut resolution =
                delivery::resolution(realm, tip, &from, &options.contract, version);
            if let Some(provider) = &from_realm {
                // The provider's issue speaks of the provider's realm.
                resolution.realm = provider.clone();
            }
            resolution
        });
        let mut change = plan.change.clone();
        member.sign(&mut change);
        planned = Some(plan);
        Ok(Some((change, realm.branch.clone())))
    })?;
    let import = planned.expect("the build ran").import;
    let ungranted = missing.clone().unwrap_or_default();
    let refused = !ungranted.is_empty() && !options.force;
    if refused {
        ctx.note("error: import refused: its binding does not grant the value");
        ctx.note(match &import.binding {
            None => "hint: name the file that grants it with --binding FILE; 'git realm import --force' records it anyway and records the gap".to_owned(),
            Some(binding) => format!(
                "hint: grant what is listed in `{binding}` and commit it, then run 'git realm import' again; 'git realm import --force' records it anyway and records the gap"
            ),
        });
    }
    // As after a forced sync: the code commit notes the import and what its binding lacks.
    if let (Some(landed), Some(head)) = (&published, head)
        && !ungranted.is_empty()
    {
        let provider = match &import.realm {
            Some(r) => format!("{r}/{}", import.from),
            None => import.from.clone(),
        };
        let version = import.resolved_version.clone().unwrap_or_default();
        let lines = crate::member::notes::import_lines(
            &realm.name,
            &provider,
            &import.contract,
            &version,
            landed.commit,
            &ungranted,
        );
        crate::member::notes::record_and_share(ctx, &member, head, &lines);
    }
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
        from_realm: import.realm,
        version: import.version,
        binding: import.binding,
        status: import.status,
        resolved_version: import.resolved_version.unwrap_or_default(),
        commit: published.map(|p| p.commit.to_string()),
        verified: missing.as_ref().map(Vec::is_empty),
        ungranted,
        refused,
        notifications,
    };
    let outcome = if report.ungranted.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    };
    Ok((report, outcome))
}

/// The realm `name` an import comes from: one this repository belongs to, or (with `url`) one
/// it reads without joining.
fn provider_realm(
    member: &membership::Member,
    name: &str,
    url: Option<&str>,
) -> Result<crate::realm::config::Membership> {
    let file = membership::read_config(&member.repo)?;
    let joined = file.as_ref().and_then(|f| f.membership(name));
    match (joined, url) {
        (Some(joined), None) => Ok(joined.realm.clone()),
        (Some(_), Some(_)) => Err(BadInput::new(
            format!("this repository is a member of realm `{name}`: --from-url is not needed"),
            format!(
                "drop --from-url; the import reads realm `{name}` as this repository fetches it"
            ),
        )
        .into()),
        (None, Some(url)) => Ok(crate::member::bindings::read_only(name, url)),
        (None, None) => {
            let names = file
                .as_ref()
                .map(|f| f.names().join(", "))
                .unwrap_or_default();
            Err(BadInput::new(
                format!("this repository is not a member of realm `{name}`"),
                format!(
                    "its realms: {names}; to import from a realm it does not belong to, add --from-url URL (the realm's git URL)"
                ),
            )
            .into())
        }
    }
}
