//! The run's vocabulary: every event a run reports, as the journal stores it and the Run page,
//! the CLI and the report read it.

use serde::{Deserialize, Serialize};

use crate::cluster_state::{ClusterState, NodeDrbd};
use crate::facts::Finding;
use crate::plan::PhaseKind;
use crate::profile::{Boot, Failback, Fencing, SshAuth};
use crate::validate::Design;

/// Everything a run reports, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The run begins: what it is for (secrets masked).
    RunStarted {
        summary: ProfileSummary,
    },
    /// The preflight table, before anything changed.
    Preflight {
        findings: Vec<Finding>,
    },
    /// The plan that will run, step by step.
    PlanReady {
        target: String,
        steps: Vec<StepOutline>,
    },
    PhaseStarted {
        phase: PhaseKind,
        title: String,
    },
    StepStarted {
        step: String,
        node: String,
        title: String,
    },
    /// One line of a command's output.
    Output {
        step: String,
        node: String,
        line: String,
        stderr: bool,
    },
    /// Progress of a long step: a DRBD sync or an upload.
    Progress {
        step: String,
        node: String,
        label: String,
        percent: f64,
        speed_kib_per_sec: Option<u64>,
        eta_secs: Option<u64>,
    },
    /// A file written on a node (or found identical).
    FileWritten {
        node: String,
        path: String,
        changed: bool,
        backup: Option<String>,
    },
    StepFinished {
        step: String,
        node: String,
        outcome: Outcome,
        detail: String,
        duration_ms: u64,
    },
    StepFailed {
        step: String,
        node: String,
        message: String,
        command: Option<String>,
        status: Option<String>,
        output_tail: Vec<String>,
        duration_ms: u64,
    },
    /// The cluster's state as verified at the end.
    ClusterVerified {
        state: ClusterState,
        drbd: Vec<NodeDrbd>,
    },
    Finished {
        summary: Summary,
    },
    /// A day-2 action on the running cluster (standby, online, a move, a clean-up, each step of
    /// a failover drill), appended to the cluster's newest journal so that its report lists it.
    Maintenance {
        /// "maintenance" or "drill".
        purpose: String,
        /// What it did, in a line.
        action: String,
        /// The command it ran (none when the cluster was already as wanted, or it was refused).
        command: Option<String>,
        changed: bool,
        /// Why it failed or was refused.
        error: Option<String>,
        took_ms: u64,
        /// Where the VMs ran once it settled (or when it gave up).
        placements: Vec<crate::cluster_state::Placement>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Its check said it was done before: nothing was changed.
    AlreadyDone,
    /// It changed the node.
    Changed,
    /// A wait or verification that held.
    Passed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutline {
    pub id: String,
    pub phase: PhaseKind,
    pub node: String,
    pub title: String,
    pub destructive: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub changed: usize,
    pub already_done: usize,
    pub passed: usize,
    pub failed: usize,
    pub cancelled: bool,
    pub duration_ms: u64,
    /// SSH commands run on each node.
    pub commands: Vec<u64>,
}

impl Summary {
    pub fn succeeded(&self) -> bool {
        self.failed == 0 && !self.cancelled
    }
}

/// What the run was for, with every secret masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSummary {
    pub cluster: String,
    pub debian: String,
    pub failback: String,
    pub fencing: String,
    /// The tie-breaker: "none", or qnetd's address.
    #[serde(default)]
    pub quorum_device: String,
    pub corosync_crypto: bool,
    pub live_migration: bool,
    pub nodes: Vec<NodeSummary>,
    pub vms: Vec<VmSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSummary {
    pub hostname: String,
    pub ssh: String,
    pub auth: String,
    pub lan: String,
    pub replication: String,
    pub dom0_memory_mib: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmSummary {
    pub name: String,
    pub home: String,
    pub memory_mib: u32,
    pub vcpus: u32,
    pub boot: String,
    pub disk: String,
    pub drbd: String,
    pub console_ip: Option<String>,
    pub vnc_password: Option<String>,
}

const MASK: &str = "••••••";

impl ProfileSummary {
    pub fn new(design: &Design) -> ProfileSummary {
        let cluster = &design.cluster;
        ProfileSummary {
            cluster: cluster.name.clone(),
            debian: cluster.debian.to_string(),
            failback: match cluster.failback {
                Failback::ReturnHome {} => "return home".to_owned(),
                Failback::Stay {} => "stay where they run".to_owned(),
                Failback::Window {
                    start_hour,
                    end_hour,
                } => {
                    format!("return home between {start_hour}:00 and {end_hour}:00")
                }
            },
            fencing: match &cluster.fencing {
                Fencing::Ipmi {} => "IPMI (fence_ipmilan)".to_owned(),
                Fencing::Sbd { device, softdog } => format!(
                    "SBD on {device} ({} watchdog)",
                    if *softdog { "softdog" } else { "hardware" }
                ),
                Fencing::None { .. } => "none (acknowledged split-brain risk)".to_owned(),
            },
            quorum_device: match &cluster.quorum_device {
                Some(device) => format!("corosync-qnetd at {}:{}", device.address, device.port),
                None => "none".to_owned(),
            },
            corosync_crypto: cluster.corosync_crypto,
            live_migration: cluster.live_migration,
            nodes: design
                .nodes
                .iter()
                .map(|node| NodeSummary {
                    hostname: node.hostname.clone(),
                    ssh: format!(
                        "{}@{}:{}{}",
                        node.ssh.user,
                        node.ssh.host,
                        node.ssh.port,
                        if node.ssh.sudo { " (sudo)" } else { "" }
                    ),
                    auth: match &node.ssh.auth {
                        SshAuth::Agent {} => "ssh-agent".to_owned(),
                        SshAuth::KeyFile { path } => format!("key {path}"),
                        SshAuth::Password {} => "password (asked, not stored)".to_owned(),
                    },
                    lan: format!("{} {}/{}", node.nic, node.lan_address, design.lan.prefix),
                    replication: node.replication_address.to_string(),
                    dom0_memory_mib: node.dom0_memory_mib,
                })
                .collect(),
            vms: design
                .vms
                .iter()
                .map(|vm| VmSummary {
                    name: vm.name.clone(),
                    home: design.nodes[vm.home].hostname.clone(),
                    memory_mib: vm.memory_mib,
                    vcpus: vm.vcpus,
                    boot: match &vm.boot {
                        Boot::Hvm { iso, .. } => format!("HVM, ISO {iso}"),
                        Boot::Pv { kernel, .. } => format!("PV, kernel {kernel}"),
                    },
                    disk: vm.backing_disk.clone(),
                    drbd: format!("/dev/drbd{} port {}", vm.drbd_minor, vm.drbd_port),
                    console_ip: vm.console_ip.map(|ip| ip.to_string()),
                    vnc_password: match &vm.boot {
                        Boot::Hvm {
                            vnc_password: Some(_),
                            ..
                        } => Some(MASK.to_owned()),
                        _ => None,
                    },
                })
                .collect(),
        }
    }
}
