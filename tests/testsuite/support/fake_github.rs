//! The fake GitHub the notify unit tests use (`src/notify/fake.rs`), shared rather than copied.

#[path = "../../../src/notify/fake.rs"]
mod fake;

pub use fake::*;
