//! `git realm list`: the realms in the user's index.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::ops::{self, ListOptions};

/// List the realms this user's repositories have joined
///
/// Each realm with the repositories of this user in it and their domain names; a repository in
/// several realms is listed under each. The index lives in $XDG_CONFIG_HOME/git-realm/index.yaml (~/.config/git-realm/index.yaml);
/// join adds to it and leave removes from it.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// List realm NAME alone
    #[arg(long, value_name = "NAME")]
    pub realm: Option<String>,
}

pub fn run(ctx: &Ctx, args: ListArgs) -> Result<Outcome> {
    let (report, outcome) = ops::list(ctx, ListOptions { realm: args.realm })?;
    ctx.emit(&report)?;
    Ok(outcome)
}
