//! `verify`: check realm history against the trust rules.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::git::CodeRepo;
use crate::git::verify::{self, Checked};
use crate::member as membership;
use crate::output::Report;
use crate::realm::trust::Violation;

/// What `verify` is asked.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The realm to act on; may be left out when the repository belongs to one.
    pub realm: Option<String>,
    /// Check only the commits after this revision, trusting it and its history.
    pub from: Option<String>,
    /// Check the history up to this revision (default: the realm's main branch).
    pub rev: Option<String>,
}

#[derive(Serialize)]
pub struct VerifyReport {
    realm: String,
    /// The commit checked up to.
    commit: String,
    /// The commit checking started after (`null`: from the realm's first commit).
    from: Option<String>,
    /// How many commits were checked.
    checked: usize,
    violations: Vec<Violation>,
}

impl Report for VerifyReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.violations.is_empty() {
            return writeln!(
                out,
                "✓ Realm '{}' verified up to {} ({} new commit{} checked)",
                self.realm,
                &self.commit[..7],
                self.checked,
                if self.checked == 1 { "" } else { "s" }
            );
        }
        writeln!(
            out,
            "✗ Realm '{}' breaks its trust rules ({} violation{}):",
            self.realm,
            self.violations.len(),
            if self.violations.len() == 1 { "" } else { "s" }
        )?;
        for v in &self.violations {
            write!(out, "  {} [{}]", &v.commit[..12], v.rule.as_str())?;
            if let Some(domain) = &v.domain {
                write!(out, " {domain}:")?;
            }
            write!(out, " {}", crate::error::one_line(&v.message))?;
            if let Some(path) = &v.path {
                write!(out, " ({path})")?;
            }
            if let Some(key) = &v.key {
                write!(out, " (key {key})")?;
            }
            writeln!(out)?;
        }
        Ok(())
    }
}

pub fn verify(ctx: &Context, options: VerifyOptions) -> Result<(VerifyReport, Outcome)> {
    let report = match CodeRepo::discover(&ctx.cwd)
        .ok()
        .filter(|repo| matches!(membership::read_config(repo), Ok(Some(_))))
    {
        Some(_) => in_code_repo(ctx, &options)?,
        None => in_realm_repo(ctx, &options)?,
    };
    let outcome = if report.violations.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    };
    Ok((report, outcome))
}

fn in_code_repo(ctx: &Context, options: &VerifyOptions) -> Result<VerifyReport> {
    let member = membership::load(ctx, options.realm.as_deref())?;
    let realm = &member.config.realm;
    let repo = &member.repo;
    let tip = match &options.rev {
        Some(rev) => repo.resolve_commit(rev)?,
        None => repo.fetched_realm(realm)?.0,
    };
    let from = options
        .from
        .as_deref()
        .map(|rev| repo.resolve_commit(rev))
        .transpose()?;
    let start = from.or_else(|| repo.last_verified(&realm.name));
    // Only main's line is remembered: a clean proposal or older commit is no mark for main.
    let remember = options.from.is_none() && options.rev.is_none();
    let checked = repo.verify_realm(&realm.name, from, tip, remember)?;
    Ok(report(realm.name.clone(), tip, start, checked))
}

/// Run in the realm's own repository (bare or not): its main branch, nothing cached.
fn in_realm_repo(ctx: &Context, options: &VerifyOptions) -> Result<VerifyReport> {
    let (name, tip, from, checked) =
        verify::check_realm_repo(&ctx.cwd, options.from.as_deref(), options.rev.as_deref())?;
    Ok(report(name, tip, from, checked))
}

fn report(
    realm: String,
    tip: gix::ObjectId,
    from: Option<gix::ObjectId>,
    checked: Checked,
) -> VerifyReport {
    VerifyReport {
        realm,
        commit: tip.to_string(),
        from: from.map(|f| f.to_string()),
        checked: checked.commits,
        violations: checked.violations,
    }
}
