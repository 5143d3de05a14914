//! Trust without shared write access: realm commits signed with real ssh keys, and every
//! forged or out-of-bounds commit refused by `verify`, by the verifying fetch (refs kept) and
//! by the realm's pre-receive hook (a real `git push` rejected, the realm unchanged).

use std::path::{Path, PathBuf};

use snapbox::IntoData;

use crate::support::{TestEnv, json};

/// A key pair made by `ssh-keygen` in the test's directory: the private key's path and the
/// public key as allowed-signers lists it (`ssh-ed25519 AAAA…`).
fn ssh_key(env: &TestEnv, name: &str) -> (PathBuf, String) {
    let dir = env.path("keys");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let out = env
        .git_program_cmd(
            "ssh-keygen",
            &dir,
            &["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", name],
        )
        .output()
        .expect("run ssh-keygen");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap();
    let public = public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    (path, public)
}

/// Make `dir`'s commits come from `email`, signed with `key` (ssh, as git signs).
fn identity(env: &TestEnv, dir: &Path, email: &str, key: &Path) {
    env.git(dir, &["config", "user.email", email]);
    env.git(dir, &["config", "gpg.format", "ssh"]);
    env.git(dir, &["config", "user.signingkey", key.to_str().unwrap()]);
}

struct Realm {
    env: TestEnv,
    realm: PathBuf,
    alpha: PathBuf,
    keys: Vec<(&'static str, PathBuf, String)>,
}

impl Realm {
    fn key(&self, who: &str) -> &Path {
        &self.keys.iter().find(|k| k.0 == who).unwrap().1
    }

    fn public(&self, who: &str) -> &str {
        &self.keys.iter().find(|k| k.0 == who).unwrap().2
    }

    /// An allowed-signers file for git naming every key of the test.
    fn allowed_signers(&self) -> PathBuf {
        let path = self.env.path("keys/allowed_signers");
        let text: String = [
            ("eric", "eric@example.com"),
            ("alpha", "a@example.com"),
            ("beta", "b@example.com"),
        ]
        .iter()
        .map(|(who, email)| format!("{email} {}\n", self.public(who)))
        .collect();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn main(&self) -> String {
        self.env.git(&self.realm, &["rev-parse", "main"])
    }
}

/// A bare realm (signatures required) created by eric, the approver, with domains alpha
/// (a@example.com) and beta (b@example.com) joined and exporting; every commit signed by git
/// with each person's own ssh key.
fn signed_realm() -> Realm {
    let env = TestEnv::new();
    let keys: Vec<_> = ["eric", "alpha", "beta", "mallory"]
        .into_iter()
        .map(|who| {
            let (path, public) = ssh_key(&env, who);
            (who, path, public)
        })
        .collect();
    let key = |who: &str| keys.iter().find(|k| k.0 == who).unwrap().1.clone();
    env.git(env.root(), &["config", "--global", "gpg.format", "ssh"]);
    env.git(
        env.root(),
        &[
            "config",
            "--global",
            "user.signingkey",
            key("eric").to_str().unwrap(),
        ],
    );
    env.realm_ok(
        env.root(),
        &[
            "init",
            "--name",
            "letemcook",
            "realm.git",
            "--bare",
            "--admission",
            "open",
            "--require-signatures",
        ],
    );
    let realm = env.path("realm.git");
    let alpha = env.code_repo("alpha", &[]);
    identity(&env, &alpha, "a@example.com", &key("alpha"));
    env.realm_ok(&alpha, &["join", "../realm.git", "--no-hooks"]);
    env.realm_ok(
        &alpha,
        &["export", "--name", "paths", "--value", "[\"a/*\"]"],
    );
    let beta = env.code_repo("beta", &[]);
    identity(&env, &beta, "b@example.com", &key("beta"));
    env.realm_ok(&beta, &["join", "../realm.git", "--no-hooks"]);
    env.realm_ok(&beta, &["export", "--name", "queue", "--value", "[\"q\"]"]);
    env.realm_ok(&alpha, &["fetch"]);
    Realm {
        env,
        realm,
        alpha,
        keys,
    }
}

#[test]
fn what_git_realm_signs_git_accepts_and_a_clean_history_verifies() {
    let r = signed_realm();
    let env = &r.env;
    let domain = env.realm_file(&r.realm, "domains/alpha/domain.yaml");
    assert!(
        domain.contains(&format!(
            "signing_keys:\n- a@example.com {}",
            r.public("alpha")
        )),
        "join records the user's public key:\n{domain}"
    );
    let governance = env.realm_file(&r.realm, "realm.yaml");
    assert!(
        governance.contains("require_signatures: true"),
        "{governance}"
    );
    assert!(governance.contains(r.public("eric")), "{governance}");

    // git itself accepts every signature git-realm asked it to make.
    let allowed = r.allowed_signers();
    let commits = env.git(&r.realm, &["rev-list", "main"]);
    assert_eq!(commits.lines().count(), 5);
    for commit in commits.lines() {
        let out = env
            .git_cmd(
                &r.realm,
                &[
                    "-c",
                    &format!("gpg.ssh.allowedSignersFile={}", allowed.display()),
                    "verify-commit",
                    commit,
                ],
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git verify-commit {commit}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let out = env.realm_ok(&r.alpha, &["verify", "--json"]);
    let report = json(&out);
    assert_eq!(report["violations"], serde_json::json!([]));
    assert_eq!(report["commit"], r.main());
    // The clean commit is remembered: the next run has nothing new to check.
    let again = json(&env.realm_ok(&r.alpha, &["verify", "--json"]));
    assert_eq!(again["checked"], 0);
    // An older realm commit verifies too, and is no mark for main.
    let older = commits.lines().nth(2).unwrap();
    let out = json(&env.realm_ok(&r.alpha, &["verify", "--json", older]));
    assert_eq!(out["violations"], serde_json::json!([]));
    assert_eq!(
        json(&env.realm_ok(&r.alpha, &["verify", "--json"]))["checked"],
        0
    );
    // Deleting the cache only costs time.
    std::fs::remove_dir_all(r.alpha.join(".git/realm/verified")).unwrap();
    let cold = json(&env.realm_ok(&r.alpha, &["verify", "--json"]));
    assert_eq!(cold["checked"], 5);
    assert_eq!(cold["violations"], serde_json::json!([]));
    // In the realm repository itself.
    let out = env.realm_ok(&r.realm, &["verify"]);
    assert!(
        out.starts_with("✓ Realm 'letemcook' verified up to"),
        "{out}"
    );
}

/// A clone of the realm where commits are forged by hand, as anyone with push access could.
fn tamper_clone(r: &Realm) -> PathBuf {
    let env = &r.env;
    let dir = env.path("tamper");
    if !dir.exists() {
        env.git(
            env.root(),
            &["clone", "--quiet", r.realm.to_str().unwrap(), "tamper"],
        );
    }
    env.git(&dir, &["fetch", "--quiet", "origin"]);
    env.git(&dir, &["reset", "--quiet", "--hard", "origin/main"]);
    dir
}

/// A commit in `dir` by `email` speaking for `domain`, signed with `key` (unsigned for None).
fn forge(env: &TestEnv, dir: &Path, email: &str, key: Option<&Path>, domain: &str) -> String {
    env.git(dir, &["add", "-A"]);
    let mut args = vec![
        "-c".to_owned(),
        format!("user.email={email}"),
        "-c".to_owned(),
        "gpg.format=ssh".to_owned(),
    ];
    if let Some(key) = key {
        args.extend([
            "-c".to_owned(),
            format!("user.signingkey={}", key.display()),
        ]);
    }
    args.extend(["commit", "--quiet", "--allow-empty", "-m"].map(str::to_owned));
    args.push(format!("{domain}: change"));
    args.push("-m".to_owned());
    args.push(format!("Realm-Domain: {domain}"));
    if key.is_some() {
        args.push("-S".to_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.git(dir, &args);
    env.git(dir, &["rev-parse", "HEAD"])
}
/// What the rules say of a commit signed by OpenPGP key `key` once it has expired.
fn expired_why(key: &str) -> String {
    format!(
        "the signature does not verify: made by OpenPGP key {key}, which has expired (renew it with 'gpg --quick-set-expire {key} 1y', list the renewed key again in signing_keys, and sign anew)"
    )
}

/// Push `commit` from `tamper` and see the realm's hook refuse it, saying `why`.
fn hook_refuses(r: &Realm, tamper: &Path, commit: &str, why: &str) {
    let (code, out) = r.env.sh_run(tamper, "git push origin HEAD:main");
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "git-realm: refusing refs/heads/main: {} [bad-signature] {why}",
            &commit[..12]
        )),
        "{out}"
    );
}

/// Push `commit` from `tamper` through the realm's hook, and see alpha's verifying fetch take
/// it as main.
fn lands(r: &Realm, tamper: &Path, commit: &str) {
    let env = &r.env;
    let (code, out) = env.sh_run(tamper, "git push --quiet origin HEAD:main");
    assert_eq!(code, 0, "{out}");
    env.realm_ok(&r.alpha, &["fetch"]);
    assert_eq!(
        env.git(&r.alpha, &["rev-parse", "refs/realm/letemcook/heads/main"]),
        commit
    );
}

/// `bad` (a commit of the tamper clone, to become the realm's main) is refused everywhere
/// with `rule`: by the realm's pre-receive hook, then — pushed past the hook — by the
/// verifying fetch and by `verify`.
fn refused_everywhere(r: &Realm, tamper: &Path, bad: &str, force: bool, rule: &str) {
    let env = &r.env;
    let good = r.main();

    // 1. The realm's own hook refuses a real push.
    let push = if force {
        "git push --force origin HEAD:main"
    } else {
        "git push origin HEAD:main"
    };
    let (code, out) = env.sh_run(tamper, push);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("[remote rejected]"), "{out}");
    assert!(out.contains(&format!("[{rule}]")), "{rule}: {out}");
    assert_eq!(r.main(), good, "the realm is unchanged");

    // 2. Behind the hook's back (a host that runs no hooks), the realm takes it …
    env.git(
        &r.realm,
        &[
            "fetch",
            "--quiet",
            "--force",
            tamper.to_str().unwrap(),
            &format!("{bad}:refs/heads/main"),
        ],
    );
    // … and the code repository's fetch refuses it, keeping what it had.
    let alpha_ref = "refs/realm/letemcook/heads/main";
    let before = env.git(&r.alpha, &["rev-parse", alpha_ref]);
    let out = env.realm_std(&r.alpha, &["fetch"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("breaks rule `{rule}`")),
        "{rule}: {stderr}"
    );
    assert!(
        stderr.contains("hint: the realm as verified before is kept"),
        "{stderr}"
    );
    assert_eq!(env.git(&r.alpha, &["rev-parse", alpha_ref]), before);
    assert_eq!(
        env.git(&r.alpha, &["for-each-ref", "refs/realm-fetch"]),
        "",
        "no staging refs are left behind"
    );
    // The reading commands keep working on the last good realm.
    env.realm_ok(&r.alpha, &["status"]);
    // The hooks' fetch warns and lets git go on.
    let (code, text) = env.sh_run(&r.alpha, "git realm hooks run post-merge 0 </dev/null");
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("warning: refusing the realm `letemcook` as fetched")
            && text.contains(&format!("breaks rule `{rule}`")),
        "{text}"
    );
    assert_eq!(env.git(&r.alpha, &["rev-parse", alpha_ref]), before);

    // 3. verify names the commit and the rule.
    let out = env
        .realm_std(&r.alpha, &["verify", "--json", bad])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let violations = report["violations"].as_array().unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v["rule"] == rule && v["commit"] == bad),
        "{rule}: {report:#}"
    );
    // In the realm itself too, now that it holds the commit.
    // (A rewritten main is seen only against a commit verified before: the realm's own
    // history, read afresh, is all it has.)
    if !force {
        let out = env.realm_std(&r.realm, &["verify"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains(&format!("[{rule}]")), "{stdout}");
    }

    // Put the realm back for the next case.
    env.git(&r.realm, &["update-ref", "refs/heads/main", &good]);
}

#[test]
fn forged_and_out_of_bounds_commits_are_refused_by_verify_fetch_and_pre_receive() {
    let r = signed_realm();
    let env = &r.env;
    let out = env.realm_ok(&r.realm, &["hooks", "install", "--realm"]);
    assert!(out.contains("pre-receive"), "{out}");
    let tamper = tamper_clone(&r);

    // Domain alpha, properly signed, edits beta's exports.
    env.write(&tamper, &[("domains/beta/exports.yaml", "exports: []\n")]);
    let bad = forge(env, &tamper, "a@example.com", Some(r.key("alpha")), "alpha");
    refused_everywhere(&r, &tamper, &bad, false, "outside-domain");

    // Unsigned, where signatures are required.
    let tamper = tamper_clone(&r);
    env.write(&tamper, &[("domains/alpha/exports.yaml", "exports: []\n")]);
    let bad = forge(env, &tamper, "a@example.com", None, "alpha");
    refused_everywhere(&r, &tamper, &bad, false, "unsigned");

    // Signed with a key nobody listed.
    let tamper = tamper_clone(&r);
    env.write(&tamper, &[("domains/alpha/exports.yaml", "exports: []\n")]);
    let bad = forge(
        env,
        &tamper,
        "a@example.com",
        Some(r.key("mallory")),
        "alpha",
    );
    refused_everywhere(&r, &tamper, &bad, false, "wrong-key");

    // A forged author: alpha's email, with a valid signature by beta's key.
    let tamper = tamper_clone(&r);
    env.write(&tamper, &[("domains/alpha/exports.yaml", "exports: []\n")]);
    let bad = forge(env, &tamper, "a@example.com", Some(r.key("beta")), "alpha");
    refused_everywhere(&r, &tamper, &bad, false, "wrong-key");

    // A signature that no longer covers the commit: the message changed after signing.
    let raw = env.git(&tamper, &["cat-file", "commit", &bad]);
    let edited = raw.replace("alpha: change", "alpha: harmless");
    let out = env
        .git_cmd(&tamper, &["hash-object", "-t", "commit", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{edited}\n").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let tampered = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    env.git(&tamper, &["reset", "--quiet", "--hard", &tampered]);
    refused_everywhere(&r, &tamper, &tampered, false, "bad-signature");

    // realm.yaml's approvers changed by a non-approver.
    let tamper = tamper_clone(&r);
    let realm_yaml = env.realm_file(&r.realm, "realm.yaml").replace(
        "  - eric@example.com\n",
        "  - eric@example.com\n  - a@example.com\n",
    );
    env.write(&tamper, &[("realm.yaml", &realm_yaml)]);
    let bad = forge(env, &tamper, "a@example.com", Some(r.key("alpha")), "alpha");
    refused_everywhere(&r, &tamper, &bad, false, "approver-only");

    // alpha's key swapped for another without the old key.
    let tamper = tamper_clone(&r);
    let domain = env
        .realm_file(&r.realm, "domains/alpha/domain.yaml")
        .replace(r.public("alpha"), r.public("mallory"));
    env.write(&tamper, &[("domains/alpha/domain.yaml", &domain)]);
    let bad = forge(
        env,
        &tamper,
        "a@example.com",
        Some(r.key("mallory")),
        "alpha",
    );
    refused_everywhere(&r, &tamper, &bad, false, "wrong-key");

    // A force-pushed main: beta's last commit replaced by a (validly signed) other one.
    let tamper = tamper_clone(&r);
    env.git(&tamper, &["reset", "--quiet", "--hard", "HEAD~1"]);
    env.write(&tamper, &[("domains/beta/exports.yaml", "exports: []\n")]);
    let bad = forge(env, &tamper, "b@example.com", Some(r.key("beta")), "beta");
    refused_everywhere(&r, &tamper, &bad, true, "non-fast-forward");

    // Deleting main is refused too.
    let (code, out) = env.sh_run(&tamper, "git push origin :main");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("refusing to delete refs/heads/main"), "{out}");

    // And a clean, signed change still lands through the hook and the verifying fetch.
    let tamper = tamper_clone(&r);
    env.write(&tamper, &[("domains/alpha/exports.yaml", "exports: []\n")]);
    let good = forge(env, &tamper, "a@example.com", Some(r.key("alpha")), "alpha");
    lands(&r, &tamper, &good);
}

#[test]
fn a_realm_that_requires_signatures_refuses_a_user_without_a_key() {
    let r = signed_realm();
    let env = &r.env;
    let gamma = env.code_repo("gamma", &[]);
    env.git(&gamma, &["config", "user.email", "c@example.com"]);
    env.git(&gamma, &["config", "user.signingkey", ""]);
    env.assert_refused(
        &[&gamma, &r.realm],
        2,
        &gamma,
        &["join", "../realm.git", "--no-hooks"],
        "requires signed commits",
    );
    // Whoever joins is one of the domain's maintainers: its commits are theirs.
    env.assert_refused(
        &[&gamma, &r.realm],
        2,
        &gamma,
        &["join", "../realm.git", "--maintainer", "team@example.com"],
        "you (`c@example.com`) are not among the maintainers given",
    );
    // Without a key, init refuses to require signatures.
    env.git(
        env.root(),
        &["config", "--global", "--unset", "user.signingkey"],
    );
    env.assert_refused(
        &[],
        2,
        env.root(),
        &[
            "init",
            "--name",
            "strict",
            "strict.git",
            "--bare",
            "--require-signatures",
        ],
        "needs a signing key",
    );
    assert!(!env.path("strict.git").exists());
}

#[test]
fn verify_json_names_the_commit_domain_rule_and_file() {
    let r = signed_realm();
    let env = &r.env;
    let tamper = tamper_clone(&r);
    env.write(&tamper, &[("domains/beta/exports.yaml", "exports: []\n")]);
    let bad = forge(env, &tamper, "a@example.com", Some(r.key("alpha")), "alpha");
    env.git(
        &r.alpha,
        &["fetch", "--quiet", tamper.to_str().unwrap(), &bad],
    );
    env.realm(&r.alpha, &["verify", "--json", &bad])
        .assert()
        .code(1)
        .stdout_eq(
            snapbox::str![[r#"
{
  "realm": "letemcook",
  "commit": "[HASH]",
  "from": "[HASH]",
  "checked": 1,
  "violations": [
    {
      "commit": "[HASH]",
      "domain": "alpha",
      "rule": "outside-domain",
      "message": "domain `alpha` changed `domains/beta/exports.yaml`, which belongs to domain `beta`",
      "path": "domains/beta/exports.yaml"
    }
  ]
}
"#]]
            .is_json(),
        );
}

/// Key types other than ed25519 are checked by ssh-keygen, as git checks them.
#[test]
fn ecdsa_keys_sign_and_verify_too() {
    let env = TestEnv::new();
    let keys = env.path("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let out = env
        .git_program_cmd(
            "ssh-keygen",
            &keys,
            &["-q", "-t", "ecdsa", "-N", "", "-C", "eric", "-f", "eric"],
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    env.git(env.root(), &["config", "--global", "gpg.format", "ssh"]);
    let key = keys.join("eric");
    env.git(
        env.root(),
        &[
            "config",
            "--global",
            "user.signingkey",
            key.to_str().unwrap(),
        ],
    );
    let realm = env.realm_repo("realm.git", true, &["--require-signatures"]);
    let app = env.code_repo("app", &[]);
    env.realm_ok(&app, &["join", "../realm.git", "--no-hooks"]);
    env.realm_ok(&app, &["export", "--name", "paths", "--value", "[1]"]);
    let domain = env.realm_file(&realm, "domains/app/domain.yaml");
    assert!(
        domain.contains("eric@example.com ecdsa-sha2-nistp256 "),
        "{domain}"
    );
    std::fs::remove_dir_all(app.join(".git/realm/verified")).unwrap();
    let report = json(&env.realm_ok(&app, &["verify", "--json"]));
    assert_eq!(report["checked"], 3, "{report:#}");
    assert_eq!(report["violations"], serde_json::json!([]));
    // Signed by another ecdsa key: refused.
    let tamper = env.path("tamper");
    env.git(
        env.root(),
        &["clone", "--quiet", realm.to_str().unwrap(), "tamper"],
    );
    let out = env
        .git_program_cmd(
            "ssh-keygen",
            &keys,
            &["-q", "-t", "ecdsa", "-N", "", "-C", "m", "-f", "mallory"],
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    env.write(&tamper, &[("domains/app/exports.yaml", "exports: []\n")]);
    let bad = forge(
        &env,
        &tamper,
        "eric@example.com",
        Some(&keys.join("mallory")),
        "app",
    );
    env.git(&app, &["fetch", "--quiet", tamper.to_str().unwrap(), &bad]);
    let out = env
        .realm_std(&app, &["verify", "--json", &bad])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(report["violations"][0]["rule"], "wrong-key", "{report:#}");
}

/// A non-bare realm (pushes update its checkout) guarded by the hook: git-realm's own
/// writes pass it, a domain stepping outside its directory does not; no keys involved.
#[test]
fn the_pre_receive_hook_guards_a_non_bare_realm_without_keys() {
    let env = TestEnv::new();
    let realm = env.realm_repo("realm", false, &["--admission", "open"]);
    let out = env.realm_ok(&realm, &["hooks", "install", "--realm"]);
    assert!(out.contains(".git/hooks/pre-receive"), "{out}");
    let app = env.code_repo("app", &[]);
    env.git(&app, &["config", "user.email", "app@example.com"]);
    // (The hook runs git-realm from PATH, as a server would.)
    for script in [
        "git realm join ../realm --no-hooks",
        "git realm export --name paths --value '[1]'",
    ] {
        let (code, out) = env.sh_run(&app, script);
        assert_eq!(code, 0, "{script}: {out}");
    }
    assert!(
        env.realm_file(&realm, "domains/app/exports.yaml")
            .contains("paths")
    );

    let tamper = env.path("tamper");
    env.git(
        env.root(),
        &["clone", "--quiet", realm.to_str().unwrap(), "tamper"],
    );
    let before = env.git(&realm, &["rev-parse", "main"]);
    env.write(
        &tamper,
        &[(
            "realm.yaml",
            &env.realm_file(&realm, "realm.yaml")
                .replace("admission: open", "admission: approval"),
        )],
    );
    forge(&env, &tamper, "app@example.com", None, "app");
    let (code, out) = env.sh_run(&tamper, "git push origin HEAD:main");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("[approver-only]"), "{out}");
    assert_eq!(env.git(&realm, &["rev-parse", "main"]), before);
    assert_eq!(env.git(&realm, &["status", "--porcelain"]), "");

    // Where the server cannot run git-realm, the hook fails closed.
    env.git(&tamper, &["reset", "--quiet", "--hard", "origin/main"]);
    env.write(&tamper, &[("domains/app/exports.yaml", "exports: []\n")]);
    forge(&env, &tamper, "app@example.com", None, "app");
    let out = env
        .git_cmd(&tamper, &["push", "origin", "HEAD:main"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("git-realm: not found on PATH; refusing the push"),
        "{stderr}"
    );
    assert_eq!(env.git(&realm, &["rev-parse", "main"]), before);

    let out = env.realm_ok(&realm, &["hooks", "uninstall", "--realm"]);
    assert!(out.contains("Removed"), "{out}");
    assert!(!realm.join(".git/hooks/pre-receive").exists());
}

/// The test's OpenPGP keyring (`$HOME/.gnupg` of the test environment), its gpg-agent
/// stopped when the test ends.
struct Gnupg {
    home: PathBuf,
}

impl Gnupg {
    fn new(env: &TestEnv) -> Gnupg {
        let home = env.path("home/.gnupg");
        std::fs::create_dir_all(&home).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        Gnupg { home }
    }

    /// A new ed25519 key for `email` without a passphrase: its primary key's fingerprint.
    fn key(&self, env: &TestEnv, email: &str) -> String {
        self.key_made(env, email, &[], "never")
    }

    /// [`Gnupg::key`] made by gpg run with `options` (`--faked-system-time …`), expiring
    /// as `expire` says (`never`, `1y`).
    fn key_made(&self, env: &TestEnv, email: &str, options: &[&str], expire: &str) -> String {
        let uid = format!("Test <{email}>");
        let mut args = vec!["--batch", "--passphrase", ""];
        args.extend(options);
        args.extend(["--quick-gen-key", &uid, "ed25519", "sign", expire]);
        let out = env
            .git_program_cmd("gpg", env.root(), &args)
            .output()
            .expect("run gpg");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = env
            .git_program_cmd(
                "gpg",
                env.root(),
                &[
                    "--batch",
                    "--with-colons",
                    "--list-keys",
                    &format!("<{email}>"),
                ],
            )
            .output()
            .unwrap();
        let listing = String::from_utf8_lossy(&out.stdout).into_owned();
        listing
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .unwrap()
            .to_owned()
    }
}

impl Drop for Gnupg {
    fn drop(&mut self) {
        let _ = std::process::Command::new("gpgconf")
            .arg("--homedir")
            .arg(&self.home)
            .args(["--kill", "all"])
            .output();
    }
}

/// A commit in `dir` by `email` speaking for `domain`, signed by git with the OpenPGP key
/// `fingerprint`.
fn forge_openpgp(
    env: &TestEnv,
    dir: &Path,
    email: &str,
    fingerprint: &str,
    domain: &str,
) -> String {
    forge_openpgp_with(env, dir, email, fingerprint, domain, "gpg")
}

/// [`forge_openpgp`] with git signing through `program` (its `gpg.program`).
fn forge_openpgp_with(
    env: &TestEnv,
    dir: &Path,
    email: &str,
    fingerprint: &str,
    domain: &str,
    program: &str,
) -> String {
    env.git(dir, &["add", "-A"]);
    env.git(
        dir,
        &[
            "-c",
            &format!("user.email={email}"),
            "-c",
            "gpg.format=openpgp",
            "-c",
            &format!("gpg.program={program}"),
            "-c",
            &format!("user.signingkey={fingerprint}"),
            "commit",
            "--quiet",
            "--allow-empty",
            "-S",
            "-m",
            &format!("{domain}: change"),
            "-m",
            &format!("Realm-Domain: {domain}"),
        ],
    );
    env.git(dir, &["rev-parse", "HEAD"])
}

/// A bare realm (signatures required) created by eric, the approver, with domains alpha
/// (a@example.com, exporting) and beta (b@example.com) joined; every commit signed by git with
/// each person's own OpenPGP key (git's default `gpg.format`). The keyring, and eric's,
/// alpha's and beta's fingerprints.
fn openpgp_realm() -> (Gnupg, Realm, [String; 3]) {
    let env = TestEnv::new();
    let gnupg = Gnupg::new(&env);
    let eric = gnupg.key(&env, "eric@example.com");
    let alpha_key = gnupg.key(&env, "a@example.com");
    let beta_key = gnupg.key(&env, "b@example.com");
    env.git(
        env.root(),
        &["config", "--global", "user.signingkey", &eric],
    );
    env.realm_ok(
        env.root(),
        &[
            "init",
            "--name",
            "letemcook",
            "realm.git",
            "--bare",
            "--admission",
            "open",
            "--require-signatures",
        ],
    );
    let realm = env.path("realm.git");
    let alpha = env.code_repo("alpha", &[]);
    env.git(&alpha, &["config", "user.email", "a@example.com"]);
    env.git(&alpha, &["config", "user.signingkey", &alpha_key]);
    env.realm_ok(&alpha, &["join", "../realm.git", "--no-hooks"]);
    env.realm_ok(
        &alpha,
        &["export", "--name", "paths", "--value", "[\"a/*\"]"],
    );
    let beta = env.code_repo("beta", &[]);
    env.git(&beta, &["config", "user.email", "b@example.com"]);
    env.git(&beta, &["config", "user.signingkey", &beta_key]);
    env.realm_ok(&beta, &["join", "../realm.git", "--no-hooks"]);
    env.realm_ok(&alpha, &["fetch"]);
    let r = Realm {
        env,
        realm,
        alpha,
        keys: Vec::new(),
    };
    (gnupg, r, [eric, alpha_key, beta_key])
}

/// Maintainers who sign with OpenPGP keys (git's default `gpg.format`): join records the key
/// (fingerprint and key), git accepts what git-realm signed, the history verifies, and a
/// signature by a key not listed for the author is refused by `verify`, by the verifying fetch
/// and by the pre-receive hook.
#[test]
fn openpgp_signatures_verify_against_the_listed_keys() {
    let (gnupg, r, [eric, alpha_key, beta_key]) = openpgp_realm();
    let (env, realm, alpha) = (&r.env, &r.realm, &r.alpha);
    let mallory = gnupg.key(env, "m@example.com");

    let domain = env.realm_file(realm, "domains/alpha/domain.yaml");
    assert!(
        domain.contains(&format!("- a@example.com openpgp {alpha_key} ")),
        "join records the user's OpenPGP key:\n{domain}"
    );
    assert!(
        env.realm_file(realm, "realm.yaml")
            .contains(&format!("eric@example.com openpgp {eric} ")),
    );

    // git itself accepts every signature git-realm asked it to make.
    let commits = env.git(realm, &["rev-list", "main"]);
    assert_eq!(commits.lines().count(), 4);
    for commit in commits.lines() {
        let out = env
            .git_cmd(realm, &["verify-commit", "--raw", commit])
            .output()
            .unwrap();
        let status = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "git verify-commit {commit}: {status}");
        assert!(status.contains("[GNUPG:] VALIDSIG "), "{status}");
    }
    let report = json(&env.realm_ok(alpha, &["verify", "--json"]));
    assert_eq!(report["violations"], serde_json::json!([]), "{report:#}");
    std::fs::remove_dir_all(alpha.join(".git/realm/verified")).unwrap();
    let cold = json(&env.realm_ok(alpha, &["verify", "--json"]));
    assert_eq!(cold["checked"], 4);
    assert_eq!(cold["violations"], serde_json::json!([]), "{cold:#}");

    let out = env.realm_ok(realm, &["hooks", "install", "--realm"]);
    assert!(out.contains("pre-receive"), "{out}");

    // Signed by an OpenPGP key nobody listed.
    let tamper = tamper_clone(&r);
    env.write(&tamper, &[("domains/alpha/exports.yaml", "exports: []\n")]);
    let bad = forge_openpgp(env, &tamper, "a@example.com", &mallory, "alpha");
    refused_everywhere(&r, &tamper, &bad, false, "wrong-key");
    let out = env
        .realm_std(&r.alpha, &["verify", "--json", &bad])
        .output()
        .unwrap();
    let report = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        report["violations"][0]["key"],
        format!("openpgp {mallory}"),
        "{report:#}"
    );
    // Checked against the realm's keys alone: the user's keyring, which has mallory's key,
    // plays no part.
    assert!(
        report["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("a key the realm does not list"),
        "{report:#}"
    );

    // A forged author: alpha's email, signed with beta's (listed) key.
    let tamper = tamper_clone(&r);
    env.write(&tamper, &[("domains/alpha/exports.yaml", "exports: []\n")]);
    let bad = forge_openpgp(env, &tamper, "a@example.com", &beta_key, "alpha");
    refused_everywhere(&r, &tamper, &bad, false, "wrong-key");

    // An OpenPGP signature that no longer covers the commit.
    let raw = env.git(&tamper, &["cat-file", "commit", &bad]);
    let edited = raw
        .replace("b@example.com", "a@example.com")
        .replace("alpha: change", "alpha: harmless");
    let out = env
        .git_cmd(&tamper, &["hash-object", "-t", "commit", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{edited}\n").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let tampered = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    env.git(&tamper, &["reset", "--quiet", "--hard", &tampered]);
    refused_everywhere(&r, &tamper, &tampered, false, "bad-signature");

    // alpha's own key passes the hook and the verifying fetch.
    let tamper = tamper_clone(&r);
    env.write(&tamper, &[("domains/alpha/exports.yaml", "exports: []\n")]);
    let good = forge_openpgp(env, &tamper, "a@example.com", &alpha_key, "alpha");
    lands(&r, &tamper, &good);
    drop(gnupg);
}

/// A script that runs gpg with `options` before git's arguments, for `gpg.program`: how a
/// signer picks the dates in a signature.
fn gpg_with(env: &TestEnv, name: &str, options: &str) -> String {
    let path = env.path(name);
    std::fs::write(&path, format!("#!/bin/sh\nexec gpg {options} \"$@\"\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path.display().to_string()
}

/// `bad` made the realm's main behind its hook's back: what the verifying fetch says on
/// stderr (the realm is put back afterwards).
fn fetch_refusal(r: &Realm, tamper: &Path, bad: &str) -> String {
    let env = &r.env;
    let good = r.main();
    env.git(
        &r.realm,
        &[
            "fetch",
            "--quiet",
            "--force",
            tamper.to_str().unwrap(),
            &format!("{bad}:refs/heads/main"),
        ],
    );
    let out = env.realm_std(&r.alpha, &["fetch"]).output().unwrap();
    env.git(&r.realm, &["update-ref", "refs/heads/main", &good]);
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// alpha lists `more` OpenPGP keys (fingerprints in the test's keyring) for a@example.com,
/// in a commit signed with `alpha_key` that the realm takes (pushed through its hook).
fn list_for_alpha(r: &Realm, alpha_key: &str, more: &[&str]) {
    use base64::Engine;
    let env = &r.env;
    let listed = |fingerprint: &str| {
        let out = env
            .git_program_cmd(
                "gpg",
                env.root(),
                &[
                    "--batch",
                    "--export",
                    "--export-options",
                    "export-minimal",
                    fingerprint,
                ],
            )
            .output()
            .unwrap();
        assert!(out.status.success() && !out.stdout.is_empty());
        format!(
            "a@example.com openpgp {fingerprint} {}",
            base64::engine::general_purpose::STANDARD.encode(&out.stdout)
        )
    };
    let tamper = tamper_clone(r);
    let domain = std::fs::read_to_string(tamper.join("domains/alpha/domain.yaml")).unwrap();
    let alpha_line = domain
        .lines()
        .find(|l| l.contains(&format!("a@example.com openpgp {alpha_key} ")))
        .unwrap()
        .to_owned();
    let indent = &alpha_line[..alpha_line.find("- ").unwrap()];
    let mut lines = alpha_line.clone();
    for fingerprint in more {
        lines.push_str(&format!("\n{indent}- {}", listed(fingerprint)));
    }
    let domain = domain.replace(&alpha_line, &lines);
    env.write(&tamper, &[("domains/alpha/domain.yaml", &domain)]);
    forge_openpgp(env, &tamper, "a@example.com", alpha_key, "alpha");
    let (code, out) = env.sh_run(&tamper, "git push --quiet origin HEAD:main");
    assert_eq!(code, 0, "{out}");
}

/// `bad`, on top of the realm's main, is signed by an expired OpenPGP key or past the
/// signature's expiry: the pre-receive hook refuses it, and so does the realm's `verify` of it
/// while it is past main. Made the realm's main behind the hook's back, it is history to the
/// realm's own `verify`, which reads the history afresh and cannot tell when it was signed: it
/// passes (the realm is put back afterwards).
fn refused_new_accepted_as_history(r: &Realm, tamper: &Path, bad: &str) {
    let env = &r.env;
    let good = r.main();
    let (code, out) = env.sh_run(tamper, "git push origin HEAD:main");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("[remote rejected]"), "{out}");
    assert!(out.contains("[bad-signature]"), "{out}");
    assert_eq!(r.main(), good, "the realm is unchanged");
    env.git(
        &r.realm,
        &[
            "fetch",
            "--quiet",
            "--force",
            tamper.to_str().unwrap(),
            &format!("{bad}:refs/heads/pending"),
        ],
    );
    let out = env.realm_std(&r.realm, &["verify", bad]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{} [bad-signature]", &bad[..12])),
        "{stdout}"
    );
    env.git(&r.realm, &["update-ref", "refs/heads/main", bad]);
    let report = json(&env.realm_ok(&r.realm, &["verify", "--json"]));
    assert_eq!(report["violations"], serde_json::json!([]), "{report:#}");
    env.git(&r.realm, &["update-ref", "refs/heads/main", &good]);
    env.git(&r.realm, &["update-ref", "-d", "refs/heads/pending"]);
}

/// The dates in a commit and in its signature are the signer's to choose: a signature by an
/// OpenPGP key that has expired proves nothing, however early it says it was made, and neither
/// does a signature past its own expiry. A commit new to the verifier so signed is refused by
/// the pre-receive hook, by the verifying fetch and by `verify`, with what to do about it (a
/// history read afresh takes it: see
/// `openpgp_history_signed_by_a_key_that_expired_since_still_verifies`); the same old dates on
/// a signature by a key that has not expired are fine.
#[test]
fn openpgp_signatures_by_expired_keys_and_expired_signatures_are_refused() {
    let (gnupg, r, [_, alpha_key, _]) = openpgp_realm();
    let env = &r.env;
    env.realm_ok(&r.realm, &["hooks", "install", "--realm"]);
    // Two more keys of a@example.com, made on 2020-01-01: one that expired a year later, one
    // that never expires.
    let in_2020 = ["--faked-system-time", "20200101T000000"];
    let expired = gnupg.key_made(env, "a-expired@example.com", &in_2020, "1y");
    let lasting = gnupg.key_made(env, "a-lasting@example.com", &in_2020, "never");
    // alpha lists them, signing with the key it had: the hook and the fetch take that.
    list_for_alpha(&r, &alpha_key, &[&expired, &lasting]);
    env.realm_ok(&r.alpha, &["fetch"]);

    // Signed as of 2020-06-01 by the key that does not expire: fine.
    let tamper = tamper_clone(&r);
    let june_2020 = gpg_with(env, "gpg-2020", "--faked-system-time 20200601T000000");
    env.write(&tamper, &[("domains/alpha/exports.yaml", "exports: []\n")]);
    let good = forge_openpgp_with(env, &tamper, "a@example.com", &lasting, "alpha", &june_2020);
    lands(&r, &tamper, &good);

    // Signed "on 2020-06-01", while it was still valid, by the key that has expired since: gpg
    // (and gpgv before it) calls that a good signature by an expired key.
    let tamper = tamper_clone(&r);
    let bad = forge_openpgp_with(env, &tamper, "a@example.com", &expired, "alpha", &june_2020);
    let out = env
        .git_cmd(&tamper, &["verify-commit", "--raw", &bad])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stderr);
    assert!(
        status.contains("[GNUPG:] EXPKEYSIG ") && status.contains("[GNUPG:] VALIDSIG "),
        "{status}"
    );
    refused_new_accepted_as_history(&r, &tamper, &bad);
    let why = expired_why(&expired);
    hook_refuses(&r, &tamper, &bad, &why);
    let stderr = fetch_refusal(&r, &tamper, &bad);
    assert!(
        stderr.contains(&format!(
            "refusing the realm `letemcook` as fetched: commit {} breaks rule `bad-signature`: {why}",
            &bad[..12]
        )),
        "{stderr}"
    );
    let out = env.realm_std(&r.alpha, &["verify", &bad]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{} [bad-signature] alpha: {why}", &bad[..12])),
        "{stdout}"
    );

    // Signed by the key that does not expire, with a signature that expired a day after it
    // was made.
    let expiring = gpg_with(
        env,
        "gpg-2020-expiring",
        "--faked-system-time 20200601T000000 --default-sig-expire 1d",
    );
    let tamper = tamper_clone(&r);
    let bad = forge_openpgp_with(env, &tamper, "a@example.com", &lasting, "alpha", &expiring);
    refused_new_accepted_as_history(&r, &tamper, &bad);
    let why = format!(
        "the signature does not verify: made by OpenPGP key {lasting} with an expiry of its own, which has passed (sign anew, without a signature expiry)"
    );
    let stderr = fetch_refusal(&r, &tamper, &bad);
    assert!(stderr.contains(&why), "{stderr}");
    let out = env.realm_std(&r.alpha, &["verify", &bad]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{} [bad-signature] alpha: {why}", &bad[..12])),
        "{stdout}"
    );

    // alpha's own key still writes.
    let tamper = tamper_clone(&r);
    let good = forge_openpgp(env, &tamper, "a@example.com", &alpha_key, "alpha");
    lands(&r, &tamper, &good);
    drop(gnupg);
}

/// A directory holding a `gpgv` that checks as of `time` (gpg's `--faked-system-time`; gpgv has
/// no such option, so gpg itself checks, trusting the keyring as gpgv does): put first on PATH,
/// what the realm's hook or a fetch verifies happens then.
fn gpgv_as_of(env: &TestEnv, name: &str, time: &str) -> String {
    let dir = env.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gpgv");
    // git-realm runs `gpgv --homedir H --status-fd 1 --keyring K SIGNATURE -`.
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nexec gpg --faked-system-time {time} --batch --no-tty --trust-model always --no-default-keyring \"$1\" \"$2\" \"$3\" \"$4\" \"$5\" \"$6\" --verify \"$7\" \"$8\"\n"
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir.display().to_string()
}

/// A commit cannot prove when it was signed, so an OpenPGP key's expiry is judged when a
/// commit is first seen. A commit alpha pushed in 2020 with a key valid until 2021 went
/// through the realm's hook and alpha's fetch then; now that the key has expired, that history
/// still verifies read afresh: a new member joins, `verify` with nothing cached and the realm's
/// own `verify` pass it. A new commit signed by the expired key is still refused: by the hook,
/// and by each member's fetch, which checks only what came since the last commit it verified.
#[test]
fn openpgp_history_signed_by_a_key_that_expired_since_still_verifies() {
    let (gnupg, r, [_, alpha_key, _]) = openpgp_realm();
    let env = &r.env;
    env.realm_ok(&r.realm, &["hooks", "install", "--realm"]);
    let in_2020 = ["--faked-system-time", "20200101T000000"];
    let expiring = gnupg.key_made(env, "a-2020@example.com", &in_2020, "1y");
    list_for_alpha(&r, &alpha_key, &[&expiring]);
    env.realm_ok(&r.alpha, &["fetch"]);

    // 2020-06-01: alpha signs with the key, then valid; the hook and alpha's fetch check it
    // as of then.
    let june_2020 = gpg_with(env, "gpg-2020", "--faked-system-time 20200601T000000");
    let then = gpgv_as_of(env, "gpgv-2020", "20200601T000000");
    let tamper = tamper_clone(&r);
    env.write(&tamper, &[("domains/alpha/exports.yaml", "exports: []\n")]);
    let old = forge_openpgp_with(
        env,
        &tamper,
        "a@example.com",
        &expiring,
        "alpha",
        &june_2020,
    );
    let why = expired_why(&expiring);
    // (Pushed today, the hook refuses it.)
    hook_refuses(&r, &tamper, &old, &why);
    let (code, out) = env.sh_run(
        &tamper,
        &format!("PATH={then}:$PATH git push --quiet origin HEAD:main"),
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(r.main(), old);
    let (code, out) = env.sh_run(&r.alpha, &format!("PATH={then}:$PATH git realm fetch"));
    assert_eq!(code, 0, "{out}");
    let alpha_ref = "refs/realm/letemcook/heads/main";
    assert_eq!(env.git(&r.alpha, &["rev-parse", alpha_ref]), old);

    // Today, more history on top of it, by alpha's lasting key; alpha's fetch checks only that.
    let tamper = tamper_clone(&r);
    let later = forge_openpgp(env, &tamper, "a@example.com", &alpha_key, "alpha");
    let (code, out) = env.sh_run(&tamper, "git push --quiet origin HEAD:main");
    assert_eq!(code, 0, "{out}");
    env.realm_ok(&r.alpha, &["fetch"]);
    assert_eq!(env.git(&r.alpha, &["rev-parse", alpha_ref]), later);
    let report = json(&env.realm_ok(&r.alpha, &["verify", "--json", &old]));
    assert_eq!(report["violations"], serde_json::json!([]), "{report:#}");

    // The history read afresh: a new member joins (its first fetch checks all of it) …
    let gamma_key = gnupg.key(env, "c@example.com");
    let gamma = env.code_repo("gamma", &[]);
    env.git(&gamma, &["config", "user.email", "c@example.com"]);
    env.git(&gamma, &["config", "user.signingkey", &gamma_key]);
    // (git-realm on PATH, for the realm's hook.)
    let (code, out) = env.sh_run(&gamma, "git realm join ../realm.git --no-hooks");
    assert_eq!(code, 0, "{out}");
    let tip = r.main();
    assert_eq!(env.git(&gamma, &["rev-parse", alpha_ref]), tip);
    // … `verify` with nothing cached passes it, up to main and up to that commit …
    std::fs::remove_dir_all(r.alpha.join(".git/realm/verified")).unwrap();
    let report = json(&env.realm_ok(&r.alpha, &["verify", "--json", &old]));
    assert_eq!(report["violations"], serde_json::json!([]), "{report:#}");
    std::fs::remove_dir_all(r.alpha.join(".git/realm/verified")).ok();
    let report = json(&env.realm_ok(&r.alpha, &["verify", "--json"]));
    assert_eq!(report["violations"], serde_json::json!([]), "{report:#}");
    let count = env.git(
        &r.alpha,
        &["rev-list", "--first-parent", "--count", alpha_ref],
    );
    assert_eq!(report["checked"].to_string(), count);
    // … and so does the realm's own.
    let report = json(&env.realm_ok(&r.realm, &["verify", "--json"]));
    assert_eq!(report["violations"], serde_json::json!([]), "{report:#}");
    env.realm_ok(&r.alpha, &["fetch"]);

    // A new commit signed by the expired key, made the realm's main behind the hook's back:
    // each member's fetch checks it as new, and refuses it.
    let tamper = tamper_clone(&r);
    env.write(
        &tamper,
        &[("domains/alpha/exports.yaml", "exports: [] # again\n")],
    );
    let bad = forge_openpgp_with(
        env,
        &tamper,
        "a@example.com",
        &expiring,
        "alpha",
        &june_2020,
    );
    hook_refuses(&r, &tamper, &bad, &why);
    let refusal = format!(
        "refusing the realm `letemcook` as fetched: commit {} breaks rule `bad-signature`: {why}",
        &bad[..12]
    );
    env.git(
        &r.realm,
        &[
            "fetch",
            "--quiet",
            tamper.to_str().unwrap(),
            &format!("{bad}:refs/heads/main"),
        ],
    );
    for member in [&r.alpha, &gamma] {
        let out = env.realm_std(member, &["fetch"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&refusal), "{stderr}");
        assert_eq!(env.git(member, &["rev-parse", alpha_ref]), tip);
    }
    let out = env.realm_std(&r.alpha, &["verify", &bad]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{} [bad-signature] alpha: {why}", &bad[..12])),
        "{stdout}"
    );
    drop(gnupg);
}
