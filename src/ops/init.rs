//! `init`: create a realm repository.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::error::BadInput;
use crate::git;
use crate::git::object_format::{self, ObjectFormat};
use crate::git::realm_init::{self, RealmRepo};
use crate::output::Report;
use crate::realm::init::{self as realm_init_rules, Founding};
use crate::realm::model::Admission;
use crate::realm::names;

/// What `init` is asked.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The realm's name.
    pub name: String,
    /// Where to create it, relative to the context's directory (default: there).
    pub path: Option<PathBuf>,
    /// A bare repository, as for a realm served to others.
    pub bare: bool,
    /// Who may join without approval.
    pub admission: Admission,
    /// The approvers by email (default: the user's git email).
    pub approvers: Vec<String>,
    /// The object format (default: git's).
    pub object_format: Option<ObjectFormat>,
    /// Require every realm commit to be signed by a key listed for its author.
    pub require_signatures: bool,
}

#[derive(Serialize)]
pub struct InitReport {
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

pub fn init(ctx: &Context, options: InitOptions) -> Result<(InitReport, Outcome)> {
    names::check("realm", &options.name)?;
    let path = match &options.path {
        Some(p) => ctx.cwd.join(p),
        None => ctx.cwd.clone(),
    };
    // An empty repository becomes the realm as it is: bare or not, in its object format.
    let existing = if git::is_git_repo(&path) {
        Some(check_existing(&path, &options)?)
    } else {
        None
    };
    let bare = existing.map_or(options.bare, |e| e.bare);
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
    let approvers = if options.approvers.is_empty() {
        vec![git::user_email(&ctx.cwd)?]
    } else {
        options.approvers.clone()
    };
    realm_init_rules::check_approvers(&approvers)?;

    let signing = git::signature::signing_key(&ctx.cwd)?;
    if options.require_signatures && signing.is_none() {
        return Err(BadInput::new(
            "--require-signatures needs a signing key, and git has none configured",
            "set one up: 'git config --global gpg.format ssh' and 'git config --global user.signingkey ~/.ssh/id_ed25519.pub' (or user.signingkey set to your OpenPGP key's fingerprint)",
        )
        .into());
    }
    let own_email = git::user_email(&ctx.cwd).ok();
    let created_at = ctx.timestamp();
    let realm = realm_init_rules::realm_file(&Founding {
        name: &options.name,
        admission: options.admission,
        approvers: &approvers,
        require_signatures: options.require_signatures,
        founder: own_email.as_deref(),
        founder_key: signing.as_ref().and_then(|key| key.public.as_deref()),
        created_at: &created_at,
    });
    let files = realm_init_rules::first_files(&realm);
    let target = match existing {
        Some(empty) => RealmRepo::Empty(empty),
        None => RealmRepo::New {
            bare,
            format: options.object_format,
        },
    };
    let commit = realm_init::create_realm(
        &path,
        target,
        &format!("{}: create realm", options.name),
        &files,
        signing.is_some(),
    )?;
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let report = InitReport {
        realm: options.name,
        object_format: object_format::format_of(&path),
        existing: existing.is_some(),
        path: path.display().to_string(),
        bare,
        admission: options.admission.as_str(),
        approvers,
        commit,
    };
    Ok((report, Outcome::Clean))
}

/// The repository at `path`, unless it holds anything already or is not what `options` ask
/// for.
fn check_existing(path: &Path, options: &InitOptions) -> Result<object_format::EmptyRepo> {
    let existing = object_format::empty_repo(path).ok_or_else(|| {
        BadInput::new(
            format!("`{}` is already a git repository", path.display()),
            "choose a new directory or an empty repository for the realm: 'git realm init \
             --name NAME PATH'",
        )
    })?;
    if options.bare && !existing.bare {
        return Err(BadInput::new(
            format!("`{}` is a repository with a working tree", path.display()),
            "leave out --bare to make it the realm, or choose a new directory",
        )
        .into());
    }
    if let Some(format) = options.object_format
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
