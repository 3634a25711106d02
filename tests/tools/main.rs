//! The files Tandem renders, checked by the real Debian tools that read them on a node: DRBD's
//! drbdadm, corosync's own parser, Pacemaker's crm shell and scheduler, Xen's libxlutil, and
//! ifupdown. One test binary, a module per tool.

// Test helpers fail the test by panicking, inside and outside #[test] functions alike.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod corosync;
mod drbd;
mod ifupdown;
mod pacemaker;
mod xen;
