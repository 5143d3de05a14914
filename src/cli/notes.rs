//! The notes a sync leaves on the code commit its values came from (SPEC 6), and sharing them
//! with the code remote.

use gix::ObjectId;

use super::membership::Member;
use super::sync::Plan;
use crate::git::notes::{self, Shared};
use crate::output;

/// The note lines for a sync that landed `realm_commit`: one per export published and one per
/// import resolved.
pub fn lines_for(member: &Member, plan: &Plan, realm_commit: ObjectId) -> Vec<String> {
    let realm = &member.config.realm;
    let exports = plan.published.iter().map(|p| {
        notes::export_line(
            &realm.name,
            &realm.domain,
            &p.export,
            &p.version,
            realm_commit,
        )
    });
    let imports = plan
        .resolved
        .iter()
        .map(|r| notes::import_line(&realm.name, &r.from, &r.contract, &r.version, realm_commit));
    let gaps = plan.resolved.iter().flat_map(|r| {
        r.ungranted
            .iter()
            .map(|gap| notes::ungranted_line(&realm.name, &r.from, &r.contract, &r.version, gap))
    });
    exports.chain(imports).chain(gaps).collect()
}

/// After a sync landed `realm_commit` on the realm's main branch: note on `source` what it
/// published and resolved, and share the notes with the code remote. Problems are warnings:
/// the realm commit stands either way.
pub fn after_sync(member: &Member, plan: &Plan, source: ObjectId, realm_commit: ObjectId) {
    // A proposal is not published yet: nothing to record until an approver accepts it.
    if plan.proposal.is_some() {
        return;
    }
    record_and_share(member, source, &lines_for(member, plan, realm_commit));
}

/// Append `lines` to the note on `source` and share the notes with the code remote; problems
/// are warnings, since the realm commit the lines speak of stands either way.
pub fn record_and_share(member: &Member, source: ObjectId, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    if let Err(err) = notes::record(&member.repo, source, lines) {
        output::warn(format!("warning: could not note commit {source}: {err:#}"));
        return;
    }
    match notes::share(&member.repo) {
        Ok(Shared::Pushed { .. } | Shared::NoRemote | Shared::Nothing) => {}
        Ok(Shared::NotPushed { remote, reason }) => {
            output::note(format!(
                "warning: realm notes not pushed to `{remote}`: {reason}"
            ));
            output::note("hint: they are kept here and go with the next 'git realm sync'");
        }
        Err(err) => output::warn(format!("warning: could not share the realm notes: {err:#}")),
    }
}
