//! `invite`: let a domain join an invite-only realm.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Context, Outcome};
use crate::member as membership;
use crate::output::Report;
use crate::realm::{invite, names};

/// What `invite` is asked.
#[derive(Debug, Clone)]
pub struct InviteOptions {
    /// The realm to act on; may be left out when the repository belongs to one.
    pub realm: Option<String>,
    /// The domain name to invite.
    pub name: String,
}

#[derive(Serialize)]
pub struct InviteReport {
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

pub fn invite(ctx: &Context, options: InviteOptions) -> Result<(InviteReport, Outcome)> {
    let member = membership::load(ctx, options.realm.as_deref())?;
    names::check("domain", &options.name)?;
    let realm = &member.config.realm;
    let email = member.repo.user_email()?;
    let published = member.repo.publish(realm, |tip, _| {
        let Some(mut change) = invite::plan_invite(tip, &realm.domain, &options.name, &email)?
        else {
            return Ok(None);
        };
        member.sign(&mut change);
        Ok(Some((change, realm.branch.clone())))
    })?;
    let report = InviteReport {
        realm: realm.name.clone(),
        invited: options.name,
        commit: published.map(|p| p.commit.to_string()),
    };
    Ok((report, Outcome::Clean))
}
