//! Many domains writing to one realm at once: every write lands.

use std::path::PathBuf;

use crate::support::TestEnv;

#[test]
fn twelve_domains_join_and_export_at_once() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm.git", true, &["--admission", "open"]);
    let repos: Vec<_> = (0..12)
        .map(|i| env.code_repo(&format!("domain-{i:02}"), &[]))
        .collect();
    all_succeed(&env, &repos, |i| {
        format!("git realm join ../realm.git && git realm export --name value-{i} --value '[{i}]'")
    });
    let domains = env.git(&realm, &["ls-tree", "--name-only", "main", "domains/"]);
    assert_eq!(domains.lines().count(), 13, "{domains}");
    // 1 init + 12 joins + 12 exports, each its own commit, history linear.
    assert_eq!(env.git(&realm, &["rev-list", "--count", "main"]), "25");
    assert_eq!(
        env.git(&realm, &["rev-list", "--count", "--merges", "main"]),
        "0"
    );
    let codeowners = env.realm_file(&realm, ".github/CODEOWNERS");
    assert_eq!(
        codeowners
            .lines()
            .filter(|l| l.starts_with("/domains/"))
            .count(),
        12
    );
    env.git(&realm, &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn twelve_domains_sync_at_once() {
    domains_sync_at_once(12);
}

/// Slow (a few hundred processes on two cores): run from `.ci/run` with `--ignored`.
#[test]
#[ignore]
fn a_hundred_domains_sync_at_once() {
    domains_sync_at_once(100);
}

/// `n` domains join and export (a dozen at a time), then all sync a changed export at once: every write
/// lands, none is asked to run again, each code commit gets its note, and the realm is clean.
fn domains_sync_at_once(n: usize) {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm.git", true, &["--admission", "open"]);
    let repos: Vec<_> = (0..n)
        .map(|i| {
            env.code_repo(
                &format!("domain-{i:03}"),
                &[("paths.yaml", &format!("read: [jobs/{i}/*]\n"))],
            )
        })
        .collect();
    // Joined a dozen at a time: joins all rewrite CODEOWNERS, and are not what is measured here.
    for batch in repos.chunks(12) {
        all_succeed(&env, batch, |_| {
            "git realm join ../realm.git --no-hooks && git realm export --name paths --file paths.yaml \
             && git add -A && git commit -qm export"
                .to_owned()
        });
    }
    for (i, repo) in repos.iter().enumerate() {
        env.write(
            repo,
            &[("paths.yaml", &format!("read: [jobs/{i}/*, more/*]\n"))],
        );
        env.commit_all(repo, "more");
    }
    let before = env.git(&realm, &["rev-list", "--count", "main"]);
    assert_eq!(before, (1 + 2 * n).to_string());
    let traces = all_succeed(&env, &repos, |_| {
        "GIT_REALM_TRACE=1 git realm sync --no-notify".to_owned()
    });
    // A lost race fetched the tip and put the same change on it: decided once, never again.
    assert!(
        traces.iter().any(|t| !t.contains(" at attempt 1 ")),
        "no sync lost a race:\n{}",
        traces.join("\n")
    );
    for trace in &traces {
        assert_eq!(trace.matches(": decided on ").count(), 1, "{trace}");
        assert!(trace.contains("trace: publish: landed "), "{trace}");
    }
    assert_eq!(
        env.git(&realm, &["rev-list", "--count", "main"]),
        (1 + 3 * n).to_string()
    );
    assert_eq!(
        env.git(&realm, &["rev-list", "--count", "--merges", "main"]),
        "0"
    );
    for (i, repo) in repos.iter().enumerate() {
        let exports = env.realm_file(&realm, &format!("domains/domain-{i:03}/exports.yaml"));
        assert!(exports.contains("version: 1.1.0"), "{exports}");
        let note = env.git(repo, &["notes", "--ref", "realm", "show", "HEAD"]);
        assert!(
            note.starts_with(&format!(
                "Realm-Export: letemcook domain-{i:03}/paths 1.1.0 realm-commit="
            )),
            "{note}"
        );
    }
    env.git(&realm, &["fsck", "--strict", "--no-progress"]);
}

/// Run `script(i)` in every repository at once; panic unless every one succeeds. Their stderr.
fn all_succeed(env: &TestEnv, repos: &[PathBuf], script: impl Fn(usize) -> String) -> Vec<String> {
    let children: Vec<_> = repos
        .iter()
        .enumerate()
        .map(|(i, repo)| {
            let mut sh = env.sh(repo, &script(i));
            sh.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            sh.spawn().unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(out.status.success(), "{stderr}");
            stderr
        })
        .collect()
}
