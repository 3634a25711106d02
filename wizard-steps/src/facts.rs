//! Preflight: what Tandem reads from each node before it changes anything, and the verdict on
//! it. The gather script is read-only; its `key=value` output is parsed into [`NodeFacts`], and
//! [`evaluate`] compares the facts of both nodes with the design. Pure apart from the script's
//! text, which the runner executes.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::field::{Field, VmField};
use crate::profile::{Boot, DebianRelease};
use crate::remote::quote;
use crate::render::DrbdGeneration;
use crate::validate::Design;

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

/// Shell (POSIX sh) that defines `volume_probe DEVICE [RESOURCE MINOR]`, which prints what the
/// device holds as words for [`VolumeContent::from_probe`]: `blank`, or `signature:TYPE` for
/// every signature wipefs lists (filesystems, partition tables, LVM, swap, RAID, DRBD), and
/// `data-at-start` / `data-at-end` when the first or last MiB is not all zero. With DRBD
/// metadata of a configured resource it adds `drbd-fresh` (never synced: its current
/// generation UUID is "just created") or `drbd-used`, and the last MiB checked is the last of
/// the data, before the metadata. Read-only: wipefs without -a only lists, drbdadm only
/// reads the metadata.
pub const VOLUME_PROBE: &str = r#"volume_probe() {
  dev=$1 res=$2 minor=$3 found="" gi=""
  for sig in $(wipefs --noheadings --output TYPE "$dev" 2>/dev/null); do found="$found signature:$sig"; done
  cmp -s -n 1048576 "$dev" /dev/zero || found="$found data-at-start"
  end=$(blockdev --getsize64 "$dev" 2>/dev/null || stat -L -c %s "$dev")
  case "$found" in *signature:drbd*)
    end=""
    if [ -n "$res" ] && [ -e "/etc/drbd.d/$res.res" ]; then
      gi=$(drbdadm get-gi "$res" 2>/dev/null | tail -n 1)
      if drbdsetup status "$res" >/dev/null 2>&1; then end=$(( $(cat "/sys/block/drbd$minor/size" 2>/dev/null || echo 0) * 512 ))
      else end=$(drbdadm -- --force dump-md "$res" 2>/dev/null | sed -n 's/^# bm_offset //p'); fi
    fi
    case "$gi" in 0000000000000004:*) found="$found drbd-fresh" ;; ?*) found="$found drbd-used" ;; esac ;;
  esac
  if [ "${end:-0}" -gt 1048576 ] 2>/dev/null; then
    dd if="$dev" bs=1048576 skip=$((end - 1048576)) count=1 iflag=skip_bytes 2>/dev/null | cmp -s -n 1048576 - /dev/zero || found="$found data-at-end"
  fi
  found=${found# }
  echo "${found:-blank}"
}
"#;

impl NodeFacts {
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
    pub fn runs_cluster(&self, cluster: &str) -> bool {
        self.corosync_running
            .get("totem.cluster_name")
            .is_some_and(|name| name == cluster)
    }
}

/// Who and what the node is: the part of every look at a node that needs no profile.
const IDENTITY_SCRIPT: &str = r#"export LC_ALL=C
echo "uid=$(id -u)"
echo "hostname=$(uname -n)"
echo "machine_id=$(cat /etc/machine-id 2>/dev/null)"
. /etc/os-release 2>/dev/null && echo "os_id=$ID" && echo "os_version_id=$VERSION_ID"
echo "cpus=$(nproc)"
if command -v xl >/dev/null 2>&1 && xl_info=$(xl info 2>/dev/null); then
  echo dom0=yes
  echo "memory_mib=$(printf '%s\n' "$xl_info" | awk -F': *' '/^total_memory/ {print $2}')"
  printf '%s\n' "$xl_info" | grep -q 'virt_caps.*hvm' && echo hvm=yes || echo hvm=no
  echo "xen_commandline=$(printf '%s\n' "$xl_info" | awk -F': *' '/^xen_commandline/ {print $2}')"
else
  echo dom0=no
  echo "memory_mib=$(( $(awk '/^MemTotal/ {print $2}' /proc/meminfo) / 1024 ))"
  grep -qwE 'vmx|svm' /proc/cpuinfo && echo hvm=yes || echo hvm=no
fi
"#;

/// The node's network interfaces and IPv4 addresses.
const INTERFACES_SCRIPT: &str = r#"for dev in /sys/class/net/*; do
  name=${dev##*/}
  master=$(basename "$(readlink "$dev/master" 2>/dev/null)" 2>/dev/null)
  [ -d "$dev/bridge" ] && kind=bridge || kind=link
  echo "nic=$name $kind $master"
done
ip -o -4 addr show 2>/dev/null | awk '{print "address=" $2 " " $4}'
"#;

/// The read-only script that tells what a node is and has before there is a profile to check it
/// against: identity, memory, interfaces, every volume group and logical volume (with what blkid
/// finds on it). The wizard runs it when the administrator connects to a node.
pub fn discovery_script() -> String {
    format!(
        r#"{IDENTITY_SCRIPT}{INTERFACES_SCRIPT}vgs --noheadings --units m --nosuffix -o vg_name,vg_size,vg_free 2>/dev/null | awk '{{print "group=" $1 " " int($2) " " int($3)}}'
{VOLUME_PROBE}lvs --noheadings --units m --nosuffix -o vg_name,lv_name,lv_size 2>/dev/null | while read -r vg lv size; do
  echo "group_volume=$vg $lv ${{size%%.*}} $(volume_probe "/dev/$vg/$lv")"
done
"#
    )
}

/// The read-only script that reports a node's facts, for node `index` of the design.
pub fn gather_script(design: &Design, index: usize) -> String {
    let peer = design.nodes[1 - index].replication_address;
    let vg = quote(&design.storage.volume_group);
    // Each VM's volume: its size, and what it holds (probed with its DRBD resource, whose
    // metadata may be Tandem's own from an earlier, interrupted run).
    let volumes: String = design
        .vms
        .iter()
        .map(|vm| {
            let disk = quote(&vm.backing_disk);
            let name = quote(&vm.volume);
            format!(
                "if [ -b {disk} ]; then\n  echo \"lv={name} $(lvs --noheadings --units m --nosuffix -o lv_size {disk} 2>/dev/null | awk '{{print int($1)}}')\"\n  echo \"content={name} $(volume_probe {disk} {resource} {minor})\"\nfi\n",
                resource = quote(&vm.name),
                minor = vm.drbd_minor,
            )
        })
        .collect();
    let files: Vec<String> = design
        .vms
        .iter()
        .flat_map(|vm| match &vm.boot {
            Boot::Hvm { iso, .. } => vec![quote(iso)],
            Boot::Pv {
                kernel, ramdisk, ..
            } => std::iter::once(quote(kernel))
                .chain(ramdisk.as_deref().map(quote))
                .collect(),
        })
        .collect();
    let packages = design.packages().join(" ");
    format!(
        r#"{IDENTITY_SCRIPT}echo "drbd_module=$(modinfo -F version drbd 2>/dev/null)"
for package in {packages}; do
  installed=$(dpkg-query -W -f='${{Status}} ${{Version}}' "$package" 2>/dev/null | awk '/install ok installed/ {{print $4}}')
  if [ -n "$installed" ]; then echo "installed=$package $installed"
  elif ! apt-cache policy "$package" 2>/dev/null | grep -q 'Candidate: [0-9]'; then echo "unavailable=$package"; fi
done
{INTERFACES_SCRIPT}vgs --noheadings --units m --nosuffix -o vg_size,vg_free {vg} 2>/dev/null | awk '{{print "vg=" int($1) " " int($2)}}'
{VOLUME_PROBE}{volumes}ss -Htln 2>/dev/null | awk '{{n = split($4, part, ":"); print "listening=" part[n]}}'
command -v drbdsetup >/dev/null 2>&1 && drbdsetup status 2>/dev/null | awk '/^[^ ]/ {{print "drbd_up=" $1}}'
for file in {files}; do [ -e "$file" ] && echo "file=$file"; done
for res in /etc/drbd.d/*.res; do
  [ -f "$res" ] && head -n 1 "$res" | grep -qF {marker} && echo "tandem_vm=$(basename "$res" .res)"
done
if [ -e {migration_config} ] || grep -qsF {migration_comment} {authorized_keys}; then echo migration_access=yes; fi
ping -c 1 -W 2 {peer} >/dev/null 2>&1 && echo reaches_peer=yes || echo reaches_peer=no
if systemctl is-active --quiet corosync 2>/dev/null; then
  corosync-cmapctl 2>/dev/null | grep -E '^(totem|nodelist|quorum|logging)\.' | sed 's/^/corosync_running=/'
fi
[ -r {corosync_conf} ] && sed 's/^/corosync_conf=/' {corosync_conf}
"#,
        corosync_conf = crate::render::paths::COROSYNC_CONF,
        migration_config = crate::render::paths::MIGRATION_SSH_CONFIG,
        migration_comment = quote(&format!(
            " {}",
            crate::render::migration_key_comment(
                &design.nodes[1 - index].hostname,
                &design.cluster.name
            )
        )),
        authorized_keys = crate::render::paths::ROOT_AUTHORIZED_KEYS,
        files = files.join(" "),
        marker = quote(&crate::render::rendered_marker(&design.cluster.name)),
    )
}

/// Parses the gather script's output.
pub fn parse(output: &str) -> NodeFacts {
    let mut facts = NodeFacts::default();
    for line in output.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let mut words = value.split_whitespace();
        match key {
            "uid" => facts.uid = value.trim().parse().ok(),
            "hostname" => facts.hostname = value.trim().to_owned(),
            "machine_id" => facts.machine_id = value.trim().to_owned(),
            "os_id" => facts.os_id = value.trim().to_owned(),
            "os_version_id" => facts.os_version_id = value.trim().trim_matches('"').to_owned(),
            "cpus" => facts.cpus = value.trim().parse().unwrap_or(0),
            "dom0" => facts.dom0 = value.trim() == "yes",
            "memory_mib" => facts.memory_mib = value.trim().parse().unwrap_or(0),
            "hvm" => facts.hvm_capable = value.trim() == "yes",
            "xen_commandline" => facts.xen_commandline = value.trim().to_owned(),
            "drbd_module" => {
                facts.drbd_module =
                    Some(value.trim().to_owned()).filter(|version| !version.is_empty())
            }
            "installed" => {
                if let (Some(package), Some(version)) = (words.next(), words.next()) {
                    facts
                        .installed
                        .insert(package.to_owned(), version.to_owned());
                }
            }
            "unavailable" => facts.unavailable.push(value.trim().to_owned()),
            "nic" => {
                if let (Some(name), Some(kind)) = (words.next(), words.next()) {
                    facts.nics.push(Nic {
                        name: name.to_owned(),
                        is_bridge: kind == "bridge",
                        master: words.next().map(str::to_owned),
                    });
                }
            }
            "address" => {
                if let (Some(interface), Some(address)) = (words.next(), words.next()) {
                    facts
                        .addresses
                        .push((interface.to_owned(), address.to_owned()));
                }
            }
            "vg" => {
                if let (Some(size), Some(free)) = (words.next(), words.next()) {
                    facts.volume_group = Some(VolumeGroup {
                        size_mib: size.parse().unwrap_or(0),
                        free_mib: free.parse().unwrap_or(0),
                    });
                }
            }
            "lv" => {
                if let (Some(name), Some(size)) = (words.next(), words.next()) {
                    let content = facts.volumes.remove(name).map(|lv| lv.content);
                    facts.volumes.insert(
                        name.to_owned(),
                        LogicalVolume {
                            size_mib: size.parse().unwrap_or(0),
                            // Not probed is not proven blank.
                            content: content.unwrap_or_else(unprobed),
                        },
                    );
                }
            }
            "content" => {
                if let Some(name) = words.next() {
                    let content = VolumeContent::from_probe(&words.collect::<Vec<_>>().join(" "));
                    facts
                        .volumes
                        .entry(name.to_owned())
                        .or_insert_with(|| LogicalVolume {
                            size_mib: 0,
                            content: unprobed(),
                        })
                        .content = content;
                }
            }
            "listening" => {
                if let Ok(port) = value.trim().parse()
                    && !facts.listening.contains(&port)
                {
                    facts.listening.push(port);
                }
            }
            "drbd_up" => facts.drbd_up.push(value.trim().to_owned()),
            "file" => facts.present_files.push(value.trim().to_owned()),
            "tandem_vm" => facts.tandem_vms.push(value.trim().to_owned()),
            "reaches_peer" => facts.reaches_peer = Some(value.trim() == "yes"),
            "corosync_conf" => {
                facts.corosync_conf.push_str(value);
                facts.corosync_conf.push('\n');
            }
            // "totem.cluster_name (str) = lab"
            "corosync_running" => {
                if let Some((key, value)) = value.split_once(" = ")
                    && let Some((key, _type)) = key.split_once(" (")
                {
                    facts
                        .corosync_running
                        .insert(key.to_owned(), value.to_owned());
                }
            }
            "migration_access" => facts.migration_access = value.trim() == "yes",
            "group" => {
                if let (Some(name), Some(size), Some(free)) =
                    (words.next(), words.next(), words.next())
                {
                    facts.volume_groups.push(NamedVolumeGroup {
                        name: name.to_owned(),
                        size_mib: size.parse().unwrap_or(0),
                        free_mib: free.parse().unwrap_or(0),
                        volumes: BTreeMap::new(),
                    });
                }
            }
            "group_volume" => {
                if let (Some(group), Some(name), Some(size)) =
                    (words.next(), words.next(), words.next())
                    && let Some(found) = facts
                        .volume_groups
                        .iter_mut()
                        .find(|found| found.name == group)
                {
                    found.volumes.insert(
                        name.to_owned(),
                        LogicalVolume {
                            size_mib: size.parse().unwrap_or(0),
                            content: VolumeContent::from_probe(
                                &words.collect::<Vec<_>>().join(" "),
                            ),
                        },
                    );
                }
            }
            _ => {}
        }
    }
    facts
}

/// A volume the node listed but whose content it did not report: treated as data.
fn unprobed() -> VolumeContent {
    VolumeContent::Data(vec!["contents not probed".to_owned()])
}

/// How a preflight check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    Ok,
    /// Proceeds, but the administrator should know (and may have to confirm).
    Warning,
    /// Stops the run before anything changes.
    Error,
}

/// One line of the preflight table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Hostname of the node, or "cluster" for checks across both.
    pub node: String,
    pub check: String,
    pub severity: Severity,
    pub detail: String,
    /// What to do about it (empty when fine).
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.severity {
            Severity::Ok => "ok",
            Severity::Warning => "WARNING",
            Severity::Error => "ERROR",
        };
        write!(f, "[{mark}] {} {}: {}", self.node, self.check, self.detail)?;
        if !self.fix.is_empty() {
            write!(f, " — {}", self.fix)?;
        }
        Ok(())
    }
}

/// Things on the workstation the preflight needs to know.
#[derive(Debug, Clone, Default)]
pub struct LocalFacts {
    /// Local ISO files (iso_source) that exist.
    pub existing_sources: Vec<String>,
}

/// Judges both nodes' facts against the design: every check, passed or not.
pub fn evaluate(design: &Design, facts: &[NodeFacts; 2], local: &LocalFacts) -> Vec<Finding> {
    let mut findings = Vec::new();
    let vms_memory = design.vms_memory_mib();
    let needs_hvm = design.has_hvm();
    for (index, node_facts) in facts.iter().enumerate() {
        let node = &design.nodes[index];
        let mut add = |check: &str, severity: Severity, detail: String, fix: &str| {
            findings.push(Finding {
                node: node.hostname.clone(),
                check: check.to_owned(),
                severity,
                detail,
                fix: fix.to_owned(),
            });
        };
        let ok = |condition: bool| {
            if condition {
                Severity::Ok
            } else {
                Severity::Error
            }
        };
        add(
            "root",
            ok(node_facts.uid == Some(0)),
            format!(
                "commands run as uid {}",
                node_facts.uid.map_or("?".to_owned(), |uid| uid.to_string())
            ),
            "log in as root, or set sudo = true for a user allowed to use sudo",
        );
        add(
            "hostname",
            ok(node_facts.hostname == node.hostname),
            format!(
                "`uname -n` is \"{}\", the profile says \"{}\"",
                node_facts.hostname, node.hostname
            ),
            "set the node's hostname (hostnamectl set-hostname) or correct the profile: DRBD and Pacemaker match on it",
        );
        let release = node_facts.debian_release();
        add(
            "Debian release",
            ok(release == Some(design.cluster.debian)),
            format!(
                "{} {} (profile: {})",
                node_facts.os_id, node_facts.os_version_id, design.cluster.debian
            ),
            "install the profile's Debian release on the node, or change cluster.debian",
        );
        let needed = design.memory_needed_mib(index);
        add(
            "memory",
            ok(node_facts.memory_mib >= needed),
            format!(
                "{} MiB; all {} VMs at once need {vms_memory} MiB plus {} MiB for dom0",
                node_facts.memory_mib,
                design.vms.len(),
                node.dom0_memory_mib
            ),
            "each node must be able to run every VM at once: add memory or give the VMs less",
        );
        if needs_hvm {
            add(
                "hardware virtualisation",
                ok(node_facts.hvm_capable),
                if node_facts.hvm_capable {
                    "VT-x/AMD-V available".to_owned()
                } else {
                    "no VT-x/AMD-V: HVM guests cannot run".to_owned()
                },
                "enable virtualisation in the firmware setup, or use PV guests",
            );
        }
        if !node_facts.unavailable.is_empty() {
            add(
                "packages",
                Severity::Error,
                format!(
                    "apt has no candidate for {}",
                    node_facts.unavailable.join(", ")
                ),
                "enable the Debian main repository (and updates) in the node's apt sources, then run apt-get update",
            );
        }
        let nic = &node.nic;
        let bridge = &design.network.bridge;
        let nic_found = node_facts.nics.iter().find(|found| &found.name == nic);
        add(
            "LAN NIC",
            ok(nic_found.is_some()),
            match nic_found {
                Some(found) if found.master.as_deref() == Some(bridge.as_str()) => {
                    format!("{nic} is already in bridge {bridge}")
                }
                Some(_) => format!("{nic} found"),
                None => format!(
                    "no interface {nic} (found: {})",
                    node_facts
                        .nics
                        .iter()
                        .map(|found| found.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            "pick the NIC on the node's LAN from the list",
        );
        add(
            "cluster link",
            ok(node_facts.reaches_peer == Some(true)),
            format!(
                "ping to the peer's replication address {}",
                design.nodes[1 - index].replication_address
            ),
            "connect the replication link and check both addresses and firewalls",
        );
        match &node_facts.volume_group {
            None => add(
                "volume group",
                Severity::Error,
                format!("no volume group {}", design.storage.volume_group),
                "create it (vgcreate) on the disk meant for the VMs, or correct storage.volume_group",
            ),
            Some(group) => {
                let to_create: u64 = design
                    .vms
                    .iter()
                    .filter(|vm| node_facts.volume(&vm.volume).is_none())
                    .map(|vm| vm.volume_size_mib)
                    .sum();
                add(
                    "volume group",
                    ok(group.free_mib >= to_create),
                    format!(
                        "{} MiB free of {} MiB, {to_create} MiB to create",
                        group.free_mib, group.size_mib
                    ),
                    "free space in the volume group, or make the volumes smaller",
                );
            }
        }
        for (vm_index, vm) in design.vms.iter().enumerate() {
            match node_facts.volume(&vm.volume) {
                None if vm.creates_volume => add(
                    "existing data",
                    Severity::Ok,
                    format!(
                        "{} will be created: blank by construction (a new logical volume whose first and last MiB Tandem zeroes)",
                        vm.backing_disk
                    ),
                    "",
                ),
                None => add(
                    "volume",
                    Severity::Error,
                    format!(
                        "{} is missing and the profile does not create it",
                        vm.backing_disk
                    ),
                    "create the logical volume, or set create = true for it",
                ),
                // The profile's size, or, where existing data is kept, that plus the room Tandem
                // adds for DRBD's metadata.
                Some(found)
                    if found.size_mib != vm.volume_size_mib
                        && found.size_mib != vm.lv_size_mib() =>
                {
                    add(
                        "volume",
                        Severity::Error,
                        format!(
                            "{} has {} MiB, the profile says {} MiB",
                            vm.backing_disk, found.size_mib, vm.volume_size_mib
                        ),
                        "both nodes' volumes must have the profile's size: resize it or correct the profile",
                    )
                }
                Some(found) => {
                    let keep = vm
                        .keep_data_on
                        .map(|keeper| design.nodes[keeper].hostname.as_str());
                    let holds = found.content.describe();
                    match &found.content {
                        VolumeContent::Blank | VolumeContent::FreshDrbd => add(
                            "existing data",
                            Severity::Ok,
                            format!("{} is {holds}", vm.backing_disk),
                            "",
                        ),
                        VolumeContent::Drbd => add(
                            "existing data",
                            Severity::Ok,
                            format!("{} holds {holds}: kept as it is", vm.backing_disk),
                            "",
                        ),
                        VolumeContent::Data(_) | VolumeContent::DrbdOverData(_)
                            if keep == Some(node.hostname.as_str()) =>
                        {
                            add(
                                "existing data",
                                Severity::Warning,
                                format!(
                                    "{} holds {holds}: it is kept and copied to the peer",
                                    vm.backing_disk
                                ),
                                "",
                            )
                        }
                        VolumeContent::Data(_) | VolumeContent::DrbdOverData(_)
                            if keep.is_some() =>
                        {
                            add(
                                "existing data",
                                Severity::Warning,
                                format!(
                                    "{} holds {holds}: it will be OVERWRITTEN with the data of {}",
                                    vm.backing_disk,
                                    keep.unwrap_or_default()
                                ),
                                "confirm the overwrite, or back the volume up first",
                            )
                        }
                        VolumeContent::Data(_) | VolumeContent::DrbdOverData(_) => add(
                            "existing data",
                            Severity::Error,
                            format!(
                                "{} holds {holds}; Tandem initialises no volume that holds data",
                                vm.backing_disk
                            ),
                            &format!(
                                "set {} to the node whose data to keep (the other node's volume is then overwritten, after a confirmation), or, if the data is not needed, clear the volume yourself (wipefs -a, and zero its first and last MiB)",
                                Field::Vm(vm_index, VmField::KeepDataOn)
                            ),
                        ),
                    }
                }
            }
            let port_busy = node_facts.listening.contains(&vm.drbd_port)
                && !node_facts
                    .drbd_up
                    .iter()
                    .any(|resource| resource == &vm.name);
            if port_busy {
                add(
                    "DRBD port",
                    Severity::Error,
                    format!(
                        "port {} (for {}) is in use by another program",
                        vm.drbd_port, vm.name
                    ),
                    "stop that program or give the VM another drbd_port",
                );
            }
            if let Boot::Hvm {
                iso, iso_source, ..
            } = &vm.boot
            {
                let uploadable = iso_source
                    .as_ref()
                    .is_some_and(|source| local.existing_sources.contains(source));
                let present = node_facts.has_file(iso);
                add(
                    "install ISO",
                    ok(present || uploadable),
                    if present {
                        format!("{iso} present")
                    } else if uploadable {
                        format!("{iso} will be uploaded")
                    } else {
                        format!("{iso} is missing and there is no local file to upload")
                    },
                    "copy the ISO to the node, or choose a local ISO to upload (iso_source)",
                );
            }
        }
    }
    let [first, second] = facts;
    if !first.machine_id.is_empty() && first.machine_id == second.machine_id {
        findings.push(Finding {
            node: "cluster".to_owned(),
            check: "distinct machines".to_owned(),
            severity: Severity::Error,
            detail: format!(
                "both nodes have the machine-id {} (a cloned installation): their bridges would get the same MAC address",
                first.machine_id
            ),
            fix: "on one node: rm -f /etc/machine-id /var/lib/dbus/machine-id && systemd-machine-id-setup, then reboot it".to_owned(),
        });
    }
    for vm in &design.vms {
        if let (Some(a), Some(b)) = (first.volume(&vm.volume), second.volume(&vm.volume))
            && a.size_mib != b.size_mib
        {
            findings.push(Finding {
                node: "cluster".to_owned(),
                check: "equal volumes".to_owned(),
                severity: Severity::Error,
                detail: format!(
                    "{} has {} MiB on one node and {} MiB on the other",
                    vm.backing_disk, a.size_mib, b.size_mib
                ),
                fix: "give the volume the same size on both nodes".to_owned(),
            });
        }
    }
    findings
}

/// Whether the findings allow the run to go on.
pub fn blocking(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .collect()
}

#[cfg(test)]
#[path = "facts_tests.rs"]
mod tests;
