//! post-merge and post-rewrite: fetch the realm for a moment, then tell what is new in it and
//! which of this domain's imports are stale or broken. Never fails, never hangs.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use gix::ObjectId;
use serde::Serialize;

use super::super::per_realm::PerRealm;
use super::super::{Context, Outcome};
use crate::git::CodeRepo;
use crate::git::hooks::Hook;
use crate::member::{self as membership, Member};
use crate::output::Report;
use crate::realm::model::ImportStatus;
use crate::realm::status::{self, ImportState};

/// Which of the two hooks runs: post-merge or post-rewrite.
#[derive(Debug, Clone)]
pub struct AfterUpdateOptions {
    pub hook: Hook,
    /// Report on this realm alone; on every realm when `None`.
    pub realm: Option<String>,
}

#[derive(Serialize)]
pub struct UpdateReport {
    hook: Hook,
    realm: String,
    /// `fetched`, `timed-out` or `failed` (then what was fetched before is shown).
    fetch: &'static str,
    previous_realm_commit: Option<String>,
    realm_commit: String,
    new_versions: Vec<NewVersion>,
    /// This domain's imports that are stale or broken.
    imports: Vec<ImportState>,
}

#[derive(Serialize)]
struct NewVersion {
    domain: String,
    export: String,
    version: String,
    previous_version: Option<String>,
}

/// How many new versions the human report lists before pointing at `status`.
const NEW_VERSIONS_SHOWN: usize = 20;

impl Report for UpdateReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if !self.new_versions.is_empty() {
            writeln!(out, "Realm '{}' has new export versions:", self.realm)?;
            for v in self.new_versions.iter().take(NEW_VERSIONS_SHOWN) {
                match &v.previous_version {
                    Some(prev) => writeln!(
                        out,
                        "  {}/{} {} (was {prev})",
                        v.domain, v.export, v.version
                    )?,
                    None => writeln!(out, "  {}/{} {} (new)", v.domain, v.export, v.version)?,
                }
            }
            if self.new_versions.len() > NEW_VERSIONS_SHOWN {
                let more = self.new_versions.len() - NEW_VERSIONS_SHOWN;
                writeln!(out, "  … and {more} more: see 'git realm status'")?;
            }
        }
        for import in &self.imports {
            let label = format!("'{}' from {}", import.contract, import.from);
            if import.status == ImportStatus::Broken {
                let reason = import.reason.as_deref().unwrap_or("unknown");
                writeln!(out, "Broken import {label}: {reason}")?;
                continue;
            }
            let from = import.resolved_version.as_deref().unwrap_or("unresolved");
            let to = import.latest_version.as_deref().unwrap_or("?");
            writeln!(out, "Stale import {label}: {from} → {to}")?;
            for line in &import.changes {
                writeln!(out, "  {line}")?;
            }
            match &import.binding {
                Some(binding) => writeln!(out, "  review {binding}, then run 'git realm sync'")?,
                None => writeln!(out, "  run 'git realm sync' to resolve it")?,
            }
        }
        Ok(())
    }
}

/// post-merge and post-rewrite: no report where no realm was joined. Never fails: an error
/// becomes a warning.
pub fn after_update(
    ctx: &Context,
    options: AfterUpdateOptions,
) -> Result<(Option<PerRealm<UpdateReport>>, Outcome)> {
    super::forgiving(
        ctx,
        options.hook,
        reports(ctx, options.hook, options.realm.as_deref()),
    )
}

/// One report per realm the repository belongs to.
fn reports(
    ctx: &Context,
    hook: Hook,
    realm: Option<&str>,
) -> Result<(Option<PerRealm<UpdateReport>>, Outcome)> {
    let repo = CodeRepo::discover(&ctx.cwd)?;
    let Some(file) = membership::read_config(&repo)? else {
        return Ok((None, Outcome::Clean));
    };
    let limit = repo.hook_settings()?.fetch_timeout;
    let members = membership::select(repo, file, realm)?;
    let fetched: Vec<(Member, Fetched)> = if members.len() == 1 {
        members
            .into_iter()
            .map(|member| {
                let fetched = fetch(&member, limit);
                (member, fetched)
            })
            .collect()
    } else {
        // Each realm is fetched on its own thread: several realms cost one time limit.
        std::thread::scope(|scope| {
            let running: Vec<_> = members
                .into_iter()
                .map(|member| {
                    scope.spawn(move || {
                        let fetched = fetch(&member, limit);
                        (member, fetched)
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|thread| thread.join().expect("a realm's fetch does not panic"))
                .collect()
        })
    };
    let several = fetched.len() > 1;
    let mut reports = Vec::new();
    for (member, fetched) in fetched {
        let name = member.config.realm.name.clone();
        reports.push((name, report(ctx, hook, member, fetched, limit, several)?));
    }
    Ok((PerRealm::collect(reports), Outcome::Clean))
}

/// A realm's tip before the fetch, and how the fetch went.
struct Fetched {
    before: Result<Option<ObjectId>>,
    fetch: Result<Option<bool>>,
}

/// Fetch the realm of `member` within `limit`, noting its tip before.
fn fetch(member: &Member, limit: Duration) -> Fetched {
    let membership = &member.config.realm;
    let before = member
        .repo
        .ref_target(&CodeRepo::realm_ref(&membership.name, &membership.branch));
    let fetch = match before {
        Ok(_) => member.repo.fetch_realm_within(membership, limit),
        Err(_) => Ok(None),
    };
    Fetched { before, fetch }
}

fn report(
    ctx: &Context,
    hook: Hook,
    member: Member,
    fetched: Fetched,
    limit: Duration,
    several: bool,
) -> Result<UpdateReport> {
    let repo = &member.repo;
    let membership = &member.config.realm;
    let before = fetched.before?;
    let fetch = match fetched.fetch {
        Ok(Some(true)) => "fetched",
        Ok(Some(false)) => "failed",
        Err(err) => {
            // A realm that fails verification is worth more than the generic warning below.
            ctx.warn(format!("warning: {err:#}"));
            "failed"
        }
        Ok(None) => "timed-out",
    };
    // With several realms, each warning names its own.
    let the_realm = if several {
        format!("realm '{}'", membership.name)
    } else {
        "the realm".to_owned()
    };
    match fetch {
        "failed" => ctx.note(format!(
            "warning: could not fetch {the_realm}; showing what was fetched before"
        )),
        "timed-out" => ctx.note(format!(
            "warning: {the_realm} did not answer within {} ms; showing what was fetched before",
            limit.as_millis()
        )),
        _ => {}
    }
    let (tip, realm) = repo.fetched_realm(membership)?;
    // Notes a command stopped before writing are rebuilt from what the realm records.
    crate::member::notes::reconcile_or_warn(ctx, &member);
    let mut new_versions = Vec::new();
    if let Some(before) = before.filter(|b| *b != tip) {
        let previous = repo.snapshot(before, &membership.url)?;
        for (domain, state) in &realm.domains {
            for export in &state.exports.exports {
                let previous_version = previous
                    .export(domain, &export.name)
                    .map(|e| e.version.clone());
                if previous_version.as_deref() != Some(export.version.as_str()) {
                    new_versions.push(NewVersion {
                        domain: domain.clone(),
                        export: export.name.clone(),
                        version: export.version.clone(),
                        previous_version,
                    });
                }
            }
        }
    }
    let elsewhere = crate::member::bindings::elsewhere_of(repo, membership, &realm)?;
    let imports: Vec<ImportState> =
        status::imports_of_in(&realm, &elsewhere, &membership.domain, &ctx.date())
            .into_iter()
            .filter(|i| i.status != ImportStatus::Current)
            .collect();
    let report = UpdateReport {
        hook,
        realm: membership.name.clone(),
        fetch,
        previous_realm_commit: before.map(|b| b.to_string()),
        realm_commit: tip.to_string(),
        new_versions,
        imports,
    };
    Ok(report)
}
