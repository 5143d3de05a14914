//! `git realm init`: create a realm repository.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::git::object_format::ObjectFormat;
use crate::ops::{self, InitOptions};
use crate::realm::model::Admission;

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

pub fn run(ctx: &Ctx, args: InitArgs) -> Result<Outcome> {
    let options = InitOptions {
        name: args.name,
        path: args.path,
        bare: args.bare,
        admission: args.admission,
        approvers: args.approvers,
        object_format: args.object_format,
        require_signatures: args.require_signatures,
    };
    let (report, outcome) = ops::init(ctx, options)?;
    ctx.emit(&report)?;
    Ok(outcome)
}
