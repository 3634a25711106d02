//! The VMs: names, homes, memory, boot (PV kernel or HVM with an ISO), their volume, console
//! address, and the DRBD minor and port each is given.

use std::collections::{BTreeMap, HashSet};
use std::net::Ipv4Addr;

use crate::design::{NodeDesign, Subnet, VmDesign};
use crate::field::{Field, VmField, VolumeField};
use crate::profile::{Boot, Profile, Vm};

use super::syntax::{derived_mac, file_name, is_unicast_mac, is_vm_name, parent_dir};
use super::{COROSYNC_PORTS, Checker, FIRST_DRBD_MINOR, FIRST_DRBD_PORT, MAX_DRBD_MINOR, kinds};

impl Checker {
    pub(super) fn vms(
        &mut self,
        profile: &Profile,
        nodes: Option<&(Subnet, [NodeDesign; 2])>,
        volume_sizes: &BTreeMap<String, u64>,
    ) -> Option<Vec<VmDesign>> {
        if profile.vms.is_empty() {
            self.report(Field::Vms, "the cluster has no VM", "add at least one VM");
        }
        let hostnames: Vec<&str> = profile
            .nodes
            .iter()
            .map(|node| node.hostname.as_str())
            .collect();
        let mut names = HashSet::new();
        let mut used_volumes: BTreeMap<&str, usize> = BTreeMap::new();
        let mut taken_addresses: BTreeMap<Ipv4Addr, String> = BTreeMap::new();
        if let Some((_, nodes)) = nodes {
            for node in nodes {
                taken_addresses
                    .insert(node.lan_address, format!("{}'s LAN address", node.hostname));
                if let Some(gateway) = node.gateway {
                    taken_addresses.insert(gateway, "the gateway".to_owned());
                }
            }
        }
        let assignments = self.drbd_assignments(profile);
        let mut macs: BTreeMap<String, usize> = BTreeMap::new();
        let mut designs = Vec::new();
        for (index, vm) in profile.vms.iter().enumerate() {
            let at = |field: VmField| Field::Vm(index, field);
            if !is_vm_name(&vm.name) {
                self.report(
                    at(VmField::Name),
                    format!("\"{}\" cannot name a Xen domain, a DRBD resource and a Pacemaker resource", vm.name),
                    "use 1 to 40 letters, digits, '-' or '_', starting with a letter (not Domain-0)",
                );
            }
            let name_is_taken = !names.insert(vm.name.to_ascii_lowercase());
            if name_is_taken {
                self.report(
                    at(VmField::Name),
                    format!("another VM is already called \"{}\"", vm.name),
                    "give each VM its own name (names differing only in case clash too)",
                );
            }
            let home = hostnames.iter().position(|hostname| *hostname == vm.home);
            if home.is_none() {
                self.report(
                    at(VmField::Home),
                    format!("\"{}\" is not one of the nodes", vm.home),
                    format!("use one of the node hostnames: {}", hostnames.join(", ")),
                );
            }
            if let Some(keep) = &vm.keep_data_on
                && !hostnames.contains(&keep.as_str())
            {
                self.report(
                    at(VmField::KeepDataOn),
                    format!("\"{keep}\" is not one of the nodes"),
                    format!(
                        "name the node whose data is kept ({}), or leave it out",
                        hostnames.join(", ")
                    ),
                );
            }
            if vm.memory_mib < 32 {
                self.report(
                    at(VmField::Memory),
                    format!("{} MiB is not enough memory for a VM", vm.memory_mib),
                    "give the VM at least 32 MiB (an HVM guest needs a few hundred)",
                );
            }
            if vm.vcpus == 0 || vm.vcpus > 128 {
                self.report(
                    at(VmField::Vcpus),
                    format!("{} vCPUs is out of range", vm.vcpus),
                    "use 1 to 128 vCPUs",
                );
            }
            let volume_size_mib = match volume_sizes.get(&vm.volume) {
                Some(size) => Some(*size),
                None if profile.volume(&vm.volume).is_some() => None,
                None => {
                    self.report(
                        at(VmField::Volume),
                        format!("there is no volume \"{}\"", vm.volume),
                        "pick one of the volumes, or give the VM a new volume",
                    );
                    None
                }
            };
            if let Some(first) = used_volumes.insert(vm.volume.as_str(), index) {
                self.report(
                    at(VmField::Volume),
                    format!(
                        "the volume \"{}\" is already the disk of VM \"{}\"",
                        vm.volume, profile.vms[first].name
                    ),
                    "give each VM its own volume",
                );
            }
            self.boot(index, vm, &profile.storage.iso_directory);
            let console_ip = vm.console_ip.as_deref().and_then(|text| {
                let field = at(VmField::ConsoleIp);
                let address = self.ipv4(field, text, "write an unused IPv4 address on the LAN")?;
                if let Some((subnet, _)) = nodes
                    && !subnet.is_host(address)
                {
                    self.report(
                        field,
                        format!("{address} is not a host address in the LAN {subnet}"),
                        "choose an unused address inside the nodes' LAN",
                    );
                }
                if let Some(owner) =
                    taken_addresses.insert(address, format!("the console IP of VM \"{}\"", vm.name))
                {
                    self.report(
                        field,
                        format!("{address} is already {owner}"),
                        "choose an unused address",
                    );
                }
                Some(address)
            });
            let mac = match &vm.mac {
                Some(mac) if !is_unicast_mac(mac) => {
                    self.report(
                        at(VmField::Mac),
                        format!("\"{mac}\" is not a unicast MAC address"),
                        "write six hex pairs separated by ':', e.g. 00:16:3e:12:34:56, or leave it out",
                    );
                    mac.to_ascii_lowercase()
                }
                Some(mac) => mac.to_ascii_lowercase(),
                None => derived_mac(&profile.cluster.name, &vm.name),
            };
            let clashing_mac = macs.insert(mac.clone(), index);
            // Two VMs with the same name derive the same MAC: the name problem says it all.
            let derived_from_a_taken_name = vm.mac.is_none() && name_is_taken;
            if let Some(first) = clashing_mac.filter(|_| !derived_from_a_taken_name) {
                self.report(
                    at(VmField::Mac),
                    format!(
                        "VM \"{}\" has the same MAC address {mac}",
                        profile.vms[first].name
                    ),
                    "give one of them a different MAC address",
                );
            }
            if let (Some(home), Some(volume_size_mib), Some((minor, port))) = (
                home,
                volume_size_mib,
                assignments.get(index).copied().flatten(),
            ) {
                designs.push(VmDesign {
                    name: vm.name.clone(),
                    home,
                    memory_mib: vm.memory_mib,
                    vcpus: vm.vcpus,
                    boot: vm.boot.clone(),
                    volume: vm.volume.clone(),
                    creates_volume: profile
                        .volume(&vm.volume)
                        .is_some_and(|volume| volume.create),
                    backing_disk: format!("/dev/{}/{}", profile.storage.volume_group, vm.volume),
                    volume_size_mib,
                    keep_data_on: vm.keep_data_on.as_deref().and_then(|keeper| {
                        hostnames.iter().position(|hostname| *hostname == keeper)
                    }),
                    drbd_minor: minor,
                    drbd_port: port,
                    console_ip,
                    mac,
                });
            }
        }
        for (index, volume) in profile.storage.volumes.iter().enumerate() {
            if !used_volumes.contains_key(volume.name.as_str()) {
                self.report(
                    Field::Volume(index, VolumeField::Entry),
                    format!("no VM uses the volume \"{}\"", volume.name),
                    "pick it as a VM's disk, or remove it on the Storage page",
                );
            }
        }
        Some(designs)
    }

    pub(super) fn boot(&mut self, index: usize, vm: &Vm, iso_directory: &str) {
        let at = |field: VmField| Field::Vm(index, field);
        match &vm.boot {
            Boot::Hvm {
                iso,
                iso_source,
                vnc_password,
            } => {
                if let Err(broken) = kinds::iso_path(iso) {
                    self.broken(at(VmField::BootIso), broken);
                }
                if let Some(source) = iso_source {
                    match kinds::iso_source(source) {
                        Err(broken) => self.broken(at(VmField::BootIsoSource), broken),
                        // Uploads go only where the profile keeps ISOs: an upload never
                        // lands on a system file.
                        Ok(()) if parent_dir(iso) != iso_directory => self.report(
                            at(VmField::BootIso),
                            format!(
                                "the ISO to upload would be written to {iso}, outside the ISO directory {iso_directory}"
                            ),
                            format!(
                                "upload it into {iso_directory}/ (e.g. {iso_directory}/{}), or change storage.iso_directory",
                                file_name(source)
                            ),
                        ),
                        Ok(()) => {}
                    }
                }
                match vnc_password {
                    Some(password) => {
                        if let Err(broken) = kinds::vnc_password(password) {
                            self.broken(at(VmField::BootVncPassword), broken);
                        }
                    }
                    None if vm.console_ip.is_some() => self.report(
                        at(VmField::BootVncPassword),
                        "the VNC console would listen on the LAN without a password",
                        "set a VNC password (up to 8 characters), or remove the console address",
                    ),
                    None => {}
                }
            }
            Boot::Pv {
                kernel,
                ramdisk,
                extra,
            } => {
                if let Err(broken) = kinds::node_path(kernel) {
                    self.broken(at(VmField::BootKernel), broken);
                }
                if let Some(Err(broken)) = ramdisk.as_deref().map(kinds::node_path) {
                    self.broken(at(VmField::BootRamdisk), broken);
                }
                if let Some(Err(broken)) = extra
                    .as_deref()
                    .map(|extra| kinds::config_text(extra, 1024))
                {
                    self.broken(at(VmField::BootExtra), broken);
                }
            }
        }
    }

    /// Minors and ports for each VM: the ones the profile sets, and the lowest free ones for the
    /// rest, so that setting one VM's numbers never moves another's.
    pub(super) fn drbd_assignments(&mut self, profile: &Profile) -> Vec<Option<(u32, u16)>> {
        let mut minors: BTreeMap<u32, usize> = BTreeMap::new();
        let mut ports: BTreeMap<u16, usize> = BTreeMap::new();
        for (index, vm) in profile.vms.iter().enumerate() {
            let at = |field: VmField| Field::Vm(index, field);
            if let Some(minor) = vm.drbd_minor {
                if minor > MAX_DRBD_MINOR {
                    self.report(
                        at(VmField::DrbdMinor),
                        format!("minor {minor} is above DRBD 8.4's limit of {MAX_DRBD_MINOR}"),
                        format!("use a minor from 0 to {MAX_DRBD_MINOR}, or leave it out to have one assigned"),
                    );
                } else if let Some(first) = minors.insert(minor, index) {
                    self.report(
                        at(VmField::DrbdMinor),
                        format!(
                            "minor {minor} is already used by VM \"{}\"",
                            profile.vms[first].name
                        ),
                        "give each VM its own minor, or leave it out to have one assigned",
                    );
                }
            }
            if let Some(port) = vm.drbd_port {
                if port < 1024 || COROSYNC_PORTS.contains(&port) {
                    self.report(
                        at(VmField::DrbdPort),
                        format!("port {port} is reserved (below 1024, or corosync's 5404-5406)"),
                        "use a port from 1024 to 65535 outside 5404-5406 (DRBD's usual range starts at 7789)",
                    );
                } else if let Some(first) = ports.insert(port, index) {
                    self.report(
                        at(VmField::DrbdPort),
                        format!(
                            "port {port} is already used by VM \"{}\"",
                            profile.vms[first].name
                        ),
                        "give each VM its own port, or leave it out to have one assigned",
                    );
                }
            }
        }
        let mut next_minor = FIRST_DRBD_MINOR;
        let mut next_port = FIRST_DRBD_PORT;
        let mut assigned = Vec::new();
        for vm in &profile.vms {
            let minor = vm.drbd_minor.or_else(|| {
                while minors.contains_key(&next_minor) {
                    next_minor += 1;
                }
                (next_minor <= MAX_DRBD_MINOR).then(|| {
                    minors.insert(next_minor, usize::MAX);
                    next_minor
                })
            });
            let port = vm.drbd_port.or_else(|| {
                while ports.contains_key(&next_port) || COROSYNC_PORTS.contains(&next_port) {
                    next_port = next_port.checked_add(1)?;
                }
                ports.insert(next_port, usize::MAX);
                Some(next_port)
            });
            assigned.push(minor.zip(port));
        }
        if assigned.iter().any(Option::is_none) {
            self.report(
                Field::Vms,
                "there are more VMs than free DRBD minors or ports",
                "remove VMs or free some minors and ports",
            );
        }
        assigned
    }
}
