//! What Tandem writes and runs on a node, checked by the real Debian tools: DRBD's drbdadm,
//! corosync's own parser, Pacemaker's crm shell and scheduler, Xen's libxlutil, ifupdown (and the
//! plan's hand-over of the LAN NIC to the bridge), live migration's forced SSH command, and
//! fence_ipmilan against a simulated BMC. One test binary, a module per tool.

// Test helpers fail the test by panicking, inside and outside #[test] functions alike.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod corosync;
mod drbd;
mod fencing;
mod ifupdown;
mod live_migration;
mod network_handover;
mod pacemaker;
mod xen;
