//! Delivering notifications from this repository: its forge settings, and the advice that
//! follows a delivery.

use anyhow::Result;

use crate::error::BadInput;
use crate::git::CodeRepo;
use crate::notify::{DeliveryConfig, DeliveryReport};
use crate::ops::Context;

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
    if !report.not_notified.is_empty() {
        ctx.note("hint: fix the cause above, then run 'git realm notify' to send what is pending");
    }
}
