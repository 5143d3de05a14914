//! The text of git-realm's hook files: the hooks and their templates, the marked block
//! git-realm puts into a shell hook, the stanza that calls a chained hook, and what a hook file
//! runs besides git-realm's block. Pure string editing: `git::hooks` reads and writes the files.

use serde::Serialize;

/// The hooks git-realm installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Hook {
    PrePush,
    PostMerge,
    PostRewrite,
    /// In a realm repository: refuse pushes that break the trust rules.
    PreReceive,
}

impl Hook {
    pub const ALL: [Hook; 3] = [Hook::PrePush, Hook::PostMerge, Hook::PostRewrite];

    pub fn name(self) -> &'static str {
        match self {
            Hook::PrePush => "pre-push",
            Hook::PostMerge => "post-merge",
            Hook::PostRewrite => "post-rewrite",
            Hook::PreReceive => "pre-receive",
        }
    }

    /// The hook file git-realm writes where there was none.
    pub fn template(self) -> &'static str {
        match self {
            Hook::PrePush => include_str!("../hooks/pre-push"),
            Hook::PostMerge => include_str!("../hooks/post-merge"),
            Hook::PostRewrite => include_str!("../hooks/post-rewrite"),
            Hook::PreReceive => include_str!("../hooks/pre-receive"),
        }
    }

    /// The template's git-realm block.
    pub fn block(self) -> &'static str {
        let template = self.template();
        let (start, end) = find_block(template, BLOCK_BEGIN, BLOCK_END)
            .expect("hook templates have a git-realm block");
        &template[start..end]
    }
}

pub const BLOCK_BEGIN: &str = "# >>> git-realm >>>";
pub const BLOCK_END: &str = "# <<< git-realm <<<";
pub const CHAIN_BEGIN: &str = "# >>> git-realm chain >>>";
pub const CHAIN_END: &str = "# <<< git-realm chain <<<";
pub const CHAINED_SUFFIX: &str = ".realm-chained";

/// Set by git-realm when it runs the rest of a hook file whose block handed over to it (an
/// `exec`), so that the block steps aside the second time.
pub const HOOK_RAN_VAR: &str = "GIT_REALM_HOOK_RAN";

/// The stanza that runs the repository's own hook after git-realm's, with the same
/// arguments and the same stdin.
pub fn chain_block(hook: Hook) -> String {
    let name = hook.name();
    format!(
        "{CHAIN_BEGIN}\n\
         # The {name} hook this repository had before git-realm; 'git realm hooks uninstall' puts it back.\n\
         git_realm_chained=\"$(dirname \"$0\")/{name}{CHAINED_SUFFIX}\"\n\
         if [ -x \"$git_realm_chained\" ]; then\n\
         \texec \"$git_realm_chained\" \"$@\"\n\
         fi\n\
         {CHAIN_END}\n"
    )
}

/// What a hook file runs besides git-realm's block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rest {
    /// Nothing (or the file has no git-realm block).
    Nothing,
    /// Only the stanza that calls `<hook>.realm-chained`.
    Chained,
    /// Commands of the repository's own.
    Commands,
}

/// What else `text`, a hook file with git-realm's block, runs.
pub fn rest_of(text: &str) -> Rest {
    if find_block(text, BLOCK_BEGIN, BLOCK_END).is_none() {
        return Rest::Nothing;
    }
    let rest = remove_block(text, BLOCK_BEGIN, BLOCK_END);
    if is_empty_script(&rest) {
        Rest::Nothing
    } else if is_empty_script(&remove_block(&rest, CHAIN_BEGIN, CHAIN_END)) {
        Rest::Chained
    } else {
        Rest::Commands
    }
}

/// Whether a hook is a script our POSIX shell block can go into.
pub fn is_shell_script(text: &str) -> bool {
    let Some(shebang) = text.lines().next().and_then(|l| l.strip_prefix("#!")) else {
        return false;
    };
    let mut words = shebang.split_whitespace();
    let Some(program) = words.next() else {
        return false;
    };
    let mut name = program.rsplit('/').next().unwrap_or(program);
    if name == "env" {
        name = words.find(|w| !w.starts_with('-')).unwrap_or("");
    }
    matches!(
        name,
        "sh" | "bash" | "dash" | "zsh" | "ksh" | "mksh" | "ash"
    )
}

/// The byte range of the lines from `begin` to `end`, both included.
pub fn find_block(text: &str, begin: &str, end: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if start.is_none() && trimmed == begin {
            start = Some(offset);
        } else if let Some(s) = start
            && trimmed == end
        {
            return Some((s, offset + line.len()));
        }
        offset += line.len();
    }
    None
}

/// `text` with its git-realm block replaced by `block`, right after the `#!` line: the block
/// hands the hook over to git-realm, so nothing may run before it.
pub fn replace_block(text: &str, block: &str) -> String {
    match find_block(text, BLOCK_BEGIN, BLOCK_END) {
        Some((start, end)) if start == shebang_len(text) => {
            format!("{}{block}{}", &text[..start], &text[end..])
        }
        Some(_) => insert_block(&remove_block(text, BLOCK_BEGIN, BLOCK_END), block),
        None => text.to_owned(),
    }
}

pub fn remove_block(text: &str, begin: &str, end: &str) -> String {
    match find_block(text, begin, end) {
        Some((start, stop)) => format!("{}{}", &text[..start], &text[stop..]),
        None => text.to_owned(),
    }
}

/// `block` right after the `#!` line, so it runs before anything in the script can exit.
pub fn insert_block(text: &str, block: &str) -> String {
    let (shebang, rest) = text.split_at(shebang_len(text));
    let newline = if shebang.ends_with('\n') { "" } else { "\n" };
    format!("{shebang}{newline}{block}{rest}")
}

/// The length of the first line, its newline included.
fn shebang_len(text: &str) -> usize {
    text.find('\n').map_or(text.len(), |i| i + 1)
}

/// Nothing left but a `#!` line and blank lines.
pub fn is_empty_script(text: &str) -> bool {
    text.lines()
        .enumerate()
        .all(|(i, l)| l.trim().is_empty() || (i == 0 && l.starts_with("#!")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_a_shebang_and_one_block() {
        for hook in Hook::ALL.into_iter().chain([Hook::PreReceive]) {
            let template = hook.template();
            assert!(template.starts_with("#!/bin/sh\n"), "{}", hook.name());
            assert_eq!(hook.block().len(), template.len() - "#!/bin/sh\n".len());
            assert!(
                template.contains(&format!("hooks run {} \"$@\"", hook.name()))
                    || template.contains(&format!(
                        "hooks run --hook-file \"$0\" {} \"$@\"",
                        hook.name()
                    )),
                "{}",
                hook.name()
            );
        }
    }

    /// The pre-push block hands over to git-realm in one `exec`, stdin untouched: no temporary
    /// file, no `cat`.
    #[test]
    fn the_pre_push_block_is_one_exec() {
        let block = Hook::PrePush.block();
        let calls: Vec<&str> = block
            .lines()
            .filter(|l| l.contains("git-realm hooks run"))
            .collect();
        assert_eq!(
            calls,
            [
                "\tcommand -v git-realm >/dev/null 2>&1 && exec git-realm hooks run --hook-file \"$0\" pre-push \"$@\""
            ]
        );
        for word in ["mktemp", "cat ", "<\"", "rm "] {
            assert!(!block.contains(word), "{word}");
        }
        assert!(block.contains(HOOK_RAN_VAR));
    }

    #[test]
    fn shell_scripts_are_recognised() {
        for yes in [
            "#!/bin/sh\n",
            "#!/bin/bash -e\nx",
            "#!/usr/bin/env bash\n",
            "#! /bin/dash",
            "#!/usr/bin/env -S zsh -f\n",
        ] {
            assert!(is_shell_script(yes), "{yes}");
        }
        for no in [
            "#!/usr/bin/env python3\n",
            "#!/usr/bin/perl\n",
            "echo hi\n",
            "",
            "#!\n",
        ] {
            assert!(!is_shell_script(no), "{no}");
        }
    }

    #[test]
    fn blocks_go_in_after_the_shebang_and_come_out_whole() {
        let block = Hook::PostMerge.block();
        let theirs = "#!/bin/sh\nset -e\necho theirs\nexit 0\n";
        let ours = insert_block(theirs, block);
        assert!(
            ours.starts_with(&format!("#!/bin/sh\n{block}set -e\n")),
            "{ours}"
        );
        assert_eq!(replace_block(&ours, block), ours);
        assert_eq!(remove_block(&ours, BLOCK_BEGIN, BLOCK_END), theirs);
        assert_eq!(
            insert_block("#!/bin/sh", block),
            format!("#!/bin/sh\n{block}")
        );
        assert!(is_empty_script(&remove_block(
            Hook::PrePush.template(),
            BLOCK_BEGIN,
            BLOCK_END
        )));
        assert!(!is_empty_script(&remove_block(
            &ours,
            BLOCK_BEGIN,
            BLOCK_END
        )));
    }

    #[test]
    fn older_blocks_are_replaced() {
        let block = Hook::PrePush.block();
        let old = format!("#!/bin/sh\n{BLOCK_BEGIN}\nold\n{BLOCK_END}\necho after\n");
        assert_eq!(
            replace_block(&old, block),
            format!("#!/bin/sh\n{block}echo after\n")
        );
        // A block moved down the script goes back to the top: it hands the hook over.
        let moved = format!("#!/bin/sh\necho before\n{BLOCK_BEGIN}\nold\n{BLOCK_END}\n");
        assert_eq!(
            replace_block(&moved, block),
            format!("#!/bin/sh\n{block}echo before\n")
        );
    }

    #[test]
    fn the_rest_of_a_hook_is_told_apart() {
        let template = Hook::PrePush.template();
        assert_eq!(rest_of(template), Rest::Nothing);
        assert_eq!(rest_of("#!/bin/sh\necho theirs\n"), Rest::Nothing);
        assert_eq!(
            rest_of(&format!("{template}{}", chain_block(Hook::PrePush))),
            Rest::Chained
        );
        assert_eq!(
            rest_of(&insert_block(
                "#!/bin/sh\necho theirs\n",
                Hook::PrePush.block()
            )),
            Rest::Commands
        );
        assert_eq!(
            rest_of(&format!(
                "{template}{}echo mine\n",
                chain_block(Hook::PrePush)
            )),
            Rest::Commands
        );
    }
}
