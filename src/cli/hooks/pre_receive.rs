//! pre-receive, in a realm repository: every update of the main branch is checked against the
//! trust rules before git accepts it; a violation refuses the whole push. Fails closed: an
//! error here refuses the push too.

use std::io::Read;

use anyhow::{Context, Result};
use gix::ObjectId;

use crate::cli::{Ctx, Outcome};
use crate::git::verify;
use crate::output;

pub fn run(ctx: &Ctx) -> Result<Outcome> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("failed to read the pushed updates")?;
    let receiving = verify::Receiving::open(&ctx.cwd)?;
    let main = receiving.main_ref();
    let mut refused = false;
    for line in input.lines() {
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
            output::warn(format!(
                "git-realm: refusing to delete {name}: the realm's history is its record"
            ));
            refused = true;
            continue;
        }
        let from = (!old.is_null()).then_some(old);
        let checked = receiving.check(from, new)?;
        for violation in &checked.violations {
            output::warn(format!(
                "git-realm: refusing {name}: {}",
                crate::error::one_line(&violation.to_string())
            ));
            refused = true;
        }
    }
    Ok(if refused {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
