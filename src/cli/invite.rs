//! `git realm invite`: let a domain join an invite-only realm.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Ctx, Outcome};
use crate::error::BadInput;
use crate::member as membership;
use crate::output::Report;
use crate::realm::change::Change;
use crate::realm::names;

/// Let a domain join an invite-only realm (approvers only)
///
/// Records NAME in realm.yaml's governance.invited; the repository that joins as NAME then
/// lands directly.
#[derive(Debug, Args)]
pub struct InviteArgs {
    /// The domain name to invite
    name: String,
}

#[derive(Serialize)]
struct InviteReport {
    realm: String,
    invited: String,
    commit: Option<String>,
}

impl Report for InviteReport {
    fn human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match &self.commit {
            Some(commit) => writeln!(
                out,
                "✓ Invited '{}' to realm '{}' (commit {})",
                self.invited,
                self.realm,
                &commit[..7]
            ),
            None => writeln!(
                out,
                "'{}' was already invited to realm '{}'",
                self.invited, self.realm
            ),
        }
    }
}

pub fn run(ctx: &Ctx, args: InviteArgs) -> Result<Outcome> {
    let member = membership::load(ctx)?;
    names::check("domain", &args.name)?;
    let realm = &member.config.realm;
    let email = member.repo.user_email()?;
    let published = member.repo.publish(realm, |tip, _| {
        let governance = &tip.realm.governance;
        governance.require_approver(&email, &tip.realm.name)?;
        if tip.domains.contains_key(&args.name) {
            return Err(BadInput::new(
                format!(
                    "`{}` is already a domain of realm `{}`",
                    args.name, tip.realm.name
                ),
                "nothing to invite",
            )
            .into());
        }
        if governance.invited.contains(&args.name) {
            return Ok(None);
        }
        let mut realm_file = tip.realm.clone();
        realm_file.governance.invited.push(args.name.clone());
        realm_file.governance.invited.sort();
        let mut change = Change::new(format!(
            "{}: invite {} to realm {}",
            realm.domain, args.name, tip.realm.name
        ));
        change.put_yaml("realm.yaml", &realm_file);
        member.sign(&mut change);
        Ok(Some((change, realm.branch.clone())))
    })?;
    ctx.emit(&InviteReport {
        realm: realm.name.clone(),
        invited: args.name,
        commit: published.map(|p| p.commit.to_string()),
    })?;
    Ok(Outcome::Clean)
}
