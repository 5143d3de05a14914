//! `git realm import`: declare that this domain depends on another domain's export.

use anyhow::Result;
use clap::Args;

use super::{Ctx, Outcome, RealmArg};
use crate::ops::{self, ImportOptions};

/// Declare that this domain depends on another domain's export
///
/// Records the import in the realm with the version requirement it accepts and the binding:
/// the file here that uses the value (an IAM policy, a config), which is the file to review
/// when a new version comes. With a verifier configured for the import, the binding must
/// grant the export's value, as for sync (see --force).
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export (contract) to import
    #[arg(long)]
    contract: String,

    /// The domain that exports it; REALM/DOMAIN for a domain of another realm
    ///
    /// REALM is another realm this repository belongs to, or, with --from-url, a realm it
    /// reads without joining. The import is recorded in this domain's realm (--realm).
    #[arg(long, value_name = "[REALM/]DOMAIN")]
    from: String,

    /// Where the realm in --from REALM/DOMAIN lives, when this repository is not a member of
    /// it: fetched read-only, and recorded in the import so later commands fetch it too
    #[arg(long, value_name = "URL")]
    from_url: Option<String>,

    /// Accept versions matching this semver requirement (default: ^<current major>)
    #[arg(long, value_name = "REQ")]
    version: Option<String>,

    /// Do not close the provider's issue in this repository's tracker
    #[arg(long)]
    no_notify: bool,

    /// Name the file in this repository that uses the value
    #[arg(long, value_name = "FILE")]
    binding: Option<String>,

    /// Record the import even when its binding does not grant the value
    ///
    /// With a verifier for the import (`verify:` in .realm/config.yaml), an import whose
    /// binding does not grant the export's value is refused (exit 1, nothing written). With
    /// --force it is recorded `ungranted`, with what is missing, in imports.yaml and in the
    /// realm note on HEAD; the exit status is still 1.
    #[arg(long)]
    force: bool,

    #[command(flatten)]
    realm: RealmArg,
}

pub fn run(ctx: &Ctx, args: ImportArgs) -> Result<Outcome> {
    let options = ImportOptions {
        realm: args.realm.realm,
        contract: args.contract,
        from: args.from,
        from_url: args.from_url,
        version: args.version,
        binding: args.binding,
        no_notify: args.no_notify,
        force: args.force,
    };
    let (report, outcome) = ops::import(ctx, options)?;
    ctx.emit(&report)?;
    Ok(outcome)
}
