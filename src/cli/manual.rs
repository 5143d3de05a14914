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

#[cfg(test)]
mod tests {
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
