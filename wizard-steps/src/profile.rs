//! The cluster profile: everything the wizard gathers, as one strict, versioned TOML file.
//!
//! The profile keeps what the administrator typed (addresses and sizes stay text) so that the
//! wizard can hold half-finished input; [`crate::validate`] turns it into a checked
//! [`crate::Design`] and names every field that is wrong.

use std::fmt;

use serde::{Deserialize, Serialize};

pub mod store;

/// The profile format this build reads and writes.
pub const PROFILE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Format version of the file; see [`PROFILE_VERSION`].
    pub version: u32,
    pub cluster: Cluster,
    /// Exactly two nodes; validation says so when there are not.
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub network: Network,
    pub storage: Storage,
    pub vms: Vec<Vm>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Corosync cluster name; also names the profile file.
    pub name: String,
    /// Debian release on both nodes.
    pub debian: DebianRelease,
    #[serde(default)]
    pub failback: Failback,
    pub fencing: Fencing,
    /// A third machine whose vote breaks the tie when the two nodes lose each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum_device: Option<QuorumDevice>,
    /// Corosync authentication and encryption with a shared authkey.
    #[serde(default = "default_true")]
    pub corosync_crypto: bool,
    /// Experimental: DRBD dual-primary so that Xen can migrate a running VM.
    #[serde(default)]
    pub live_migration: bool,
    /// Corosync's token timeout: how long a silent node is waited for before it counts as
    /// failed (corosync's own default, 3000 ms, when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corosync_token_ms: Option<u32>,
    #[serde(default)]
    pub drbd: DrbdOptions,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum DebianRelease {
    /// Debian 12: in-kernel DRBD 8.4, Pacemaker 2.1, Xen 4.17.
    Bookworm,
    /// Debian 13: in-kernel DRBD 8.4, Pacemaker 3.0, Xen 4.20.
    Trixie,
}

impl DebianRelease {
    pub const ALL: [DebianRelease; 2] = [DebianRelease::Bookworm, DebianRelease::Trixie];
    /// What a new cluster gets: Debian's current stable release (12 is oldstable).
    pub const NEWEST: DebianRelease = DebianRelease::Trixie;

    pub fn number(self) -> u8 {
        match self {
            DebianRelease::Bookworm => 12,
            DebianRelease::Trixie => 13,
        }
    }

    pub fn codename(self) -> &'static str {
        match self {
            DebianRelease::Bookworm => "bookworm",
            DebianRelease::Trixie => "trixie",
        }
    }
}

impl Default for Failback {
    fn default() -> Self {
        Failback::ReturnHome {}
    }
}

impl Default for SshAuth {
    fn default() -> Self {
        SshAuth::Agent {}
    }
}

impl TryFrom<u8> for DebianRelease {
    type Error = String;

    fn try_from(number: u8) -> Result<Self, Self::Error> {
        DebianRelease::ALL
            .into_iter()
            .find(|release| release.number() == number)
            .ok_or_else(|| {
                format!("Debian {number} is not supported: use 12 (bookworm) or 13 (trixie)")
            })
    }
}

impl From<DebianRelease> for u8 {
    fn from(release: DebianRelease) -> u8 {
        release.number()
    }
}

impl fmt::Display for DebianRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Debian {} ({})", self.number(), self.codename())
    }
}

/// What happens when a failed home node comes back.
// Variants without fields are written `Name {}`: serde's deny_unknown_fields does not reach unit
// variants of a tagged enum, and a stray key must be an error (likewise below).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Failback {
    /// VMs move back to their home node as soon as it is back (the seed's choice).
    ReturnHome {},
    /// VMs stay where they run until an administrator moves them.
    Stay {},
    /// VMs move back only while the local time is inside [start_hour, end_hour)
    /// (it may wrap past midnight, e.g. 22 to 6).
    Window { start_hour: u8, end_hour: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fencing {
    /// fence_ipmilan against each node's BMC (`nodes[].bmc`).
    Ipmi {},
    /// SBD: a small disk both nodes see, where a node is told to die (its "poison pill"),
    /// and a watchdog on each node that resets it when it loses the disk or its cluster.
    Sbd {
        /// The shared disk, by a name that is the same on both nodes (`/dev/disk/by-id/...`).
        device: String,
        /// Load Linux's software watchdog, for nodes without a hardware one (it resets the node
        /// only while the kernel itself still runs).
        #[serde(default)]
        softdog: bool,
    },
    /// No fencing. Only with the explicit acknowledgement that a split brain can then need
    /// manual recovery.
    None {
        #[serde(default)]
        acknowledge_split_brain_risk: bool,
    },
}

/// The tie-breaker: corosync-qnetd on a third machine, which Tandem reaches over SSH to install
/// it and sign the cluster's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuorumDevice {
    /// Where the nodes reach qnetd: the machine's address or DNS name as the nodes see it.
    pub address: String,
    #[serde(default = "default_qnetd_port")]
    pub port: u16,
    /// How Tandem reaches the machine.
    pub ssh: SshAccess,
}

/// corosync-qnetd's own port.
pub const QNETD_PORT: u16 = 5403;

fn default_qnetd_port() -> u16 {
    QNETD_PORT
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrbdOptions {
    #[serde(default)]
    pub protocol: DrbdProtocol,
    /// Fixed resync rate in DRBD's units (K, M or G bytes per second), e.g. "100M".
    #[serde(default = "default_resync_rate")]
    pub resync_rate: String,
    #[serde(default)]
    pub verify_alg: VerifyAlg,
    /// When both volumes of a VM are proven blank, skip the initial full sync.
    #[serde(default = "default_true")]
    pub skip_initial_sync_when_blank: bool,
}

fn default_resync_rate() -> String {
    "100M".to_owned()
}

impl Default for DrbdOptions {
    fn default() -> Self {
        DrbdOptions {
            protocol: DrbdProtocol::default(),
            resync_rate: default_resync_rate(),
            verify_alg: VerifyAlg::default(),
            skip_initial_sync_when_blank: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DrbdProtocol {
    A,
    B,
    #[default]
    C,
}

impl fmt::Display for DrbdProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = match self {
            DrbdProtocol::A => "A",
            DrbdProtocol::B => "B",
            DrbdProtocol::C => "C",
        };
        f.write_str(letter)
    }
}

/// Digest for `drbdadm verify`; names as the kernel crypto API spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyAlg {
    #[default]
    Md5,
    Sha1,
    Sha256,
    Crc32c,
}

impl VerifyAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyAlg::Md5 => "md5",
            VerifyAlg::Sha1 => "sha1",
            VerifyAlg::Sha256 => "sha256",
            VerifyAlg::Crc32c => "crc32c",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// `uname -n` of the node: also its DRBD `on` name and Pacemaker node name.
    pub hostname: String,
    pub ssh: SshAccess,
    pub lan: Lan,
    /// Address on the cluster link that carries DRBD and corosync traffic (the seed uses the LAN
    /// address itself).
    pub replication_address: String,
    /// Memory reserved for dom0 (Xen `dom0_mem`).
    #[serde(default = "default_dom0_memory_mib")]
    pub dom0_memory_mib: u32,
    /// The node's BMC, needed when fencing is IPMI. Its password is asked at run time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bmc: Option<Bmc>,
}

fn default_dom0_memory_mib() -> u32 {
    2048
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshAccess {
    /// Address or DNS name Tandem connects to.
    pub host: String,
    #[serde(default = "default_ssh_port")]
    pub port: u16,
    #[serde(default = "default_ssh_user")]
    pub user: String,
    #[serde(default)]
    pub auth: SshAuth,
    /// Run commands through sudo (for a user other than root).
    #[serde(default)]
    pub sudo: bool,
}

fn default_ssh_port() -> u16 {
    22
}

fn default_ssh_user() -> String {
    "root".to_owned()
}

/// How Tandem authenticates. A password is asked when needed and never written to the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SshAuth {
    Agent {},
    KeyFile { path: String },
    Password {},
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lan {
    /// The NIC that joins the bridge (e.g. enp1s0).
    pub nic: String,
    /// The node's LAN address with prefix length, e.g. "192.168.1.1/24"; it moves to the bridge.
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bmc {
    pub address: String,
    pub user: String,
    /// IPMI v2.0 (lanplus), which almost every current BMC wants.
    #[serde(default = "default_true")]
    pub lanplus: bool,
    /// The lanplus cipher suite (3 or 17 on most BMCs); absent, ipmitool asks the BMC, which
    /// some BMCs do not answer (each call then waits for a time-out first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<u8>,
}

impl Bmc {
    /// A BMC entry to fill in: lanplus, the cipher suite negotiated.
    pub fn blank() -> Bmc {
        Bmc {
            address: String::new(),
            user: String::new(),
            lanplus: true,
            cipher: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    #[serde(default = "default_bridge")]
    pub bridge: String,
    #[serde(default)]
    pub stp: bool,
    /// Bridge forward delay in seconds.
    #[serde(default)]
    pub forward_delay: u8,
}

fn default_bridge() -> String {
    "br0".to_owned()
}

impl Default for Network {
    fn default() -> Self {
        Network {
            bridge: default_bridge(),
            stp: false,
            forward_delay: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// LVM volume group on both nodes (the seed's "virtuals").
    pub volume_group: String,
    #[serde(default)]
    pub volumes: Vec<Volume>,
    /// Where install ISOs uploaded from this workstation go on the nodes; Tandem uploads
    /// nowhere else.
    #[serde(default = "default_iso_directory")]
    pub iso_directory: String,
}

/// The ISO directory of new profiles.
pub const DEFAULT_ISO_DIRECTORY: &str = "/var/lib/tandem/iso";

fn default_iso_directory() -> String {
    DEFAULT_ISO_DIRECTORY.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// Logical volume name, the same on both nodes.
    pub name: String,
    /// Size with a unit as lvcreate takes it: "512M", "50G", "2T".
    pub size: String,
    /// Create the volume on a node where it is missing.
    #[serde(default = "default_true")]
    pub create: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vm {
    /// Xen domain name, DRBD resource name and the stem of its Pacemaker ids.
    pub name: String,
    /// Hostname of the node the VM runs on normally.
    pub home: String,
    pub memory_mib: u32,
    #[serde(default = "default_vcpus")]
    pub vcpus: u32,
    /// The `storage.volumes` entry that is this VM's disk.
    pub volume: String,
    pub boot: Boot,
    /// DRBD minor (/dev/drbdN); assigned automatically when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drbd_minor: Option<u32>,
    /// DRBD TCP port; assigned automatically when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drbd_port: Option<u16>,
    /// A LAN address that moves with the VM: an HVM VM's VNC console listens there; for a PV VM
    /// it is a service address only (PV guests get no VNC console).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_ip: Option<String>,
    /// The VM's NIC MAC address; derived from the cluster and VM names when absent, so that the
    /// guest sees the same NIC on both nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// Hostname of the node whose existing data on this volume is kept and copied to the other
    /// node. Without it, Tandem refuses to initialise a volume that holds data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_data_on: Option<String>,
}

fn default_vcpus() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Boot {
    /// Fully virtualised guest (needs VT-x/AMD-V): installs from an ISO over a VNC console.
    Hvm {
        /// Path of the install ISO on the nodes.
        iso: String,
        /// A file on this workstation to upload to `iso` on both nodes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        iso_source: Option<String>,
        /// VNC console password (VNC allows at most 8 characters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vnc_password: Option<String>,
    },
    /// Paravirtualised guest started from a kernel on the nodes.
    Pv {
        kernel: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ramdisk: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra: Option<String>,
    },
}

/// A workstation path as a profile holds it (a key file, an ISO to upload): `~/x` is the home
/// directory's `x`.
pub fn expand_home(path: &str) -> std::path::PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => directories::BaseDirs::new()
            .map(|dirs| dirs.home_dir().join(rest))
            .unwrap_or_else(|| std::path::PathBuf::from(path)),
        None => std::path::PathBuf::from(path),
    }
}

/// Why a profile file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error(
        "{path}: profile version {found} is not supported by this Tandem (it reads version {PROFILE_VERSION}); open it with the Tandem that wrote it"
    )]
    Version { path: String, found: u32 },
    #[error("could not write the profile as TOML: {0}")]
    Serialize(#[from] toml::ser::Error),
}

impl Profile {
    /// Parses a profile from TOML text; `origin` names the file in error messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text).map_err(|error| ProfileError::Parse {
            path: origin.to_owned(),
            message: error.to_string(),
        })?;
        if profile.version != PROFILE_VERSION {
            return Err(ProfileError::Version {
                path: origin.to_owned(),
                found: profile.version,
            });
        }
        Ok(profile)
    }

    pub fn to_toml(&self) -> Result<String, ProfileError> {
        Ok(toml::to_string_pretty(self)?)
    }

    /// The starting point of a new cluster in the wizard: two empty nodes reached as root with
    /// the SSH agent, no fencing until the administrator decides, nothing else filled in.
    pub fn new_cluster() -> Profile {
        let node = Node {
            hostname: String::new(),
            ssh: SshAccess {
                host: String::new(),
                port: default_ssh_port(),
                user: default_ssh_user(),
                auth: SshAuth::Agent {},
                sudo: false,
            },
            lan: Lan {
                nic: String::new(),
                address: String::new(),
                gateway: None,
            },
            replication_address: String::new(),
            dom0_memory_mib: default_dom0_memory_mib(),
            bmc: None,
        };
        Profile {
            version: PROFILE_VERSION,
            cluster: Cluster {
                name: String::new(),
                debian: DebianRelease::NEWEST,
                failback: Failback::default(),
                fencing: Fencing::None {
                    acknowledge_split_brain_risk: false,
                },
                quorum_device: None,
                corosync_crypto: true,
                live_migration: false,
                corosync_token_ms: None,
                drbd: DrbdOptions::default(),
            },
            nodes: vec![node.clone(), node],
            network: Network::default(),
            storage: Storage {
                volume_group: String::new(),
                volumes: Vec::new(),
                iso_directory: default_iso_directory(),
            },
            vms: Vec::new(),
        }
    }

    pub fn node(&self, hostname: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.hostname == hostname)
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.storage
            .volumes
            .iter()
            .find(|volume| volume.name == name)
    }
}

#[cfg(test)]
mod tests;
