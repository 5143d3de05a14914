//! `notify`: re-send the notifications a sync could not deliver.

use anyhow::Result;

use super::{Context, Outcome};
use crate::git::CodeRepo;
use crate::member as membership;
use crate::notify::{self, DeliveryReport, Message};
use crate::realm::snapshot::Snapshot;

/// What `notify` is asked.
#[derive(Debug, Clone, Default)]
pub struct NotifyOptions {
    /// Send only the notifications about this realm (the others stay pending); all when `None`.
    pub realm: Option<String>,
}

/// What `notify` reports is what the delivery did: sent, dropped, still pending.
pub type NotifyReport = DeliveryReport;

/// Exit status 1 when something is still pending: notify ran to the end and its report is the
/// result, but the job it exists for is not done, like `check` finding a stale import. Scripts
/// can retry on 1. Status 2 (an error, no report) is kept for when notify could not run: not a
/// repository, an unreadable pending file, its lock held by another git-realm.
pub fn notify(ctx: &Context, options: NotifyOptions) -> Result<(NotifyReport, Outcome)> {
    let repo = CodeRepo::discover(&ctx.cwd)?;
    if let Some(realm) = &options.realm {
        // Only a realm this repository belongs to can be asked for.
        membership::load(ctx, Some(realm))?;
    }
    let git_dir = repo.common_dir().to_path_buf();
    let delivery = crate::member::delivery::checked_config(&repo)?;
    let realms = if notify::pending_path(&git_dir).exists() {
        realms_now(ctx, &repo)
    } else {
        Vec::new()
    };
    let only = options.realm.as_deref();
    let report = notify::resend_of(&delivery, &git_dir, only, |message| {
        review(&realms, message)
    })?;
    if report.delivered.is_empty() && report.dropped.is_empty() && report.not_notified.is_empty() {
        ctx.note("Nothing to send: no notification is pending");
    }
    crate::member::delivery::hints(ctx, &report);
    let outcome = if report.not_notified.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    };
    Ok((report, outcome))
}

/// Each realm as it is now (fetched, or as last fetched when fetching fails), if this
/// repository has joined any; `(realm name, snapshot)`.
fn realms_now(ctx: &Context, repo: &CodeRepo) -> Vec<(String, Snapshot)> {
    let Some(file) = membership::read_config(repo).ok().flatten() else {
        return Vec::new();
    };
    let mut realms = Vec::new();
    for config in &file.memberships {
        let realm = &config.realm;
        if let Err(e) = repo.fetch_realm(realm) {
            ctx.warn(format!(
                "warning: could not fetch realm `{}`, using what was fetched last: {e:#}",
                realm.name
            ));
        }
        match repo.fetched_realm(realm) {
            Ok((_, snapshot)) => realms.push((realm.name.clone(), snapshot)),
            Err(e) => ctx.warn(format!(
                "warning: sending without checking against realm `{}`: {e:#}",
                realm.name
            )),
        }
    }
    realms
}

/// Check a pending message against the realm: refresh its `repo_url`, or say why to drop it.
fn review(realms: &[(String, Snapshot)], message: &mut Message) -> Option<String> {
    let (realm_name, provider, export, consumer) = message.names();
    let (name, snapshot) = realms.iter().find(|(name, _)| name == realm_name)?;
    // The consumer's import of the provider's export in `s`: inside the provider's realm, or
    // across realms from another realm this repository belongs to.
    let provider_realm = snapshot.realm.name.as_str();
    let imports_in = |s| consumer_import(s, consumer, provider, provider_realm, export);
    let found = imports_in(snapshot).or_else(|| {
        realms
            .iter()
            .filter(|(n, _)| n != realm_name)
            .find_map(|(_, s)| imports_in(s))
    });
    let Some(state) = found.map(|(state, _)| state).or(snapshot.domain(consumer)) else {
        return Some(format!(
            "domain `{consumer}` is no longer in realm `{name}`"
        ));
    };
    if let Message::Notice(notice) = &*message {
        let Some((_, import)) = found else {
            return Some(format!(
                "`{consumer}` no longer imports {provider}/{export}"
            ));
        };
        let resolved = import
            .resolved_version
            .as_deref()
            .and_then(|v| semver::Version::parse(v).ok());
        let announced = semver::Version::parse(&notice.version).ok();
        if let (Some(resolved), Some(announced)) = (resolved, announced) {
            if resolved >= announced {
                return Some(format!("`{consumer}` has already resolved {resolved}"));
            }
        }
    }
    message.set_consumer_repo_url(state.domain.repo_url.clone());
    message.set_consumer_forge(state.domain.forge().map(str::to_owned));
    None
}

/// `consumer`'s import of `provider`'s `export` (of realm `provider_realm`) recorded in `s`.
fn consumer_import<'s>(
    s: &'s Snapshot,
    consumer: &str,
    provider: &str,
    provider_realm: &str,
    export: &str,
) -> Option<(
    &'s crate::realm::snapshot::DomainState,
    &'s crate::realm::model::Import,
)> {
    let state = s.domain(consumer)?;
    let import = state.imports.imports.iter().find(|i| {
        i.from == provider
            && i.contract == export
            && i.provider_realm(&s.realm.name) == provider_realm
    })?;
    Some((state, import))
}
