//! Delivering notifications from this repository: its forge settings, and the advice that
//! follows a delivery.

use anyhow::Result;

use super::Member;
use crate::context::Context;
use crate::error::BadInput;
use crate::git::CodeRepo;
use crate::notify::{self, DeliveryConfig, DeliveryReport, Notice, Resolution};
use crate::realm::config::Membership;
use crate::realm::snapshot::Snapshot;

/// Where and as whom this repository's notifications go: the environment's tokens,
/// `realm.githubApiUrl`, and the `realm.<host>.forge|apiUrl|tokenEnv` settings.
pub fn config(repo: &CodeRepo) -> Result<DeliveryConfig> {
    Ok(DeliveryConfig::from_env(
        repo.config("realm.githubApiUrl")?,
        &repo.config_matching(r"^realm\..+\.(forge|apiurl|tokenenv)$")?,
    ))
}

/// [`config`], refusing unusable `realm.<host>.*` settings before anything is written.
pub fn checked_config(repo: &CodeRepo) -> Result<DeliveryConfig> {
    let config = config(repo)?;
    if let Err((message, hint)) = config.check_hosts() {
        return Err(BadInput::new(message, hint).into());
    }
    Ok(config)
}

/// Advice after a delivery: the pending store's trouble, and what to do about what was not
/// sent.
pub fn hints(ctx: &Context, report: &DeliveryReport) {
    if let Some(error) = &report.store_error {
        ctx.note(format!("warning: {error}"));
    }
    for consumer in without_repo_url(report) {
        ctx.note(format!(
            "hint: to notify `{consumer}`, its maintainers set `repo_url: URL` in the realm's domains/{consumer}/domain.yaml ('git realm join --repo-url URL' records it when joining)"
        ));
    }
    if !report.not_notified.is_empty() {
        ctx.note("hint: fix the cause above, then run 'git realm notify' to send what is pending");
    }
}

/// The consumers not notified because their domain.yaml names no `repo_url`, each once.
fn without_repo_url(report: &DeliveryReport) -> Vec<&str> {
    let mut consumers: Vec<&str> = Vec::new();
    for n in &report.not_notified {
        if n.reason.ends_with("has no repo_url in its domain.yaml")
            && !consumers.contains(&n.consumer.as_str())
        {
            consumers.push(&n.consumer);
        }
    }
    consumers
}

/// Tell consumers what landed: deliver `notices` (new versions) and `resolutions` (imports
/// moved to a new version, closing the provider's issue) with this repository's delivery
/// settings, keep what could not be sent in the pending store, and note the advice that
/// follows on the context. Delivery problems are in the report, not errors: the realm commit
/// stands either way.
pub fn announce(
    ctx: &Context,
    member: &Member,
    notices: Vec<Notice>,
    resolutions: Vec<Resolution>,
) -> Result<DeliveryReport> {
    let delivery = config(&member.repo)?;
    let report = notify::deliver(&delivery, member.repo.common_dir(), notices, resolutions);
    hints(ctx, &report);
    Ok(report)
}

/// The message that closes `from`'s issue about `contract` in this domain's tracker, once
/// this domain's import of it is resolved at `version` in the realm `tip`.
pub fn resolution(
    realm: &Membership,
    tip: &Snapshot,
    from: &str,
    contract: &str,
    version: &str,
) -> Resolution {
    let own = tip.domain(&realm.domain);
    Resolution {
        realm: realm.name.clone(),
        provider: from.to_owned(),
        consumer: realm.domain.clone(),
        consumer_repo_url: own.and_then(|d| d.domain.repo_url.clone()),
        consumer_forge: own.and_then(|d| d.domain.forge().map(str::to_owned)),
        export: contract.to_owned(),
        version: version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realm::config::RepoConfig;
    use crate::realm::snapshot::memory::Files;

    #[test]
    fn a_resolution_goes_to_this_domains_own_tracker() {
        let files = [
            ("realm.yaml", "name: r\ngovernance: {}\n"),
            (
                "domains/b/domain.yaml",
                "name: b\nrepo_url: https://git.example/b\nforge: gitlab\n",
            ),
        ];
        let files = Files(
            files
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        );
        let tip = Snapshot::load(&files, "r").unwrap();
        let config = RepoConfig::parse("realm: {name: r, url: x, domain: b}\n").unwrap();
        let r = resolution(&config.realm, &tip, "a", "e", "1.1.0");
        assert_eq!(
            (r.realm.as_str(), r.provider.as_str(), r.consumer.as_str()),
            ("r", "a", "b")
        );
        assert_eq!(
            r.consumer_repo_url.as_deref(),
            Some("https://git.example/b")
        );
        assert_eq!(r.consumer_forge.as_deref(), Some("gitlab"));
        assert_eq!((r.export.as_str(), r.version.as_str()), ("e", "1.1.0"));
        let joining = RepoConfig::parse("realm: {name: r, url: x, domain: c}\n").unwrap();
        let r = resolution(&joining.realm, &tip, "a", "e", "1.1.0");
        assert_eq!((r.consumer_repo_url, r.consumer_forge), (None, None));
    }
}
