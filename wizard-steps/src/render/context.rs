//! What the templates see: the design as plain values, derived once (ids, paths, the failback
//! rules, the fence devices).

use serde::Serialize;

use super::*;
use crate::profile::{Boot, Failback, Fencing};
use crate::validate::{Design, NodeDesign, VmDesign};

/// Everything the templates see: plain values, derived once.
#[derive(Serialize)]
pub(super) struct RenderContext {
    pub(super) cluster: String,
    pub(super) crypto: bool,
    pub(super) token_ms: Option<u32>,
    pub(super) live_migration: bool,
    pub(super) bridge: String,
    pub(super) lan_prefix: u8,
    pub(super) home_score: u32,
    pub(super) nodes: Vec<NodeContext>,
    pub(super) vms: Vec<VmContext>,
    pub(super) drbd: DrbdContext,
    pub(super) minor_count: Option<u32>,
    pub(super) failback: FailbackContext,
    pub(super) fencing: FencingContext,
    pub(super) quorum_device: Option<QuorumDeviceContext>,
    pub(super) bridge_options: BridgeContext,
}

/// corosync-qnetd as the nodes reach it.
#[derive(Serialize)]
pub(super) struct QuorumDeviceContext {
    pub(super) address: String,
    pub(super) port: u16,
}

#[derive(Serialize)]
pub(super) struct NodeContext {
    pub(super) hostname: String,
    pub(super) node_id: u32,
    pub(super) drbd_node_id: u32,
    pub(super) nic: String,
    pub(super) lan_address: String,
    pub(super) gateway: Option<String>,
    pub(super) replication_address: String,
    dom0_memory_mib: u32,
}

#[derive(Serialize)]
pub(super) struct VmContext {
    pub(super) name: String,
    pub(super) home: String,
    pub(super) memory_mib: u32,
    pub(super) vcpus: u32,
    pub(super) minor: u32,
    pub(super) port: u16,
    pub(super) backing_disk: String,
    pub(super) drbd_device: String,
    pub(super) config_path: String,
    pub(super) mac: String,
    pub(super) console_ip: Option<String>,
    pub(super) vnc_listen: String,
    pub(super) boot: BootContext,
    pub(super) drbd_id: String,
    pub(super) drbd_clone_id: String,
    pub(super) xen_id: String,
    pub(super) ip_id: String,
    pub(super) promoted_max: u32,
    pub(super) allow_migrate: bool,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(super) enum BootContext {
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
pub(super) struct DrbdContext {
    pub(super) protocol: String,
    pub(super) resync_rate: String,
    pub(super) verify_alg: &'static str,
    pub(super) fencing: &'static str,
    pub(super) dual_primary: bool,
}

#[derive(Serialize)]
pub(super) struct BridgeContext {
    pub(super) name: String,
    pub(super) stp: bool,
    pub(super) forward_delay: u8,
}

#[derive(Serialize)]
pub(super) struct FailbackContext {
    pub(super) policy: &'static str,
    pub(super) describe: String,
    pub(super) stickiness: &'static str,
    pub(super) recheck_interval: &'static str,
    pub(super) start_hour: u8,
    pub(super) end_hour: u8,
    pub(super) open_rule: String,
    pub(super) closed_rule: String,
}

#[derive(Serialize)]
pub(super) struct FencingContext {
    pub(super) enabled: bool,
    /// "ipmi", "sbd" or "none".
    pub(super) method: &'static str,
    pub(super) delayed_target: String,
    /// IPMI: one device per node.
    pub(super) devices: Vec<FenceDevice>,
    pub(super) sbd: Option<SbdContext>,
}

/// SBD: the shared disk, the watchdog, and the fence delay per node (fence_sbd's one device
/// fences both nodes, so its delay is a map).
#[derive(Serialize)]
pub(super) struct SbdContext {
    pub(super) id: &'static str,
    pub(super) device: String,
    pub(super) softdog: bool,
    pub(super) delay_map: String,
    pub(super) watchdog_timeout_s: u32,
}

#[derive(Serialize)]
pub(super) struct FenceDevice {
    pub(super) id: String,
    pub(super) target: String,
    pub(super) address: String,
    pub(super) user: String,
    pub(super) lanplus: u8,
    pub(super) cipher: Option<u8>,
    pub(super) password_script: String,
    pub(super) delay: Option<&'static str>,
}

impl RenderContext {
    pub(super) fn new(design: &Design) -> RenderContext {
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
            fencing: fencing_context(design),
            quorum_device: cluster
                .quorum_device
                .as_ref()
                .map(|device| QuorumDeviceContext {
                    address: device.address.clone(),
                    port: device.port,
                }),
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
pub(super) fn hour_rule(from: u8, to: u8) -> String {
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

fn fencing_context(design: &Design) -> FencingContext {
    // The first node's fencing waits: in a split, the second node is shot first.
    let delayed_target = design.nodes[0].hostname.clone();
    let (method, devices, sbd) = match &design.cluster.fencing {
        Fencing::Ipmi {} => ("ipmi", fence_devices(design), None),
        Fencing::Sbd { device, softdog } => (
            "sbd",
            Vec::new(),
            Some(SbdContext {
                id: SBD_FENCE_DEVICE,
                device: device.clone(),
                softdog: *softdog,
                delay_map: design
                    .nodes
                    .iter()
                    .map(|node| {
                        let delay = if node.hostname == delayed_target {
                            FENCE_DELAY
                        } else {
                            "0s"
                        };
                        format!("{}:{delay}", node.hostname)
                    })
                    .collect::<Vec<_>>()
                    .join(";"),
                watchdog_timeout_s: SBD_WATCHDOG_TIMEOUT_S,
            }),
        ),
        Fencing::None { .. } => ("none", Vec::new(), None),
    };
    FencingContext {
        enabled: design.fences(),
        method,
        delayed_target,
        devices,
        sbd,
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
                id: fence_device_id(&node.hostname),
                target: node.hostname.clone(),
                address: bmc.address.clone(),
                user: bmc.user.clone(),
                lanplus: u8::from(bmc.lanplus),
                cipher: bmc.cipher,
                password_script: format!("/bin/cat {}", paths::fence_secret(&node.hostname)),
                delay: (index == 0).then_some(FENCE_DELAY),
            })
        })
        .collect()
}
