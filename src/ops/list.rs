//! `list`: the realms in the user's index, each with this user's repositories in it and their
//! domain names (a repository in several realms is listed under each, by the name it has there).

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::error::BadInput;
use crate::index::{self, IndexedRealm};
use crate::output::Report;

/// What `list` is asked.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// List realm NAME alone.
    pub realm: Option<String>,
}

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

pub fn list(_ctx: &Context, options: ListOptions) -> Result<(ListReport, Outcome)> {
    let index = index::load()?;
    let mut realms = index.realms;
    if let Some(name) = &options.realm {
        if !realms.iter().any(|r| &r.name == name) {
            let known: Vec<&str> = realms.iter().map(|r| r.name.as_str()).collect();
            return Err(BadInput::new(
                format!("no repository of yours has joined realm `{name}`"),
                if known.is_empty() {
                    "run 'git realm join REALM' in a repository first".to_owned()
                } else {
                    format!("the realms in your index: {}", known.join(", "))
                },
            )
            .into());
        }
        realms.retain(|r| &r.name == name);
    }
    Ok((ListReport { realms }, Outcome::Clean))
}
