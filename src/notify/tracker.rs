//! The issue tracker behind a small trait, and the forge client that implements it for a route.

use std::rc::Rc;
use std::time::Duration;

use super::forge::{self, Forge};
use super::repo_url::RepoRef;
use super::{forgejo, github, gitlab};

/// The label every notification issue carries.
pub const LABEL: &str = "realm";

/// An issue as far as notifications care.
#[derive(Debug, Clone)]
pub struct Issue {
    pub number: u64,
    /// The web page of the issue.
    pub url: String,
    pub body: String,
}

/// A tracker failure; its message never contains the token.
#[derive(Debug, Clone)]
pub struct TrackerError {
    /// Worth trying again (5xx, rate limit, transport).
    pub transient: bool,
    /// How long the server asked to wait.
    pub retry_after: Option<Duration>,
    pub message: String,
}

impl TrackerError {
    pub(super) fn permanent(message: String) -> TrackerError {
        TrackerError {
            transient: false,
            retry_after: None,
            message,
        }
    }
}

/// Where notification issues live. Each call is one request; retries are the caller's.
pub trait Tracker {
    /// The open issue whose body carries `marker`, if any.
    fn find_open(&mut self, repo: &RepoRef, marker: &str) -> Result<Option<Issue>, TrackerError>;
    /// Open an issue labelled [`LABEL`].
    fn create(&mut self, repo: &RepoRef, title: &str, body: &str) -> Result<Issue, TrackerError>;
    fn edit(
        &mut self,
        repo: &RepoRef,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), TrackerError>;
    fn comment(&mut self, repo: &RepoRef, number: u64, body: &str) -> Result<(), TrackerError>;
    fn close(&mut self, repo: &RepoRef, number: u64) -> Result<(), TrackerError>;
}

/// The client for one forge's API, as one token.
pub(super) fn tracker_for(
    route: &forge::Route,
    runtime: Rc<tokio::runtime::Runtime>,
) -> Result<Box<dyn Tracker>, TrackerError> {
    Ok(match route.forge {
        Forge::GitHub => Box::new(github::GitHub::new(&route.api_base, &route.token, runtime)?),
        Forge::GitLab => Box::new(gitlab::GitLab::new(route, runtime)?),
        Forge::Forgejo => Box::new(forgejo::Forgejo::new(route, runtime)?),
    })
}
