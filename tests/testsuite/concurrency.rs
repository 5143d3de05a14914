//! Many domains writing to one realm at once: every write lands.

use crate::support::TestEnv;

#[test]
fn twelve_domains_join_and_export_at_once() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm.git", true, &["--admission", "open"]);
    let repos: Vec<_> = (0..12)
        .map(|i| env.code_repo(&format!("domain-{i:02}"), &[]))
        .collect();
    let children: Vec<_> = repos
        .iter()
        .enumerate()
        .map(|(i, repo)| {
            let script = format!(
                "git realm join ../realm.git && git realm export --name value-{i} --value '[{i}]'"
            );
            let mut sh = env.sh(repo, &script);
            sh.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            sh.spawn().unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
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
