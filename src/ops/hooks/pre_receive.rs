//! pre-receive, in a realm repository: every update of the main branch is checked against the
//! trust rules before git accepts it; a violation refuses the whole push. Fails closed: an
//! error here refuses the push too.

use std::io::Write;

use anyhow::{Context as _, Result};
use gix::ObjectId;
use serde::Serialize;

use super::super::{Context, Outcome};
use crate::git::verify;
use crate::output::Report;

/// What git hands the pre-receive hook: its `<old> <new> <ref>` lines.
#[derive(Debug, Clone, Default)]
pub struct PreReceiveOptions {
    pub updates: String,
}

/// Why the push is refused, a line for each refusal (each also told as a message when found).
#[derive(Serialize)]
pub struct PreReceiveReport {
    pub refusals: Vec<String>,
}

impl Report for PreReceiveReport {
    fn human(&self, _out: &mut dyn Write) -> std::io::Result<()> {
        // The refusals were told on stderr as they were found; git shows them to the pusher.
        Ok(())
    }
}

pub fn pre_receive(
    ctx: &Context,
    options: PreReceiveOptions,
) -> Result<(PreReceiveReport, Outcome)> {
    let receiving = verify::Receiving::open(&ctx.cwd)?;
    let main = receiving.main_ref();
    let mut refusals = Vec::new();
    let mut refuse = |line: String| {
        ctx.warn(&line);
        refusals.push(crate::error::one_line(&line));
    };
    for line in options.updates.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [old, new, name] = fields[..] else {
            continue;
        };
        if name != main {
            continue;
        }
        let parse = |hex: &str| {
            ObjectId::from_hex(hex.as_bytes())
                .with_context(|| format!("git passed an invalid object id `{hex}`"))
        };
        let (old, new) = (parse(old)?, parse(new)?);
        if new.is_null() {
            refuse(format!(
                "git-realm: refusing to delete {name}: the realm's history is its record"
            ));
            continue;
        }
        let from = (!old.is_null()).then_some(old);
        let checked = receiving.check(from, new)?;
        for violation in &checked.violations {
            refuse(format!(
                "git-realm: refusing {name}: {}",
                crate::error::one_line(&violation.to_string())
            ));
        }
    }
    let outcome = if refusals.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    };
    Ok((PreReceiveReport { refusals }, outcome))
}
