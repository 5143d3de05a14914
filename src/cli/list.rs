//! `git realm list`: the realms in the user's index.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome};
use crate::ops::{self, ListOptions};

/// List the realms this user's repositories have joined
///
/// The index lives in $XDG_CONFIG_HOME/git-realm/index.yaml (~/.config/git-realm/index.yaml);
/// join adds to it and leave removes from it.
#[derive(Debug, Args)]
pub struct ListArgs {}

pub fn run(ctx: &Ctx, _args: ListArgs) -> Result<Outcome> {
    let (report, outcome) = ops::list(ctx, ListOptions {})?;
    ctx.emit(&report)?;
    Ok(outcome)
}
