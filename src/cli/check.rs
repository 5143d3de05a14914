//! `git realm check`: report export drift and stale or broken imports, writing nothing.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Ctx, Outcome};
use crate::member as membership;
use crate::member::bindings;
use crate::member::detection::{self, At, CacheUse, Detected};
use crate::output::Report;
use crate::realm::drift::Drift;
use crate::realm::model::ImportStatus;
use crate::realm::status::{self, ImportState};

/// Report export drift and stale, broken or ungranted imports, without network or writes
///
/// Compares the exports computed from the code at REV (default HEAD; the working tree with
/// --worktree) with the values the realm last fetched records, and lists this domain's
/// imports that are stale or broken; breaking changes announced to them are shown with the
/// date they take effect. An import with a verifier (`verify: s3-iam` in .realm/config.yaml)
/// whose binding file at REV does not grant the value is ungranted, with what is missing.
/// Exit status 1 when it finds drift or a stale, broken or ungranted import, 0 when clean. The only file it may write is its detection cache under .git/realm/detect
/// (safe to delete), as git status refreshes the index.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check only this domain's exports
    #[arg(long)]
    exports: bool,

    /// Check only this domain's imports
    #[arg(long)]
    imports: bool,

    /// Compute exports at this revision
    #[arg(long, value_name = "REV", conflicts_with = "worktree")]
    rev: Option<String>,

    /// Compute exports from the working tree, including uncommitted changes
    #[arg(long)]
    worktree: bool,

    /// List, for every pattern of every export, the files and lines it comes from
    ///
    /// Also lists the patterns the code shows but the export leaves out (too broad, in a
    /// bucket `buckets:` does not list, or in an unknown bucket), with where they are.
    #[arg(long)]
    explain: bool,
}

#[derive(Serialize)]
pub struct CheckReport {
    realm: String,
    domain: String,
    /// The commit exports were computed at, or `worktree`.
    at: String,
    realm_commit: String,
    drift: Vec<Drift>,
    /// Imports that are stale or broken, and breaking changes announced to them.
    imports: Vec<ImportState>,
    /// Domains whose realm files cannot be used; this domain among them is a finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    broken_domains: Vec<status::BrokenDomain>,
    clean: bool,
    /// With `--explain`: every export's patterns and where they come from.
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<Vec<Explanation>>,
}

#[derive(Serialize)]
struct Explanation {
    export: String,
    #[serde(flatten)]
    detected: Detected,
}

impl Report for CheckReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for e in self.explain.iter().flatten() {
            writeln!(out, "export '{}':", e.export)?;
            for (key, items) in &e.detected.sources {
                for (item, places) in items {
                    writeln!(out, "  {key} {item}")?;
                    for place in places {
                        writeln!(out, "    {place}")?;
                    }
                }
            }
            for l in &e.detected.left_out {
                writeln!(
                    out,
                    "  left out ({}): {} at {}",
                    l.reason.describe(),
                    l.pattern,
                    l.at
                )?;
            }
        }
        for broken in &self.broken_domains {
            writeln!(out, "broken: {}", crate::error::one_line(&broken.line()))?;
        }
        for drift in &self.drift {
            match &drift.recorded_version {
                Some(version) => writeln!(
                    out,
                    "drift: export '{}' differs from {version} in realm '{}'{}",
                    drift.export,
                    self.realm,
                    if drift.breaking { " (breaking)" } else { "" }
                )?,
                None => writeln!(
                    out,
                    "drift: export '{}' is not published in realm '{}'",
                    drift.export, self.realm
                )?,
            }
            for line in &drift.explained {
                writeln!(out, "  {line}")?;
            }
        }
        for import in &self.imports {
            let latest = import.latest_version.as_deref().unwrap_or("?");
            match import.status {
                ImportStatus::Stale => writeln!(
                    out,
                    "stale: import '{}' from {}: {} → {latest} available",
                    import.contract,
                    import.from,
                    import.resolved_version.as_deref().unwrap_or("none"),
                )?,
                ImportStatus::Broken => writeln!(
                    out,
                    "broken: import '{}' from {}: {}",
                    import.contract,
                    import.from,
                    import.reason.as_deref().unwrap_or("unknown")
                )?,
                ImportStatus::Ungranted => {
                    writeln!(
                        out,
                        "ungranted: import '{}' from {}: {} does not grant it",
                        import.contract,
                        import.from,
                        import.binding.as_deref().unwrap_or("the binding"),
                    )?;
                    for line in &import.ungranted {
                        writeln!(out, "  {line}")?;
                    }
                }
                ImportStatus::Current => {}
            }
            if let Some(a) = &import.announced {
                writeln!(
                    out,
                    "breaking: '{}' from {} {} takes effect on {}",
                    import.contract, import.from, a.version, a.effective_from
                )?;
            }
        }
        if self.clean {
            writeln!(
                out,
                "✓ '{}' is in step with realm '{}'",
                self.domain, self.realm
            )?;
        } else if !self.drift.is_empty() {
            writeln!(out, "run 'git realm sync' to publish")?;
        }
        Ok(())
    }
}

pub fn run(ctx: &Ctx, args: CheckArgs) -> Result<Outcome> {
    let member = membership::load(ctx)?;
    let realm = &member.config.realm;
    let (tip, snapshot) = member.repo.fetched_realm(realm)?;
    let (want_exports, want_imports) = match (args.exports, args.imports) {
        (false, false) => (true, true),
        flags => flags,
    };
    let at = if args.worktree {
        At::Worktree
    } else {
        match &args.rev {
            Some(rev) => At::Commit(member.repo.resolve_commit(rev)?),
            None => At::Commit(member.repo.head_commit().ok_or_else(|| {
                crate::error::BadInput::new(
                    "this repository has no commit yet",
                    "commit first, or use --worktree",
                )
            })?),
        }
    };
    let detected = if want_exports {
        detection::explained(&member, &snapshot, at, CacheUse::Refresh)?
    } else {
        Vec::new()
    };
    let drift = detection::drift_of(&member, &snapshot, &detected);
    if !args.explain {
        detection::note_left_out(ctx, &detected);
    }
    let today = ctx.date();
    let imports: Vec<ImportState> = if want_imports {
        bindings::imports_of(&member, &snapshot, at, &today)?
            .into_iter()
            .inspect(|i| {
                for line in &i.over_grants {
                    crate::output::warn(format!(
                        "warning: {}: {line}",
                        i.binding.as_deref().unwrap_or("binding")
                    ));
                }
            })
            .filter(|i| i.status != ImportStatus::Current || i.announced.is_some())
            .collect()
    } else {
        Vec::new()
    };
    let clean = drift.is_empty()
        && imports.iter().all(|i| i.status == ImportStatus::Current)
        && !snapshot.broken.contains_key(&realm.domain);
    ctx.emit(&CheckReport {
        realm: realm.name.clone(),
        domain: realm.domain.clone(),
        at: match at {
            At::Commit(c) => c.to_string(),
            At::Worktree => "worktree".to_owned(),
        },
        realm_commit: tip.to_string(),
        drift,
        imports,
        broken_domains: status::broken_domains(&snapshot),
        clean,
        explain: args.explain.then(|| {
            detected
                .into_iter()
                .map(|(export, detected)| Explanation { export, detected })
                .collect()
        }),
    })?;
    Ok(if clean {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}
