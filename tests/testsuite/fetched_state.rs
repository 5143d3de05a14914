//! How old the realm state `status` and `check` read is: they say when it was fetched, fetch a
//! realm on this machine (or one older than `realm.fetchInterval`) first, and fall back to
//! what was fetched before when the realm does not answer. And the provider's status lists
//! who consumes each export, changed or not.

use std::path::Path;

use snapbox::str;

use crate::support::world::World;
use crate::support::{TestEnv, json};

/// The export's value with one more path: aperture publishes 1.1.0 with it.
const PATHS_V2: &str =
    "read:\n- jobs/*\n- training-metrics/*\n- models/*\nwrite:\n- training-metrics/*\n";

/// aperture publishes 1.1.0 of its export to the realm.
fn publish_v2(env: &TestEnv, aperture: &Path) {
    env.write(aperture, &[("config/s3.yaml", PATHS_V2)]);
    env.commit_all(aperture, "read models");
    env.realm_ok(aperture, &["sync", "--no-notify"]);
}

/// `git realm ARGS` in `dir` at `now` (RFC 3339) instead of the tests' fixed time.
fn at(env: &TestEnv, now: &str, dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = env.realm_std(dir, args);
    cmd.env("GIT_REALM_NOW", now);
    cmd.output().expect("run git-realm")
}

/// fungal's realm named by a `file://` URL (so that it counts as remote), fetched from there.
fn realm_by_url(env: &TestEnv, fungal: &Path, realm: &Path) {
    let config = std::fs::read_to_string(fungal.join(".realm/config.yaml")).unwrap();
    let config = config.replace("url: ../realm", &format!("url: file://{}", realm.display()));
    assert!(config.contains("file://"), "{config}");
    env.write(fungal, &[(".realm/config.yaml", &config)]);
    env.commit_all(fungal, "realm by URL");
    env.realm_ok(fungal, &["fetch"]);
}

#[test]
fn a_realm_on_this_machine_is_fetched_before_status_and_check_read_it() {
    let env = TestEnv::new();
    let World {
        aperture, fungal, ..
    } = World::two_domains(&env).build();
    env.realm(&fungal, &["check"]).assert().success();
    publish_v2(&env, &aperture);
    // No `fetch` in fungal: the next status sees the new version all the same.
    env.realm(&fungal, &["status"])
        .assert()
        .success()
        .stderr_eq(str![""])
        .stdout_eq(str![[r#"
fungal (domain in letemcook realm)
Realm state fetched just now (2026-01-24 10:00 UTC)

Stale import 'required-s3-permissions' from aperture: 1.0.0 → 1.1.0 available
  Binding: cdk/stack.py
  Changes:
    Added models/* (read)

"#]]);
    env.realm(&fungal, &["check"])
        .assert()
        .code(1)
        .stderr_eq(str![""])
        .stdout_eq(str![[r#"
stale: import 'required-s3-permissions' from aperture: 1.0.0 → 1.1.0 available
Realm state fetched just now (2026-01-24 10:00 UTC)

"#]]);
    let report = json(&env.realm_ok(&fungal, &["status", "--json"]));
    assert_eq!(report["fetched"], "auto");
    assert_eq!(report["fetched_at"], "2026-01-24T10:00:00Z");
}

/// Whether running `git realm ARGS` in `dir` ran `git fetch`, by git's own trace.
fn fetches(env: &TestEnv, dir: &Path, args: &[&str]) -> bool {
    let trace = env.path("trace");
    let _ = std::fs::remove_file(&trace);
    let out = env
        .realm_std(dir, args)
        .env("GIT_TRACE", &trace)
        .output()
        .expect("run git-realm");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    std::fs::read_to_string(&trace)
        .unwrap_or_default()
        .lines()
        .any(|l| l.contains("'fetch'") || l.contains(" fetch "))
}

#[test]
fn a_realm_on_this_machine_in_step_with_what_was_fetched_is_not_fetched_again() {
    let env = TestEnv::new();
    let World {
        realm,
        aperture,
        fungal,
    } = World::two_domains(&env).build();
    env.realm_ok(&fungal, &["fetch"]);
    // The realm holds just what fungal fetched: its refs say so, no fetch runs.
    assert!(!fetches(&env, &fungal, &["status"]));
    let report = json(&env.realm_ok(&fungal, &["status", "--json"]));
    assert_eq!(report["fetched"], "auto", "{report:#}");
    // A new commit in the realm, or a new branch (a proposal), is fetched.
    publish_v2(&env, &aperture);
    assert!(fetches(&env, &fungal, &["status"]));
    assert!(!fetches(&env, &fungal, &["check"]));
    env.git(&realm, &["branch", "proposals/fungal/extra", "main"]);
    assert!(fetches(&env, &fungal, &["status"]));
    assert!(!fetches(&env, &fungal, &["status"]));
}

#[test]
fn a_realm_fetched_within_the_interval_is_read_as_fetched_and_after_it_fetched_again() {
    let env = TestEnv::new();
    let World {
        realm,
        aperture,
        fungal,
    } = World::two_domains(&env).build();
    realm_by_url(&env, &fungal, &realm);
    publish_v2(&env, &aperture);

    // Half an hour later the state fetched at 10:00 is used as it is.
    let out = at(&env, "2026-01-24T10:30:00Z", &fungal, &["status"]);
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("fungal (domain in letemcook realm)\nRealm state fetched 30 minutes ago (2026-01-24 10:00 UTC)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("✓ In step with the realm"), "{stdout}");
    let out = at(&env, "2026-01-24T10:30:00Z", &fungal, &["check", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(report["fetched"], "cached");
    assert_eq!(report["fetched_at"], "2026-01-24T10:00:00Z");

    // Past the hour it is fetched first.
    let out = at(&env, "2026-01-24T11:05:00Z", &fungal, &["check", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    let report = json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(report["fetched"], "auto");
    assert_eq!(report["fetched_at"], "2026-01-24T11:05:00Z");
    assert_eq!(report["imports"][0]["status"], "stale");

    // A shorter interval fetches sooner.
    env.git(&fungal, &["config", "realm.fetchInterval", "10m"]);
    let out = at(&env, "2026-01-24T11:20:00Z", &fungal, &["status", "--json"]);
    assert_eq!(
        json(&String::from_utf8(out.stdout).unwrap())["fetched"],
        "auto"
    );
}

#[test]
fn a_realm_that_cannot_be_reached_is_read_as_fetched_before_with_a_note() {
    let env = TestEnv::new();
    let World {
        realm,
        aperture,
        fungal,
    } = World::two_domains(&env).build();
    realm_by_url(&env, &fungal, &realm);
    publish_v2(&env, &aperture);
    env.realm_ok(&fungal, &["fetch"]);
    std::fs::rename(&realm, env.path("realm-moved")).unwrap();

    let out = at(&env, "2026-01-24T13:00:00Z", &fungal, &["check"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the cached state's stale import"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("note: failed to fetch realm `letemcook`")
            && stderr
                .ends_with("; using the realm state fetched 3 hours ago (2026-01-24 10:00 UTC)\n"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "stale: import 'required-s3-permissions' from aperture: 1.0.0 → 1.1.0 available\n\
         Realm state fetched 3 hours ago (2026-01-24 10:00 UTC)\n"
    );

    let out = at(&env, "2026-01-24T13:00:00Z", &fungal, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stderr).unwrap().lines().count(), 1);
    let report = json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(report["fetched"], "failed");
    assert_eq!(report["fetched_at"], "2026-01-24T10:00:00Z");
    assert_eq!(report["imports"][0]["status"], "stale");
}

#[test]
fn a_realm_that_does_not_answer_in_time_is_read_as_fetched_before() {
    let env = TestEnv::new();
    let World { realm, fungal, .. } = World::two_domains(&env).build();
    realm_by_url(&env, &fungal, &realm);
    let transport = env.path("transport.sh");
    std::fs::write(&transport, "#!/bin/sh\nexec sleep 600\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&transport, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = std::fs::read_to_string(fungal.join(".realm/config.yaml")).unwrap();
    let url = format!("file://{}", realm.display());
    let config = config.replace(&url, &format!("\"ext::{} %S\"", transport.display()));
    env.write(&fungal, &[(".realm/config.yaml", &config)]);
    env.git(&fungal, &["config", "protocol.ext.allow", "always"]);
    env.git(&fungal, &["config", "realm.fetchTimeout", "200"]);

    // Another URL: when the state was fetched from it is not known, so it is due.
    let out = env.realm_std(&fungal, &["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "note: realm `letemcook` did not answer within 200 ms; using the realm state fetched before\n"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(
            "Realm state fetched at a time not recorded ('git realm fetch' updates it)\n"
        ) && stdout.contains("✓ In step with the realm"),
        "{stdout}"
    );
}

#[test]
fn fetch_interval_never_leaves_fetching_to_fetch() {
    let env = TestEnv::new();
    let World {
        aperture, fungal, ..
    } = World::two_domains(&env).build();
    env.git(&fungal, &["config", "realm.fetchInterval", "never"]);
    publish_v2(&env, &aperture);
    let out = at(&env, "2026-01-30T10:00:00Z", &fungal, &["status"]);
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("Realm state fetched 6 days ago (2026-01-24 10:00 UTC)\n")
            && stdout.contains("✓ In step with the realm"),
        "{stdout}"
    );
    let out = at(&env, "2026-01-30T10:00:00Z", &fungal, &["check", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json(&String::from_utf8(out.stdout).unwrap())["fetched"],
        "cached"
    );

    env.realm_ok(&fungal, &["fetch"]);
    env.realm(&fungal, &["check"]).assert().code(1);

    env.git(&fungal, &["config", "realm.fetchInterval", "soon"]);
    let out = env.realm_std(&fungal, &["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: invalid realm.fetchInterval `soon`\nhint: "),
        "{stderr}"
    );
}

#[test]
fn the_provider_lists_the_consumers_of_every_export() {
    let env = TestEnv::new();
    let World {
        aperture, fungal, ..
    } = World::two_domains(&env).build();
    env.realm(&aperture, &["status"])
        .assert()
        .success()
        .stdout_eq(str![[r#"
aperture (domain in letemcook realm)
Realm state fetched just now (2026-01-24 10:00 UTC)

Consumers of 'required-s3-permissions':
  - fungal (imports ^1, current)

✓ In step with the realm

"#]]);
    publish_v2(&env, &aperture);
    let status = env.realm_ok(&aperture, &["status"]);
    assert!(
        status
            .contains("Consumers of 'required-s3-permissions':\n  - fungal (imports ^1, stale)\n"),
        "{status}"
    );
    let report = json(&env.realm_ok(&aperture, &["status", "--json"]));
    let consumer = &report["exports"][0]["consumers"][0];
    assert_eq!(consumer["domain"], "fungal");
    assert_eq!(consumer["requirement"], "^1");
    assert_eq!(consumer["status"], "stale");
    // The consumer still imports it after resolving: listed as current again.
    env.realm_ok(&fungal, &["sync", "--no-notify"]);
    let status = env.realm_ok(&aperture, &["status"]);
    assert!(
        status.contains("  - fungal (imports ^1, current)\n"),
        "{status}"
    );
}
