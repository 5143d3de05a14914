//! The notes a sync leaves on the code commit its values came from (SPEC 6), and sharing them
//! with the code remote.

use gix::ObjectId;

use super::Member;
use crate::context::Context;
use crate::git::CodeRepo;
use crate::git::notes::{self, Shared};
use crate::realm::sync::Plan;
use crate::realm::sync::facts_of_subject;

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
    let imports = plan.resolved.iter().flat_map(|r| {
        import_lines(
            &realm.name,
            &r.provider(),
            &r.contract,
            &r.version,
            realm_commit,
            &r.ungranted,
        )
    });
    exports.chain(imports).collect()
}

/// The note lines for an import of `contract` from `provider` (`realm/domain` across realms)
/// resolved at `version` by `realm_commit`: its `Realm-Import` line and one `Realm-Ungranted`
/// line per gap its binding leaves.
pub fn import_lines(
    realm: &str,
    provider: &str,
    contract: &str,
    version: &str,
    realm_commit: ObjectId,
    gaps: &[String],
) -> Vec<String> {
    let import = notes::import_line(realm, provider, contract, version, realm_commit);
    let gaps = gaps
        .iter()
        .map(|gap| notes::ungranted_line(realm, provider, contract, version, gap));
    std::iter::once(import).chain(gaps).collect()
}

/// After a sync (that landed `realm_commit`, if any): note on `source` what it published and
/// resolved, rebuild the lines earlier writes left out, and share the notes with the code
/// remote when it lacks some. Problems are warnings: the realm commit stands either way.
pub fn after_sync(
    ctx: &Context,
    member: &Member,
    plan: &Plan,
    source: ObjectId,
    realm_commit: Option<ObjectId>,
) {
    // A proposal is not published yet: nothing to record until an approver accepts it.
    if let Some(realm_commit) = realm_commit.filter(|_| plan.proposal.is_none()) {
        let lines = lines_for(member, plan, realm_commit);
        if let Err(err) = notes::record(&member.repo, source, &lines) {
            ctx.warn(format!("warning: could not note commit {source}: {err:#}"));
        }
    }
    reconcile_or_warn(ctx, member);
    match member.repo.notes_unshared() {
        Ok(true) => share(ctx, member),
        Ok(false) => {}
        Err(err) => ctx.warn(format!("warning: could not read the realm notes: {err:#}")),
    }
}

/// Rebuild the note lines missing for this domain's writes to the realm (a command stopped
/// between its realm push and its note): every commit on the fetched realm's main line with
/// this domain's `Realm-Domain:` and a `Source-Commit:` in this repository gets the lines
/// its subject names. Incremental from the last realm commit reconciled. How many code
/// commits got lines back.
pub fn reconcile(member: &Member) -> anyhow::Result<usize> {
    let realm = &member.config.realm;
    let repo = &member.repo;
    let Some(tip) = repo.ref_target(&CodeRepo::realm_ref(&realm.name, &realm.branch))? else {
        return Ok(0);
    };
    let since = repo.notes_reconciled(&realm.name, &realm.domain);
    if since == Some(tip) {
        return Ok(0);
    }
    let mut restored = 0;
    for write in repo.realm_writes(&realm.domain, tip, since)? {
        let (exports, resolved) = facts_of_subject(&realm.domain, &write.subject);
        let exports = exports.iter().map(|(export, version)| {
            notes::export_line(&realm.name, &realm.domain, export, version, write.commit)
        });
        let imports = resolved.iter().map(|(from, contract, version)| {
            notes::import_line(&realm.name, from, contract, version, write.commit)
        });
        let lines: Vec<String> = exports.chain(imports).collect();
        if !lines.is_empty() && repo.add_note_lines(write.source, &lines)? {
            restored += 1;
        }
    }
    repo.set_notes_reconciled(&realm.name, &realm.domain, tip)?;
    Ok(restored)
}

/// [`reconcile`], saying on stderr what it restored or why it could not.
pub fn reconcile_or_warn(ctx: &Context, member: &Member) {
    match reconcile(member) {
        Ok(0) => {}
        Ok(n) => ctx.note(format!(
            "Restored realm notes on {n} commit{} from the realm's history",
            if n == 1 { "" } else { "s" }
        )),
        Err(err) => ctx.warn(format!(
            "warning: could not restore realm notes from the realm's history: {err:#}"
        )),
    }
}

/// Append `lines` to the note on `source` and share the notes with the code remote; problems
/// are warnings, since the realm commit the lines speak of stands either way.
pub fn record_and_share(ctx: &Context, member: &Member, source: ObjectId, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    if let Err(err) = notes::record(&member.repo, source, lines) {
        ctx.warn(format!("warning: could not note commit {source}: {err:#}"));
        return;
    }
    share(ctx, member);
}

/// Share the notes with the code remote; problems are warnings.
fn share(ctx: &Context, member: &Member) {
    match notes::share(&member.repo) {
        Ok(Shared::Pushed { .. } | Shared::NoRemote | Shared::Nothing) => {}
        Ok(Shared::NotPushed { remote, reason }) => {
            ctx.note(format!(
                "warning: realm notes not pushed to `{remote}`: {reason}"
            ));
            ctx.note("hint: they are kept here and go with the next 'git realm sync'");
        }
        Err(err) => ctx.warn(format!("warning: could not share the realm notes: {err:#}")),
    }
}
