//! Every ```` ```rust ```` block of the README, compiled as a user would
//! paste it: `build.rs` turns each block into a module of its own (see
//! there for how a fragment is wrapped), so `cargo test` fails when a
//! snippet stops compiling. Nothing here runs.

include!(concat!(env!("OUT_DIR"), "/snippets.rs"));
