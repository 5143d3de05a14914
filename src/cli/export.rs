//! `git realm export`: declare or update an export of this domain.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, ExportOptions, ExportValue};

/// Declare or update an export of this domain
///
/// The value comes from --value (JSON), from a file in this repository (--file: the file
/// becomes the export's source, so editing it later is drift), or from detection (--detect,
/// configured in .realm/config.yaml). The version follows from what changed unless --version
/// says otherwise; it must then be higher and cover the change.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["value", "file", "detect"]))]
pub struct ExportArgs {
    /// Name the export (lowercase letters, digits and '-')
    #[arg(long)]
    name: String,

    /// Publish as this version instead of the computed one
    #[arg(long)]
    version: Option<String>,

    /// Take the value from this JSON text
    #[arg(long, value_name = "JSON")]
    value: Option<String>,

    /// Take the value from this YAML or JSON file in the repository, and keep reading it
    #[arg(long, value_name = "FILE")]
    file: Option<String>,

    /// Compute the value with the detector configured for this export
    #[arg(long)]
    detect: bool,

    /// Describe what the export is for
    #[arg(long)]
    description: Option<String>,

    /// Do not notify consumers of the new version
    #[arg(long)]
    no_notify: bool,

    /// Check the value against the JSON Schema in this YAML or JSON file
    #[arg(long, value_name = "FILE")]
    schema: Option<String>,

    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: ExportArgs) -> Result<Outcome> {
    let value = match (args.value, args.file) {
        (Some(json), _) => ExportValue::Json(json),
        (None, Some(file)) => ExportValue::File(file),
        (None, None) => ExportValue::Detect,
    };
    let options = ExportOptions {
        realm: args.realm.realm,
        name: args.name,
        version: args.version,
        value,
        description: args.description,
        schema: args.schema,
        no_notify: args.no_notify,
    };
    let (report, outcome) = ops::export(ctx, options)?;
    ctx.emit(&report)?;
    Ok(outcome)
}
