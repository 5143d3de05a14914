//! git-realm: versioned contracts between repositories, kept in a shared git repository.

mod cli;
mod mcp;

use git_realm::{error, git, member, ops, output, realm};

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(err) => {
            eprintln!("error: {}", error::one_line(&format!("{err:#}")));
            if let Some(hint) = error::hint_of(&err) {
                eprintln!("hint: {}", error::one_line(hint));
            }
            ExitCode::from(error::exit_code_of(&err))
        }
    }
}
