//! git-realm's integration tests: the real binary against real git repositories.

mod notify;
mod support;
