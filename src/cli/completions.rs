//! `git realm completions`: shell completion scripts, generated from the command line's
//! definition.

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Ctx, Outcome};

/// Print a shell completion script
///
/// bash: save it as ~/.local/share/bash-completion/completions/git-realm (git's own
/// completion then completes 'git realm …' through the _git_realm function it defines).
/// zsh: save it as _git-realm in a directory on $fpath. fish: save it as
/// ~/.config/fish/completions/git-realm.fish. install.sh does all three.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    shell: Shell,
}

pub fn run(_ctx: &Ctx, args: CompletionsArgs) -> Result<Outcome> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&script(args.shell))
        .context("failed to write the completion script")?;
    Ok(Outcome::Clean)
}

/// The completion script for `shell`, for the program `git-realm` (and, in bash, for
/// `git realm` through git's completion).
pub fn script(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    if shell != Shell::Bash {
        clap_complete::generate(shell, &mut cmd, "git-realm", &mut out);
        return out;
    }
    // clap_complete's bash script never completes past a subcommand when the program's name
    // has a hyphen (clap-rs/clap#6421): generate it for a name without one, then register it
    // for `git-realm`.
    clap_complete::generate(shell, &mut cmd, BASH_NAME, &mut out);
    let mut text = String::from_utf8(out).expect("completion scripts are UTF-8");
    text = text
        .lines()
        .map(|line| match line.trim_start().starts_with("complete -F ") {
            true => line
                .strip_suffix(&format!(" {BASH_NAME}"))
                .map_or(line.to_owned(), |l| format!("{l} git-realm")),
            false => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    text.push('\n');
    text.push_str(GIT_BASH_BRIDGE);
    text.into_bytes()
}

/// The name clap's bash function is generated for: `_gitrealm`.
const BASH_NAME: &str = "gitrealm";

/// git's bash completion completes `git realm …` by calling `_git_realm` with its own `words`
/// and `cword`, the git command's position in `__git_cmd_idx` (git ≥ 2.31; 1 before). Hand
/// clap's function the same line as if `git-realm` had been typed.
const GIT_BASH_BRIDGE: &str = r#"
_git_realm() {
    local at=${__git_cmd_idx:-1}
    local COMP_WORDS=(git-realm "${words[@]:at+1}")
    local COMP_CWORD=$((cword - at))
    local COMP_LINE="${COMP_WORDS[*]}"
    local COMP_POINT=${#COMP_LINE}
    _gitrealm git-realm "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
}
"#;
