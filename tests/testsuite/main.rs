//! git-realm's integration tests: the real binary against real git repositories.

mod notify;
mod notify_forges;
mod notify_sync;
mod support;

mod admission;
mod bad_input;
mod bindings;
mod completions;
mod concurrency;
mod cross_realm;
mod detect_cache;
mod detection;
mod fetched_state;
mod hooks;
mod import_binding;
mod initial_setup;
mod json;
mod mcp;
mod network;
mod newcomer;
mod notes;
mod object_format;
mod realm_cache;
mod rfc_workflow;
mod several_realms;
mod trust;
mod untrusted_realm;
mod workflow;
