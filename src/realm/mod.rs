//! The realm model: file types, names, changes, snapshots. No I/O and no gix here.

pub mod change;
pub mod config;
pub mod drift;
pub mod grants;
pub mod init;
pub mod invite;
pub mod join;
pub mod leave;
pub mod model;
pub mod names;
pub mod plan;
pub mod proposal;
pub mod publish;
pub mod schema;
pub mod snapshot;
pub mod status;
pub mod sync;
pub mod trust;
pub mod version;
pub mod yaml;
