//! Validation: every problem of a profile at once, each naming its field and the fix, and — when
//! there is none — the checked [`Design`] that rendering and planning work from.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::Ipv4Addr;

use crate::profile::{Boot, Failback, Fencing, Profile, SshAuth, Vm};

pub mod kinds;

use kinds::Broken;

/// One thing wrong with a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path of the field, as in the TOML file: `vms[1].memory_mib`.
    pub field: String,
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
    pub fn for_field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.0.iter().filter(move |problem| problem.field == field)
    }

    /// The problems of a field and everything below it (`vms[1]` covers `vms[1].memory_mib`).
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.0.iter().filter(move |problem| {
            problem.field == prefix
                || problem
                    .field
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
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

/// The DRBD minors and ports assigned when a VM does not set its own.
pub const FIRST_DRBD_MINOR: u32 = 1;
pub const FIRST_DRBD_PORT: u16 = 7789;
/// The in-kernel DRBD 8.4 module accepts at most this many minors (`minor_count`).
pub const MAX_DRBD_MINOR: u32 = 255;
/// Ports corosync's knet transport uses by default.
const COROSYNC_PORTS: std::ops::RangeInclusive<u16> = 5404..=5406;

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
            profile: profile.clone(),
            lan,
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
    fn broken(&mut self, field: impl Into<String>, broken: Broken) {
        self.report(field, broken.message, broken.allowed);
    }

    fn report(
        &mut self,
        field: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.problems.push(Problem {
            field: field.into(),
            message: message.into(),
            fix: fix.into(),
        });
    }

    fn cluster(&mut self, profile: &Profile) {
        let cluster = &profile.cluster;
        if !is_cluster_name(&cluster.name) {
            self.report(
                "cluster.name",
                format!("\"{}\" is not a usable cluster name", cluster.name),
                "use 1 to 32 letters, digits, '-' or '_', starting with a letter or digit",
            );
        }
        if let Failback::Window {
            start_hour,
            end_hour,
        } = cluster.failback
        {
            for (key, hour) in [("start_hour", start_hour), ("end_hour", end_hour)] {
                if hour > 23 {
                    self.report(
                        format!("cluster.failback.{key}"),
                        format!("{hour} is not an hour of the day"),
                        "use an hour from 0 to 23",
                    );
                }
            }
            if start_hour == end_hour {
                self.report(
                    "cluster.failback.end_hour",
                    "the failback window is empty (it starts and ends at the same hour)",
                    "choose an end hour different from the start hour, or the policy \"return-home\"",
                );
            }
        }
        if let Fencing::None {
            acknowledge_split_brain_risk: false,
        } = cluster.fencing
        {
            self.report(
                "cluster.fencing.acknowledge_split_brain_risk",
                "without fencing, a two-node cluster can end in a split brain that needs manual recovery",
                "configure IPMI fencing (method = \"ipmi\"), or set acknowledge_split_brain_risk = true",
            );
        }
        if let Some(token) = cluster.corosync_token_ms
            && !(500..=120_000).contains(&token)
        {
            self.report(
                "cluster.corosync_token_ms",
                format!("{token} ms is not a usable corosync token timeout"),
                "use 500 to 120000 ms (corosync's default is 3000): how long a silent node is waited for before it counts as failed",
            );
        }
        if !is_drbd_rate(&cluster.drbd.resync_rate) {
            self.report(
                "cluster.drbd.resync_rate",
                format!("\"{}\" is not a DRBD rate", cluster.drbd.resync_rate),
                "write a positive number with an optional unit K, M or G (bytes per second), e.g. \"100M\"",
            );
        }
        if cluster.live_migration && cluster.drbd.protocol != crate::profile::DrbdProtocol::C {
            self.report(
                "cluster.drbd.protocol",
                "live migration (dual-primary DRBD) needs synchronous replication",
                "set protocol = \"C\" or turn live_migration off",
            );
        }
    }

    fn nodes(&mut self, profile: &Profile) -> Option<(Subnet, [NodeDesign; 2])> {
        if profile.nodes.len() != 2 {
            self.report(
                "nodes",
                format!(
                    "a Tandem cluster has exactly two nodes, this profile has {}",
                    profile.nodes.len()
                ),
                "describe exactly two [[nodes]]",
            );
        }
        let mut parsed = Vec::new();
        let mut lans = Vec::new();
        for (index, node) in profile.nodes.iter().enumerate() {
            let at = format!("nodes[{index}]");
            if !is_hostname(&node.hostname) {
                self.report(
                    format!("{at}.hostname"),
                    format!("\"{}\" is not a valid hostname", node.hostname),
                    "use the node's `uname -n`: letters, digits and '-' (dots between labels), at most 63 characters",
                );
            }
            self.ssh(&at, node);
            let lan = self.interface_address(&format!("{at}.lan.address"), &node.lan.address);
            if let Err(broken) = kinds::interface_name(&node.lan.nic) {
                self.broken(format!("{at}.lan.nic"), broken);
            }
            if node.lan.nic == profile.network.bridge {
                self.report(
                    format!("{at}.lan.nic"),
                    "the LAN NIC has the bridge's own name",
                    "name the physical NIC here; the bridge is network.bridge",
                );
            }
            let gateway = node.lan.gateway.as_deref().and_then(|text| {
                self.ipv4(
                    &format!("{at}.lan.gateway"),
                    text,
                    "write the router's IPv4 address, e.g. 192.168.1.254",
                )
            });
            if let (Some((address, subnet)), Some(gateway)) = (lan, gateway)
                && (!subnet.is_host(gateway) || gateway == address)
            {
                self.report(
                    format!("{at}.lan.gateway"),
                    format!("{gateway} is not another host on the node's LAN {subnet}"),
                    "use the router's address on the LAN, or leave the gateway out",
                );
            }
            let replication = self.ipv4(
                &format!("{at}.replication_address"),
                &node.replication_address,
                "write the node's IPv4 address on the cluster link (the LAN address when there is no separate link)",
            );
            if node.dom0_memory_mib < 512 {
                self.report(
                    format!("{at}.dom0_memory_mib"),
                    format!("{} MiB is too little for dom0", node.dom0_memory_mib),
                    "reserve at least 512 MiB (1024 or more is comfortable)",
                );
            }
            match (&profile.cluster.fencing, &node.bmc) {
                (Fencing::Ipmi {}, None) => self.report(
                    format!("{at}.bmc"),
                    "IPMI fencing needs this node's BMC",
                    "add [nodes.bmc] with the BMC's address and user",
                ),
                (Fencing::Ipmi {}, Some(bmc)) => {
                    if !is_host_name_or_address(&bmc.address) {
                        self.report(
                            format!("{at}.bmc.address"),
                            format!("\"{}\" is not an address", bmc.address),
                            "write the BMC's IP address or DNS name",
                        );
                    }
                    if let Err(broken) = kinds::bmc_user(&bmc.user) {
                        self.broken(format!("{at}.bmc.user"), broken);
                    }
                }
                (Fencing::None { .. }, _) => {}
            }
            if let (Some((address, _)), Some(replication)) = (lan, replication) {
                parsed.push(NodeDesign {
                    hostname: node.hostname.clone(),
                    node_id: index as u32 + 1,
                    lan_address: address,
                    gateway,
                    replication_address: replication,
                });
            }
            lans.push(lan);
        }
        if let [
            Some((first_address, first_subnet)),
            Some((_, second_subnet)),
        ] = lans.as_slice()
            && first_subnet != second_subnet
        {
            self.report(
                "nodes[1].lan.address",
                format!("node 2 is on {second_subnet}, node 1 ({first_address}) on {first_subnet}"),
                "put both nodes on the same LAN, with the same prefix length",
            );
        }
        if let [first, second] = profile.nodes.as_slice() {
            self.differ(
                "nodes[1].hostname",
                &first.hostname,
                &second.hostname,
                "hostname",
            );
            if same_value(&first.ssh.host, &second.ssh.host) && first.ssh.port == second.ssh.port {
                self.report(
                    "nodes[1].ssh.host",
                    format!(
                        "both nodes are reached at {}:{}",
                        second.ssh.host, second.ssh.port
                    ),
                    "give each node its own SSH address or port",
                );
            }
            self.differ(
                "nodes[1].lan.address",
                &first.lan.address,
                &second.lan.address,
                "LAN address",
            );
            self.differ(
                "nodes[1].replication_address",
                &first.replication_address,
                &second.replication_address,
                "replication address",
            );
            if let (Some(a), Some(b)) = (&first.bmc, &second.bmc)
                && matches!(profile.cluster.fencing, Fencing::Ipmi {})
            {
                self.differ(
                    "nodes[1].bmc.address",
                    &a.address,
                    &b.address,
                    "BMC address",
                );
            }
        }
        let (_, subnet) = lans.first().copied().flatten()?;
        let [first, second]: [NodeDesign; 2] = parsed.try_into().ok()?;
        Some((subnet, [first, second]))
    }

    fn differ(&mut self, field: &str, first: &str, second: &str, what: &str) {
        if same_value(first, second) {
            self.report(
                field,
                format!("both nodes have the {what} \"{second}\""),
                format!("give each node its own {what}"),
            );
        }
    }

    fn ssh(&mut self, at: &str, node: &crate::profile::Node) {
        let ssh = &node.ssh;
        if !is_host_name_or_address(&ssh.host) {
            self.report(
                format!("{at}.ssh.host"),
                format!("\"{}\" is not a host name or address", ssh.host),
                "write the address or DNS name Tandem connects to",
            );
        }
        if ssh.port == 0 {
            self.report(
                format!("{at}.ssh.port"),
                "port 0 cannot be connected to",
                "use the node's SSH port (22 normally)",
            );
        }
        if !is_user_name(&ssh.user) {
            self.report(
                format!("{at}.ssh.user"),
                format!("\"{}\" is not a user name", ssh.user),
                "use a login name of lower-case letters, digits, '_' or '-'",
            );
        } else if ssh.user != "root" && !ssh.sudo {
            self.report(
                format!("{at}.ssh.sudo"),
                format!("\"{}\" is not root, and setup needs root", ssh.user),
                "set sudo = true (the user must be allowed to use sudo), or log in as root",
            );
        }
        if let SshAuth::KeyFile { path } = &ssh.auth
            && path.trim().is_empty()
        {
            self.report(
                format!("{at}.ssh.auth.path"),
                "the private key file is not named",
                "choose the private key file (e.g. ~/.ssh/id_ed25519), or use the agent",
            );
        }
    }

    fn network(&mut self, profile: &Profile) {
        if let Err(broken) = kinds::interface_name(&profile.network.bridge) {
            self.broken("network.bridge", broken);
        }
        if profile.network.forward_delay > 30 {
            self.report(
                "network.forward_delay",
                format!(
                    "{} s is more than the kernel's 30 s maximum",
                    profile.network.forward_delay
                ),
                "use 0 (no STP) up to 30 seconds",
            );
        }
    }

    /// Checks the volume group and volumes; returns each valid volume's size in MiB.
    fn storage(&mut self, profile: &Profile) -> BTreeMap<String, u64> {
        let storage = &profile.storage;
        if !is_lvm_name(&storage.volume_group) {
            self.report(
                "storage.volume_group",
                format!(
                    "\"{}\" is not an LVM volume group name",
                    storage.volume_group
                ),
                "use letters, digits and + _ . - (not starting with '-'), e.g. virtuals",
            );
        }
        if let Err(broken) = kinds::node_path(&storage.iso_directory) {
            self.broken("storage.iso_directory", broken);
        }
        let mut sizes = BTreeMap::new();
        for (index, volume) in storage.volumes.iter().enumerate() {
            let at = format!("storage.volumes[{index}]");
            if !is_lvm_name(&volume.name) {
                self.report(
                    format!("{at}.name"),
                    format!("\"{}\" is not an LVM logical volume name", volume.name),
                    "use letters, digits and + _ . - (not starting with '-'), without LVM's reserved words",
                );
            }
            if sizes.contains_key(&volume.name) {
                self.report(
                    format!("{at}.name"),
                    format!("the volume \"{}\" is listed twice", volume.name),
                    "give each volume its own name",
                );
            }
            match parse_size_mib(&volume.size) {
                Some(mib) if mib >= 8 => {
                    sizes.insert(volume.name.clone(), mib);
                }
                _ => self.report(
                    format!("{at}.size"),
                    format!("\"{}\" is not a volume size", volume.size),
                    "write a size of at least 8M with a unit M, G or T, e.g. \"50G\"",
                ),
            }
        }
        sizes
    }

    fn vms(
        &mut self,
        profile: &Profile,
        nodes: Option<&(Subnet, [NodeDesign; 2])>,
        volume_sizes: &BTreeMap<String, u64>,
    ) -> Option<Vec<VmDesign>> {
        if profile.vms.is_empty() {
            self.report("vms", "the cluster has no VM", "add at least one [[vms]]");
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
            let at = format!("vms[{index}]");
            if !is_vm_name(&vm.name) {
                self.report(
                    format!("{at}.name"),
                    format!("\"{}\" cannot name a Xen domain, a DRBD resource and a Pacemaker resource", vm.name),
                    "use 1 to 40 letters, digits, '-' or '_', starting with a letter (not Domain-0)",
                );
            }
            let name_is_taken = !names.insert(vm.name.to_ascii_lowercase());
            if name_is_taken {
                self.report(
                    format!("{at}.name"),
                    format!("another VM is already called \"{}\"", vm.name),
                    "give each VM its own name (names differing only in case clash too)",
                );
            }
            let home = hostnames.iter().position(|hostname| *hostname == vm.home);
            if home.is_none() {
                self.report(
                    format!("{at}.home"),
                    format!("\"{}\" is not one of the nodes", vm.home),
                    format!("use one of the node hostnames: {}", hostnames.join(", ")),
                );
            }
            if let Some(keep) = &vm.keep_data_on
                && !hostnames.contains(&keep.as_str())
            {
                self.report(
                    format!("{at}.keep_data_on"),
                    format!("\"{keep}\" is not one of the nodes"),
                    format!(
                        "name the node whose data is kept ({}), or leave it out",
                        hostnames.join(", ")
                    ),
                );
            }
            if vm.memory_mib < 32 {
                self.report(
                    format!("{at}.memory_mib"),
                    format!("{} MiB is not enough memory for a VM", vm.memory_mib),
                    "give the VM at least 32 MiB (an HVM guest needs a few hundred)",
                );
            }
            if vm.vcpus == 0 || vm.vcpus > 128 {
                self.report(
                    format!("{at}.vcpus"),
                    format!("{} vCPUs is out of range", vm.vcpus),
                    "use 1 to 128 vCPUs",
                );
            }
            let volume_size_mib = match volume_sizes.get(&vm.volume) {
                Some(size) => Some(*size),
                None if profile.volume(&vm.volume).is_some() => None,
                None => {
                    self.report(
                        format!("{at}.volume"),
                        format!("there is no volume \"{}\" in storage.volumes", vm.volume),
                        "add the volume under [[storage.volumes]] or pick an existing one",
                    );
                    None
                }
            };
            if let Some(first) = used_volumes.insert(vm.volume.as_str(), index) {
                self.report(
                    format!("{at}.volume"),
                    format!(
                        "the volume \"{}\" is already the disk of vms[{first}]",
                        vm.volume
                    ),
                    "give each VM its own volume",
                );
            }
            self.boot(&at, vm, &profile.storage.iso_directory);
            let console_ip = vm.console_ip.as_deref().and_then(|text| {
                let field = format!("{at}.console_ip");
                let address = self.ipv4(&field, text, "write an unused IPv4 address on the LAN")?;
                if let Some((subnet, _)) = nodes
                    && !subnet.is_host(address)
                {
                    self.report(
                        &field,
                        format!("{address} is not a host address in the LAN {subnet}"),
                        "choose an unused address inside the nodes' LAN",
                    );
                }
                if let Some(owner) =
                    taken_addresses.insert(address, format!("the console IP of vms[{index}]"))
                {
                    self.report(
                        &field,
                        format!("{address} is already {owner}"),
                        "choose an unused address",
                    );
                }
                Some(address)
            });
            let mac = match &vm.mac {
                Some(mac) if !is_unicast_mac(mac) => {
                    self.report(
                        format!("{at}.mac"),
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
                    format!("{at}.mac"),
                    format!("vms[{first}] has the same MAC address {mac}"),
                    "set a different mac for one of them",
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
                    drbd_minor: minor,
                    drbd_port: port,
                    backing_disk: format!("/dev/{}/{}", profile.storage.volume_group, vm.volume),
                    volume_size_mib,
                    console_ip,
                    mac,
                });
            }
        }
        for (index, volume) in profile.storage.volumes.iter().enumerate() {
            if !used_volumes.contains_key(volume.name.as_str()) {
                self.report(
                    format!("storage.volumes[{index}]"),
                    format!("no VM uses the volume \"{}\"", volume.name),
                    "make it a VM's volume, or remove it from the profile",
                );
            }
        }
        Some(designs)
    }

    fn boot(&mut self, at: &str, vm: &Vm, iso_directory: &str) {
        match &vm.boot {
            Boot::Hvm {
                iso,
                iso_source,
                vnc_password,
            } => {
                if let Err(broken) = kinds::iso_path(iso) {
                    self.broken(format!("{at}.boot.iso"), broken);
                }
                if let Some(source) = iso_source {
                    match kinds::iso_source(source) {
                        Err(broken) => self.broken(format!("{at}.boot.iso_source"), broken),
                        // Uploads go only where the profile keeps ISOs: an upload never
                        // lands on a system file.
                        Ok(()) if parent_dir(iso) != iso_directory => self.report(
                            format!("{at}.boot.iso"),
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
                            self.broken(format!("{at}.boot.vnc_password"), broken);
                        }
                    }
                    None if vm.console_ip.is_some() => self.report(
                        format!("{at}.boot.vnc_password"),
                        "the VNC console would listen on the LAN without a password",
                        "set a vnc_password (up to 8 characters), or remove the console_ip",
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
                    self.broken(format!("{at}.boot.kernel"), broken);
                }
                if let Some(Err(broken)) = ramdisk.as_deref().map(kinds::node_path) {
                    self.broken(format!("{at}.boot.ramdisk"), broken);
                }
                if let Some(Err(broken)) = extra
                    .as_deref()
                    .map(|extra| kinds::config_text(extra, 1024))
                {
                    self.broken(format!("{at}.boot.extra"), broken);
                }
            }
        }
    }

    /// Minors and ports for each VM: the ones the profile sets, and the lowest free ones for the
    /// rest, so that setting one VM's numbers never moves another's.
    fn drbd_assignments(&mut self, profile: &Profile) -> Vec<Option<(u32, u16)>> {
        let mut minors: BTreeMap<u32, usize> = BTreeMap::new();
        let mut ports: BTreeMap<u16, usize> = BTreeMap::new();
        for (index, vm) in profile.vms.iter().enumerate() {
            let at = format!("vms[{index}]");
            if let Some(minor) = vm.drbd_minor {
                if minor > MAX_DRBD_MINOR {
                    self.report(
                        format!("{at}.drbd_minor"),
                        format!("minor {minor} is above DRBD 8.4's limit of {MAX_DRBD_MINOR}"),
                        format!("use a minor from 0 to {MAX_DRBD_MINOR}, or leave it out to have one assigned"),
                    );
                } else if let Some(first) = minors.insert(minor, index) {
                    self.report(
                        format!("{at}.drbd_minor"),
                        format!("minor {minor} is already used by vms[{first}]"),
                        "give each VM its own minor, or leave it out to have one assigned",
                    );
                }
            }
            if let Some(port) = vm.drbd_port {
                if port < 1024 || COROSYNC_PORTS.contains(&port) {
                    self.report(
                        format!("{at}.drbd_port"),
                        format!("port {port} is reserved (below 1024, or corosync's 5404-5406)"),
                        "use a port from 1024 to 65535 outside 5404-5406 (DRBD's usual range starts at 7789)",
                    );
                } else if let Some(first) = ports.insert(port, index) {
                    self.report(
                        format!("{at}.drbd_port"),
                        format!("port {port} is already used by vms[{first}]"),
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
                "vms",
                "there are more VMs than free DRBD minors or ports",
                "remove VMs or free some minors and ports",
            );
        }
        assigned
    }

    fn ipv4(&mut self, field: &str, text: &str, fix: &str) -> Option<Ipv4Addr> {
        match text.trim().parse::<Ipv4Addr>() {
            Ok(address) => Some(address),
            Err(_) => {
                self.report(field, format!("\"{text}\" is not an IPv4 address"), fix);
                None
            }
        }
    }

    fn interface_address(&mut self, field: &str, text: &str) -> Option<(Ipv4Addr, Subnet)> {
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

/// Whether two node settings name the same thing: names compare without case, addresses as
/// addresses (whatever their prefix length or surrounding spaces).
fn same_value(first: &str, second: &str) -> bool {
    let address = |text: &str| {
        let text = text.trim();
        text.split_once('/')
            .map_or(text, |(address, _)| address)
            .parse::<std::net::IpAddr>()
            .ok()
    };
    match (address(first), address(second)) {
        (Some(first), Some(second)) => first == second,
        _ => first.trim().eq_ignore_ascii_case(second.trim()),
    }
}

/// Parses "192.168.1.1/24" into the address and its subnet.
pub fn parse_interface_address(text: &str) -> Result<(Ipv4Addr, Subnet), String> {
    let (address, prefix) = text
        .trim()
        .split_once('/')
        .ok_or_else(|| format!("\"{text}\" has no prefix length"))?;
    let address: Ipv4Addr = address
        .parse()
        .map_err(|_| format!("\"{address}\" is not an IPv4 address"))?;
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|prefix| (1..=30).contains(prefix))
        .ok_or_else(|| format!("\"/{prefix}\" is not a usable prefix length (1 to 30)"))?;
    let mask = u32::MAX << (32 - u32::from(prefix));
    let subnet = Subnet {
        network: Ipv4Addr::from(u32::from(address) & mask),
        prefix,
    };
    if !subnet.is_host(address) {
        return Err(format!(
            "{address} is the network or broadcast address of {subnet}"
        ));
    }
    Ok((address, subnet))
}

/// Parses an LVM size ("512M", "50G", "1.5T"; binary units as lvcreate reads them) into MiB.
pub fn parse_size_mib(text: &str) -> Option<u64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let factor: f64 = match unit.to_ascii_uppercase() {
        'M' => 1.0,
        'G' => 1024.0,
        'T' => 1024.0 * 1024.0,
        _ => return None,
    };
    let number = &text[..text.len() - 1];
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let mib = (value * factor).round();
    (1.0..1e15).contains(&mib).then_some(mib as u64)
}

fn is_drbd_rate(text: &str) -> bool {
    let digits = text
        .strip_suffix(['K', 'M', 'G', 'k', 'm', 'g'])
        .unwrap_or(text);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && digits.parse::<u64>().is_ok_and(|n| n > 0)
}

fn is_cluster_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_hostname(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn is_host_name_or_address(text: &str) -> bool {
    text.parse::<std::net::IpAddr>().is_ok() || (text.len() <= 253 && is_hostname_labels(text))
}

fn is_hostname_labels(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn is_user_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// A name that is at once a valid Xen domain name, DRBD resource name, LVM-friendly name and
/// (with Tandem's prefixes) a Pacemaker XML id.
fn is_vm_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.eq_ignore_ascii_case("Domain-0")
        && !name.eq_ignore_ascii_case("Domain-Unnamed")
}

/// LVM's rules for VG and LV names (lvm(8), "VALID NAMES").
fn is_lvm_name(name: &str) -> bool {
    const RESERVED_PARTS: [&str; 13] = [
        "_cdata", "_cmeta", "_corig", "_iorig", "_mlog", "_mimage", "_pmspare", "_rimage",
        "_rmeta", "_tdata", "_tmeta", "_vorigin", "_vdata",
    ];
    (1..=127).contains(&name.len())
        && !name.starts_with('-')
        && name != "."
        && name != ".."
        && !name.starts_with("snapshot")
        && !name.starts_with("pvmove")
        && !RESERVED_PARTS.iter().any(|part| name.contains(part))
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '_' | '.' | '-'))
}

/// The directory part of an absolute node path ("/a/b.iso" → "/a").
fn parent_dir(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) => "/",
        Some((parent, _)) => parent,
        None => "",
    }
}

/// The last part of a workstation path, as a node file name may carry it.
fn file_name(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn is_unicast_mac(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|part| part.len() == 2 && part.chars().all(|c| c.is_ascii_hexdigit()))
        && u8::from_str_radix(parts[0], 16).is_ok_and(|first| first & 1 == 0)
}

/// A stable MAC in Xen's OUI (00:16:3e), so the guest keeps its NIC identity on either node.
pub fn derived_mac(cluster: &str, vm: &str) -> String {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in cluster.bytes().chain([0]).chain(vm.bytes()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let [_, a, b, c] = hash.to_be_bytes();
    // Xen's OUI leaves the top bit of the fourth byte to the toolstack's random MACs.
    format!("00:16:3e:{:02x}:{b:02x}:{c:02x}", a & 0x7f)
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
