//! `git realm graph`: who imports what from whom.

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, GraphOptions};

/// Show the realm's dependency graph
///
/// One edge per import, from the consuming domain to the providing one, labelled with the
/// contract, the version requirement and the import's status. Reads the last fetched realm;
/// --at shows it as of an earlier realm revision.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Print as plain text, a Mermaid flowchart or Graphviz dot
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    format: GraphFormat,

    /// Show the realm as of this revision (a realm branch, `main~3`, a commit)
    #[arg(long, value_name = "REV")]
    at: Option<String>,

    #[command(flatten)]
    realm: RealmArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Text,
    Mermaid,
    Dot,
}

impl From<GraphFormat> for ops::GraphFormat {
    fn from(format: GraphFormat) -> ops::GraphFormat {
        match format {
            GraphFormat::Text => ops::GraphFormat::Text,
            GraphFormat::Mermaid => ops::GraphFormat::Mermaid,
            GraphFormat::Dot => ops::GraphFormat::Dot,
        }
    }
}

pub fn run(ctx: &Ctx, args: GraphArgs) -> Result<Outcome> {
    let options = GraphOptions {
        realm: args.realm.realm,
        format: args.format.into(),
        at: args.at,
    };
    let (report, outcome) = ops::graph(ctx, options)?;
    ctx.emit(&report)?;
    Ok(outcome)
}
