//! `git realm init`: create a realm repository.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Ctx, Outcome};
use crate::error::BadInput;
use crate::git::object_format::{self, ObjectFormat};
use crate::git::{self, Git};
use crate::output::Report;
use crate::realm::model::{Admission, Governance, RealmFile};
use crate::realm::snapshot::Snapshot;
use crate::realm::{names, yaml};

/// Create a realm: a git repository that records what its domains export and import
///
/// Writes realm.yaml (with the RFC's default governance), domains/, contracts/ and
/// .github/CODEOWNERS as the first commit on `main`. A non-bare realm accepts pushes into its
/// checked-out branch, so domains can write to it directly. PATH may also be an empty
/// repository (made with 'git init', bare or not), which keeps its object format. Domains
/// must use the realm's object format (SHA-1 or SHA-256).
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Name the realm (lowercase letters, digits and '-')
    #[arg(long)]
    name: String,

    /// Create the realm in PATH instead of the current directory
    path: Option<PathBuf>,

    /// Create a bare repository, as for a realm served to others
    #[arg(long)]
    bare: bool,

    /// Set who may join without approval
    #[arg(long, value_enum, default_value_t = Admission::Approval)]
    admission: Admission,

    /// Add an approver by email (default: your git email); repeatable
    #[arg(long = "approver", value_name = "EMAIL")]
    approvers: Vec<String>,

    /// Hash objects with FORMAT (default: git's, see `init.defaultObjectFormat`)
    ///
    /// Domains must use the same format as their realm.
    #[arg(long, value_enum, value_name = "FORMAT")]
    object_format: Option<ObjectFormat>,

    /// Require every realm commit to be signed by a key listed for its author
    ///
    /// Needs a signing key in your git config (user.signingkey; gpg.format ssh or openpgp). Without
    /// this flag, commits are still checked against the keys that domains and approvers list.
    #[arg(long)]
    require_signatures: bool,
}

#[derive(Serialize)]
struct InitReport {
    realm: String,
    path: String,
    bare: bool,
    admission: &'static str,
    approvers: Vec<String>,
    commit: String,
    object_format: Option<ObjectFormat>,
    /// Whether PATH was an empty repository already.
    #[serde(skip)]
    existing: bool,
}

impl Report for InitReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "✓ Created realm.yaml ({} admission, approvers: {})",
            self.admission,
            self.approvers.join(", ")
        )?;
        writeln!(
            out,
            "✓ {} git repository{} at {}",
            if self.existing {
                "Used the empty"
            } else {
                "Initialized"
            },
            if self.bare { " (bare)" } else { "" },
            self.path
        )?;
        writeln!(
            out,
            "✓ Realm '{}' created (commit {})",
            self.realm,
            &self.commit[..7]
        )
    }
}

pub fn run(ctx: &Ctx, args: InitArgs) -> Result<Outcome> {
    names::check("realm", &args.name)?;
    let path = match &args.path {
        Some(p) => ctx.cwd.join(p),
        None => ctx.cwd.clone(),
    };
    // An empty repository becomes the realm as it is: bare or not, in its object format.
    let existing = if git::is_git_repo(&path) {
        Some(check_existing(&path, &args)?)
    } else {
        None
    };
    let bare = existing.map_or(args.bare, |e| e.bare);
    let is_content = |name: &std::ffi::OsStr| existing.is_none() || name != ".git";
    if existing.is_none_or(|e| !e.bare)
        && path.exists()
        && std::fs::read_dir(&path)
            .map(|d| d.flatten().any(|e| is_content(&e.file_name())))
            .unwrap_or(true)
    {
        return Err(BadInput::new(
            format!("`{}` is not empty", path.display()),
            "create the realm in a new or empty directory",
        )
        .into());
    }
    let approvers = if args.approvers.is_empty() {
        vec![git::user_email(&ctx.cwd)?]
    } else {
        args.approvers.clone()
    };
    for email in &approvers {
        if !email.contains('@') || email.chars().any(char::is_whitespace) {
            return Err(BadInput::new(
                format!("invalid approver `{email}`"),
                "give an email address",
            )
            .into());
        }
    }

    let signing = git::signature::signing_key(&ctx.cwd)?;
    if args.require_signatures && signing.is_none() {
        return Err(BadInput::new(
            "--require-signatures needs a signing key, and git has none configured",
            "set one up: 'git config --global gpg.format ssh' and 'git config --global user.signingkey ~/.ssh/id_ed25519.pub' (or user.signingkey set to your OpenPGP key's fingerprint)",
        )
        .into());
    }
    // The initialising approver's key anchors the realm's trust.
    let own_email = git::user_email(&ctx.cwd).ok();
    let signing_keys = match (&signing, &own_email) {
        (Some(key), Some(email)) if approvers.iter().any(|a| a.eq_ignore_ascii_case(email)) => key
            .public
            .iter()
            .map(|public| format!("{email} {public}"))
            .collect(),
        _ => Vec::new(),
    };
    let realm = RealmFile {
        name: args.name.clone(),
        version: "1.0.0".to_owned(),
        created_at: Some(ctx.timestamp()),
        governance: Governance {
            admission: args.admission,
            approvers: approvers.clone(),
            require_signatures: args.require_signatures,
            signing_keys,
            ..Governance::default()
        },
        extra: Default::default(),
    };
    let snapshot = Snapshot {
        realm: realm.clone(),
        domains: Default::default(),
        contracts: Default::default(),
        broken: Default::default(),
        broken_owners: Default::default(),
    };
    let files: [(&str, String); 4] = [
        ("realm.yaml", yaml::to_string(&realm)),
        ("domains/.gitkeep", String::new()),
        ("contracts/.gitkeep", String::new()),
        (".github/CODEOWNERS", snapshot.codeowners()),
    ];

    let created_dir = !path.exists();
    let head = existing.map(|_| Git::in_dir(&path).args(["symbolic-ref", "HEAD"]).run());
    let result = match existing {
        Some(_) => Git::in_dir(&path)
            .args(["symbolic-ref", "HEAD", "refs/heads/main"])
            .run()
            .and_then(|_| create(&path, bare, &args.name, &files, signing.is_some())),
        None => git::init_repo(&path, bare, "main", args.object_format)
            .and_then(|()| create(&path, bare, &args.name, &files, signing.is_some())),
    };
    if result.is_err() {
        // Leave nothing half-made behind; an empty repository that was there stays.
        if let Some(Ok(head)) = head {
            let git = || Git::in_dir(&path);
            let _ = git().args(["update-ref", "-d", "refs/heads/main"]).run();
            let _ = git().args(["symbolic-ref", "HEAD", &head]).run();
            let _ = git()
                .args(["config", "--unset", "receive.denyCurrentBranch"])
                .run();
        }
        if created_dir {
            let _ = std::fs::remove_dir_all(&path);
        } else if existing.is_none_or(|e| !e.bare)
            && let Ok(entries) = std::fs::read_dir(&path)
        {
            for entry in entries.flatten().filter(|e| is_content(&e.file_name())) {
                let p = entry.path();
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
        }
    }
    let commit = result?;
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    ctx.emit(&InitReport {
        realm: args.name,
        object_format: object_format::format_of(&path),
        existing: existing.is_some(),
        path: path.display().to_string(),
        bare,
        admission: args.admission.as_str(),
        approvers,
        commit,
    })?;
    Ok(Outcome::Clean)
}

fn create(
    path: &std::path::Path,
    bare: bool,
    name: &str,
    files: &[(&str, String)],
    sign: bool,
) -> Result<String> {
    let git = || Git::in_dir(path);
    let mut index_lines = String::new();
    for (file, content) in files {
        let blob = git()
            .args(["hash-object", "-w", "--stdin"])
            .stdin(content.as_bytes())
            .run()?;
        index_lines.push_str(&format!("100644 {blob}\t{file}\n"));
    }
    // A private index builds the tree, so nothing depends on a working tree existing.
    let index_file = tempfile_path(path, bare);
    let with_index = |g: Git| g.env("GIT_INDEX_FILE", &index_file);
    with_index(
        git()
            .args(["update-index", "--add", "--index-info"])
            .stdin(index_lines),
    )
    .run()?;
    let tree = with_index(git().arg("write-tree")).run()?;
    let _ = std::fs::remove_file(&index_file);
    let commit = git()
        .args(["commit-tree", &tree, "-F", "-"])
        .args(sign.then_some("-S"))
        .stdin(format!("{name}: create realm\n"))
        .run()?;
    git()
        .args(["update-ref", "refs/heads/main", &commit])
        .run()?;
    git()
        .args(["config", "receive.denyCurrentBranch", "updateInstead"])
        .run()?;
    if !bare {
        git().args(["reset", "--quiet", "--hard", "HEAD"]).run()?;
    }
    Ok(commit)
}

/// The repository at `path`, unless it holds anything already or is not what `args` ask for.
fn check_existing(path: &std::path::Path, args: &InitArgs) -> Result<object_format::EmptyRepo> {
    let existing = object_format::empty_repo(path).ok_or_else(|| {
        BadInput::new(
            format!("`{}` is already a git repository", path.display()),
            "choose a new directory or an empty repository for the realm: 'git realm init \
             --name NAME PATH'",
        )
    })?;
    if args.bare && !existing.bare {
        return Err(BadInput::new(
            format!("`{}` is a repository with a working tree", path.display()),
            "leave out --bare to make it the realm, or choose a new directory",
        )
        .into());
    }
    if let Some(format) = args.object_format
        && format != existing.format
    {
        return Err(BadInput::new(
            format!(
                "`{}` is a {} repository, not {format}",
                path.display(),
                existing.format
            ),
            "leave out --object-format to keep the repository's format, or choose a new \
             directory",
        )
        .into());
    }
    Ok(existing)
}

fn tempfile_path(path: &std::path::Path, bare: bool) -> PathBuf {
    let git_dir = if bare {
        path.to_path_buf()
    } else {
        path.join(".git")
    };
    git_dir.join("realm-init-index")
}
