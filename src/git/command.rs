//! Running the `git` program: network (fetch, push), commits that need git's identity rules,
//! and config. Every failure carries the command and git's own words.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::error::BadInput;

/// A `git` invocation in a given directory.
pub struct Git {
    cmd: Command,
    display: String,
    stdin: Option<Vec<u8>>,
    /// For network calls: how long git may take before it is stopped.
    limit: Option<Duration>,
    /// The subcommand once an argument named it (after `-c name=value` pairs), whether an
    /// option's value comes next, and whether a `config` call only reads.
    subcommand: Option<String>,
    option_value_next: bool,
    config_read: bool,
}

/// How many git commands that may write config have run in this process: config read once
/// ([`super::config_list::ConfigList`]) is read again when this moves.
static CONFIG_WRITES: AtomicU64 = AtomicU64::new(0);

/// The count of git commands run so far that may have written config.
pub fn config_writes() -> u64 {
    CONFIG_WRITES.load(Ordering::Relaxed)
}

/// Have config listed again before it is next read.
pub fn forget_config() {
    CONFIG_WRITES.fetch_add(1, Ordering::Relaxed);
}

/// Subcommands git-realm runs that never write config.
const KEEPS_CONFIG: &[&str] = &[
    "fetch",
    "push",
    "for-each-ref",
    "update-ref",
    "merge-base",
    "rev-parse",
    "rev-list",
    "log",
    "diff-index",
    "commit-tree",
    "notes",
    "cat-file",
    "ls-tree",
    "ls-files",
    "show",
    "status",
    "hash-object",
    "mktree",
    "verify-commit",
];

/// A network call that ran out of time and was stopped; callers tell it apart to leave
/// everything as it was.
#[derive(Debug)]
pub struct TimedOut {
    pub display: String,
    pub limit: Duration,
}

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` did not finish within {} (realm.timeout) and was stopped",
            self.display,
            seconds(self.limit)
        )
    }
}

impl std::error::Error for TimedOut {}

/// Whether `err` is (or wraps) a network call stopped by its time limit.
pub fn is_timeout(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<TimedOut>())
}

/// The error for a timed-out network call: what timed out, and how to retry.
pub fn timed_out(err: anyhow::Error, what: &str) -> anyhow::Error {
    let limit = err
        .chain()
        .find_map(|e| e.downcast_ref::<TimedOut>())
        .map_or(DEFAULT_TIMEOUT, |t| t.limit);
    BadInput::new(
        format!(
            "{what} timed out: no answer within {} ({err:#})",
            seconds(limit)
        ),
        format!(
            "nothing was changed here; check the connection and run the command again, or allow \
             more time: 'git config realm.timeout {}'",
            (limit.as_secs() * 2).max(10)
        ),
    )
    .into()
}

/// How long a network call may take unless `realm.timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// `realm.timeout` (seconds, fractions allowed) as a limit, from its configured text.
pub fn parse_timeout(value: Option<&str>) -> Result<Duration> {
    let Some(value) = value.map(str::trim) else {
        return Ok(DEFAULT_TIMEOUT);
    };
    match value.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() && secs < 1e9 => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err(BadInput::new(
            format!("invalid realm.timeout `{value}`"),
            "set it to a number of seconds greater than 0: 'git config realm.timeout 60'",
        )
        .into()),
    }
}

fn seconds(limit: Duration) -> String {
    let secs = limit.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs} s")
    }
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
            limit: None,
            subcommand: None,
            option_value_next: false,
            config_read: false,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        let text = arg.as_ref().to_string_lossy();
        match self.subcommand.as_deref() {
            None if self.option_value_next => self.option_value_next = false,
            None if text == "-c" || text == "-C" => self.option_value_next = true,
            None if !text.starts_with('-') => self.subcommand = Some(text.clone().into_owned()),
            Some("config") if text.starts_with("--get") || text == "--list" || text == "-l" => {
                self.config_read = true
            }
            _ => {}
        }
        self.display.push(' ');
        // Errors show the command: never a token a remote URL carries.
        self.display
            .push_str(&super::public_url(&arg.as_ref().to_string_lossy()));
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

    /// Stop git (and whatever it started: ssh, a remote helper) if it runs longer than
    /// `limit`; `output` and `run` then fail with [`TimedOut`]. For every network call.
    pub fn within(mut self, limit: Duration) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Whether this command may write config: any subcommand but those known to leave it
    /// alone and `config` reads.
    fn may_write_config(&self) -> bool {
        match self.subcommand.as_deref() {
            Some("config") => !self.config_read,
            Some(sub) => !KEEPS_CONFIG.contains(&sub),
            None => true,
        }
    }

    /// Count this command among those that may write config, if it may.
    fn note_config_write(&self) {
        if self.may_write_config() {
            CONFIG_WRITES.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Run and return the raw output, whatever the exit status.
    pub fn output(mut self) -> Result<(String, Output)> {
        self.note_config_write();
        if let Some(limit) = self.limit {
            return self.output_within(limit);
        }
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
    /// `output`, with the child in its own process group, killed with it past `limit`.
    fn output_within(mut self, limit: Duration) -> Result<(String, Output)> {
        self.note_config_write();
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        self.cmd.env("GIT_TERMINAL_PROMPT", "0");
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut self.cmd, 0);
        let mut child = self
            .cmd
            .spawn()
            .with_context(|| format!("failed to run `{}`: is git installed?", self.display))?;
        // Pipes are drained on their own threads: a child blocked on a full pipe never exits.
        if let Some(input) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("stdin was piped");
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        // Waited for on a thread, so that this one sleeps until git ends or time is up.
        let pid = child.id();
        let (done, ended) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let status = child.wait();
            let _ = done.send(());
            status
        });
        let deadline = Instant::now() + limit;
        if ended.recv_timeout(limit).is_err() {
            kill_group_of(pid);
            let _ = waiter.join();
            // The reader threads end with the killed processes; they are not waited for.
            return Err(TimedOut {
                display: self.display,
                limit,
            }
            .into());
        }
        let status = waiter
            .join()
            .expect("the waiting thread does not panic")
            .with_context(|| format!("failed to run `{}`", self.display))?;
        let output = Output {
            status,
            // A helper git left behind (an ssh master kept for later) may hold the pipes open:
            // what came before the deadline is what there is.
            stdout: stdout.recv_timeout(rest(deadline)).unwrap_or_default(),
            stderr: stderr.recv_timeout(rest(deadline)).unwrap_or_default(),
        };
        Ok((self.display, output))
    }

    /// Run with stdout discarded and stderr passed through, for at most `limit`: past it the
    /// process and everything it started (ssh, a remote helper) are killed. `None`: killed.
    pub fn status_within(mut self, limit: Duration) -> Result<Option<ExitStatus>> {
        self.note_config_write();
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

/// The time left until `deadline`, and a moment more for output already written.
fn rest(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(100)
}

/// Read `pipe` to its end on a thread of its own; the bytes come on the channel.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = send.send(bytes);
    });
    receive
}

/// Kill `child` and its process group (it leads one: see `status_within`), and reap it.
fn kill_group(child: &mut Child) {
    kill_group_of(child.id());
    let _ = child.kill();
    let _ = child.wait();
}

/// Kill the process group led by `pid`.
fn kill_group_of(pid: u32) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = pid;
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
        match output.status.code() {
            Some(code) => format!("git exited with status {code} and printed no message"),
            None => "git was stopped by a signal and printed no message".to_owned(),
        }
    } else {
        lines.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn time_limits_are_seconds() {
        use super::{DEFAULT_TIMEOUT, parse_timeout};
        assert_eq!(parse_timeout(None).unwrap(), DEFAULT_TIMEOUT);
        assert_eq!(parse_timeout(Some(" 5 ")).unwrap(), Duration::from_secs(5));
        assert_eq!(
            parse_timeout(Some("0.5")).unwrap(),
            Duration::from_millis(500)
        );
        for bad in ["", "0", "-1", "soon", "inf", "NaN"] {
            assert!(parse_timeout(Some(bad)).is_err(), "{bad}");
        }
    }
}
