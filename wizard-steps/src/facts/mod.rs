//! Preflight: what Tandem reads from each node before it changes anything, and the verdict on
//! it. The facts a node gives are the types here; `script.rs` is the read-only scripts that ask
//! (discovery before there is a profile, the gather for a design) and the parser of their
//! `key=value` output; `verdict.rs` compares the facts of both nodes with the design
//! ([`evaluate`]). Pure apart from the scripts' text, which the runner executes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::profile::DebianRelease;
use crate::render::DrbdGeneration;

mod fencing;
mod script;
mod verdict;

pub use script::{VOLUME_PROBE, discovery_script, gather_script, parse};
pub use verdict::{Finding, LocalFacts, Severity, blocking, evaluate};

/// What one node told about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NodeFacts {
    pub uid: Option<u32>,
    pub hostname: String,
    /// /etc/machine-id: cloned installations share it, and then systemd gives both nodes'
    /// bridges the same MAC address.
    pub machine_id: String,
    pub os_id: String,
    pub os_version_id: String,
    /// Physical memory (Xen's total when the node already runs as dom0).
    pub memory_mib: u64,
    pub cpus: u32,
    /// VT-x/AMD-V available (as Xen reports it under dom0).
    pub hvm_capable: bool,
    /// The node already runs as Xen dom0.
    pub dom0: bool,
    /// The Xen hypervisor's command line, when running as dom0.
    pub xen_commandline: String,
    /// Version of the DRBD kernel module available (`modinfo`), e.g. "8.4.11".
    pub drbd_module: Option<String>,
    /// Installed versions of the packages Tandem needs (absent when not installed).
    pub installed: BTreeMap<String, String>,
    /// Packages apt cannot install (no candidate).
    pub unavailable: Vec<String>,
    pub nics: Vec<Nic>,
    /// IPv4 addresses with prefix, by interface.
    pub addresses: Vec<(String, String)>,
    pub volume_group: Option<VolumeGroup>,
    pub volumes: BTreeMap<String, LogicalVolume>,
    /// TCP ports something listens on.
    pub listening: Vec<u16>,
    /// DRBD resources that are up.
    pub drbd_up: Vec<String>,
    /// Paths on the node that exist (of those asked about).
    pub present_files: Vec<String>,
    /// VMs whose DRBD resource file Tandem rendered for this cluster: what the node carries,
    /// so that a VM gone from the profile can be retired.
    #[serde(default)]
    pub tandem_vms: Vec<String>,
    /// The peer may migrate VMs here as root (live migration was set up for this cluster).
    #[serde(default)]
    pub migration_access: bool,
    /// The peer's replication address answered a ping.
    pub reaches_peer: Option<bool>,
    /// Every volume group and its logical volumes, as [`discovery_script`] finds them before
    /// a profile names any.
    #[serde(default)]
    pub volume_groups: Vec<NamedVolumeGroup>,
    /// /etc/corosync/corosync.conf as it is on the node.
    #[serde(default)]
    pub corosync_conf: String,
    /// The settings the running corosync has (its configuration map), when it runs.
    #[serde(default)]
    pub corosync_running: BTreeMap<String, String>,
    /// The shared SBD disk as the node sees it (asked only when the design fences with SBD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbd_disk: Option<SbdDisk>,
    /// A watchdog device is there (/dev/watchdog).
    #[serde(default)]
    pub watchdog: bool,
    /// Linux's software watchdog module can be loaded.
    #[serde(default)]
    pub softdog_available: bool,
    /// Whether the BMC of the other node (the one this node fences with IPMI) answered an
    /// RMCP presence ping on UDP port 623 (asked only with IPMI fencing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_bmc_answers: Option<bool>,
    /// The protection services enabled at boot (`sbd`, `corosync-qdevice`): what a profile
    /// that no longer has them must switch off.
    #[serde(default)]
    pub enabled_services: Vec<String>,
    /// How a TCP connection to the quorum device's qnetd went (asked only with one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qnetd: Option<Reach>,
}

/// How a TCP connection from a node went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    /// Something listens there.
    Open,
    /// The machine answered that nothing listens there (before qnetd is installed).
    Refused,
    /// No answer in time, or no route: a wrong address or a firewall that drops.
    Unreachable,
}

/// The SBD disk as one node sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SbdDisk {
    /// No block device at the profile's name.
    Missing,
    Present {
        size_bytes: u64,
        /// It starts with SBD's header: initialised already (by Tandem or by hand).
        initialised: bool,
        /// What else the volume probe finds there (meaningless once initialised: SBD's slots
        /// are data to the probe).
        content: VolumeContent,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedVolumeGroup {
    pub name: String,
    pub size_mib: u64,
    pub free_mib: u64,
    pub volumes: BTreeMap<String, LogicalVolume>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nic {
    pub name: String,
    /// The bridge it is enslaved to.
    pub master: Option<String>,
    pub is_bridge: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeGroup {
    pub size_mib: u64,
    pub free_mib: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogicalVolume {
    pub size_mib: u64,
    /// What it holds, as [`VOLUME_PROBE`] found it.
    pub content: VolumeContent,
}

/// What a volume holds. Existing data is any of: a filesystem, a partition table (every
/// Windows or HVM disk image), DRBD metadata Tandem did not leave there, LVM, swap, RAID, or
/// anything but zeros in the first or last MiB.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", content = "found", rename_all = "kebab-case")]
pub enum VolumeContent {
    /// No signature of any kind, and its first and last MiB are all zero.
    #[default]
    Blank,
    /// Blank but for DRBD metadata that was never synced or used (its current generation
    /// UUID is DRBD's "just created"): what Tandem's metadata step leaves on a blank volume,
    /// found again by a resumed run.
    FreshDrbd,
    /// DRBD metadata of a resource that has run: the cluster's own replicated data, which DRBD
    /// itself keeps in step.
    Drbd,
    /// Existing data: each thing found, in words.
    Data(Vec<String>),
    /// Existing data under DRBD metadata that never synced (an interrupted run that kept one
    /// node's data, or metadata from elsewhere): still data, but the metadata step is done.
    DrbdOverData(Vec<String>),
}

impl VolumeContent {
    /// Proven to hold nothing (DRBD's fresh metadata aside).
    pub fn is_blank(&self) -> bool {
        matches!(self, VolumeContent::Blank | VolumeContent::FreshDrbd)
    }

    /// Holds something Tandem must not overwrite without the profile's and the
    /// administrator's say.
    pub fn holds_data(&self) -> bool {
        matches!(
            self,
            VolumeContent::Data(_) | VolumeContent::DrbdOverData(_)
        )
    }

    /// Has DRBD metadata: the metadata step finds it done.
    pub fn has_drbd_metadata(&self) -> bool {
        matches!(
            self,
            VolumeContent::FreshDrbd | VolumeContent::Drbd | VolumeContent::DrbdOverData(_)
        )
    }

    /// In words, for the preflight and the Storage page.
    pub fn describe(&self) -> String {
        match self {
            VolumeContent::Blank => "blank".to_owned(),
            VolumeContent::FreshDrbd => "blank (DRBD metadata, never synced)".to_owned(),
            VolumeContent::Drbd => "DRBD metadata of a resource that has run".to_owned(),
            VolumeContent::Data(found) => found.join(", "),
            VolumeContent::DrbdOverData(found) => {
                format!("DRBD metadata that never synced, over {}", found.join(", "))
            }
        }
    }

    /// Parses [`VOLUME_PROBE`]'s words.
    pub fn from_probe(words: &str) -> VolumeContent {
        let words: Vec<&str> = words.split_whitespace().collect();
        if words.is_empty() || words == ["blank"] {
            return VolumeContent::Blank;
        }
        let mut found = Vec::new();
        let mut stray = Vec::new();
        let (mut drbd, mut fresh, mut used) = (false, false, false);
        for word in &words {
            match *word {
                "signature:drbd" => drbd = true,
                "drbd-fresh" => fresh = true,
                "drbd-used" => used = true,
                "data-at-start" => stray.push("non-zero data in its first MiB".to_owned()),
                "data-at-end" => stray.push("non-zero data in its last MiB".to_owned()),
                word => {
                    let signature = word.strip_prefix("signature:").unwrap_or(word);
                    found.push(describe_signature(signature));
                }
            }
        }
        // Bytes a recognised signature explains need no words of their own.
        if found.is_empty() {
            found = stray;
        }
        match (drbd, found.is_empty()) {
            // A resource that has run holds the guests' data (a filesystem, a partition
            // table): the cluster's own, which DRBD keeps.
            (true, _) if used => VolumeContent::Drbd,
            (true, true) if fresh => VolumeContent::FreshDrbd,
            (true, false) if fresh => VolumeContent::DrbdOverData(found),
            (true, _) => {
                found.insert(0, "DRBD metadata of unknown origin".to_owned());
                VolumeContent::Data(found)
            }
            (false, _) => VolumeContent::Data(found),
        }
    }
}

/// A libblkid signature name as a person reads it.
fn describe_signature(signature: &str) -> String {
    match signature {
        "dos" | "gpt" | "PMBR" | "atari" | "bsd" | "mac" | "sgi" | "sun" => {
            format!("a {signature} partition table")
        }
        "LVM2_member" | "LVM1_member" => "an LVM physical volume".to_owned(),
        "swap" => "swap space".to_owned(),
        "linux_raid_member" | "isw_raid_member" | "ddf_raid_member" => "a RAID member".to_owned(),
        "crypto_LUKS" => "a LUKS encrypted volume".to_owned(),
        other => format!("a filesystem ({other})"),
    }
}

impl NodeFacts {
    /// What a plan made without reading the nodes assumes of both: freshly installed, nothing of
    /// Tandem's there yet, with the given DRBD module (`tandem plan`, the offline Review).
    pub fn assumed(drbd: DrbdGeneration) -> [NodeFacts; 2] {
        let module = match drbd {
            DrbdGeneration::V84 => "8.4.11",
            DrbdGeneration::V9 => "9.2.0",
        };
        let facts = NodeFacts {
            drbd_module: Some(module.to_owned()),
            ..NodeFacts::default()
        };
        [facts.clone(), facts]
    }

    /// The DRBD generation of the node's module (Debian's own 8.4 unless LINBIT's 9 is there).
    pub fn drbd_generation(&self) -> DrbdGeneration {
        match &self.drbd_module {
            Some(version) if version.starts_with("9.") => DrbdGeneration::V9,
            _ => DrbdGeneration::V84,
        }
    }

    pub fn debian_release(&self) -> Option<DebianRelease> {
        if self.os_id != "debian" {
            return None;
        }
        self.os_version_id
            .parse::<u8>()
            .ok()
            .and_then(|number| DebianRelease::try_from(number).ok())
    }

    pub fn volume(&self, name: &str) -> Option<&LogicalVolume> {
        self.volumes.get(name)
    }

    pub fn has_file(&self, path: &str) -> bool {
        self.present_files.iter().any(|present| present == path)
    }

    /// The node's corosync runs `cluster` (not Debian's placeholder, not stopped): a change to
    /// its configuration reaches running VMs.
    /// Whether `unit` starts at boot.
    pub fn enabled(&self, unit: &str) -> bool {
        self.enabled_services.iter().any(|enabled| enabled == unit)
    }

    pub fn runs_cluster(&self, cluster: &str) -> bool {
        self.corosync_running
            .get("totem.cluster_name")
            .is_some_and(|name| name == cluster)
    }
}

#[cfg(test)]
mod tests;
