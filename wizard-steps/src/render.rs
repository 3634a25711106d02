//! Rendering: a checked [`Design`] becomes every file the two nodes need, plus the Pacemaker
//! configuration as a crm shell script. Pure: no I/O, the same design always renders the same text.

use std::fmt;

use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use crate::profile::{Boot, DebianRelease, Failback};
use crate::validate::{Design, NodeDesign, VmDesign};

/// The DRBD generation the nodes run; it decides the configuration syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum DrbdGeneration {
    /// The DRBD 8.4 module in Debian's kernel.
    V84,
    /// LINBIT's DRBD 9 module (not in Debian).
    V9,
}

impl fmt::Display for DrbdGeneration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DrbdGeneration::V84 => "DRBD 8.4",
            DrbdGeneration::V9 => "DRBD 9",
        })
    }
}

/// What the files are rendered for: the Debian release and the DRBD module the nodes have.
///
/// Pacemaker 2.1 (Debian 12) and 3.0 (Debian 13) both read the promotable-clone syntax rendered
/// here (3.0 has no `ms` resources, so none are written), and Xen 4.17 and 4.20 read the same xl
/// syntax: of the two, only the DRBD generation changes a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Platform {
    pub debian: DebianRelease,
    pub drbd: DrbdGeneration,
}

impl Platform {
    /// The platform a profile implies before the nodes are asked: its Debian release with the
    /// kernel's own DRBD 8.4 module (both Debian 12 and 13 ship 8.4.11).
    pub fn for_design(design: &Design) -> Platform {
        Platform {
            debian: design.cluster.debian,
            drbd: DrbdGeneration::V84,
        }
    }
}

/// One file for a node: absolute path, contents and permission bits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeFile {
    pub path: String,
    pub contents: String,
    pub mode: u32,
}

/// Everything rendered for one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeFiles {
    pub hostname: String,
    pub files: Vec<NodeFile>,
}

impl NodeFiles {
    pub fn file(&self, path: &str) -> Option<&NodeFile> {
        self.files.iter().find(|file| file.path == path)
    }
}

/// The whole rendering of a design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub target: String,
    /// One entry per node, in profile order.
    pub nodes: Vec<NodeFiles>,
    /// The Pacemaker configuration (crm shell syntax), loaded once for the cluster.
    pub cluster_crm: String,
}

/// Where the files live on the nodes.
pub mod paths {
    pub const DRBD_GLOBAL_COMMON: &str = "/etc/drbd.d/global_common.conf";
    pub const DRBD_MODPROBE: &str = "/etc/modprobe.d/drbd.conf";
    pub const DRBD_MODULES_LOAD: &str = "/etc/modules-load.d/drbd.conf";
    pub const NETWORK_INTERFACES: &str = "/etc/network/interfaces";
    /// The Pacemaker configuration as loaded on the first node.
    pub const CLUSTER_CRM: &str = "/etc/tandem/cluster.crm";
    pub const GRUB_XEN: &str = "/etc/default/grub.d/tandem-xen.cfg";
    pub const XENDOMAINS: &str = "/etc/default/xendomains";
    pub const COROSYNC_CONF: &str = "/etc/corosync/corosync.conf";
    pub const COROSYNC_AUTHKEY: &str = "/etc/corosync/authkey";
    /// Directory of the files fence_ipmilan reads each BMC password from.
    pub const FENCE_SECRETS_DIR: &str = "/etc/tandem/fence";
    /// Live migration: root's key for `xl migrate` to the peer, and the peer's pinned host key.
    pub const MIGRATION_DIR: &str = "/etc/tandem/migration";
    pub const MIGRATION_KEY: &str = "/etc/tandem/migration/id_ed25519";
    pub const MIGRATION_KNOWN_HOSTS: &str = "/etc/tandem/migration/known_hosts";
    /// The forced command of the peer's migration key.
    pub const MIGRATE_RECEIVE: &str = "/usr/local/sbin/tandem-migrate-receive";
    /// Root's SSH client settings for reaching the peer by its hostname.
    pub const MIGRATION_SSH_CONFIG: &str = "/etc/ssh/ssh_config.d/tandem-migration.conf";
    pub const ROOT_AUTHORIZED_KEYS: &str = "/root/.ssh/authorized_keys";

    pub fn drbd_resource(vm: &str) -> String {
        format!("/etc/drbd.d/{vm}.res")
    }

    pub fn xen_domain(vm: &str) -> String {
        format!("/etc/xen/{vm}.cfg")
    }

    pub fn bridge_stanza(bridge: &str) -> String {
        format!("/etc/network/interfaces.d/tandem-{bridge}")
    }

    pub fn fence_secret(node: &str) -> String {
        format!("{FENCE_SECRETS_DIR}/{node}.secret")
    }

    /// A resource's device node. (udev's by-res links differ between DRBD 8.4 and 9 — with
    /// or without a volume number — while the minor's node is the same everywhere.)
    pub fn drbd_device(minor: u32) -> String {
        format!("/dev/drbd{minor}")
    }
}

/// The comment of `node`'s live-migration key, as the peer's authorized_keys carries it.
pub fn migration_key_comment(node: &str, cluster: &str) -> String {
    format!("tandem-migration@{node}.{cluster}")
}

/// The start of every node file Tandem renders for `cluster` (its templates' first line): how
/// a node's files are told to be Tandem's own, e.g. the DRBD resources of VMs to retire.
pub fn rendered_marker(cluster: &str) -> String {
    format!("# Rendered by Tandem for cluster \"{cluster}\"")
}

/// A rendered file as it may be shown (the plan's script, a review): the secrets it carries
/// (an xl domain's `vncpasswd`) masked. The file written on the node keeps them.
pub fn masked(contents: &str) -> String {
    contents
        .split_inclusive('\n')
        .map(|line| match line.trim_start().strip_prefix("vncpasswd") {
            Some(rest) if rest.trim_start().starts_with('=') => {
                let ending = if line.ends_with('\n') { "\n" } else { "" };
                format!("vncpasswd = \"********\"{ending}")
            }
            _ => line.to_owned(),
        })
        .collect()
}

/// Pacemaker ids of a VM's resources, shared by the renderer, the planner and the tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacemakerIds {
    pub drbd: String,
    pub drbd_clone: String,
    pub xen: String,
    pub ip: String,
}

impl PacemakerIds {
    pub fn for_vm(name: &str) -> PacemakerIds {
        PacemakerIds {
            drbd: format!("drbd_{name}"),
            drbd_clone: format!("ms_drbd_{name}"),
            xen: format!("vm_{name}"),
            ip: format!("ip_{name}"),
        }
    }
}

/// How strongly a VM prefers its home node; a "stay" stickiness must outweigh it.
pub const HOME_SCORE: u32 = 1000;
/// Node whose fence device waits, so that the first node wins a fencing race.
const FENCE_DELAY: &str = "15s";
/// The DRBD 8.4 module's default number of minors.
const DEFAULT_MINOR_COUNT: u32 = 32;

const TEMPLATES: [(&str, &str); 13] = [
    (
        "drbd/global_common.conf",
        include_str!("../../resources/templates/drbd/global_common.conf.j2"),
    ),
    (
        "drbd/resource-8.4.res",
        include_str!("../../resources/templates/drbd/resource-8.4.res.j2"),
    ),
    (
        "drbd/resource-9.res",
        include_str!("../../resources/templates/drbd/resource-9.res.j2"),
    ),
    (
        "drbd/modules-load.conf",
        include_str!("../../resources/templates/drbd/modules-load.conf.j2"),
    ),
    (
        "drbd/modprobe.conf",
        include_str!("../../resources/templates/drbd/modprobe.conf.j2"),
    ),
    (
        "network/bridge",
        include_str!("../../resources/templates/network/bridge.j2"),
    ),
    (
        "grub/tandem-xen.cfg",
        include_str!("../../resources/templates/grub/tandem-xen.cfg.j2"),
    ),
    (
        "xen/xendomains",
        include_str!("../../resources/templates/xen/xendomains.j2"),
    ),
    (
        "xen/domain.cfg",
        include_str!("../../resources/templates/xen/domain.cfg.j2"),
    ),
    (
        "xen/migrate-receive.sh",
        include_str!("../../resources/templates/xen/migrate-receive.sh.j2"),
    ),
    (
        "xen/ssh-migration.conf",
        include_str!("../../resources/templates/xen/ssh-migration.conf.j2"),
    ),
    (
        "corosync/corosync.conf",
        include_str!("../../resources/templates/corosync/corosync.conf.j2"),
    ),
    (
        "pacemaker/cluster.crm",
        include_str!("../../resources/templates/pacemaker/cluster.crm.j2"),
    ),
];

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|error| panic!("built-in template {name} does not parse: {error}"));
    }
    env
}

/// Renders every node file and the cluster configuration.
pub fn render(design: &Design, platform: Platform) -> Rendered {
    let env = environment();
    let context = RenderContext::new(design);
    let render = |template: &str, extra: minijinja::Value| -> String {
        env.get_template(template)
            .and_then(|template| {
                template.render(context! { ..extra, ..minijinja::Value::from_serialize(&context) })
            })
            .unwrap_or_else(|error| {
                panic!("built-in template {template} failed for a valid design: {error:#}")
            })
    };
    let resource_template = match platform.drbd {
        DrbdGeneration::V84 => "drbd/resource-8.4.res",
        DrbdGeneration::V9 => "drbd/resource-9.res",
    };
    let nodes = context
        .nodes
        .iter()
        .map(|node| {
            let node_value = context! { node => minijinja::Value::from_serialize(node) };
            let mut files = vec![
                file(
                    paths::DRBD_GLOBAL_COMMON,
                    render("drbd/global_common.conf", context! {}),
                    0o644,
                ),
                file(
                    paths::DRBD_MODULES_LOAD,
                    render("drbd/modules-load.conf", context! {}),
                    0o644,
                ),
                file(
                    paths::DRBD_MODPROBE,
                    render("drbd/modprobe.conf", context! {}),
                    0o644,
                ),
                file(
                    &paths::bridge_stanza(&context.bridge),
                    render("network/bridge", node_value.clone()),
                    0o644,
                ),
                file(
                    paths::GRUB_XEN,
                    render("grub/tandem-xen.cfg", node_value),
                    0o644,
                ),
                file(
                    paths::XENDOMAINS,
                    render("xen/xendomains", context! {}),
                    0o644,
                ),
                file(
                    paths::COROSYNC_CONF,
                    render("corosync/corosync.conf", context! {}),
                    0o644,
                ),
            ];
            if context.live_migration {
                let peer = context
                    .nodes
                    .iter()
                    .find(|peer| peer.hostname != node.hostname)
                    .expect("two nodes");
                files.push(file(
                    paths::MIGRATE_RECEIVE,
                    render("xen/migrate-receive.sh", context! {}),
                    0o755,
                ));
                files.push(file(
                    paths::MIGRATION_SSH_CONFIG,
                    render(
                        "xen/ssh-migration.conf",
                        context! {
                            peer => minijinja::Value::from_serialize(peer),
                            migration => context! {
                                key => paths::MIGRATION_KEY,
                                known_hosts => paths::MIGRATION_KNOWN_HOSTS,
                            },
                        },
                    ),
                    0o644,
                ));
            }
            for vm in &context.vms {
                let vm_value = context! { vm => minijinja::Value::from_serialize(vm) };
                files.push(file(
                    &paths::drbd_resource(&vm.name),
                    render(resource_template, vm_value.clone()),
                    0o644,
                ));
                // The VNC password is in the domain config: only root reads it.
                files.push(file(
                    &vm.config_path,
                    render("xen/domain.cfg", vm_value),
                    0o600,
                ));
            }
            NodeFiles {
                hostname: node.hostname.clone(),
                files,
            }
        })
        .collect();
    Rendered {
        target: format!("{} with {}", platform.debian, platform.drbd),
        nodes,
        cluster_crm: render("pacemaker/cluster.crm", context! {}),
    }
}

fn file(path: &str, contents: String, mode: u32) -> NodeFile {
    NodeFile {
        path: path.to_owned(),
        contents,
        mode,
    }
}

/// Everything the templates see: plain values, derived once.
#[derive(Serialize)]
struct RenderContext {
    cluster: String,
    crypto: bool,
    token_ms: Option<u32>,
    live_migration: bool,
    bridge: String,
    lan_prefix: u8,
    home_score: u32,
    nodes: Vec<NodeContext>,
    vms: Vec<VmContext>,
    drbd: DrbdContext,
    minor_count: Option<u32>,
    failback: FailbackContext,
    fencing: FencingContext,
    bridge_options: BridgeContext,
}

#[derive(Serialize)]
struct NodeContext {
    hostname: String,
    node_id: u32,
    drbd_node_id: u32,
    nic: String,
    lan_address: String,
    gateway: Option<String>,
    replication_address: String,
    dom0_memory_mib: u32,
}

#[derive(Serialize)]
struct VmContext {
    name: String,
    home: String,
    memory_mib: u32,
    vcpus: u32,
    minor: u32,
    port: u16,
    backing_disk: String,
    drbd_device: String,
    config_path: String,
    mac: String,
    console_ip: Option<String>,
    vnc_listen: String,
    boot: BootContext,
    drbd_id: String,
    drbd_clone_id: String,
    xen_id: String,
    ip_id: String,
    promoted_max: u32,
    allow_migrate: bool,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum BootContext {
    Hvm {
        iso: String,
        vnc_password: Option<String>,
    },
    Pv {
        kernel: String,
        ramdisk: Option<String>,
        extra: Option<String>,
    },
}

#[derive(Serialize)]
struct DrbdContext {
    protocol: String,
    resync_rate: String,
    verify_alg: &'static str,
    fencing: &'static str,
    dual_primary: bool,
}

#[derive(Serialize)]
struct BridgeContext {
    name: String,
    stp: bool,
    forward_delay: u8,
}

#[derive(Serialize)]
struct FailbackContext {
    policy: &'static str,
    describe: String,
    stickiness: &'static str,
    recheck_interval: &'static str,
    start_hour: u8,
    end_hour: u8,
    open_rule: String,
    closed_rule: String,
}

#[derive(Serialize)]
struct FencingContext {
    enabled: bool,
    delayed_target: String,
    devices: Vec<FenceDevice>,
}

#[derive(Serialize)]
struct FenceDevice {
    id: String,
    target: String,
    address: String,
    user: String,
    lanplus: u8,
    password_script: String,
    delay: Option<&'static str>,
}

impl RenderContext {
    fn new(design: &Design) -> RenderContext {
        let cluster = &design.cluster;
        let fencing_enabled = design.fences();
        let nodes: Vec<NodeContext> = design.nodes.iter().map(node_context).collect();
        let vms = design.vms.iter().map(|vm| vm_context(design, vm)).collect();
        let max_minor = design.vms.iter().map(|vm| vm.drbd_minor).max().unwrap_or(0);
        RenderContext {
            cluster: cluster.name.clone(),
            crypto: cluster.corosync_crypto,
            token_ms: cluster.corosync_token_ms,
            live_migration: cluster.live_migration,
            bridge: design.network.bridge.clone(),
            lan_prefix: design.lan.prefix,
            home_score: HOME_SCORE,
            vms,
            drbd: DrbdContext {
                protocol: cluster.drbd.protocol.to_string(),
                resync_rate: cluster.drbd.resync_rate.to_ascii_uppercase(),
                verify_alg: cluster.drbd.verify_alg.as_str(),
                // With real fencing DRBD also freezes I/O until the peer is confirmed shot.
                fencing: if fencing_enabled {
                    "resource-and-stonith"
                } else {
                    "resource-only"
                },
                dual_primary: cluster.live_migration,
            },
            minor_count: (max_minor >= DEFAULT_MINOR_COUNT).then_some(max_minor + 1),
            failback: failback_context(&cluster.failback),
            fencing: FencingContext {
                enabled: fencing_enabled,
                delayed_target: design.nodes[0].hostname.clone(),
                devices: if fencing_enabled {
                    fence_devices(design)
                } else {
                    Vec::new()
                },
            },
            bridge_options: BridgeContext {
                name: design.network.bridge.clone(),
                stp: design.network.stp,
                forward_delay: design.network.forward_delay,
            },
            nodes,
        }
    }
}

fn node_context(node: &NodeDesign) -> NodeContext {
    NodeContext {
        hostname: node.hostname.clone(),
        node_id: node.node_id,
        drbd_node_id: node.node_id - 1,
        nic: node.nic.clone(),
        lan_address: node.lan_address.to_string(),
        gateway: node.gateway.map(|gateway| gateway.to_string()),
        replication_address: node.replication_address.to_string(),
        dom0_memory_mib: node.dom0_memory_mib,
    }
}

fn vm_context(design: &Design, vm: &VmDesign) -> VmContext {
    let ids = PacemakerIds::for_vm(&vm.name);
    let live_migration = design.cluster.live_migration;
    VmContext {
        name: vm.name.clone(),
        home: design.nodes[vm.home].hostname.clone(),
        memory_mib: vm.memory_mib,
        vcpus: vm.vcpus,
        minor: vm.drbd_minor,
        port: vm.drbd_port,
        backing_disk: vm.backing_disk.clone(),
        drbd_device: paths::drbd_device(vm.drbd_minor),
        config_path: paths::xen_domain(&vm.name),
        mac: vm.mac.clone(),
        console_ip: vm.console_ip.map(|ip| ip.to_string()),
        vnc_listen: vm
            .console_ip
            .map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string()),
        boot: match &vm.boot {
            Boot::Hvm {
                iso, vnc_password, ..
            } => BootContext::Hvm {
                iso: iso.clone(),
                vnc_password: vnc_password.clone(),
            },
            Boot::Pv {
                kernel,
                ramdisk,
                extra,
            } => BootContext::Pv {
                kernel: kernel.clone(),
                ramdisk: ramdisk.clone(),
                extra: extra.clone(),
            },
        },
        drbd_id: ids.drbd,
        drbd_clone_id: ids.drbd_clone,
        xen_id: ids.xen,
        ip_id: ids.ip,
        promoted_max: if live_migration { 2 } else { 1 },
        allow_migrate: live_migration,
    }
}

fn failback_context(failback: &Failback) -> FailbackContext {
    let (policy, describe, stickiness, start_hour, end_hour) = match *failback {
        Failback::ReturnHome {} => (
            "return-home",
            "VMs return home at once".to_owned(),
            "0",
            0,
            0,
        ),
        Failback::Stay {} => (
            "stay",
            "VMs stay where they run until moved".to_owned(),
            "INFINITY",
            0,
            0,
        ),
        Failback::Window {
            start_hour,
            end_hour,
        } => (
            "window",
            format!("VMs return home only between {start_hour}:00 and {end_hour}:00"),
            "0",
            start_hour,
            end_hour,
        ),
    };
    FailbackContext {
        policy,
        describe,
        stickiness,
        // Time rules are only looked at when the cluster re-checks; keep that close to the hour.
        recheck_interval: if policy == "window" { "5min" } else { "15min" },
        start_hour,
        end_hour,
        open_rule: hour_rule(start_hour, end_hour),
        closed_rule: hour_rule(end_hour, start_hour),
    }
}

/// A crm rule expression matching the hours from `from` (inclusive) to `to` (exclusive), across
/// midnight when `to` is earlier than `from`.
fn hour_rule(from: u8, to: u8) -> String {
    let spec = |first: u8, last: u8| format!("date spec hours={first}-{last}");
    match (from, to) {
        (from, to) if from < to => spec(from, to - 1),
        (from, 0) => spec(from, 23),
        (from, to) if from == 23 || from > to => {
            let mut parts = vec![spec(from, 23)];
            if to > 0 {
                parts.push(spec(0, to - 1));
            }
            parts.join(" or ")
        }
        _ => spec(from, to),
    }
}

fn fence_devices(design: &Design) -> Vec<FenceDevice> {
    design
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(index, node)| {
            let bmc = node.bmc.as_ref()?;
            Some(FenceDevice {
                id: format!("fence_{}", node.hostname),
                target: node.hostname.clone(),
                address: bmc.address.clone(),
                user: bmc.user.clone(),
                lanplus: u8::from(bmc.lanplus),
                password_script: format!("/bin/cat {}", paths::fence_secret(&node.hostname)),
                delay: (index == 0).then_some(FENCE_DELAY),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{DrbdGeneration, Platform, hour_rule, paths, render, rendered_marker};

    #[test]
    fn every_drbd_resource_file_starts_with_the_marker_retirement_looks_for() {
        let profile =
            crate::Profile::from_toml(include_str!("../../resources/profiles/seed.toml"), "seed")
                .expect("parses");
        let design = crate::validate(&profile).expect("valid");
        for drbd in [DrbdGeneration::V84, DrbdGeneration::V9] {
            let rendered = render(
                &design,
                Platform {
                    drbd,
                    ..Platform::for_design(&design)
                },
            );
            for node in &rendered.nodes {
                for vm in &design.vms {
                    let file = node
                        .file(&paths::drbd_resource(&vm.name))
                        .expect("the resource file");
                    assert!(
                        file.contents
                            .starts_with(&rendered_marker(&profile.cluster.name)),
                        "{}",
                        file.contents
                    );
                }
            }
        }
    }

    #[test]
    fn live_migration_gives_each_node_a_way_to_its_peer_and_a_forced_command() {
        let profile = crate::Profile::from_toml(
            include_str!("../../tests/profiles/live-migration.toml"),
            "live-migration",
        )
        .expect("parses");
        let design = crate::validate(&profile).expect("valid");
        let rendered = render(&design, Platform::for_design(&design));
        for (node, peer, address) in [(0, "lab2", "172.16.99.2"), (1, "lab1", "172.16.99.1")] {
            let files = &rendered.nodes[node];
            let config = files
                .file(paths::MIGRATION_SSH_CONFIG)
                .expect("the SSH client settings");
            assert!(config.contents.starts_with(&rendered_marker("lab")));
            assert!(
                config.contents.contains(&format!(
                    "Match originalhost {peer} localuser root\n\tHostName {address}\n"
                )),
                "{}",
                config.contents
            );
            let receive = files
                .file(paths::MIGRATE_RECEIVE)
                .expect("the forced command");
            assert!(receive.contents.starts_with("#!/bin/sh\n"));
            assert_eq!(receive.mode, 0o755);
        }

        let seed =
            crate::Profile::from_toml(include_str!("../../resources/profiles/seed.toml"), "seed")
                .expect("parses");
        let design = crate::validate(&seed).expect("valid");
        let rendered = render(&design, Platform::for_design(&design));
        assert!(rendered.nodes[0].file(paths::MIGRATE_RECEIVE).is_none());
        assert!(
            rendered.nodes[0]
                .file(paths::MIGRATION_SSH_CONFIG)
                .is_none()
        );
    }

    #[test]
    fn hour_rules_cover_the_window_and_wrap_midnight() {
        assert_eq!(hour_rule(1, 5), "date spec hours=1-4");
        assert_eq!(
            hour_rule(22, 6),
            "date spec hours=22-23 or date spec hours=0-5"
        );
        assert_eq!(hour_rule(6, 22), "date spec hours=6-21");
        assert_eq!(hour_rule(20, 0), "date spec hours=20-23");
        assert_eq!(
            hour_rule(23, 1),
            "date spec hours=23-23 or date spec hours=0-0"
        );
    }
}
