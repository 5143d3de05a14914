//! The man pages: `man/git-realm.1` and a `man/git-realm-<command>.1` for every command,
//! generated from the clap definition. `git realm --help` makes git run `man git-realm`.
//! A test keeps the files in `man/` current; `SNAPSHOTS=overwrite cargo test man_pages`
//! rewrites them.

use clap::CommandFactory;

use super::Cli;

/// Every page: its file name and its roff text.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    fn add(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) {
        let man = clap_mangen::Man::new(cmd.clone())
            .source(concat!("git-realm ", env!("CARGO_PKG_VERSION")))
            .manual("Git Manual");
        let mut text = Vec::new();
        man.render(&mut text)
            .expect("rendering to memory cannot fail");
        let text = synopsis_with_values(cmd, &String::from_utf8_lossy(&text)).into_bytes();
        out.push((man.get_filename(), text));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            add(sub, out);
        }
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    add(&cmd, &mut out);
    out
}

/// `roff` with the SYNOPSIS naming each option's value, as OPTIONS does (`-C <PATH>`, not
/// clap_mangen's bare `-C `).
fn synopsis_with_values(cmd: &clap::Command, roff: &str) -> String {
    let Some((head, rest)) = roff.split_once(".SH SYNOPSIS\n") else {
        return roff.to_owned();
    };
    let (line, tail) = rest.split_once('\n').unwrap_or((rest, ""));
    let mut line = line.to_owned();
    let escape = |text: &str| text.replace('-', "\\-");
    for arg in cmd.get_arguments() {
        if arg.is_hide_set() || arg.is_positional() || !arg.get_action().takes_values() {
            continue;
        }
        let value = arg
            .get_value_names()
            .map(|names| names.join(" "))
            .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
        let value = format!(" \\fI<{}>\\fR", escape(&value));
        match (arg.get_short(), arg.get_long()) {
            (_, Some(long)) => {
                let name = format!("\\fB\\-\\-{}\\fR", escape(long));
                line = line.replace(&name, &format!("{name}{value}"));
            }
            (Some(short), None) => {
                let name = format!("\\fB\\-{short} \\fR");
                line = line.replace(&name, &format!("\\fB\\-{short}\\fR{value}"));
            }
            (None, None) => {}
        }
    }
    format!("{head}.SH SYNOPSIS\n{line}\n{tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_synopsis_names_option_values() {
        let pages = super::pages();
        let (_, check) = pages
            .iter()
            .find(|(name, _)| name == "git-realm-check.1")
            .unwrap();
        let check = String::from_utf8_lossy(check);
        let synopsis = check.lines().nth(6).unwrap();
        assert!(
            synopsis.starts_with("\\fBgit realm check\\fR"),
            "{synopsis}"
        );
        assert!(
            synopsis.contains("[\\fB\\-C\\fR \\fI<PATH>\\fR]")
                && synopsis.contains("[\\fB\\-\\-rev\\fR \\fI<REV>\\fR]")
                && synopsis.contains("[\\fB\\-\\-json\\fR]"),
            "{synopsis}"
        );
    }

    use std::collections::BTreeSet;
    use std::path::Path;

    #[test]
    fn man_pages_are_current() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
        let overwrite = std::env::var("SNAPSHOTS").is_ok_and(|v| v == "overwrite");
        let pages = super::pages();
        let expected: BTreeSet<String> = pages.iter().map(|(name, _)| name.clone()).collect();
        let mut stale = Vec::new();
        for (name, text) in &pages {
            if std::fs::read(dir.join(name)).ok().as_deref() != Some(text.as_slice()) {
                if overwrite {
                    std::fs::create_dir_all(&dir).unwrap();
                    std::fs::write(dir.join(name), text).unwrap();
                } else {
                    stale.push(name.clone());
                }
            }
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".1") && !expected.contains(&name) {
                if overwrite {
                    std::fs::remove_file(entry.path()).unwrap();
                } else {
                    stale.push(format!("{name} (no such command)"));
                }
            }
        }
        assert!(
            stale.is_empty(),
            "man pages out of date: {}\nregenerate them with: SNAPSHOTS=overwrite cargo test man_pages",
            stale.join(", ")
        );
    }
}
