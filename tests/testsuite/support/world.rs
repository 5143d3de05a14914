//! The RFC's two-domain world, built the way a user would: a realm, aperture that joins it and
//! exports a contract, and fungal that joins and imports it, each step by the real binary.
//!
//! ```ignore
//! let env = TestEnv::new();
//! let World { realm, aperture, fungal } = World::two_domains(&env)
//!     .fungal_email("ops@fungal.example")
//!     .build();
//! ```
//!
//! Every option only changes an argument or skips a step; the commands run in one order, so a
//! world built here has the same commits and dates as the same steps typed out in a test.

use std::path::PathBuf;

use super::TestEnv;

/// aperture's S3 paths, the value of `required-s3-permissions` at 1.0.0 by default.
pub const PATHS_V1: &str = "read:\n- jobs/*\n- training-metrics/*\nwrite:\n- training-metrics/*\n";

/// The repositories of a two-domain world.
pub struct World {
    /// The realm, a non-bare repository at `realm`.
    pub realm: PathBuf,
    /// The providing domain, at `aperture`.
    pub aperture: PathBuf,
    /// The consuming domain, at `fungal`.
    pub fungal: PathBuf,
}

/// Where aperture's export takes its value from.
enum Source<'a> {
    File(&'a str),
    Value(&'a str),
}

/// The steps [`World::two_domains`] takes, with what tests vary.
pub struct TwoDomains<'a> {
    env: &'a TestEnv,
    realm_args: &'a [&'a str],
    aperture_files: &'a [(&'a str, &'a str)],
    aperture_email: Option<&'a str>,
    aperture_repo_url: Option<&'a str>,
    export: &'a str,
    source: Source<'a>,
    fungal_files: &'a [(&'a str, &'a str)],
    fungal_email: Option<&'a str>,
    fungal_repo_url: Option<&'a str>,
    import: bool,
    binding: Option<&'a str>,
    fetch: bool,
}

impl World {
    /// A realm with open admission; aperture, with `config/s3.yaml` holding [`PATHS_V1`],
    /// joins and exports `required-s3-permissions` from that file; fungal, with
    /// `cdk/stack.py`, joins and imports it with that file as its binding; aperture fetches.
    /// The options change each step; [`TwoDomains::build`] runs them.
    pub fn two_domains(env: &TestEnv) -> TwoDomains<'_> {
        TwoDomains {
            env,
            realm_args: &["--admission", "open"],
            aperture_files: &[("config/s3.yaml", PATHS_V1)],
            aperture_email: None,
            aperture_repo_url: None,
            export: "required-s3-permissions",
            source: Source::File("config/s3.yaml"),
            fungal_files: &[("cdk/stack.py", "paths = ['jobs/*', 'training-metrics/*']\n")],
            fungal_email: None,
            fungal_repo_url: None,
            import: true,
            binding: Some("cdk/stack.py"),
            fetch: true,
        }
    }
}

impl<'a> TwoDomains<'a> {
    /// Create the realm with `git realm init`'s default admission (by approval) instead of
    /// open admission.
    pub fn approval_admission(mut self) -> Self {
        self.realm_args = &[];
        self
    }

    /// aperture's first commit holds `files` (none: a README).
    pub fn aperture_files(mut self, files: &'a [(&'a str, &'a str)]) -> Self {
        self.aperture_files = files;
        self
    }

    /// aperture commits as `email` (set before it joins), so that it is not the realm's
    /// approver.
    pub fn aperture_email(mut self, email: &'a str) -> Self {
        self.aperture_email = Some(email);
        self
    }

    /// aperture joins with `--repo-url url`.
    pub fn aperture_repo_url(mut self, url: &'a str) -> Self {
        self.aperture_repo_url = Some(url);
        self
    }

    /// aperture exports `name` from `file`.
    pub fn export_file(mut self, name: &'a str, file: &'a str) -> Self {
        self.export = name;
        self.source = Source::File(file);
        self
    }

    /// aperture exports `name` with `--value value`.
    pub fn export_value(mut self, name: &'a str, value: &'a str) -> Self {
        self.export = name;
        self.source = Source::Value(value);
        self
    }

    /// fungal's first commit holds `files` (none: a README).
    pub fn fungal_files(mut self, files: &'a [(&'a str, &'a str)]) -> Self {
        self.fungal_files = files;
        self
    }

    /// fungal commits as `email` (set before it joins).
    pub fn fungal_email(mut self, email: &'a str) -> Self {
        self.fungal_email = Some(email);
        self
    }

    /// fungal joins with `--repo-url url`.
    pub fn fungal_repo_url(mut self, url: &'a str) -> Self {
        self.fungal_repo_url = Some(url);
        self
    }

    /// fungal imports the export with `--binding path`.
    pub fn binding(mut self, path: &'a str) -> Self {
        self.binding = Some(path);
        self
    }

    /// fungal imports the export without a binding.
    pub fn without_binding(mut self) -> Self {
        self.binding = None;
        self
    }

    /// fungal joins but imports nothing.
    pub fn without_import(mut self) -> Self {
        self.import = false;
        self
    }

    /// aperture does not fetch at the end, so it has not seen fungal's join or import.
    pub fn without_fetch(mut self) -> Self {
        self.fetch = false;
        self
    }

    /// Run the steps.
    pub fn build(self) -> World {
        let env = self.env;
        let realm = env.realm_repo("realm", false, self.realm_args);
        let aperture = env.code_repo("aperture", self.aperture_files);
        if let Some(email) = self.aperture_email {
            env.git(&aperture, &["config", "user.email", email]);
        }
        env.realm_ok(&aperture, &join_args(self.aperture_repo_url));
        let source = match self.source {
            Source::File(file) => ["--file", file],
            Source::Value(value) => ["--value", value],
        };
        env.realm_ok(
            &aperture,
            &[&["export", "--name", self.export][..], &source].concat(),
        );
        let fungal = env.code_repo("fungal", self.fungal_files);
        if let Some(email) = self.fungal_email {
            env.git(&fungal, &["config", "user.email", email]);
        }
        env.realm_ok(&fungal, &join_args(self.fungal_repo_url));
        if self.import {
            let mut args = vec!["import", "--contract", self.export, "--from", "aperture"];
            if let Some(binding) = self.binding {
                args.extend(["--binding", binding]);
            }
            env.realm_ok(&fungal, &args);
        }
        if self.fetch {
            env.realm_ok(&aperture, &["fetch"]);
        }
        World {
            realm,
            aperture,
            fungal,
        }
    }
}

fn join_args(repo_url: Option<&str>) -> Vec<&str> {
    let mut args = vec!["join", "../realm"];
    if let Some(url) = repo_url {
        args.extend(["--repo-url", url]);
    }
    args
}
