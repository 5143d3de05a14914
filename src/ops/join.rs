//! `join`: register this repository as a domain of a realm.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::error::BadInput;
use crate::git::object_format::FormatMismatch;
use crate::git::{self, CodeRepo};
use crate::index::{self, IndexedRepo};
use crate::member::detection;
use crate::member::{self as membership, read_config};
use crate::output::Report;
use crate::realm::config::{CONFIG_PATH, Membership, RepoConfig};
use crate::realm::join::{self as realm_join, Candidate};
use crate::realm::model::{DomainFile, ExportsFile};
use crate::realm::names;

/// What `join` is asked.
#[derive(Debug, Clone, Default)]
pub struct JoinOptions {
    /// The realm: a path to its repository (relative to the context's directory) or a git URL.
    pub realm: String,
    /// The domain's name (default: the repository's directory name).
    pub name: Option<String>,
    /// The domain's maintainers by email (default: the user's git email).
    pub maintainers: Vec<String>,
    /// The URL recorded for the repository (default: the `origin` remote).
    pub repo_url: Option<String>,
    /// Skip detecting exports and candidate imports.
    pub no_detect: bool,
    /// Skip installing git-realm's hooks (the notes are set up either way).
    pub no_hooks: bool,
}

#[derive(Serialize)]
pub struct JoinReport {
    realm: String,
    domain: String,
    /// `joined`, or `proposed` when an approver must accept the join.
    admission: &'static str,
    proposal: Option<String>,
    commit: String,
    /// Exports detected in the code and published with the join.
    exports: Vec<String>,
    /// Imports proposed from files that mention other domains' exports.
    imports: Vec<Candidate>,
    config: &'static str,
}

impl Report for JoinReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "✓ Created domains/{}/domain.yaml", self.domain)?;
        if !self.exports.is_empty() {
            writeln!(out, "✓ Auto-detected exports: {}", self.exports.join(", "))?;
            writeln!(out, "✓ Created domains/{}/exports.yaml", self.domain)?;
        }
        for import in &self.imports {
            writeln!(
                out,
                "✓ Detected import: {} from {} (binding {})",
                import.contract, import.from, import.binding
            )?;
        }
        if !self.imports.is_empty() {
            writeln!(out, "✓ Created domains/{}/imports.yaml", self.domain)?;
        }
        writeln!(out, "✓ Updated {}", self.config)?;
        match &self.proposal {
            Some(proposal) => writeln!(
                out,
                "✓ Proposed joining realm '{}' as '{}' (proposal {}, commit {}); an approver must run 'git realm approve {}'",
                self.realm,
                self.domain,
                proposal,
                &self.commit[..7],
                proposal.trim_start_matches("proposals/"),
            ),
            None => writeln!(
                out,
                "✓ Joined realm '{}' as '{}' (commit {})",
                self.realm,
                self.domain,
                &self.commit[..7]
            ),
        }
    }
}

/// Join the realm: its commit (or proposal), then `.realm/config.yaml` and the index entry.
/// The hooks are the caller's to set up.
pub fn join(ctx: &Context, options: JoinOptions) -> Result<(JoinReport, Outcome)> {
    let repo = CodeRepo::discover(&ctx.cwd)?;
    // A repository may belong to several realms, once to each.
    let joined = read_config(&repo)?;
    let domain = match &options.name {
        Some(name) => name.clone(),
        None => repo
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    names::check("domain", &domain).map_err(|mut e| {
        if options.name.is_none() {
            e.hint = Some("name the domain with --as NAME".to_owned());
        }
        e
    })?;
    let (fetch_url, stored_url) = locate_realm(ctx, &repo, &options.realm)?;
    index::check_writable()?;
    let email = repo.user_email()?;
    let maintainers = if options.maintainers.is_empty() {
        vec![email.clone()]
    } else {
        options.maintainers.clone()
    };
    realm_join::check_maintainers(&maintainers, &email)?;
    let repo_url = match &options.repo_url {
        Some(url) => Some(url.clone()),
        None => repo.config("remote.origin.url")?,
    };
    let repo_url = repo_url.map(|url| git::public_url(&url));

    let snapshot = probe_realm(&repo, &fetch_url, &options.realm)?;
    let membership = Membership {
        name: snapshot.realm.name.clone(),
        url: stored_url,
        domain: domain.clone(),
        branch: "main".to_owned(),
        extra: Default::default(),
    };
    if let Some(config) = joined
        .as_ref()
        .and_then(|file| file.membership(&membership.name))
    {
        return Err(BadInput::new(
            format!(
                "this repository already joined realm `{}` as `{}`",
                config.realm.name, config.realm.domain
            ),
            format!(
                "run 'git realm leave --realm {}' first to join under another name",
                config.realm.name
            ),
        )
        .into());
    }
    realm_join::check_free(&snapshot, &domain)?;
    let target = realm_join::admission_target(&snapshot, &domain, &email, &membership.branch)?;

    let domain_file = DomainFile {
        name: domain.clone(),
        // A realm on this machine says where the domain lives even without an `origin` (RFC).
        repo_path: (!git::is_url(&options.realm)).then(|| repo.root.display().to_string()),
        repo_url,
        maintainers,
        joined_at: Some(ctx.timestamp()),
        // The key git signs with speaks for this domain from its first commit on.
        signing_keys: git::signature::signing_key(&repo.root)?
            .and_then(|key| key.public)
            .map(|public| vec![format!("{email} {public}")])
            .unwrap_or_default(),
        extra: Default::default(),
    };
    // Detection reads the committed code once; each attempt matches it against its tip.
    let head = repo.head_commit();
    // An export belongs to one realm: what another membership of this repository already
    // exports is not detected again for this one.
    let exported_elsewhere = joined.as_ref().is_some_and(|file| {
        file.memberships
            .iter()
            .any(|m| m.source(detection::S3_EXPORT).is_some())
    });
    if exported_elsewhere && !options.no_detect {
        ctx.note(format!(
            "note: `{}` is exported in another realm this repository belongs to: not detected again for `{}`",
            detection::S3_EXPORT,
            membership.name
        ));
    }
    let (detected, files) = match head {
        Some(head) if !options.no_detect => {
            let files = detection::text_files(&repo, head)?;
            let bindings: Vec<String> = detection::candidate_imports(&snapshot, &domain, &files)
                .into_iter()
                .map(|c| c.binding)
                .collect();
            for binding in &bindings {
                // Said, not done silently: the file may use S3 paths of this domain's own too.
                ctx.note(format!(
                    "note: `{binding}` binds an import, so this domain's detection leaves it out (`exclude:` in .realm/config.yaml); remove it there to count its paths as this domain's"
                ));
            }
            let detected = if exported_elsewhere {
                None
            } else {
                detection::detect_on_join(ctx, &repo, head, &bindings, &files)?
            };
            (detected, files)
        }
        _ => (None, Vec::new()),
    };
    let exports_file = ExportsFile {
        exports: detected
            .iter()
            .map(|(source, value)| {
                let about = "S3 paths this domain's code reads and writes";
                realm_join::first_publication(&source.name, value.clone(), about, &ctx.date())
            })
            .collect(),
        extra: Default::default(),
    };
    let mut candidates = Vec::new();
    let realm_refs = format!("refs/realm/{}", membership.name);
    let had_refs = repo
        .ref_target(&CodeRepo::realm_ref(&membership.name, "main"))?
        .is_some();
    let published = repo.publish(&membership, |tip, _| {
        candidates = detection::candidate_imports(tip, &domain, &files);
        for candidate in &mut candidates {
            candidate.binding_blob = match head {
                Some(head) => repo
                    .blob_id_at(head, &candidate.binding)?
                    .map(|id| id.to_string()),
                None => None,
            };
        }
        let mut change = realm_join::plan_join(
            tip,
            &domain_file,
            &exports_file,
            &candidates,
            &ctx.date(),
            &ctx.timestamp(),
        )?;
        membership::sign(&repo, &domain, &mut change);
        Ok(Some((change, target.clone())))
    });
    let published = match published {
        Ok(Some(p)) => p,
        Ok(None) => unreachable!("a join always changes the realm"),
        Err(e) => {
            if !had_refs {
                let _ = repo.delete_refs(&realm_refs);
            }
            return Err(e);
        }
    };

    let config = RepoConfig {
        realm: membership.clone(),
        exports: detected.iter().map(|(source, _)| source.clone()).collect(),
        imports: Vec::new(),
        extra: Default::default(),
    };
    membership::write_config(&repo, &config)?;
    index::update(|index| {
        index.add(
            &membership.name,
            &repo.realm_url(&membership),
            IndexedRepo {
                path: repo.root.display().to_string(),
                domain: domain.clone(),
            },
        )
    })?;

    let proposal = (published.branch != membership.branch).then(|| published.branch.clone());
    let report = JoinReport {
        realm: membership.name.clone(),
        domain: domain.clone(),
        admission: if proposal.is_some() {
            "proposed"
        } else {
            "joined"
        },
        proposal,
        commit: published.commit.to_string(),
        exports: exports_file
            .exports
            .iter()
            .map(|e| e.name.clone())
            .collect(),
        imports: candidates,
        config: CONFIG_PATH,
    };
    // Hooks and notes (SPEC 5, 6): a problem with them is a warning, never an undone join.
    crate::ops::hooks::set_up_after_join(ctx, &repo, options.no_hooks);
    // Staged, not committed: the membership is shared with the user's next commit.
    match repo.stage(CONFIG_PATH) {
        Ok(()) => ctx.note(format!(
            "✓ Staged {CONFIG_PATH}: commit it to share the membership"
        )),
        Err(err) => ctx.warn(format!(
            "warning: {CONFIG_PATH} was not staged ({err:#}): add and commit it to share the membership"
        )),
    }
    Ok((report, Outcome::Clean))
}

/// The realm at `url` as it is now, read before anything here changes, under a ref namespace
/// of our own that is gone afterwards.
fn probe_realm(
    repo: &CodeRepo,
    url: &str,
    given: &str,
) -> Result<crate::realm::snapshot::Snapshot> {
    let probe = format!("refs/realm-join/{}", std::process::id());
    let first = repo.fetch_into(url, &probe).map_err(|e| {
        if let Some(mismatch) = e.downcast_ref::<FormatMismatch>() {
            return mismatch.refusal(given);
        }
        BadInput::new(
            format!("cannot read realm `{given}`: {e:#}"),
            "check the realm's path or URL",
        )
    });
    let probed = first.map_err(anyhow::Error::from).and_then(|()| {
        let tip = repo
            .ref_target(&format!("{probe}/heads/main"))?
            .ok_or_else(|| {
                BadInput::new(
                    format!("`{given}` is not a realm: it has no `main` branch"),
                    "create a realm with 'git realm init --name NAME'",
                )
            })?;
        repo.snapshot(tip, given)
    });
    repo.delete_refs(&probe)?;
    probed
}

/// The URL to fetch the realm from now, and the one to record in `.realm/config.yaml`
/// (local paths are recorded relative to the repository root).
fn locate_realm(ctx: &Context, repo: &CodeRepo, given: &str) -> Result<(String, String)> {
    if git::is_url(given) {
        return Ok((given.to_owned(), given.to_owned()));
    }
    let path = ctx.cwd.join(given);
    if !path.exists() {
        return Err(BadInput::new(
            format!("realm `{given}` does not exist"),
            "check the path, or create a realm there with 'git realm init --name NAME'",
        )
        .into());
    }
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    if !git::is_git_repo(&path) {
        return Err(BadInput::new(
            format!("realm `{given}` is not a git repository"),
            "create a realm there with 'git realm init --name NAME'",
        )
        .into());
    }
    if path == repo.root {
        return Err(BadInput::new(
            "a repository cannot join itself as a realm",
            "name the realm's path",
        )
        .into());
    }
    Ok((
        path.display().to_string(),
        relative_path(&path, &repo.root).display().to_string(),
    ))
}

/// `target` as seen from `base` (both absolute).
fn relative_path(target: &Path, base: &Path) -> PathBuf {
    let target: Vec<_> = target.components().collect();
    let base: Vec<_> = base.components().collect();
    let common = target.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for part in &target[common..] {
        out.push(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(Path::new("/w/realm"), Path::new("/w/app")),
            Path::new("../realm")
        );
        assert_eq!(
            relative_path(Path::new("/w/app/realm"), Path::new("/w/app")),
            Path::new("realm")
        );
        assert_eq!(
            relative_path(Path::new("/x/r"), Path::new("/w/a/b")),
            Path::new("../../../x/r")
        );
    }
}
