//! `git realm join`: register this repository as a domain of a realm.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::ops::{self, JoinOptions};

/// Register this repository as a domain of a realm
///
/// Records the domain in the realm (domain.yaml, CODEOWNERS), writes .realm/config.yaml here,
/// and installs git-realm's hooks. Where the realm's admission policy asks for approval, the
/// join is pushed as a proposal branch that an approver accepts with 'git realm approve'.
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The realm: a path to its repository or any git URL
    realm: String,

    /// Name this domain (default: the repository's directory name)
    #[arg(long = "as", value_name = "NAME")]
    name: Option<String>,

    /// Add a maintainer by email (default: your git email; you must be one); repeatable
    #[arg(long = "maintainer", value_name = "EMAIL")]
    maintainers: Vec<String>,

    /// Record this URL for the repository (default: the `origin` remote)
    #[arg(long, value_name = "URL")]
    repo_url: Option<String>,

    /// Skip detecting exports and candidate imports
    #[arg(long)]
    no_detect: bool,

    /// Skip installing git-realm's hooks
    #[arg(long)]
    no_hooks: bool,
}

pub fn run(ctx: &Ctx, args: JoinArgs) -> Result<Outcome> {
    let options = JoinOptions {
        realm: args.realm,
        name: args.name,
        maintainers: args.maintainers,
        repo_url: args.repo_url,
        no_detect: args.no_detect,
        no_hooks: args.no_hooks,
    };
    let (report, outcome) = ops::join(ctx, options)?;
    ctx.emit(&report)?;
    Ok(outcome)
}
