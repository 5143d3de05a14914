//! `list`: the realms in the user's index.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::index::{self, IndexedRealm};
use crate::output::Report;

/// What `list` is asked: nothing; a struct so options can come without changing callers.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {}

#[derive(Serialize)]
pub struct ListReport {
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

pub fn list(_ctx: &Context, _options: ListOptions) -> Result<(ListReport, Outcome)> {
    let index = index::load()?;
    Ok((
        ListReport {
            realms: index.realms,
        },
        Outcome::Clean,
    ))
}
