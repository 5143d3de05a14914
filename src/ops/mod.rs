//! The operations behind the commands: each takes a [`Context`] and typed options and returns
//! its report with an [`Outcome`]. They print nothing on stdout; what a user should read
//! besides the report (progress, warnings, hints) goes to the context's messages, which the
//! command line writes to stderr and the MCP server returns beside the report.

pub mod approve;
pub mod check;
pub mod export;
pub mod fetch;
pub mod graph;
pub mod hooks;
pub mod import;
pub mod init;
pub mod invite;
pub mod join;
pub mod leave;
pub mod list;
pub mod notify;
pub mod per_realm;
pub mod status;
pub mod sync;
pub mod verify;

pub use approve::{ApproveOptions, ApproveReport, approve};
pub use check::{CheckAt, CheckOptions, CheckReport, check};
pub use export::{ExportOptions, ExportReport, ExportValue, export};
pub use fetch::{FetchOptions, FetchReport, fetch};
pub use graph::{Graph, GraphFormat, GraphOptions, GraphReport, graph};
pub use import::{ImportOptions, ImportReport, import};
pub use init::{InitOptions, InitReport, init};
pub use invite::{InviteOptions, InviteReport, invite};
pub use join::{JoinOptions, JoinReport, join};
pub use leave::{LeaveOptions, LeaveReport, leave};
pub use list::{ListOptions, ListReport, list};
pub use notify::{NotifyOptions, NotifyReport, notify};
pub use per_realm::PerRealm;
pub use status::{StatusOptions, StatusReport, status};
pub use sync::{SyncOptions, SyncReport, sync};
pub use verify::{VerifyOptions, VerifyReport, verify};

pub use crate::context::{Context, Outcome, now};
