//! The test environment: isolated HOME and git config, fixed identities and advancing dates,
//! real git repositories in a temporary directory, and the real binary.

#![allow(dead_code)]

pub mod fake_forgejo;
pub mod fake_github;
pub mod fake_gitlab;
pub mod loopback;
pub mod world;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use snapbox::cmd::{Command, cargo_bin};
use snapbox::{Assert, Redactions};

pub const NOW: &str = "2026-01-24T10:00:00Z";

/// The object format the repositories a test makes use: git's default, or SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectFormat {
    Sha1,
    Sha256,
}

impl ObjectFormat {
    /// The name `git init --object-format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectFormat::Sha1 => "sha1",
            ObjectFormat::Sha256 => "sha256",
        }
    }

    /// The length of an object id in hex.
    pub fn hex_len(self) -> usize {
        match self {
            ObjectFormat::Sha1 => 40,
            ObjectFormat::Sha256 => 64,
        }
    }

    /// The all-zero id git uses for a ref that does not exist (as in a pre-push hook's stdin).
    pub fn zero_id(self) -> String {
        "0".repeat(self.hex_len())
    }
}

pub struct TestEnv {
    tmp: tempfile::TempDir,
    root: PathBuf,
    ticks: Cell<u32>,
    /// The format of the repositories the fixture builders make.
    format: Cell<ObjectFormat>,
    /// A directory put first on PATH, holding the `git` every process runs (see [`gits`]).
    git_bin: Option<PathBuf>,
}

impl TestEnv {
    /// An environment of SHA-1 repositories, or of SHA-256 ones when
    /// `GIT_REALM_TEST_OBJECT_FORMAT=sha256` (so that the whole suite runs in either).
    pub fn new() -> TestEnv {
        Self::with_format(
            match std::env::var("GIT_REALM_TEST_OBJECT_FORMAT").as_deref() {
                Ok("sha256") => ObjectFormat::Sha256,
                _ => ObjectFormat::Sha1,
            },
        )
    }

    /// A test environment whose fixture builders make `format` repositories.
    pub fn with_format(format: ObjectFormat) -> TestEnv {
        let tmp = tempfile::Builder::new()
            .prefix("git-realm-test")
            .tempdir()
            .expect("temp dir");
        let root = std::fs::canonicalize(tmp.path()).expect("canonical temp dir");
        std::fs::create_dir_all(root.join("home/.config")).expect("home");
        let env = TestEnv {
            tmp,
            root,
            ticks: Cell::new(0),
            format: Cell::new(format),
            git_bin: None,
        };
        for (key, value) in [
            ("user.name", "Eric Example"),
            ("user.email", "eric@example.com"),
            ("init.defaultBranch", "main"),
            ("commit.gpgsign", "false"),
            ("tag.gpgsign", "false"),
            ("protocol.file.allow", "always"),
        ] {
            env.git(&env.root, &["config", "--global", key, value]);
        }
        env
    }

    /// Run `program` (one of [`gits`]) as `git` from now on: in git-realm, its hooks and the
    /// test's own git commands.
    pub fn using_git(mut self, program: &str) -> TestEnv {
        let dir = self.root.join("git-bin");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::os::unix::fs::symlink(program, dir.join("git")).expect("symlink git");
        self.git_bin = Some(dir);
        self
    }

    /// PATH for every process: the chosen git first, then the test's own PATH.
    fn path_var(&self) -> String {
        let path = std::env::var("PATH").unwrap_or_default();
        match &self.git_bin {
            Some(dir) => format!("{}:{path}", dir.display()),
            None => path,
        }
    }

    /// The format of the repositories the fixture builders make.
    pub fn format(&self) -> ObjectFormat {
        self.format.get()
    }

    /// Make the next fixtures `format` repositories.
    pub fn set_format(&self, format: ObjectFormat) {
        self.format.set(format);
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn tick(&self) -> String {
        let t = self.ticks.get() + 1;
        self.ticks.set(t);
        format!("{} +0000", 1_769_248_800 + u64::from(t) * 60)
    }

    /// The isolated environment every process in a test runs with.
    pub fn vars(&self) -> Vec<(String, String)> {
        let date = self.tick();
        let path = self.path_var();
        vec![
            ("PATH".into(), path),
            ("HOME".into(), self.root.join("home").display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                self.root.join("home/.config").display().to_string(),
            ),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            (
                "GIT_CONFIG_GLOBAL".into(),
                self.root.join("home/.gitconfig").display().to_string(),
            ),
            ("GIT_AUTHOR_DATE".into(), date.clone()),
            ("GIT_COMMITTER_DATE".into(), date),
            ("GIT_TERMINAL_PROMPT".into(), "0".into()),
            ("GIT_REALM_NOW".into(), NOW.into()),
            ("TZ".into(), "UTC".into()),
            ("LC_ALL".into(), "C".into()),
            ("NO_COLOR".into(), "1".into()),
            // git's default object format (which git 3 changes) is the environment's.
            ("GIT_DEFAULT_HASH".into(), self.format().as_str().into()),
        ]
    }

    /// `git realm ARGS` in `dir`, as a snapbox command with `[ROOT]` redacted.
    pub fn realm(&self, dir: impl AsRef<Path>, args: &[&str]) -> Command {
        let mut redactions = Redactions::new();
        redactions
            .insert("[ROOT]", self.root.clone())
            .expect("redaction");
        redactions
            .insert(
                "[HASH]",
                regex::Regex::new(r"\b(?<redacted>[0-9a-f]{7,64})\b").expect("regex"),
            )
            .expect("redaction");
        let mut cmd = Command::new(cargo_bin!("git-realm"))
            .with_assert(
                Assert::new()
                    .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
                    .redact_with(redactions),
            )
            .env_clear()
            .current_dir(dir.as_ref())
            .args(args);
        for (k, v) in self.vars() {
            cmd = cmd.env(k, v);
        }
        cmd
    }

    /// `git realm ARGS` in `dir` as a std command (for tests that need the raw output).
    pub fn realm_std(&self, dir: impl AsRef<Path>, args: &[&str]) -> StdCommand {
        let mut cmd = StdCommand::new(cargo_bin!("git-realm"));
        cmd.env_clear()
            .envs(self.vars())
            .current_dir(dir.as_ref())
            .args(args);
        cmd
    }

    /// Run `git realm ARGS` in `dir`; panic unless it succeeds. Returns stdout.
    pub fn realm_ok(&self, dir: impl AsRef<Path>, args: &[&str]) -> String {
        let out = self.realm_std(dir, args).output().expect("run git-realm");
        assert!(
            out.status.success(),
            "git realm {args:?} failed with {}:\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// A `git` command in `dir` with the test environment.
    pub fn git_cmd(&self, dir: impl AsRef<Path>, args: &[&str]) -> StdCommand {
        match &self.git_bin {
            Some(bin) => self.git_program_cmd(bin.join("git").to_str().expect("utf-8"), dir, args),
            None => self.git_program_cmd("git", dir, args),
        }
    }

    /// `program` (a git other than the first on PATH, see [`gits`]) in `dir` with the test
    /// environment.
    pub fn git_program_cmd(
        &self,
        program: &str,
        dir: impl AsRef<Path>,
        args: &[&str],
    ) -> StdCommand {
        let mut cmd = StdCommand::new(program);
        cmd.env_clear()
            .envs(self.vars())
            .current_dir(dir.as_ref())
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Run `sh -c SCRIPT` as [`TestEnv::sh`] does; its exit code and its stdout and stderr
    /// together (git shows hook output on stderr).
    pub fn sh_run(&self, dir: impl AsRef<Path>, script: &str) -> (i32, String) {
        let out = self.sh(dir, script).output().expect("run sh");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }

    /// `sh -c SCRIPT` in `dir` with the test environment and `git-realm` first on PATH, as
    /// git finds it for `git realm` and for hooks.
    pub fn sh(&self, dir: impl AsRef<Path>, script: &str) -> StdCommand {
        let bin_dir = Path::new(cargo_bin!("git-realm"))
            .parent()
            .expect("bin dir")
            .to_owned();
        let mut cmd = StdCommand::new("sh");
        cmd.env_clear()
            .envs(self.vars())
            .current_dir(dir.as_ref())
            .args(["-c", script]);
        let path = format!("{}:{}", bin_dir.display(), self.path_var());
        cmd.env("PATH", path).stdin(Stdio::null());
        cmd
    }

    /// Run git; panic unless it succeeds. Returns stdout without the final newline.
    pub fn git(&self, dir: impl AsRef<Path>, args: &[&str]) -> String {
        let out = self.git_cmd(dir, args).output().expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .trim_end_matches('\n')
            .to_owned()
    }

    /// Write files under `dir` (creating directories).
    pub fn write(&self, dir: impl AsRef<Path>, files: &[(&str, &str)]) {
        for (rel, content) in files {
            let path = dir.as_ref().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, content).expect("write");
        }
    }

    /// Copy the directory tree `from` into `to`.
    /// `aperture`: the repository of tests/fixtures/aperture (real-shaped code using S3
    /// paths), committed, with an `origin`.
    pub fn aperture_repo(&self) -> PathBuf {
        let aperture = self.path("aperture");
        self.copy_tree(
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/aperture"
            )),
            &aperture,
        );
        self.init(&aperture, false);
        self.add_origin(&aperture, "aperture");
        self.commit_all(&aperture, "aperture");
        aperture
    }

    pub fn copy_tree(&self, from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read dir") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("type").is_dir() {
                self.copy_tree(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
    }

    /// `git init` an empty repository at `dir` in the environment's object format.
    pub fn init(&self, dir: impl AsRef<Path>, bare: bool) {
        let dir = dir.as_ref().to_str().expect("utf-8");
        let format = format!("--object-format={}", self.format().as_str());
        let mut args = vec!["init", "--quiet", &format];
        if bare {
            args.push("--bare");
        }
        args.push(dir);
        self.git(self.root(), &args);
    }

    /// Give the repository `dir` a bare `origin` remote at `remotes/<name>.git`.
    pub fn add_origin(&self, dir: &Path, name: &str) -> PathBuf {
        let origin = self.path(&format!("remotes/{name}.git"));
        self.init(&origin, true);
        self.git(
            dir,
            &["remote", "add", "origin", origin.to_str().expect("utf-8")],
        );
        origin
    }

    /// A new code repository `name` with `files` committed, and a bare `origin` remote.
    pub fn code_repo(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.path(name);
        self.init(&dir, false);
        self.add_origin(&dir, name);
        self.write(&dir, files);
        if files.is_empty() {
            self.write(&dir, &[("README", "hello\n")]);
        }
        self.commit_all(&dir, "initial commit");
        dir
    }

    pub fn commit_all(&self, dir: impl AsRef<Path>, message: &str) -> String {
        self.git(&dir, &["add", "-A"]);
        self.git(&dir, &["commit", "--quiet", "-m", message]);
        self.git(&dir, &["rev-parse", "HEAD"])
    }

    /// A realm created by `git realm init` at `name` (non-bare unless `bare`). In SHA-256,
    /// made into a realm from an empty repository `git init --object-format=sha256` made.
    pub fn realm_repo(&self, name: &str, bare: bool, extra: &[&str]) -> PathBuf {
        let mut args = vec!["init", "--name", "letemcook", name];
        if self.format() != ObjectFormat::Sha1 {
            self.init(self.path(name), bare);
        } else if bare {
            args.push("--bare");
        }
        args.extend_from_slice(extra);
        self.realm_ok(self.root(), &args);
        self.path(name)
    }

    /// A file at the tip of a realm's main branch.
    pub fn realm_file(&self, realm: impl AsRef<Path>, path: &str) -> String {
        self.git(realm, &["show", &format!("main:{path}")])
    }

    /// Everything a failed command must leave as it was: refs, index and worktree state,
    /// `.realm/`, and the user's index of realms.
    pub fn state_of(&self, dirs: &[&Path]) -> String {
        let mut out = String::new();
        for dir in dirs {
            out.push_str(&format!("== {}\n", dir.display()));
            out.push_str(&self.git(dir, &["for-each-ref", "--format=%(refname) %(objectname)"]));
            out.push('\n');
            if self.git(dir, &["rev-parse", "--is-bare-repository"]) == "false" {
                out.push_str(&self.git(
                    dir,
                    &[
                        "status",
                        "--porcelain",
                        "--ignored",
                        "--untracked-files=all",
                    ],
                ));
                out.push('\n');
                if let Ok(config) = std::fs::read_to_string(dir.join(".realm/config.yaml")) {
                    out.push_str(&config);
                }
            }
        }
        if let Ok(index) = std::fs::read_to_string(self.path("home/.config/git-realm/index.yaml")) {
            out.push_str(&index);
        }
        out
    }
}

/// The git programs on the machine that git-realm's output must satisfy: the newer git first
/// on PATH and Debian's own, each one that is installed.
pub fn gits() -> Vec<&'static str> {
    ["/usr/local/bin/git", "/usr/bin/git"]
        .into_iter()
        .filter(|p| Path::new(p).exists())
        .collect()
}

impl TestEnv {
    /// `git realm ARGS` in `dir` is refused: exit `code`, nothing on stdout, one `error:` line
    /// containing `needle` followed by one `hint:` line (after progress notes, if any), and
    /// `dirs` and the user's index exactly as they were.
    pub fn assert_refused(
        &self,
        dirs: &[&Path],
        code: i32,
        dir: &Path,
        args: &[&str],
        needle: &str,
    ) {
        let before = self.state_of(dirs);
        let out = self.realm_std(dir, args).output().expect("run git-realm");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "{args:?} printed a result: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.starts_with("Syncing with realm"))
            .collect();
        assert_eq!(
            lines.len(),
            2,
            "{args:?}: one error line and one hint:\n{stderr}"
        );
        assert!(
            lines[0].starts_with("error: ") && lines[0].contains(needle),
            "{args:?}: expected {needle:?} in:\n{stderr}"
        );
        assert!(
            lines[1].starts_with("hint: ") && lines[1].len() > "hint: ".len() + 10,
            "{args:?}: {stderr}"
        );
        assert_eq!(self.state_of(dirs), before, "{args:?} changed something");
    }
}

/// Parse JSON stdout.
pub fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}
