//! Validation: every problem of a profile at once, each naming its field and the fix, and — when
//! there is none — the checked [`Design`] that rendering and planning work from.
//!
//! One file per profile section (`cluster`, `nodes`, `network`, `storage`, `vms`), the rule of
//! each kind of value that reaches a file or a command in `kinds.rs`, the syntax of single
//! values in `syntax.rs`; the result is a [`crate::design::Design`].

pub mod kinds;

mod cluster;
mod network;
mod nodes;
mod storage;
mod syntax;
mod vms;

use std::fmt;
use std::net::Ipv4Addr;

use crate::field::Field;
use crate::profile::Profile;

use self::kinds::Broken;
use self::syntax::same_value;

pub use crate::design::{Design, NodeDesign, StorageDesign, Subnet, VmDesign};
pub use syntax::{derived_mac, parse_interface_address, parse_size_mib};

/// One thing wrong with a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field; shown as its path in the TOML file: `vms[1].memory_mib`.
    pub field: Field,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.fix)
    }
}

/// Every problem found in a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Every problem of `profile`; none when it is valid (for showing while it is edited).
    pub fn of(profile: &Profile) -> Problems {
        validate(profile).err().unwrap_or(Problems(Vec::new()))
    }

    /// The problems of one field, for showing under it.
    pub fn for_field(&self, field: Field) -> impl Iterator<Item = &Problem> + '_ {
        self.0.iter().filter(move |problem| problem.field == field)
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.0 {
            writeln!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// The DRBD minors and ports assigned when a VM does not set its own.
pub const FIRST_DRBD_MINOR: u32 = 1;

pub const FIRST_DRBD_PORT: u16 = 7789;

/// The in-kernel DRBD 8.4 module accepts at most this many minors (`minor_count`).
pub const MAX_DRBD_MINOR: u32 = 255;

/// Ports corosync's knet transport uses by default.
const COROSYNC_PORTS: std::ops::RangeInclusive<u16> = 5404..=5406;

/// Validation's answer for a profile being edited, made once per change: its design when it is
/// valid (with no problems), every problem otherwise.
pub fn verdict(profile: &Profile) -> (Option<Design>, Problems) {
    match validate(profile) {
        Ok(design) => (Some(design), Problems(Vec::new())),
        Err(problems) => (None, problems),
    }
}

/// Checks the whole profile. Returns the [`Design`] when nothing is wrong, every problem otherwise.
pub fn validate(profile: &Profile) -> Result<Design, Problems> {
    let mut check = Checker::default();
    check.cluster(profile);
    let nodes = check.nodes(profile);
    check.network(profile);
    let volume_sizes = check.storage(profile);
    let vms = check.vms(profile, nodes.as_ref(), &volume_sizes);
    match (check.problems.is_empty(), nodes, vms) {
        (true, Some((lan, nodes)), Some(vms)) => Ok(Design {
            cluster: profile.cluster.clone(),
            lan,
            network: profile.network.clone(),
            storage: StorageDesign {
                volume_group: profile.storage.volume_group.clone(),
                iso_directory: profile.storage.iso_directory.clone(),
            },
            nodes,
            vms,
        }),
        _ => {
            debug_assert!(
                !check.problems.is_empty(),
                "a part failed without saying why"
            );
            Err(Problems(check.problems))
        }
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    /// A value that breaks the rule of its kind ([`kinds`]).
    fn broken(&mut self, field: Field, broken: Broken) {
        self.report(field, broken.message, broken.allowed);
    }

    fn report(&mut self, field: Field, message: impl Into<String>, fix: impl Into<String>) {
        self.problems.push(Problem {
            field,
            message: message.into(),
            fix: fix.into(),
        });
    }

    fn differ(&mut self, field: Field, first: &str, second: &str, what: &str) {
        if same_value(first, second) {
            self.report(
                field,
                format!("both nodes have the {what} \"{second}\""),
                format!("give each node its own {what}"),
            );
        }
    }

    fn ipv4(&mut self, field: Field, text: &str, fix: &str) -> Option<Ipv4Addr> {
        match text.trim().parse::<Ipv4Addr>() {
            Ok(address) => Some(address),
            Err(_) => {
                self.report(field, format!("\"{text}\" is not an IPv4 address"), fix);
                None
            }
        }
    }

    fn interface_address(&mut self, field: Field, text: &str) -> Option<(Ipv4Addr, Subnet)> {
        match parse_interface_address(text) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                self.report(
                    field,
                    message,
                    "write the address with its prefix length, e.g. 192.168.1.1/24",
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
