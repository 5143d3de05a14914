//! Running the `git` program: network (fetch, push), commits that need git's identity rules,
//! and config. Every failure carries the command and git's own words.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// A `git` invocation in a given directory.
pub struct Git {
    cmd: Command,
    display: String,
    stdin: Option<Vec<u8>>,
}

impl Git {
    /// `git` run in `dir`, with the repository found from `dir` rather than inherited from
    /// the environment (hooks run with `GIT_DIR` set for the code repository).
    pub fn in_dir(dir: &Path) -> Self {
        let mut cmd = Command::new("git");
        cmd.current_dir(dir);
        for var in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
            "GIT_PREFIX",
            "GIT_COMMON_DIR",
        ] {
            cmd.env_remove(var);
        }
        Git {
            cmd,
            display: "git".to_owned(),
            stdin: None,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.display.push(' ');
        self.display.push_str(&arg.as_ref().to_string_lossy());
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Run and return the raw output, whatever the exit status.
    pub fn output(mut self) -> Result<(String, Output)> {
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = self
            .cmd
            .spawn()
            .with_context(|| format!("failed to run `{}`: is git installed?", self.display))?;
        if let Some(input) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("stdin was piped");
            pipe.write_all(&input)
                .with_context(|| format!("failed to write to `{}`", self.display))?;
        }
        let output = child
            .wait_with_output()
            .with_context(|| format!("failed to run `{}`", self.display))?;
        Ok((self.display, output))
    }

    /// Run; succeed only on exit status 0 and return stdout without its final newline.
    pub fn run(self) -> Result<String> {
        let (display, output) = self.output()?;
        if !output.status.success() {
            bail!("`{display}` failed: {}", stderr_line(&output));
        }
        let mut out = String::from_utf8_lossy(&output.stdout).into_owned();
        if out.ends_with('\n') {
            out.pop();
        }
        Ok(out)
    }
}

impl Git {
    /// Run with stdout discarded and stderr passed through, for at most `limit`: past it the
    /// process and everything it started (ssh, a remote helper) are killed. `None`: killed.
    pub fn status_within(mut self, limit: Duration) -> Result<Option<ExitStatus>> {
        self.cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        self.cmd.env("GIT_TERMINAL_PROMPT", "0");
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut self.cmd, 0);
        let mut child = self
            .cmd
            .spawn()
            .with_context(|| format!("failed to run `{}`: is git installed?", self.display))?;
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child
                .try_wait()
                .with_context(|| format!("failed to run `{}`", self.display))?
            {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                kill_group(&mut child);
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Kill `child` and its process group (it leads one: see `status_within`), and reap it.
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Git's error output folded to one line.
pub fn stderr_line(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        format!("exit status {}", output.status)
    } else {
        lines.join("; ")
    }
}
