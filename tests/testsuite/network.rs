//! The network: every fetch and push git-realm makes stops after `realm.timeout`, leaves
//! everything as it was, and says what timed out and how to retry. The realm's "server" here
//! is an `ext::` transport that never answers (for every service, or only for pushes).

use std::path::{Path, PathBuf};

use crate::support::TestEnv;

/// A realm, and `app` that joined it (exporting `limits`) with a changed export to sync;
/// `app`'s realm URL then goes through `transport.sh`, which hangs on the services named in
/// `hang` and serves the others from the realm.
fn app_behind_a_hanging_realm(env: &TestEnv, hang: &str) -> PathBuf {
    let realm = env.realm_repo("realm.git", true, &["--admission", "open"]);
    let app = env.code_repo("app", &[("limits.yaml", "rps: 10\n")]);
    env.realm_ok(&app, &["join", "../realm.git", "--no-hooks"]);
    env.realm_ok(
        &app,
        &["export", "--name", "limits", "--file", "limits.yaml"],
    );
    let transport = env.path("transport.sh");
    write_executable(
        &transport,
        &format!(
            "#!/bin/sh\ncase \"$1\" in {hang}) exec sleep 600 ;; esac\nexec git \"${{1#git-}}\" '{}'\n",
            realm.display()
        ),
    );
    let config = std::fs::read_to_string(app.join(".realm/config.yaml")).unwrap();
    let config = config.replace(
        "url: ../realm.git",
        &format!("url: \"ext::{} %S\"", transport.display()),
    );
    assert!(config.contains("ext::"), "{config}");
    env.write(
        &app,
        &[
            (".realm/config.yaml", &config),
            ("limits.yaml", "rps: 20\n"),
        ],
    );
    env.commit_all(&app, "more requests");
    env.git(&app, &["config", "protocol.ext.allow", "always"]);
    env.git(&app, &["config", "realm.timeout", "1"]);
    app
}

#[test]
fn a_realm_that_never_answers_a_fetch_stops_sync_and_fetch() {
    let env = TestEnv::new();
    let app = app_behind_a_hanging_realm(&env, "*");
    let realm = env.path("realm.git");
    for args in [&["sync"][..], &["fetch"]] {
        env.assert_refused(
            &[&app, &realm],
            2,
            &app,
            args,
            "fetching realm `letemcook` timed out: no answer within 1 s",
        );
    }
    let out = env.realm_std(&app, &["fetch"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("hint: nothing was changed here; check the connection and run the command again, or allow more time: 'git config realm.timeout 10'"),
        "{stderr}"
    );
}

#[test]
fn a_realm_that_never_answers_a_push_stops_sync() {
    let env = TestEnv::new();
    let app = app_behind_a_hanging_realm(&env, "git-receive-pack");
    let realm = env.path("realm.git");
    env.assert_refused(
        &[&app, &realm],
        2,
        &app,
        &["sync"],
        "timed out: no answer within 1 s (`git push --porcelain --atomic --no-verify -- ext::",
    );
    // With time enough it would have landed: only the push was stopped.
    let transport = env.path("transport.sh");
    let script = std::fs::read_to_string(&transport).unwrap();
    write_executable(&transport, &script.replace("git-receive-pack)", "never)"));
    env.realm_ok(&app, &["sync"]);
    assert!(
        env.realm_file(&realm, "domains/app/exports.yaml")
            .contains("rps: 20")
    );
}

#[test]
fn a_realm_that_never_answers_does_not_hold_up_a_push_to_the_code_remote() {
    let env = TestEnv::new();
    let app = app_behind_a_hanging_realm(&env, "*");
    env.realm_ok(&app, &["hooks", "install"]);
    env.git(&app, &["config", "realm.prePush", "warn"]);
    let (code, out) = env.sh_run(&app, "git push -q origin main");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("changes exports of realm 'letemcook'"),
        "{out}"
    );
}

#[test]
fn an_invalid_time_limit_is_refused() {
    let env = TestEnv::new();
    let app = app_behind_a_hanging_realm(&env, "never");
    let realm = env.path("realm.git");
    for value in ["soon", "0", "-3"] {
        env.git(&app, &["config", "realm.timeout", value]);
        env.assert_refused(
            &[&app, &realm],
            2,
            &app,
            &["fetch"],
            &format!("invalid realm.timeout `{value}`"),
        );
    }
}

/// A realm, and `app` that joined it with a changed export to sync.
fn app_with_a_change(env: &TestEnv) -> (PathBuf, PathBuf) {
    let realm = env.realm_repo("realm.git", true, &["--admission", "open"]);
    let app = env.code_repo("app", &[("limits.yaml", "rps: 10\n")]);
    env.realm_ok(&app, &["join", "../realm.git", "--no-hooks"]);
    env.realm_ok(
        &app,
        &["export", "--name", "limits", "--file", "limits.yaml"],
    );
    env.write(&app, &[("limits.yaml", "rps: 20\n")]);
    env.commit_all(&app, "more requests");
    (realm, app)
}

#[test]
fn a_refusal_by_the_realms_server_reads_as_one_short_line() {
    let env = TestEnv::new();
    let (realm, app) = app_with_a_change(&env);
    let long = "x".repeat(2000);
    write_executable(
        &realm.join("hooks/pre-receive"),
        &format!("#!/bin/sh\necho 'pushes need a signed-off review'\necho '{long}'\nexit 1\n"),
    );
    env.assert_refused(
        &[&app, &realm],
        2,
        &app,
        &["sync"],
        "the realm refused the push to `main`: pre-receive hook declined (its server said: \
         pushes need a signed-off review; xxx",
    );
    let out = env.realm_std(&app, &["sync"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = stderr.lines().find(|l| l.starts_with("error:")).unwrap();
    assert!(error.len() < 500, "{error}");
    assert!(
        !error.contains("failed to push some refs") && !error.contains("To "),
        "{error}"
    );
    assert!(
        stderr.contains("hint: the realm's server decides what may be pushed"),
        "{stderr}"
    );
}

#[test]
fn a_git_that_fails_without_a_word_is_named_once() {
    let env = TestEnv::new();
    let (realm, app) = app_with_a_change(&env);
    // A `git` first on PATH that fails every push silently, as a broken helper can.
    let bin = env.path("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let real = crate::support::gits()[0];
    write_executable(
        &bin.join("git"),
        &format!("#!/bin/sh\nfor a; do [ \"$a\" = push ] && exit 128; done\nexec {real} \"$@\"\n"),
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let before = env.state_of(&[&app, &realm]);
    let out = env
        .realm_std(&app, &["sync"])
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("` failed: git exited with status 128 and printed no message\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("exit status exit status"), "{stderr}");
    assert_eq!(env.state_of(&[&app, &realm]), before);
}

fn write_executable(path: &Path, content: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
