//! The detectors' fixed patterns, compiled for a process that lives a few milliseconds.
//!
//! A pre-push hook that meets one candidate file compiles every pattern the scan uses, and
//! compiling is then most of the scan. So: ASCII patterns (`(?-u)`; Unicode classes and case
//! folding cost milliseconds), no full DFA (the lazy one suffices for what one run searches,
//! and building the full one cost more than the searches it served), and for patterns tried
//! on one line at a time no literal prefilter either.

use regex_automata::meta::{Config, Regex};
use regex_automata::util::captures::Captures;
use regex_automata::util::syntax;

/// A pattern searched over whole files: its literal prefilter skips ahead to candidates.
pub fn text(pattern: &str) -> Regex {
    build(pattern, Config::new())
}

/// A pattern tried on one line, or one name, at a time.
pub fn line(pattern: &str) -> Regex {
    build(pattern, Config::new().auto_prefilter(false))
}

fn build(pattern: &str, config: Config) -> Regex {
    Regex::builder()
        // Bytes past ASCII are searched as bytes: a negated class may stop inside a character,
        // and callers take only groups bounded by ASCII.
        .syntax(syntax::Config::new().utf8(false))
        .configure(config.dfa(false))
        .build(pattern)
        .expect("static pattern compiles")
}

/// The first match of `regex` in `haystack`, with its groups.
pub fn first(regex: &Regex, haystack: &str) -> Option<Captures> {
    let mut caps = regex.create_captures();
    regex.captures(haystack, &mut caps);
    caps.is_match().then_some(caps)
}
