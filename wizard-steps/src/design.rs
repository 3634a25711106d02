//! The design: a profile that passed validation, with everything parsed and derived that
//! rendering, planning, the facts, the report and maintenance work from. Only validation and
//! the profile editor (the wizard's pages) read the raw [`crate::Profile`]; everything after
//! them reads this.

use std::fmt;
use std::net::Ipv4Addr;

use crate::profile::{Bmc, Boot, Cluster, DebianRelease, Fencing, Network, SshAccess};

/// A profile that passed validation, with everything parsed and derived that the renderers and
/// the planner need.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// The cluster-wide choices: typed already in the profile, so carried over as they are.
    pub cluster: Cluster,
    /// The LAN both nodes share.
    pub lan: Subnet,
    /// The bridge: typed already in the profile.
    pub network: Network,
    pub storage: StorageDesign,
    pub nodes: [NodeDesign; 2],
    /// In profile order.
    pub vms: Vec<VmDesign>,
}

impl Design {
    /// Memory the VMs take when they all run on one node (as they do after a failover).
    pub fn vms_memory_mib(&self) -> u64 {
        self.vms.iter().map(|vm| u64::from(vm.memory_mib)).sum()
    }

    /// Memory node `node` needs to run every VM at once, dom0 included.
    pub fn memory_needed_mib(&self, node: usize) -> u64 {
        self.vms_memory_mib() + u64::from(self.nodes[node].dom0_memory_mib)
    }

    /// Whether any VM is a fully virtualised guest (it needs Xen's device model and VT-x).
    pub fn has_hvm(&self) -> bool {
        self.vms
            .iter()
            .any(|vm| matches!(vm.boot, Boot::Hvm { .. }))
    }

    /// Whether the cluster fences (through the nodes' BMCs or SBD).
    pub fn fences(&self) -> bool {
        !matches!(self.cluster.fencing, Fencing::None { .. })
    }

    /// Both nodes' hostnames, node1's first.
    pub fn hostnames(&self) -> [String; 2] {
        [
            self.nodes[0].hostname.clone(),
            self.nodes[1].hostname.clone(),
        ]
    }

    /// Debian packages a node needs for the design.
    pub fn packages(&self) -> Vec<&'static str> {
        let mut packages = vec![
            "xen-system-amd64",
            "drbd-utils",
            "corosync",
            "pacemaker",
            "pacemaker-cli-utils",
            "crmsh",
            "resource-agents",
            "bridge-utils",
            "ifupdown",
        ];
        if self.has_hvm() {
            // HVM guests need Xen's device model.
            packages.push("qemu-system-xen");
        }
        packages.extend(self.protection().into_iter().map(|(package, _)| package));
        packages
    }

    /// The packages a node installs against a split brain (its fencing method's, the quorum
    /// device's client), each with what it is for: the Review page lists them.
    pub fn protection(&self) -> Vec<(&'static str, &'static str)> {
        // Debian 12's fence-agents holds every agent; Debian 13 splits the agents into
        // packages (its fence-agents is a transitional package pulling all of them, 597
        // packages).
        const IPMI_AGENT: &str = "fence_ipmilan, which powers the other node off through its BMC";
        const SBD_AGENT: &str =
            "fence_sbd, which leaves the other node its poison pill on the disk";
        const SBD_DAEMON: &str = "the SBD daemon, which watches the shared disk and keeps the watchdog from resetting a healthy node";
        let mut packages = match (&self.cluster.fencing, self.cluster.debian) {
            // fence_ipmilan drives the BMC through ipmitool, which Debian 12's fence-agents
            // does not pull in and Debian 13's fence-agents-ipmilan depends on.
            (Fencing::Ipmi {}, DebianRelease::Bookworm) => vec![
                ("fence-agents", IPMI_AGENT),
                ("ipmitool", "the IPMI client fence_ipmilan drives"),
            ],
            (Fencing::Ipmi {}, DebianRelease::Trixie) => {
                vec![("fence-agents-ipmilan", IPMI_AGENT)]
            }
            (Fencing::Sbd { .. }, DebianRelease::Bookworm) => {
                vec![("sbd", SBD_DAEMON), ("fence-agents", SBD_AGENT)]
            }
            (Fencing::Sbd { .. }, DebianRelease::Trixie) => {
                vec![("sbd", SBD_DAEMON), ("fence-agents-sbd", SBD_AGENT)]
            }
            (Fencing::None { .. }, _) => Vec::new(),
        };
        if self.cluster.quorum_device.is_some() {
            packages.push((
                "corosync-qdevice",
                "the quorum device's client, which asks corosync-qnetd for the third vote",
            ));
        }
        packages
    }

    /// The index of the node with this hostname.
    pub fn node_index(&self, hostname: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.hostname == hostname)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageDesign {
    /// The LVM volume group on both nodes.
    pub volume_group: String,
    /// The only directory ISOs are uploaded to.
    pub iso_directory: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeDesign {
    pub hostname: String,
    /// Corosync node id (1 or 2).
    pub node_id: u32,
    /// How Tandem reaches the node.
    pub ssh: SshAccess,
    /// The NIC that joins the bridge.
    pub nic: String,
    pub lan_address: Ipv4Addr,
    pub gateway: Option<Ipv4Addr>,
    pub replication_address: Ipv4Addr,
    /// Memory reserved for dom0.
    pub dom0_memory_mib: u32,
    /// The node's BMC (present on both nodes when the cluster fences).
    pub bmc: Option<Bmc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VmDesign {
    pub name: String,
    /// Index into [`Design::nodes`] of the home node.
    pub home: usize,
    pub memory_mib: u32,
    pub vcpus: u32,
    pub boot: Boot,
    /// The logical volume's name (the same on both nodes).
    pub volume: String,
    /// Whether Tandem creates the volume where it is missing.
    pub creates_volume: bool,
    /// `/dev/<vg>/<lv>` of the VM's volume.
    pub backing_disk: String,
    pub volume_size_mib: u64,
    /// Index into [`Design::nodes`] of the node whose existing data on the volume is kept.
    pub keep_data_on: Option<usize>,
    pub drbd_minor: u32,
    pub drbd_port: u16,
    pub console_ip: Option<Ipv4Addr>,
    pub mac: String,
}

impl VmDesign {
    /// The logical volume's size: the data, plus room for DRBD's metadata after it when existing
    /// data is kept (metadata at the end of the volume must not overwrite the data).
    pub fn lv_size_mib(&self) -> u64 {
        if self.keep_data_on.is_some() {
            self.volume_size_mib + metadata_room_mib(self.volume_size_mib)
        } else {
            self.volume_size_mib
        }
    }
}

/// Room DRBD 8.4/9 internal metadata needs after `size_mib` of data (bitmap, activity log,
/// superblock), rounded up to whole 4 MiB LVM extents.
pub fn metadata_room_mib(size_mib: u64) -> u64 {
    let bitmap_kib = size_mib.div_ceil(32);
    let total_mib = (bitmap_kib + 36).div_ceil(1024) + 1;
    total_mib.div_ceil(4) * 4
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
