//! The `tandem` command line as a user runs it: validate and render (with the golden files),
//! apply against sandboxed sshd nodes, every plan's shell, volumes that hold data, and a hostile
//! profile. One test binary, a module per concern.

// Test helpers fail the test by panicking, inside and outside #[test] functions alike.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod apply;
mod existing_data;
mod hostile;
mod no_display;
mod plan_commands;
mod render;
