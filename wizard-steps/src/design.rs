//! The design: a profile that passed validation, with everything parsed and derived that
//! rendering, planning, the facts and the report work from.

use std::fmt;
use std::net::Ipv4Addr;

use crate::profile::Profile;

/// A profile that passed validation, with everything parsed and derived that the renderers and
/// the planner need.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub profile: Profile,
    pub lan: Subnet,
    pub nodes: [NodeDesign; 2],
    pub vms: Vec<VmDesign>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeDesign {
    pub hostname: String,
    /// Corosync node id (1 or 2).
    pub node_id: u32,
    pub lan_address: Ipv4Addr,
    pub gateway: Option<Ipv4Addr>,
    pub replication_address: Ipv4Addr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VmDesign {
    pub name: String,
    /// Index into [`Design::nodes`] of the home node.
    pub home: usize,
    pub drbd_minor: u32,
    pub drbd_port: u16,
    /// `/dev/<vg>/<lv>` of the VM's volume.
    pub backing_disk: String,
    pub volume_size_mib: u64,
    pub console_ip: Option<Ipv4Addr>,
    pub mac: String,
}

/// An IPv4 network: the LAN both nodes and the console IPs share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub network: Ipv4Addr,
    pub prefix: u8,
}

impl Subnet {
    fn mask(self) -> u32 {
        u32::MAX
            .checked_shl(32 - u32::from(self.prefix))
            .unwrap_or(0)
    }

    pub fn contains(self, address: Ipv4Addr) -> bool {
        u32::from(address) & self.mask() == u32::from(self.network)
    }

    pub fn broadcast(self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !self.mask())
    }

    /// Whether the address can be given to a host (not the network or broadcast address).
    pub fn is_host(self, address: Ipv4Addr) -> bool {
        self.contains(address) && address != self.network && address != self.broadcast()
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}
