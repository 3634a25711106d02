//! The preflight's verdict: both nodes' facts judged against the design, every check with its
//! result and, when it fails, what to do.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::*;
use crate::field::{Field, VmField};
use crate::profile::Boot;
use crate::validate::Design;

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
            "log in as root, or let Tandem use sudo (the user must be allowed to)",
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
                            if vm.keep_data_on == Some(index) =>
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
                            if vm.keep_data_on.is_some() =>
                        {
                            add(
                                "existing data",
                                Severity::Warning,
                                format!(
                                    "{} holds {holds}: it will be OVERWRITTEN with the data of {}",
                                    vm.backing_disk,
                                    vm.keep_data_on.map_or("", |keeper| design.nodes[keeper]
                                        .hostname
                                        .as_str())
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
    findings.extend(super::fencing::findings(design, facts));
    findings
}

/// Whether the findings allow the run to go on.
pub fn blocking(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .collect()
}
