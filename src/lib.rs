//! git-realm's core: versioned contracts between repositories, kept in a shared git
//! repository. The command line (`src/cli/`) and the MCP server (`src/mcp/`) are two front
//! ends over the same operations in [`ops`].

pub mod context;
pub mod detect;
pub mod error;
pub mod git;
pub mod hook_script;
pub mod index;
pub mod member;
pub mod notify;
pub mod ops;
pub mod output;
pub mod realm;
