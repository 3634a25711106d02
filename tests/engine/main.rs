//! Tandem's engine against real OpenSSH servers on 127.0.0.1 (tests/common/sshd.rs): the SSH
//! sessions (trust, authentication, sudo, output, uploads) and the runner on two sandboxed
//! "nodes" (events, barriers, re-runs, failures, the report). One test binary, a module each.

// Test helpers fail the test by panicking, inside and outside #[test] functions alike.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod quorum;
mod runner;
mod ssh;
