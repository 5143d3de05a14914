//! Delivery against the fake GitHub: one issue per (consumer, export), updated, closed, and
//! re-sent from the pending store without duplicates.

use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use super::fake::FakeGitHub;
use super::forge::Forge;
use super::repo_url::RepoRef;
use super::send::send_notice;
use super::*;

const TOKEN: &str = "ghp_Sup3rS3cretT0kenValue0123456789";
const CONSUMER_URL: &str = "git@github.com:cultivarium/letemcook-cdk.git";

fn config(fake: &FakeGitHub) -> DeliveryConfig {
    DeliveryConfig {
        token: Some(Token::new(TOKEN.into())),
        api_url: Some(fake.url.clone()),
        retry: RetryPolicy {
            attempts: 4,
            base: Duration::ZERO,
        },
        ..DeliveryConfig::default()
    }
}

fn notice(version: &str, previous: &str, changes: &[&str]) -> Notice {
    Notice {
        realm: "letemcook".into(),
        provider: "aperture".into(),
        consumer: "letemcook-cdk".into(),
        consumer_repo_url: Some(CONSUMER_URL.into()),
        consumer_forge: None,
        export: "required-s3-permissions".into(),
        version: version.into(),
        previous: Some(previous.into()),
        changes: changes.iter().map(|c| (*c).to_owned()).collect(),
        breaking: false,
        effective_from: None,
        binding: Some("cdk/training_tools_access_stack.py".into()),
    }
}

fn resolution(version: &str) -> Resolution {
    Resolution {
        realm: "letemcook".into(),
        provider: "aperture".into(),
        consumer: "letemcook-cdk".into(),
        consumer_repo_url: Some(CONSUMER_URL.into()),
        consumer_forge: None,
        export: "required-s3-permissions".into(),
        version: version.into(),
    }
}

fn git_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn actions(report: &DeliveryReport) -> Vec<(u64, Action)> {
    report
        .delivered
        .iter()
        .map(|d| (d.issue_number, d.action))
        .collect()
}

fn pending_file(dir: &Path) -> Option<String> {
    std::fs::read_to_string(pending_path(dir)).ok()
}

fn keep(_: &mut Message) -> Option<String> {
    None
}

#[test]
fn first_notice_opens_one_labelled_issue() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    let added = "Added training-metrics/experiments/* (read, write)";
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &[added])],
        vec![],
    );

    assert_eq!(actions(&report), [(1, Action::Opened)]);
    assert!(report.not_notified.is_empty(), "{report:?}");
    assert_eq!(
        report.delivered[0].url,
        "https://github.com/cultivarium/letemcook-cdk/issues/1"
    );
    let issues = fake.issues();
    assert_eq!(issues.len(), 1);
    let issue = &issues[0];
    assert_eq!(
        (issue.owner.as_str(), issue.repo.as_str()),
        ("cultivarium", "letemcook-cdk")
    );
    assert_eq!(issue.labels, ["realm"]);
    assert_eq!(
        issue.title,
        format!("Update for aperture/required-s3-permissions 1.4.0: {added}")
    );
    assert!(issue.body.contains("`cdk/training_tools_access_stack.py`"));
    assert!(
        issue
            .body
            .contains("Run `git realm sync` in this repository")
    );
    assert!(issue.body.contains(
        "<!-- git-realm: realm=letemcook provider=aperture export=required-s3-permissions consumer=letemcook-cdk -->"
    ));
    assert_eq!(pending_file(dir.path()), None);
    assert_eq!(report.pending, 0);
    assert!(
        fake.state()
            .authorizations
            .iter()
            .all(|a| a == &format!("Bearer {TOKEN}"))
    );
}

#[test]
fn a_newer_version_updates_the_open_issue() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.5.0", "1.3.0", &["Added a/*", "Added b/*"])],
        vec![],
    );

    assert_eq!(actions(&report), [(1, Action::Updated)]);
    let issues = fake.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(
        issues[0].title,
        "Update for aperture/required-s3-permissions 1.5.0: Added a/* and 1 more change"
    );
    assert!(issues[0].body.contains("- Added b/\\*\n"));
    assert!(issues[0].body.contains("<!-- git-realm-version: 1.5.0 -->"));
    assert_eq!(issues[0].comments.len(), 1);
    assert!(issues[0].comments[0].starts_with(
        "**aperture** published **required-s3-permissions 1.5.0** (this issue was about 1.4.0)"
    ));

    // The same version again sends nothing.
    let again = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.5.0", "1.3.0", &["Added b/*"])],
        vec![],
    );
    assert_eq!(actions(&again), [(1, Action::Unchanged)]);
    assert_eq!(fake.issues()[0].comments.len(), 1);
}

#[test]
fn exports_and_consumers_each_get_their_own_issue() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    let mut other_export = notice("2.0.0", "1.0.0", &["Removed x"]);
    other_export.export = "api-base-url".into();
    other_export.breaking = true;
    let mut other_consumer = notice("1.4.0", "1.3.0", &["Added a/*"]);
    other_consumer.consumer = "lab-portal".into();
    other_consumer.consumer_repo_url = Some("https://github.com/cultivarium/lab-portal".into());
    let mut itself = notice("1.4.0", "1.3.0", &["Added a/*"]);
    itself.consumer = "aperture".into();
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![
            notice("1.4.0", "1.3.0", &["Added a/*"]),
            other_export,
            other_consumer,
            itself,
        ],
        vec![],
    );
    assert_eq!(
        actions(&report),
        [
            (1, Action::Opened),
            (2, Action::Opened),
            (3, Action::Opened)
        ]
    );
    let titles: Vec<String> = fake
        .issues()
        .into_iter()
        .map(|i| format!("{}/{}: {}", i.owner, i.repo, i.title))
        .collect();
    assert_eq!(
        titles,
        [
            "cultivarium/letemcook-cdk: Update for aperture/required-s3-permissions 1.4.0: Added a/*",
            "cultivarium/letemcook-cdk: Breaking update for aperture/api-base-url 2.0.0: Removed x",
            "cultivarium/lab-portal: Update for aperture/required-s3-permissions 1.4.0: Added a/*",
        ]
    );
}

#[test]
fn the_consumers_resolution_closes_the_issue() {
    let fake = FakeGitHub::start(TOKEN);
    let provider_dir = git_dir();
    let consumer_dir = git_dir();
    deliver(
        &config(&fake),
        provider_dir.path(),
        vec![notice("1.5.0", "1.3.0", &["Added a/*"])],
        vec![],
    );

    // Resolving an older version than the issue announces keeps it open.
    let partly = deliver(
        &config(&fake),
        consumer_dir.path(),
        vec![],
        vec![resolution("1.4.0")],
    );
    assert_eq!(actions(&partly), [(1, Action::Commented)]);
    assert_eq!(fake.issues()[0].state, "open");

    let report = deliver(
        &config(&fake),
        consumer_dir.path(),
        vec![],
        vec![resolution("1.5.0")],
    );
    assert_eq!(actions(&report), [(1, Action::Closed)]);
    let issue = &fake.issues()[0];
    assert_eq!(issue.state, "closed");
    assert_eq!(issue.state_reason.as_deref(), Some("completed"));
    assert_eq!(
        issue.comments.last().map(String::as_str),
        Some(
            "Resolved: **letemcook-cdk** now uses **aperture/required-s3-permissions 1.5.0** (recorded by `git realm sync`).\n"
        )
    );

    // Nothing open any more: a later resolution does nothing, and a newer version opens anew.
    let nothing = deliver(
        &config(&fake),
        consumer_dir.path(),
        vec![],
        vec![resolution("1.5.0")],
    );
    assert!(
        nothing.delivered.is_empty() && nothing.not_notified.is_empty(),
        "{nothing:?}"
    );
    let next = deliver(
        &config(&fake),
        provider_dir.path(),
        vec![notice("1.6.0", "1.5.0", &["Added c/*"])],
        vec![],
    );
    assert_eq!(actions(&next), [(2, Action::Opened)]);
}

#[test]
fn without_a_token_notices_wait_and_resend_delivers_them_once() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    let tokenless = DeliveryConfig {
        token: None,
        ..config(&fake)
    };
    let report = deliver(
        &tokenless,
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    assert!(report.delivered.is_empty());
    assert_eq!(report.not_notified.len(), 1);
    assert_eq!(report.not_notified[0].consumer, "letemcook-cdk");
    assert_eq!(
        report.not_notified[0].reason,
        "no GitHub token: set GITHUB_TOKEN or GH_TOKEN"
    );
    assert_eq!(report.pending, 1);
    assert!(fake.requests().is_empty());
    let stored = pending_file(dir.path()).expect("pending file");
    assert!(stored.contains("\"kind\": \"notice\""), "{stored}");
    assert!(
        stored.contains("\"reason\": \"no GitHub token: set GITHUB_TOKEN or GH_TOKEN\""),
        "{stored}"
    );

    let first = resend(&config(&fake), dir.path(), keep).expect("resend");
    assert_eq!(actions(&first), [(1, Action::Opened)]);
    assert_eq!(first.pending, 0);
    assert_eq!(pending_file(dir.path()), None);
    let second = resend(&config(&fake), dir.path(), keep).expect("resend");
    assert!(second.delivered.is_empty() && second.not_notified.is_empty());
    assert_eq!(fake.issues().len(), 1);

    // Even if the pending file survived a delivery (a crash before rewriting it), re-sending
    // finds the issue by its marker and sends nothing twice.
    std::fs::write(pending_path(dir.path()), stored).expect("restore pending");
    let third = resend(&config(&fake), dir.path(), keep).expect("resend");
    assert_eq!(actions(&third), [(1, Action::Unchanged)]);
    assert_eq!(fake.issues().len(), 1);
    assert!(fake.issues()[0].comments.is_empty());
}

#[test]
fn a_pending_notice_is_superseded_by_the_next_version() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    let tokenless = DeliveryConfig {
        token: None,
        ..config(&fake)
    };
    deliver(
        &tokenless,
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    // Not resolved meanwhile: the next notice covers everything since 1.3.0 by itself.
    let report = deliver(
        &tokenless,
        dir.path(),
        vec![notice("1.5.0", "1.3.0", &["Added b/*", "Added a/*"])],
        vec![],
    );
    assert_eq!(report.pending, 1);
    let pending = pending_file(dir.path()).expect("pending");
    assert!(!pending.contains("\"1.4.0\""), "{pending}");

    // Resolved 1.5.0 meanwhile: the notice for 1.6.0 is about 1.6.0 alone, whatever waited.
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.6.0", "1.5.0", &["Added c/*"])],
        vec![],
    );
    assert_eq!(actions(&report), [(1, Action::Opened)]);
    assert_eq!(report.pending, 0);
    let issue = &fake.issues()[0];
    assert!(issue.body.contains("last resolved 1.5.0"), "{}", issue.body);
    assert!(
        issue.body.contains("### What changed\n\n- Added c/\\*\n\n"),
        "{}",
        issue.body
    );
    assert_eq!(pending_file(dir.path()), None);

    // An older notice arriving late does not undo a newer one that waits.
    deliver(
        &tokenless,
        dir.path(),
        vec![notice("1.8.0", "1.5.0", &["Added d/*"])],
        vec![],
    );
    deliver(
        &tokenless,
        dir.path(),
        vec![notice("1.7.0", "1.5.0", &["Added e/*"])],
        vec![],
    );
    let pending = pending_file(dir.path()).expect("pending");
    assert!(
        pending.contains("\"1.8.0\"") && !pending.contains("\"1.7.0\""),
        "{pending}"
    );
}

#[test]
fn other_pending_messages_are_kept_by_deliver() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    let mut unreachable = notice("1.4.0", "1.3.0", &["Added a/*"]);
    unreachable.consumer = "lab-portal".into();
    unreachable.consumer_repo_url = None;
    let report = deliver(&config(&fake), dir.path(), vec![unreachable], vec![]);
    assert_eq!(
        report.not_notified[0].reason,
        "domain `lab-portal` has no repo_url in its domain.yaml"
    );

    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    assert_eq!(actions(&report), [(1, Action::Opened)]);
    assert_eq!(report.pending, 1, "the lab-portal notice still waits");

    // The review refreshes the repo_url from the realm before re-sending.
    let report = resend(&config(&fake), dir.path(), |m| {
        m.set_consumer_repo_url(Some("https://github.com/cultivarium/lab-portal".into()));
        None
    })
    .expect("resend");
    assert_eq!(actions(&report), [(2, Action::Opened)]);
    assert_eq!(fake.issues()[1].repo, "lab-portal");
}

#[test]
fn review_can_drop_what_was_resolved_meanwhile() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    let tokenless = DeliveryConfig {
        token: None,
        ..config(&fake)
    };
    deliver(
        &tokenless,
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    let report = resend(&config(&fake), dir.path(), |_| {
        Some("already resolved 1.4.0".into())
    })
    .expect("resend");
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(report.dropped[0].reason, "already resolved 1.4.0");
    assert_eq!(report.pending, 0);
    assert!(fake.issues().is_empty());
    assert_eq!(pending_file(dir.path()), None);
}

#[test]
fn server_errors_are_retried() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    fake.fail_next(502, 2);
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    assert_eq!(actions(&report), [(1, Action::Opened)]);
    let lists = fake
        .requests()
        .iter()
        .filter(|r| r.starts_with("GET /repos/cultivarium/letemcook-cdk/issues?"))
        .count();
    assert_eq!(
        lists,
        3 + 1,
        "two failed lookups, then the label and creator lookups"
    );
    assert_eq!(fake.issues().len(), 1);
}

/// A tracker whose first create reaches GitHub but whose answer is lost (a 502 after the
/// issue was made, which GitHub does now and then).
struct AnswerLostOnCreate {
    inner: github::GitHub,
    lost: bool,
}

impl Tracker for AnswerLostOnCreate {
    fn find_open(&mut self, repo: &RepoRef, marker: &str) -> Result<Option<Issue>, TrackerError> {
        self.inner.find_open(repo, marker)
    }
    fn create(&mut self, repo: &RepoRef, title: &str, body: &str) -> Result<Issue, TrackerError> {
        let issue = self.inner.create(repo, title, body)?;
        if !self.lost {
            self.lost = true;
            return Err(TrackerError {
                transient: true,
                retry_after: None,
                message: "502".into(),
            });
        }
        Ok(issue)
    }
    fn edit(
        &mut self,
        repo: &RepoRef,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), TrackerError> {
        self.inner.edit(repo, number, title, body)
    }
    fn comment(&mut self, repo: &RepoRef, number: u64, body: &str) -> Result<(), TrackerError> {
        self.inner.comment(repo, number, body)
    }
    fn close(&mut self, repo: &RepoRef, number: u64) -> Result<(), TrackerError> {
        self.inner.close(repo, number)
    }
}

#[test]
fn a_create_whose_answer_was_lost_is_not_repeated() {
    let fake = FakeGitHub::start(TOKEN);
    let runtime = Rc::new(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime"),
    );
    let inner = github::GitHub::new(&fake.url, &Token::new(TOKEN.into()), runtime).expect("client");
    let mut tracker = AnswerLostOnCreate { inner, lost: false };
    let repo = repo_url::parse(CONSUMER_URL).expect("url");
    let delivered = send_notice(
        &mut tracker,
        &config(&fake).retry,
        Forge::GitHub,
        &repo,
        &notice("1.4.0", "1.3.0", &["Added a/*"]),
    )
    .expect("delivered");
    assert_eq!(
        (delivered.issue_number, delivered.action),
        (1, Action::Opened)
    );
    assert_eq!(fake.issues().len(), 1);
}

#[test]
fn persistent_server_errors_are_reported_and_kept() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    fake.fail_next(502, 4);
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    assert!(report.delivered.is_empty());
    assert_eq!(
        report.not_notified[0].reason,
        format!(
            "github.com/cultivarium/letemcook-cdk: GET {}/repos/cultivarium/letemcook-cdk/issues answered 502: \
             Server Error (gave up after 4 tries)",
            fake.url
        )
    );
    assert_eq!(fake.requests().len(), 4);
    assert_eq!(report.pending, 1);

    let later = resend(&config(&fake), dir.path(), keep).expect("resend");
    assert_eq!(actions(&later), [(1, Action::Opened)]);
}

#[test]
fn rate_limits_are_retried_unless_the_wait_is_long() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    fake.fail_next_with(
        403,
        &[("x-ratelimit-remaining", "0"), ("retry-after", "0")],
        1,
    );
    fake.fail_next_with(429, &[], 1);
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    assert_eq!(actions(&report), [(1, Action::Opened)]);

    fake.fail_next_with(429, &[("retry-after", "3600")], 1);
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.5.0", "1.3.0", &["Added b/*"])],
        vec![],
    );
    assert!(
        report.not_notified[0]
            .reason
            .ends_with("(GitHub asks to wait 3600s; try again later)"),
        "{report:?}"
    );
    assert_eq!(
        fake.requests().len(),
        6 + 1,
        "the long wait was not waited for"
    );
}

#[test]
fn permanent_errors_are_not_retried() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    fake.fail_next(404, 1);
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    assert!(
        report.not_notified[0]
            .reason
            .contains("answered 404: Server Error; the repository does not exist")
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn the_token_never_shows() {
    let fake = FakeGitHub::start("the-right-token");
    fake.state().echo_authorization = true;
    let dir = git_dir();
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    let reason = &report.not_notified[0].reason;
    assert!(
        reason.contains("answered 401: Bad credentials: Bearer ***; check the token"),
        "{reason}"
    );
    fake.fail_next(500, 4);
    let report2 = deliver(
        &config(&fake),
        dir.path(),
        vec![],
        vec![resolution("1.4.0")],
    );
    let everything = format!(
        "{}\n{}\n{:?}\n{:?}\n{}",
        serde_json::to_string(&report).expect("json"),
        serde_json::to_string(&report2).expect("json"),
        report2,
        config(&fake),
        pending_file(dir.path()).expect("pending")
    );
    assert!(everything.contains("you sent Bearer ***"), "{everything}");
    assert!(!everything.contains(TOKEN), "{everything}");
}

#[test]
fn labels_dropped_by_github_do_not_duplicate_issues() {
    let fake = FakeGitHub::start(TOKEN);
    fake.state().may_label = false;
    let dir = git_dir();
    deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.5.0", "1.3.0", &["Added b/*"])],
        vec![],
    );
    assert_eq!(actions(&report), [(1, Action::Updated)]);
    assert_eq!(fake.issues().len(), 1);
    assert!(fake.requests().contains(&"GET /repos/cultivarium/letemcook-cdk/issues?creator=realm-bot&state=open&per_page=100&page=1".to_owned()));
}

#[test]
fn without_user_access_lookup_uses_the_label_only() {
    let fake = FakeGitHub::start(TOKEN);
    fake.state().user_readable = false;
    let dir = git_dir();
    deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.5.0", "1.3.0", &["Added b/*"])],
        vec![],
    );
    assert_eq!(actions(&report), [(1, Action::Updated)]);
}

#[test]
fn enterprise_api_paths_are_kept() {
    let fake = FakeGitHub::start_under(TOKEN, "/api/v3");
    let dir = git_dir();
    let mut n = notice("1.4.0", "1.3.0", &["Added a/*"]);
    n.consumer_repo_url = Some("https://ghe.example.com/team/letemcook-cdk.git".into());
    let report = deliver(&config(&fake), dir.path(), vec![n], vec![]);
    assert_eq!(actions(&report), [(1, Action::Opened)]);
    assert!(
        fake.requests().iter().all(|r| r.contains(" /api/v3/")),
        "{:?}",
        fake.requests()
    );

    // A host configured as GitHub on its own is served at its `/api/v3`.
    let ghe = DeliveryConfig {
        token: Some(Token::new(TOKEN.into())),
        hosts: forge::host_settings("realm.ghe.example.com.forge github\n"),
        ..DeliveryConfig::default()
    };
    let mut n = notice("1.4.0", "1.3.0", &[]);
    n.consumer_repo_url = Some("git@ghe.example.com:t/r.git".into());
    let route = forge::route(&ghe, &Message::Notice(n))
        .expect("routed")
        .expect("a route");
    assert_eq!(route.api_base, "https://ghe.example.com/api/v3");
}

#[test]
fn a_consumer_repo_url_does_not_choose_where_the_token_goes() {
    // Without a configured API, a repo_url on another host (written by the consumer, another
    // organisation) is not sent a request: the token would go to that host.
    let dir = git_dir();
    let mut n = notice("1.4.0", "1.3.0", &["Added a/*"]);
    n.consumer_repo_url = Some("https://collector.example/team/letemcook-cdk.git".into());
    let config = DeliveryConfig {
        api_url: None,
        ..config(&FakeGitHub::start(TOKEN))
    };
    let report = deliver(&config, dir.path(), vec![n], vec![]);
    assert!(report.delivered.is_empty());
    let reason = &report.not_notified[0].reason;
    assert!(
        reason.contains("collector.example/team/letemcook-cdk` is not on github.com"),
        "{reason}"
    );
}

#[test]
fn non_github_urls_are_reported() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    let mut n = notice("1.4.0", "1.3.0", &["Added a/*"]);
    n.consumer_repo_url = Some("/srv/git/letemcook-cdk.git".into());
    let report = deliver(&config(&fake), dir.path(), vec![n], vec![]);
    assert_eq!(
        report.not_notified[0].reason,
        "repo_url `/srv/git/letemcook-cdk.git` is not a GitHub repository URL"
    );
}

#[test]
fn a_resolution_outside_github_has_nothing_to_close() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    let mut r = resolution("1.4.0");
    r.consumer_repo_url = Some("/srv/git/letemcook-cdk.git".into());
    let report = deliver(&config(&fake), dir.path(), vec![], vec![r.clone()]);
    assert!(report.delivered.is_empty() && report.not_notified.is_empty());
    assert_eq!(report.pending, 0);
    assert_eq!(pending_file(dir.path()), None);
    assert!(plan(&config(&fake), &[], &[r]).is_empty());
    assert!(fake.requests().is_empty());
}

#[test]
fn a_broken_pending_file_is_reported_not_lost() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    std::fs::create_dir_all(dir.path().join("realm")).expect("mkdir");
    std::fs::write(pending_path(dir.path()), "{ not json").expect("write");
    let report = deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    assert_eq!(actions(&report), [(1, Action::Opened)]);
    assert!(
        report
            .store_error
            .as_deref()
            .is_some_and(|e| e.contains("is not a pending-notifications file"))
    );
    assert_eq!(pending_file(dir.path()).as_deref(), Some("{ not json"));
    let err = resend(&config(&fake), dir.path(), keep).expect_err("broken file");
    assert_eq!(crate::error::exit_code_of(&err), 2);
}

#[test]
fn fake_payloads_are_what_octocrab_expects() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    deliver(
        &config(&fake),
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    let issue: octocrab::models::issues::Issue =
        serde_json::from_value(fake.issue_json(1)).expect("octocrab reads the fake's issue");
    assert_eq!(issue.number, 1);
    assert_eq!(issue.labels[0].name, "realm");
    let _: octocrab::models::issues::Comment =
        serde_json::from_value(fake.comment_json(1, "hello"))
            .expect("octocrab reads the fake's comment");
}

#[test]
fn retry_waits_grow_and_are_bounded() {
    let policy = RetryPolicy {
        attempts: 4,
        base: Duration::from_millis(100),
    };
    assert_eq!(policy.wait(1, None), Some(Duration::from_millis(100)));
    assert_eq!(policy.wait(3, None), Some(Duration::from_millis(400)));
    assert_eq!(policy.wait(30, None), Some(Duration::from_secs(6)));
    assert_eq!(
        policy.wait(1, Some(Duration::from_secs(2))),
        Some(Duration::from_secs(2))
    );
    assert_eq!(policy.wait(1, Some(Duration::from_secs(7))), None);
}

#[test]
fn plan_says_who_would_be_notified_without_sending() {
    let fake = FakeGitHub::start(TOKEN);
    let mut unreachable = notice("1.4.0", "1.3.0", &["Added a/*"]);
    unreachable.consumer = "lab-portal".into();
    unreachable.consumer_repo_url = None;
    let planned = plan(
        &config(&fake),
        &[notice("1.4.0", "1.3.0", &["Added a/*"]), unreachable],
        &[],
    );
    let lines: Vec<String> = planned
        .iter()
        .map(|p| format!("{} {:?} {:?}", p.consumer, p.repo, p.problem))
        .collect();
    assert_eq!(
        lines,
        [
            "letemcook-cdk Some(\"github.com/cultivarium/letemcook-cdk\") None",
            "lab-portal None Some(\"domain `lab-portal` has no repo_url in its domain.yaml\")",
        ]
    );
    let tokenless = DeliveryConfig {
        token: None,
        ..config(&fake)
    };
    let planned = plan(&tokenless, &[notice("1.4.0", "1.3.0", &["Added a/*"])], &[]);
    assert_eq!(
        planned[0].repo.as_deref(),
        Some("github.com/cultivarium/letemcook-cdk")
    );
    assert_eq!(
        planned[0].problem.as_deref(),
        Some("no GitHub token: set GITHUB_TOKEN or GH_TOKEN")
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn credentials_in_the_api_url_are_not_shown() {
    let fake = FakeGitHub::start(TOKEN);
    fake.fail_next(500, 1);
    let dir = git_dir();
    let mut with_credentials = config(&fake);
    with_credentials.api_url = Some(fake.url.replace("http://", "http://someone:hunter2@"));
    with_credentials.retry.attempts = 1;
    let report = deliver(
        &with_credentials,
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"])],
        vec![],
    );
    let reason = &report.not_notified[0].reason;
    assert!(!reason.contains("hunter2"), "{reason}");
}

#[test]
fn resending_one_realm_leaves_the_others_pending() {
    let fake = FakeGitHub::start(TOKEN);
    let dir = git_dir();
    let tokenless = DeliveryConfig {
        token: None,
        ..config(&fake)
    };
    let elsewhere = Notice {
        realm: "ml-infra".into(),
        export: "api-routes".into(),
        ..notice("2.0.0", "1.0.0", &["Added /x"])
    };
    let waiting = deliver(
        &tokenless,
        dir.path(),
        vec![notice("1.4.0", "1.3.0", &["Added a/*"]), elsewhere],
        vec![],
    );
    assert_eq!(waiting.pending, 2);

    let one = resend_of(&config(&fake), dir.path(), Some("letemcook"), keep).expect("resend");
    assert_eq!(actions(&one), [(1, Action::Opened)]);
    assert_eq!(one.pending, 1);
    let stored = pending_file(dir.path()).expect("the other realm's notice waits");
    assert!(
        stored.contains("ml-infra") && !stored.contains("\"letemcook\""),
        "{stored}"
    );
    assert_eq!(fake.issues().len(), 1);

    let rest = resend(&config(&fake), dir.path(), keep).expect("resend");
    assert_eq!(rest.pending, 0);
    assert_eq!(fake.issues().len(), 2);
}
