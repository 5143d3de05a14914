//! Realm content is written by other organisations (SPEC 9), and local input can be anything:
//! each case is refused with one `error:` line naming the file or value, a `hint:` line,
//! exit status 2, and the realm, both code repos and the user's index as they were.

use std::path::{Path, PathBuf};

use crate::support::TestEnv;
use crate::support::world::World;

struct Fixture {
    env: TestEnv,
    realm: PathBuf,
    aperture: PathBuf,
    fungal: PathBuf,
}

/// aperture exports `paths`; fungal imports it with the binding `cdk/stack.py`.
fn fixture() -> Fixture {
    let env = TestEnv::new();
    let World {
        realm,
        aperture,
        fungal,
    } = World::two_domains(&env)
        .approval_admission()
        .aperture_files(&[("config/paths.yaml", "read: [a]\n")])
        .export_file("paths", "config/paths.yaml")
        .fungal_files(&[("cdk/stack.py", "policy = ['a']\n")])
        .build();
    Fixture {
        env,
        realm,
        aperture,
        fungal,
    }
}

impl Fixture {
    fn dirs(&self) -> [&Path; 3] {
        [&self.realm, &self.aperture, &self.fungal]
    }

    /// Someone commits `files` (content, or `None` to delete) straight into the realm, and
    /// both domains fetch it: fetching mirrors the realm whatever it holds.
    fn someone_commits(&self, files: &[(&str, Option<&str>)]) {
        for (path, content) in files {
            match content {
                Some(text) => self.env.write(&self.realm, &[(path, text)]),
                None => {
                    let _ = std::fs::remove_file(self.realm.join(path));
                }
            }
        }
        self.env
            .commit_all(&self.realm, "someone edits the realm by hand");
        self.fetch_both();
    }

    fn fetch_both(&self) {
        self.env.realm_ok(&self.aperture, &["fetch"]);
        self.env.realm_ok(&self.fungal, &["fetch"]);
    }

    /// `git realm ARGS` in `dir` is refused: exit `code`, nothing on stdout, one error line
    /// containing `needle` followed by one hint line (after progress notes, if any), and
    /// nothing changed anywhere.
    fn refused_with(&self, code: i32, dir: &Path, args: &[&str], needle: &str) {
        self.env
            .assert_refused(&self.dirs(), code, dir, args, needle);
    }

    fn refused(&self, dir: &Path, args: &[&str], needle: &str) {
        self.refused_with(2, dir, args, needle);
    }

    /// Every command that reads the realm, from both domains, is refused naming `needle`;
    /// the hooks, which never stand in git's way, warn and let git go on.
    fn every_reader_refuses(&self, needle: &str) {
        for (dir, other) in [(&self.aperture, "fungal"), (&self.fungal, "aperture")] {
            for args in [
                &["status"][..],
                &["check"],
                &["graph"],
                &["graph", "--format", "mermaid"],
                &["sync", "--dry-run"],
                &["sync"],
                &["export", "--name", "more", "--value", "1"],
                &["import", "--contract", "paths", "--from", other],
                &["invite", "newcomer"],
                &["approve", "newcomer/join"],
                &["leave", "--force"],
            ] {
                self.refused(dir, args, needle);
            }
            let before = self.env.state_of(&self.dirs());
            let (code, text) = self
                .env
                .sh_run(dir, "git realm hooks run post-merge 0 </dev/null");
            assert_eq!(code, 0, "{text}");
            assert!(
                text.contains("warning: git-realm's post-merge hook did not run")
                    && text.contains(needle),
                "{text}"
            );
            assert_eq!(self.env.state_of(&self.dirs()), before);
        }
    }

    /// Domain `broken`'s files are bad (`needle` says why), and that domain alone is broken:
    /// both domains still read the realm and show it broken, an import from it is broken
    /// with the reason, the broken domain's own writes are refused naming it with nothing
    /// changed, and the hooks never fail.
    fn only_domain_is_broken(&self, broken: &str, needle: &str) {
        for (dir, own, other) in [
            (&self.aperture, "aperture", "fungal"),
            (&self.fungal, "fungal", "aperture"),
        ] {
            let out = self.env.realm_ok(dir, &["status"]);
            assert!(
                out.contains(&format!("domain '{broken}' is broken in the realm: "))
                    && out.contains(needle),
                "{own} status: {out}"
            );
            let out = self.env.realm_ok(dir, &["graph"]);
            assert!(out.contains(needle), "{own} graph: {out}");
            self.env.realm_ok(dir, &["graph", "--format", "dot"]);
            let check = self.env.realm_std(dir, &["check"]).output().unwrap();
            let stdout = String::from_utf8_lossy(&check.stdout);
            assert!(stdout.contains(needle), "{own} check: {stdout}");
            let imports_it = own == "fungal" && broken == "aperture";
            let expected = if own == broken || imports_it { 1 } else { 0 };
            assert_eq!(check.status.code(), Some(expected), "{own} check: {stdout}");
            if imports_it {
                assert!(
                    stdout.contains("broken: import 'paths' from aperture: domain `aperture` is broken in the realm"),
                    "{stdout}"
                );
            }
            if own == broken {
                for args in [
                    &["sync"][..],
                    &["export", "--name", "more", "--value", "1"],
                    &["import", "--contract", "paths", "--from", other],
                    &["leave", "--force"],
                ] {
                    self.refused(dir, args, &format!("domain `{own}` is broken in realm"));
                }
            }
            let before = self.env.state_of(&self.dirs());
            let (code, text) = self
                .env
                .sh_run(dir, "git realm hooks run post-merge 0 </dev/null");
            assert_eq!(code, 0, "{text}");
            assert_eq!(self.env.state_of(&self.dirs()), before);
        }
        // The domain that is not broken still writes to the realm.
        let healthy = if broken == "aperture" {
            &self.fungal
        } else {
            &self.aperture
        };
        self.env
            .realm_ok(healthy, &["export", "--name", "more", "--value", "1"]);
    }
}

#[test]
fn domain_directories_and_domain_files_that_lie() {
    let f = fixture();
    f.someone_commits(&[("domains/fungal/domain.yaml", Some("name: aperture\n"))]);
    f.only_domain_is_broken(
        "fungal",
        "domains/fungal/domain.yaml: names the domain `aperture`, but it is in `domains/fungal/`",
    );

    let f = fixture();
    f.someone_commits(&[("domains/Evil/domain.yaml", Some("name: Evil\n"))]);
    f.only_domain_is_broken(
        "Evil",
        "domains/Evil/domain.yaml: invalid domain name `Evil`",
    );

    let f = fixture();
    f.someone_commits(&[("domains/..x/domain.yaml", Some("name: ..x\n"))]);
    f.only_domain_is_broken("..x", "domains/..x/domain.yaml: invalid domain name `..x`");
}

#[test]
fn exports_declared_twice_or_named_or_versioned_against_the_rules() {
    let exports = |body: &str| format!("exports:\n{body}");
    for (body, needle) in [
        (
            "- {name: paths, version: 1.0.0, value: {read: [a]}}\n- {name: paths, version: 2.0.0, value: {read: [b]}}\n",
            "domains/aperture/exports.yaml: export `paths` is declared twice",
        ),
        (
            "- {name: Paths, version: 1.0.0, value: {read: [a]}}\n",
            "domains/aperture/exports.yaml: invalid export name `Paths`",
        ),
        (
            "- {name: paths, version: latest, value: {read: [a]}}\n",
            "export `paths` has invalid version `latest`",
        ),
    ] {
        let f = fixture();
        f.someone_commits(&[("domains/aperture/exports.yaml", Some(&exports(body)))]);
        f.only_domain_is_broken("aperture", needle);
    }
}

#[test]
fn imports_whose_binding_leaves_the_repository_are_never_shown_as_a_file_to_edit() {
    for binding in [
        "../../etc/passwd",
        "/etc/passwd",
        ".git/config",
        "cdk/../../x",
    ] {
        let f = fixture();
        let imports = f.env.realm_file(&f.realm, "domains/fungal/imports.yaml");
        let imports = imports.replace("binding: cdk/stack.py", &format!("binding: {binding}"));
        // Stale, so that status and sync would show the binding as the file to review.
        let imports = imports.replace("resolved_version: 1.0.0", "resolved_version: 0.9.0");
        f.someone_commits(&[("domains/fungal/imports.yaml", Some(&imports))]);
        f.only_domain_is_broken(
        "fungal",
        &format!(
            "domains/fungal/imports.yaml: import `aperture/paths` has binding `{binding}`, which is not a path inside a repository"
        ));
    }
}

#[test]
fn imports_naming_domains_contracts_and_versions_against_the_rules() {
    let import = |fields: &str| format!("imports:\n- {{{fields}}}\n");
    for (fields, needle) in [
        (
            "contract: paths, from: ../aperture, version: ^1",
            "domains/fungal/imports.yaml: invalid domain name `../aperture`",
        ),
        (
            "contract: 'Paths!', from: aperture, version: ^1",
            "domains/fungal/imports.yaml: invalid contract name `Paths!`",
        ),
        (
            "contract: paths, from: aperture, version: 'any > 1'",
            "import `aperture/paths` has invalid version requirement `any > 1`",
        ),
        (
            "contract: paths, from: aperture, version: ^1, resolved_version: newest",
            "import `aperture/paths` has invalid resolved_version `newest`",
        ),
        (
            // What a hand edit could once get into a graph label; now it never loads.
            "contract: x-1, from: '`legacy` \"0\"', version: '\"q\" <b>1</b> & #35; a|b'",
            "invalid domain name ``legacy` \\\"0\\\"`",
        ),
    ] {
        let f = fixture();
        f.someone_commits(&[("domains/fungal/imports.yaml", Some(&import(fields)))]);
        f.only_domain_is_broken("fungal", needle);
    }
    let f = fixture();
    let twice = "imports:\n- {contract: paths, from: aperture, version: ^1}\n- {contract: paths, from: aperture, version: ^1, status: stale}\n";
    f.someone_commits(&[("domains/fungal/imports.yaml", Some(twice))]);
    f.only_domain_is_broken("fungal", "import `aperture/paths` is declared twice");
}

#[test]
fn realm_files_too_big_or_expanding_without_bound() {
    let f = fixture();
    let big = format!("exports: []\npad: \"{}\"\n", "x".repeat(1024 * 1024));
    f.someone_commits(&[("domains/aperture/exports.yaml", Some(&big))]);
    f.only_domain_is_broken(
        "aperture",
        "domains/aperture/exports.yaml: file is 1048596 bytes, more than the 1 MiB",
    );

    // Padding raises the YAML parser's own alias limit (a hundred jumps per event) far
    // enough for this to expand to a hundred million values; it is refused at once.
    let f = fixture();
    let mut bomb = String::from("exports: []\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let stars = format!("*a{}, ", i - 1).repeat(10);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", stars.trim_end_matches(", ")));
    }
    bomb.push_str(&format!("pad: [{}]\n", "1,".repeat(200_000)));
    f.someone_commits(&[("domains/aperture/exports.yaml", Some(&bomb))]);
    f.only_domain_is_broken(
        "aperture",
        "domains/aperture/exports.yaml: YAML aliases expand to more than",
    );
}

#[test]
fn symlinks_and_submodules_committed_into_the_realm_are_not_realm_files() {
    let f = fixture();
    std::fs::remove_file(f.realm.join("domains/fungal/imports.yaml")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", f.realm.join("domains/fungal/imports.yaml")).unwrap();
    f.env.commit_all(&f.realm, "imports as a symlink");
    f.fetch_both();
    // Not mistaken for "fungal imports nothing", which would let aperture leave freely.
    f.only_domain_is_broken(
        "fungal",
        "realm file `domains/fungal/imports.yaml` is a symlink, not a regular file",
    );
    f.refused_with(
        1,
        &f.aperture,
        &["leave"],
        "cannot tell whether broken domains import from `aperture`: fungal",
    );

    let f = fixture();
    let commit = f.env.git(&f.realm, &["rev-parse", "HEAD"]);
    f.env.git(
        &f.realm,
        &["rm", "--quiet", "domains/aperture/exports.yaml"],
    );
    f.env.git(
        &f.realm,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{commit},domains/aperture/exports.yaml"),
        ],
    );
    f.env.git(
        &f.realm,
        &["commit", "--quiet", "-m", "exports as a submodule"],
    );
    f.fetch_both();
    f.only_domain_is_broken(
        "aperture",
        "realm file `domains/aperture/exports.yaml` is a submodule, not a regular file",
    );
}

#[test]
fn a_realm_without_governance_is_not_given_a_guessed_one() {
    let f = fixture();
    f.someone_commits(&[("realm.yaml", Some("name: letemcook\n"))]);
    f.every_reader_refuses("realm.yaml: invalid YAML at line 1: missing field `governance`");

    // Approvers listed as none: the hint says so rather than naming nobody.
    let f = fixture();
    f.someone_commits(&[(
        "realm.yaml",
        Some("name: letemcook\ngovernance: {admission: approval, approvers: []}\n"),
    )]);
    f.refused_with(
        1,
        &f.aperture,
        &["invite", "newcomer"],
        "`eric@example.com` is not an approver of realm `letemcook`",
    );
    let out = f
        .env
        .realm_std(&f.aperture, &["invite", "newcomer"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("hint: the realm lists no approvers: add one under `governance.approvers`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn text_in_realm_files_cannot_forge_error_lines_or_drive_the_terminal() {
    let f = fixture();
    f.someone_commits(&[(
        "realm.yaml",
        Some("name: letemcook\ngovernance:\n  admission: \"open\\nerror: forged\\n\\e[31mred\"\n"),
    )]);
    f.every_reader_refuses("unknown variant `open\\nerror: forged\\n\\u{1b}[31mred`");

    // Human output too: a changelog line written by aperture reaches fungal's terminal.
    let f = fixture();
    let exports = f.env.realm_file(&f.realm, "domains/aperture/exports.yaml");
    let exports = exports
        .replace("version: 1.0.0\n  value", "version: 1.1.0\n  value")
        .replace(
            "  changelog:\n",
            "  changelog:\n  - version: 1.1.0\n    date: 2026-01-24\n    changes:\n    - \"\\e[2J\\e]0;owned\\aAdded b\"\n",
        );
    f.someone_commits(&[("domains/aperture/exports.yaml", Some(&exports))]);
    let status = f.env.realm_ok(&f.fungal, &["status"]);
    assert!(
        status.contains("    \\u{1b}[2J\\u{1b}]0;owned\\u{7}Added b\n") && !status.contains('\x1b'),
        "{status}"
    );
}

#[test]
fn a_realm_whose_main_branch_is_gone_keeps_what_was_fetched_last() {
    let f = fixture();
    f.env.git(&f.realm, &["checkout", "--quiet", "-b", "trunk"]);
    f.env.git(&f.realm, &["branch", "--quiet", "-D", "main"]);
    for args in [
        &["fetch"][..],
        &["sync"],
        &["export", "--name", "x", "--value", "1"],
    ] {
        f.refused(&f.fungal, args, "realm `../realm` has no branch `main`");
    }
    // The last fetched state is still there to read.
    f.env.realm_ok(&f.fungal, &["status"]);
    assert_eq!(
        f.env.git(
            &f.fungal,
            &["for-each-ref", "--format=%(refname)", "refs/realm/"]
        ),
        "refs/realm/letemcook/heads/main"
    );
}

#[test]
fn a_realm_that_cannot_be_fetched_is_one_line_and_a_hint() {
    let f = fixture();
    let config = f.fungal.join(".realm/config.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("url: ../realm", "url: ../gone")).unwrap();
    for args in [&["fetch"][..], &["sync"], &["leave"]] {
        f.refused(
            &f.fungal,
            args,
            "failed to fetch realm `letemcook` from `../gone`: git fetch: fatal: ",
        );
    }
    let unreachable = text.replace("url: ../realm", "url: 'https://127.0.0.1:9/realm.git'");
    std::fs::write(&config, unreachable).unwrap();
    f.refused(
        &f.fungal,
        &["fetch"],
        "failed to fetch realm `letemcook` from `https://127.0.0.1:9/realm.git`",
    );
}

#[test]
fn a_realm_branch_that_is_no_branch_name() {
    // It goes into a refspec: `main:refs/heads/x` would push somewhere else entirely.
    let f = fixture();
    let config = f.fungal.join(".realm/config.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "url: ../realm",
            "url: ../realm\n  branch: 'main:refs/heads/x'",
        ),
    )
    .unwrap();
    f.refused(
        &f.fungal,
        &["fetch"],
        ".realm/config.yaml: invalid realm branch `main:refs/heads/x`",
    );
}

#[test]
fn writes_that_would_leave_the_realm_unreadable_are_refused() {
    let f = fixture();
    // JSON allows 128 levels, YAML as the realm reads it fewer: written, it would stop
    // every domain from reading the realm.
    let deep = format!("{}{}", "[".repeat(127), "]".repeat(127));
    f.refused(
        &f.aperture,
        &["export", "--name", "deep", "--value", &deep],
        "refusing to write the realm, it would become unreadable: domains/aperture/exports.yaml: invalid YAML",
    );
    // Under 1 MiB as JSON, over it as YAML.
    let wide = format!("[{}\"a\"]", "\"a\",".repeat(240_000));
    f.env.write(&f.aperture, &[("wide.json", &wide)]);
    f.env.commit_all(&f.aperture, "a wide value");
    f.refused(
        &f.aperture,
        &["export", "--name", "wide", "--file", "wide.json"],
        "it would become unreadable: domains/aperture/exports.yaml: file is",
    );
}

#[test]
fn no_command_follows_a_symlink_out_of_the_repository() {
    let f = fixture();
    f.env
        .write(f.env.root(), &[("outside/x.yaml", "read: [secret]\n")]);
    let a = &f.aperture;
    std::os::unix::fs::symlink("../outside", a.join("sub")).unwrap();
    std::os::unix::fs::symlink("config/paths.yaml", a.join("link.yaml")).unwrap();
    f.env.commit_all(a, "links");
    f.refused(
        a,
        &["export", "--name", "x", "--file", "sub/x.yaml"],
        "file `sub/x.yaml` is reached through the symlink `sub`",
    );
    f.refused(
        a,
        &["export", "--name", "x", "--file", "link.yaml"],
        "file `link.yaml` is reached through the symlink `link.yaml`",
    );
    f.refused(
        a,
        &[
            "export",
            "--name",
            "x",
            "--value",
            "1",
            "--schema",
            "sub/x.yaml",
        ],
        "reached through the symlink `sub`",
    );
    std::os::unix::fs::symlink("../outside", f.fungal.join("ext")).unwrap();
    f.refused(
        &f.fungal,
        &[
            "import",
            "--contract",
            "paths",
            "--from",
            "aperture",
            "--binding",
            "ext/x.yaml",
        ],
        "binding `ext/x.yaml` is reached through the symlink `ext`",
    );

    // An export source in .realm/config.yaml that leads through a link is not read from the
    // working tree (and at a commit a link is not a file).
    let config = a.join(".realm/config.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}- name: leak\n  file: sub/x.yaml\n")).unwrap();
    for args in [&["status"][..], &["check", "--worktree"]] {
        f.refused(
            a,
            args,
            "export `leak` reads `sub/x.yaml`, which is reached through the symlink `sub`",
        );
    }
    f.refused(
        a,
        &["check"],
        "export `leak` reads `sub/x.yaml`, which does not exist here",
    );
    std::fs::write(&config, &text).unwrap();

    // .realm itself as a link: neither read nor written through.
    let fresh = f.env.code_repo("fresh", &[]);
    std::fs::create_dir(f.env.path("elsewhere")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", fresh.join(".realm")).unwrap();
    f.refused(
        &fresh,
        &["join", "../realm"],
        "`.realm` is a symlink: git-realm does not follow it",
    );
    assert!(
        std::fs::read_dir(f.env.path("elsewhere"))
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn files_that_are_not_files_or_are_too_big() {
    let f = fixture();
    let a = &f.aperture;
    f.refused(
        a,
        &["export", "--name", "x", "--file", "config"],
        "`config` is not a regular file",
    );
    f.env.write(
        a,
        &[("big.json", &format!("\"{}\"", "x".repeat(1024 * 1024)))],
    );
    f.refused(
        a,
        &["export", "--name", "x", "--file", "big.json"],
        "big.json: file is 1048578 bytes, more than the 1 MiB",
    );
    f.env.write(a, &[("schema.json", "{\"type\": 12}")]);
    f.refused(
        a,
        &[
            "export",
            "--name",
            "x",
            "--value",
            "1",
            "--schema",
            "schema.json",
        ],
        "the schema of export `aperture/x` is not a valid JSON Schema",
    );
    let empty = f.env.path("empty");
    std::fs::create_dir(&empty).unwrap();
    f.env.git(&empty, &["init", "--quiet"]);
    f.env.realm_ok(&empty, &["join", "../realm", "--no-hooks"]);
    let before = f.env.state_of(&[&empty]);
    let out = f
        .env
        .realm_std(&empty, &["export", "--name", "x", "--detect"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: this repository has no commit yet\nhint: commit the code the export is computed from first\n"
    );
    assert_eq!(f.env.state_of(&[&empty]), before);
}

#[test]
fn malformed_environment_and_proposal_names() {
    let f = fixture();
    let before = f.env.state_of(&f.dirs());
    let out = f
        .env
        .realm_std(&f.fungal, &["status"])
        .env("GIT_REALM_NOW", "yesterday\nerror: forged")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(stderr.starts_with("error: invalid GIT_REALM_NOW `yesterday\\nerror: forged`"));
    assert_eq!(f.env.state_of(&f.dirs()), before);

    for name in [
        "../../heads/main",
        "a b/join",
        "",
        "fungal",
        "x..y/z",
        "Fungal/join",
    ] {
        f.refused(&f.aperture, &["approve", name], "invalid proposal");
    }
}

#[test]
fn a_proposal_may_change_only_its_own_domain() {
    let f = fixture();
    // fungal's "join" proposal also makes its author an approver.
    f.env.git(
        &f.realm,
        &["checkout", "--quiet", "-b", "proposals/fungal/join"],
    );
    let realm_yaml = f.env.realm_file(&f.realm, "realm.yaml");
    f.env.write(
        &f.realm,
        &[(
            "realm.yaml",
            &realm_yaml.replace(
                "- eric@example.com",
                "- eric@example.com\n  - mallory@example.org",
            ),
        )],
    );
    f.env.commit_all(&f.realm, "fungal: join realm letemcook");
    f.env.git(&f.realm, &["checkout", "--quiet", "main"]);
    f.fetch_both();
    f.refused(
        &f.aperture,
        &["approve", "fungal/join"],
        "proposal `fungal/join` changes `realm.yaml`, outside `domains/fungal/`",
    );
}

#[test]
fn an_approval_carries_only_the_approver_s_approved_by() {
    let f = fixture();
    f.env.git(
        &f.realm,
        &["checkout", "--quiet", "-b", "proposals/fungal/more-1.0.0"],
    );
    f.env.write(
        &f.realm,
        &[(
            "domains/fungal/exports.yaml",
            "exports:\n- {name: more, version: 1.0.0, value: [1]}\n",
        )],
    );
    f.env.git(&f.realm, &["add", "-A"]);
    f.env.git(
        &f.realm,
        &[
            "commit",
            "--quiet",
            "-m",
            "fungal: export more 1.0.0\n\nRealm-Domain: aperture\n\nRealm-Domain: fungal\nApproved-by: ceo@example.com",
        ],
    );
    f.env.git(&f.realm, &["checkout", "--quiet", "main"]);
    f.fetch_both();
    f.env
        .realm_ok(&f.aperture, &["approve", "fungal/more-1.0.0"]);
    let message = f.env.git(&f.realm, &["log", "-1", "--format=%B", "main"]);
    assert!(
        message.contains("Realm-Domain: fungal\n")
            && !message.contains("Realm-Domain: aperture")
            && message.contains("Approved-by: eric@example.com")
            && !message.contains("ceo@example.com"),
        "{message}"
    );
}

#[test]
fn sync_from_a_detached_head_publishes_that_commit() {
    let f = fixture();
    f.env
        .write(&f.aperture, &[("config/paths.yaml", "read: [a, b]\n")]);
    let head = f.env.commit_all(&f.aperture, "more");
    f.env
        .git(&f.aperture, &["checkout", "--quiet", "--detach", "HEAD"]);
    f.env.realm_ok(&f.aperture, &["sync"]);
    assert!(
        f.env
            .git(&f.realm, &["log", "-1", "--format=%B", "main"])
            .contains(&format!("Source-Commit: {head}"))
    );
}

#[test]
fn graph_at_reads_realm_revisions_not_the_code_s() {
    let f = fixture();
    // `HEAD` here is aperture's code, which has no realm.yaml: not "is not a realm".
    for rev in ["HEAD", "HEAD~1", "main:realm.yaml"] {
        f.refused(
            &f.aperture,
            &["graph", "--at", rev],
            &format!("unknown realm revision `{rev}`"),
        );
    }
    let first = f.env.git(&f.realm, &["rev-parse", "main~3"]);
    for rev in ["main~3", &first[..10], first.as_str()] {
        assert_eq!(
            f.env.realm_ok(&f.aperture, &["graph", "--at", rev]),
            "realm letemcook\n  aperture\n"
        );
    }
}

#[test]
fn a_broken_user_index_stops_join_and_leave_before_the_realm_changes() {
    let f = fixture();
    f.env.write(
        f.env.root(),
        &[("home/.config/git-realm/index.yaml", "realms: [\n")],
    );
    let newbie = f.env.code_repo("newbie", &[]);
    let needle = "git-realm/index.yaml: invalid YAML at line 2";
    f.refused(&newbie, &["join", "../realm", "--no-hooks"], needle);
    assert!(!newbie.join(".realm").exists());
    f.refused(&f.aperture, &["leave", "--force"], needle);
    f.refused(&f.aperture, &["list"], needle);
}

#[test]
fn a_maintainer_that_would_write_its_own_codeowners_line() {
    // CODEOWNERS is rebuilt from every domain's maintainers on join, leave and approve: a
    // newline in one would give its author a line of their own, owning realm.yaml.
    let f = fixture();
    let domain = f.env.realm_file(&f.realm, "domains/fungal/domain.yaml");
    let domain = domain.replace(
        "- eric@example.com",
        "- \"eric@example.com\\n/realm.yaml @mallory\"",
    );
    f.someone_commits(&[("domains/fungal/domain.yaml", Some(&domain))]);
    f.only_domain_is_broken(
        "fungal",
        "domains/fungal/domain.yaml: invalid maintainer `eric@example.com\\n/realm.yaml @mallory`",
    );
    // Another domain joins meanwhile: fungal's line stays as it was, mallory gets none.
    let fresh = f.env.code_repo("fresh", &[]);
    f.env.realm_ok(&fresh, &["join", "../realm"]);
    let owners = f.env.realm_file(&f.realm, ".github/CODEOWNERS");
    assert!(!owners.contains("mallory"), "{owners}");
    assert!(
        owners.contains("/domains/fungal/ eric@example.com\n/domains/fresh/")
            || owners
                .contains("/domains/fresh/ eric@example.com\n/domains/fungal/ eric@example.com"),
        "{owners}"
    );
}

#[test]
fn a_push_the_realm_s_server_refuses_says_what_it_said() {
    let f = fixture();
    let hook = f.realm.join(".git/hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'denied by policy' >&2\nexit 1\n").unwrap();
    let mut perms = std::fs::metadata(&hook).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&hook, perms).unwrap();
    f.refused(
        &f.aperture,
        &["export", "--name", "x", "--value", "1"],
        "the realm refused the push to `main`: pre-receive hook declined",
    );
    let out = f
        .env
        .realm_std(&f.aperture, &["export", "--name", "x", "--value", "1"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("pre-receive hook declined (its server said: denied by policy)\n"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn join_does_not_publish_the_credentials_in_the_origin_url() {
    // CI clones with the token in the URL; the realm is read by other organisations.
    let f = fixture();
    let ci = f.env.code_repo("ci", &[]);
    f.env.git(
        &ci,
        &[
            "remote",
            "set-url",
            "origin",
            "https://x-access-token:ghs_S3cret@github.com/org/ci.git",
        ],
    );
    f.env.realm_ok(&ci, &["join", "../realm", "--no-hooks"]);
    let domain = f.env.realm_file(&f.realm, "domains/ci/domain.yaml");
    assert!(
        domain.contains("repo_url: https://github.com/org/ci.git\n") && !domain.contains("S3cret"),
        "{domain}"
    );
}

#[test]
fn a_proposal_that_changes_nothing_or_has_no_parent() {
    let f = fixture();
    // fungal's last realm commit, proposed again: the realm already holds it.
    f.env
        .git(&f.realm, &["branch", "proposals/fungal/again", "main"]);
    let root = f
        .env
        .git(&f.realm, &["rev-list", "--max-parents=0", "main"]);
    f.env
        .git(&f.realm, &["branch", "proposals/fungal/orphan", &root]);
    f.fetch_both();
    f.refused(
        &f.aperture,
        &["approve", "fungal/again"],
        "proposal `fungal/again` changes nothing",
    );
    f.refused(
        &f.aperture,
        &["approve", "fungal/orphan"],
        "proposal `fungal/orphan` has no parent commit",
    );
}
