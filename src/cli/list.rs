//! `git realm list`: the realms in the user's index.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Ctx, Outcome};
use crate::index::{self, IndexedRealm};
use crate::output::Report;

/// List the realms this user's repositories have joined
///
/// The index lives in $XDG_CONFIG_HOME/git-realm/index.yaml (~/.config/git-realm/index.yaml);
/// join adds to it and leave removes from it.
#[derive(Debug, Args)]
pub struct ListArgs {}

#[derive(Serialize)]
struct ListReport {
    realms: Vec<IndexedRealm>,
}

impl Report for ListReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for realm in &self.realms {
            writeln!(out, "{}\t{}", realm.name, realm.url)?;
            for repo in &realm.repos {
                writeln!(out, "  {}\t{}", repo.domain, repo.path)?;
            }
        }
        Ok(())
    }
}

pub fn run(ctx: &Ctx, _args: ListArgs) -> Result<Outcome> {
    let index = index::load()?;
    ctx.emit(&ListReport {
        realms: index.realms,
    })?;
    Ok(Outcome::Clean)
}
