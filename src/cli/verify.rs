//! `git realm verify`: check realm history against the trust rules.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Ctx, Outcome};
use crate::error::BadInput;
use crate::git::CodeRepo;
use crate::git::verify::{self, Checked};
use crate::member as membership;
use crate::output::Report;
use crate::realm::trust::Violation;

/// Check the realm's history against its trust rules
///
/// Walks the realm's main branch (as last fetched; in a realm repository, its own main) and
/// lists every commit that breaks a rule: a domain changing files outside domains/<domain>/,
/// realm.yaml or contracts/ changed by someone who is not an approver, a commit not made by
/// one of its domain's maintainers, a missing or wrong signature where keys are listed or the
/// realm requires signatures, a domain's keys changed without a key it already had, a join or
/// breaking change that skipped its approval, a rewritten main. ssh signatures are checked as
/// git checks them, OpenPGP ones with gpgv against the keys the realm lists (never your own
/// keyring). Exits 1 when it finds any. Where the last run found the history clean it goes on
/// from there (the commit is kept in the git dir, and deleting it only costs time).
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check only the commits after REV (trusting REV and its history)
    #[arg(long, value_name = "REV")]
    from: Option<String>,

    /// Check the history up to REV (default: the realm's main branch)
    rev: Option<String>,
}

#[derive(Serialize)]
struct VerifyReport {
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

pub fn run(ctx: &Ctx, args: VerifyArgs) -> Result<Outcome> {
    let report = match CodeRepo::discover(&ctx.cwd)
        .ok()
        .filter(|repo| matches!(membership::read_config(repo), Ok(Some(_))))
    {
        Some(_) => in_code_repo(ctx, &args)?,
        None => in_realm_repo(ctx, &args)?,
    };
    let outcome = if report.violations.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    };
    ctx.emit(&report)?;
    Ok(outcome)
}

fn in_code_repo(ctx: &Ctx, args: &VerifyArgs) -> Result<VerifyReport> {
    let member = membership::load(ctx)?;
    let realm = &member.config.realm;
    let repo = &member.repo;
    let tip = match &args.rev {
        Some(rev) => repo.resolve_commit(rev)?,
        None => repo.fetched_realm(realm)?.0,
    };
    let from = args
        .from
        .as_deref()
        .map(|rev| repo.resolve_commit(rev))
        .transpose()?;
    let start = from.or_else(|| repo.last_verified(&realm.name));
    // Only main's line is remembered: a clean proposal or older commit is no mark for main.
    let remember = args.from.is_none() && args.rev.is_none();
    let checked = repo.verify_realm(&realm.name, from, tip, remember)?;
    Ok(report(realm.name.clone(), tip, start, checked))
}

/// Run in the realm's own repository (bare or not): its main branch, nothing cached.
fn in_realm_repo(ctx: &Ctx, args: &VerifyArgs) -> Result<VerifyReport> {
    let repo = gix::discover(&ctx.cwd).map_err(|_| {
        BadInput::new(
            format!("not a git repository: `{}`", ctx.cwd.display()),
            "run 'git realm verify' in a repository that joined a realm, or in a realm",
        )
    })?;
    let resolve = |rev: &str| -> Result<gix::ObjectId> {
        Ok(repo
            .rev_parse_single(rev)
            .map_err(|_| {
                BadInput::new(
                    format!("unknown revision `{rev}`"),
                    "name a commit or branch of the realm",
                )
            })?
            .object()?
            .peel_to_commit()?
            .id)
    };
    let tip = resolve(args.rev.as_deref().unwrap_or("refs/heads/main")).map_err(|_| {
        BadInput::new(
            format!(
                "`{}` is neither a realm nor a repository that joined one",
                ctx.cwd.display()
            ),
            "run 'git realm verify' in a repository that joined a realm, or in a realm",
        )
    })?;
    let not_a_realm = || {
        BadInput::new(
            format!(
                "`{}` is neither a realm nor a repository that joined one",
                ctx.cwd.display()
            ),
            "run 'git realm verify' in a repository that joined a realm, or in a realm",
        )
    };
    let realm_file = crate::git::TreeSource::new(&repo, repo.find_commit(tip)?.tree_id()?.detach());
    let name = crate::realm::snapshot::RealmSource::read(&realm_file, "realm.yaml")
        .ok()
        .flatten()
        .and_then(|bytes| {
            crate::realm::yaml::from_slice::<crate::realm::model::RealmFile>("realm.yaml", &bytes)
                .ok()
        })
        .map(|r| r.name)
        .ok_or_else(not_a_realm)?;
    let from = args.from.as_deref().map(resolve).transpose()?;
    let dir = repo.git_dir().to_path_buf();
    let checked = verify::check_history(&repo, &dir, from, tip)?;
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
