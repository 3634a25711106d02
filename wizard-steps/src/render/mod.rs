//! Rendering: a checked [`Design`] becomes every file the two nodes need, plus the Pacemaker
//! configuration as a crm shell script. Pure: no I/O, the same design always renders the same text.
//! The templates are `resources/templates/`; what they see is made in `context.rs`.

use std::fmt;

use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use crate::profile::DebianRelease;
use crate::validate::Design;

mod context;

use context::RenderContext;

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
    /// SBD's settings (read by its service and by fence_sbd's `sbd` calls).
    pub const SBD_CONFIG: &str = "/etc/default/sbd";
    /// Loads the software watchdog at boot, for SBD on nodes without a hardware one.
    pub const SOFTDOG_MODULES_LOAD: &str = "/etc/modules-load.d/tandem-softdog.conf";
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

    /// DRBD's fence-peer handler for the module's generation, as Tandem installs it: the
    /// distribution's `crm-fence-peer` script taught Pacemaker 3's node states (see
    /// `plan::FENCE_PEER_HANDLER_FIX`), and the script it is made from.
    pub fn fence_peer_handler(generation: super::DrbdGeneration) -> (&'static str, &'static str) {
        match generation {
            super::DrbdGeneration::V84 => (
                "/usr/local/lib/tandem/crm-fence-peer.sh",
                "/usr/lib/drbd/crm-fence-peer.sh",
            ),
            super::DrbdGeneration::V9 => (
                "/usr/local/lib/tandem/crm-fence-peer.9.sh",
                "/usr/lib/drbd/crm-fence-peer.9.sh",
            ),
        }
    }

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

/// The Pacemaker id of the IPMI fence device that fences `node` (it runs on the other node).
pub fn fence_device_id(node: &str) -> String {
    format!("fence_{node}")
}

/// The Pacemaker id of SBD's one fence device (it fences either node).
pub const SBD_FENCE_DEVICE: &str = "fence_sbd";

/// How strongly a VM prefers its home node; a "stay" stickiness must outweigh it.
pub const HOME_SCORE: u32 = 1000;
/// Node whose fence device waits, so that the first node wins a fencing race.
const FENCE_DELAY: &str = "15s";
/// SBD's watchdog timeout: a node that loses its disk or cluster is reset within it.
pub const SBD_WATCHDOG_TIMEOUT_S: u32 = 5;
/// SBD's msgwait: a poison pill counts as delivered after it (twice the watchdog timeout).
pub const SBD_MSGWAIT_S: u32 = 2 * SBD_WATCHDOG_TIMEOUT_S;
/// The DRBD 8.4 module's default number of minors.
const DEFAULT_MINOR_COUNT: u32 = 32;

const TEMPLATES: [(&str, &str); 15] = [
    (
        "drbd/global_common.conf",
        include_str!("../../../resources/templates/drbd/global_common.conf.j2"),
    ),
    (
        "drbd/resource-8.4.res",
        include_str!("../../../resources/templates/drbd/resource-8.4.res.j2"),
    ),
    (
        "drbd/resource-9.res",
        include_str!("../../../resources/templates/drbd/resource-9.res.j2"),
    ),
    (
        "drbd/modules-load.conf",
        include_str!("../../../resources/templates/drbd/modules-load.conf.j2"),
    ),
    (
        "drbd/modprobe.conf",
        include_str!("../../../resources/templates/drbd/modprobe.conf.j2"),
    ),
    (
        "network/bridge",
        include_str!("../../../resources/templates/network/bridge.j2"),
    ),
    (
        "grub/tandem-xen.cfg",
        include_str!("../../../resources/templates/grub/tandem-xen.cfg.j2"),
    ),
    (
        "xen/xendomains",
        include_str!("../../../resources/templates/xen/xendomains.j2"),
    ),
    (
        "xen/domain.cfg",
        include_str!("../../../resources/templates/xen/domain.cfg.j2"),
    ),
    (
        "xen/migrate-receive.sh",
        include_str!("../../../resources/templates/xen/migrate-receive.sh.j2"),
    ),
    (
        "xen/ssh-migration.conf",
        include_str!("../../../resources/templates/xen/ssh-migration.conf.j2"),
    ),
    (
        "corosync/corosync.conf",
        include_str!("../../../resources/templates/corosync/corosync.conf.j2"),
    ),
    (
        "sbd/sbd",
        include_str!("../../../resources/templates/sbd/sbd.j2"),
    ),
    (
        "sbd/softdog.conf",
        include_str!("../../../resources/templates/sbd/softdog.conf.j2"),
    ),
    (
        "pacemaker/cluster.crm",
        include_str!("../../../resources/templates/pacemaker/cluster.crm.j2"),
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
            if let Some(sbd) = &context.fencing.sbd {
                files.push(file(
                    paths::SBD_CONFIG,
                    render("sbd/sbd", context! {}),
                    0o644,
                ));
                if sbd.softdog {
                    files.push(file(
                        paths::SOFTDOG_MODULES_LOAD,
                        render("sbd/softdog.conf", context! {}),
                        0o644,
                    ));
                }
            }
            // The peer is the design's other node (a design has two, with different names).
            if context.live_migration
                && let Some(peer) = context
                    .nodes
                    .iter()
                    .find(|peer| peer.hostname != node.hostname)
            {
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

#[cfg(test)]
mod tests;
