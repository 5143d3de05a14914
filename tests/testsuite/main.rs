//! git-realm's integration tests: the real binary against real git repositories.

mod notify;
mod notify_sync;
mod support;

mod admission;
mod bad_input;
mod bindings;
mod completions;
mod concurrency;
mod detect_cache;
mod hooks;
mod initial_setup;
mod json;
mod notes;
mod rfc_workflow;
mod untrusted_realm;
mod workflow;
