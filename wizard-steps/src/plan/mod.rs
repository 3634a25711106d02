//! The setup plan: a design and the nodes' facts become ordered phases of steps, as plain data.
//! Every step says where it runs, how to tell it is already done, what to do, and how to verify
//! it, so a re-run of a finished cluster skips everything and a half-done run can simply be run
//! again. Only the runner performs steps; the plan can be printed, reviewed, journaled and tested
//! without a network.
//!
//! This module holds the plan as data and `plan()`, which orders the phases; `script.rs` prints
//! it; `builder.rs` holds what every subsystem shares; each subsystem's steps are in a file of
//! its own: `packages`, `xen`, `bridge`, `drbd`, `domains`, `migration`, `cluster` (corosync and
//! Pacemaker), `retire` and `verify`.

use serde::{Deserialize, Serialize};

use crate::facts::NodeFacts;
use crate::render::{DrbdGeneration, Platform, render};
use crate::validate::Design;

mod bridge;
mod builder;
mod cluster;
mod domains;
mod drbd;
mod fencing;
mod migration;
mod packages;
mod quorum;
mod retire;
mod script;
mod verify;
mod xen;

pub use bridge::{INTERFACES_BACKUP, hand_over_script, nic_stanza_check};
pub use drbd::{FENCE_PEER_HANDLER_FIX, fence_peer_handler_from};

use builder::Builder;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub cluster: String,
    /// Hostnames, in profile order; steps name nodes by index into this.
    pub nodes: [String; 2],
    /// What the files were rendered for ("Debian 12 (bookworm) with DRBD 8.4").
    pub target: String,
    /// The quorum device's machine as Tandem reaches it (its SSH host), when the plan has
    /// steps there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum_device: Option<String>,
    pub phases: Vec<Phase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseKind {
    Packages,
    XenBoot,
    XenReboot,
    Bridge,
    DrbdModule,
    Volumes,
    DrbdConfig,
    DrbdMetadata,
    DrbdUp,
    InitialSync,
    Domains,
    /// Root on each node gets a key to `xl migrate` to the other (live migration only) ...
    LiveMigration,
    /// ... which the other trusts (a phase of its own: a phase runs its cluster-wide steps
    /// first, and this one needs the keys).
    LiveMigrationTrust,
    /// ... and may no longer, once live migration is switched off.
    LiveMigrationOff,
    /// SBD's settings, the watchdog and the shared disk ...
    SbdDisk,
    /// ... the same disk on both nodes, and the daemon enabled ...
    SbdEnabled,
    /// ... and, on a running cluster, started by a rolling restart.
    SbdRestart,
    /// SBD no longer in the profile (after Pacemaker fences another way): disabled, and on a
    /// running cluster stopped by a rolling restart (it stops only with corosync).
    SbdRetired,
    /// qnetd on the third machine, and the certificates both nodes need for it.
    QuorumDevice,
    Corosync,
    /// ... and, on a running cluster, each node running them: a reload or a rolling restart.
    CorosyncEffect,
    /// Each node's corosync-qdevice running and connected, once corosync has the device.
    QuorumDeviceVotes,
    /// The quorum device no longer in the profile: each node's corosync-qdevice stopped and
    /// disabled, once corosync runs without it.
    QuorumDeviceRetired,
    Pacemaker,
    /// VMs gone from the profile: stopped and removed from the cluster (their volumes kept).
    RetireFromCluster,
    /// ... and their DRBD resources and domain configs taken off the nodes (backed up).
    RetireFromNodes,
    Verify,
    /// Split-brain recovery (`split_brain::recovery_plan`), the seed's nine steps.
    RecoveryStop,
    RecoveryPrepare,
    RecoveryDiscard,
    RecoveryConnect,
    RecoveryResync,
    RecoveryDown,
    RecoveryStart,
}

/// A group of steps; the next phase starts only when both nodes finished this one (a barrier).
/// Its steps on the quorum device's machine run first, then its cluster-wide steps, then each
/// node's steps in order, the two nodes at once (or, when `one_node_at_a_time`, the first
/// node's, then the second's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    pub kind: PhaseKind,
    pub title: String,
    /// Steps run node after node instead of on both at once (reboots, network changes).
    pub one_node_at_a_time: bool,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Stable across runs of the same profile: the journal and resume key on it.
    pub id: String,
    pub scope: Scope,
    pub title: String,
    pub operation: Operation,
    /// Set when the step can destroy data: what, for the administrator's confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive: Option<String>,
    /// Set when the step interrupts something that runs (services restarted, VMs moved away
    /// and back): what it will do, shown before the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruptive: Option<String>,
}

/// Where a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// On one node (index into [`Plan::nodes`]).
    Node(usize),
    /// Needs both nodes' sessions at once (a shared key).
    Cluster,
    /// On the quorum device's machine (corosync-qnetd).
    QuorumDevice,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Operation {
    /// A shell command run as root. `check` exiting 0 means done already; `verify` must exit 0
    /// after `apply`.
    Command {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        check: Option<String>,
        apply: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verify: Option<String>,
    },
    /// Only a check: fails the step when it does not hold (nothing to apply).
    Require { check: String, failure: String },
    /// A file written atomically, skipped when identical, backed up when different; `then` runs
    /// when it changed.
    File {
        path: String,
        contents: String,
        mode: u32,
        owner: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<String>,
    },
    /// A random key, the same on both nodes, made by the runner once (never in the plan);
    /// `then` runs on each node where it changed.
    SharedKey {
        path: String,
        bytes: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<String>,
    },
    /// A file from the workstation (an install ISO), uploaded with progress when missing; an
    /// existing file that differs is left alone and fails the step.
    LocalFile { source: String, path: String },
    /// Reboot when `check` fails, wait for the node, reconnect, then `check` must pass.
    Reboot { check: String },
    /// A network change that could cut Tandem off: `revert` is armed on the node first and
    /// undoes the change after `confirm_within_secs` unless Tandem reconnects and confirms.
    NetworkChange {
        check: String,
        apply: String,
        revert: String,
        confirm_within_secs: u64,
    },
    /// Poll `condition` until it exits 0.
    WaitUntil {
        condition: String,
        timeout_secs: u64,
    },
    /// A secret the administrator gives at run time (never in the plan or the journal), written
    /// to `path` on both nodes, readable by root only.
    Secret { path: String, secret: SecretName },
    /// Wait for a DRBD resync to finish, reporting progress.
    WaitForSync {
        resource: String,
        minor: u32,
        drbd: DrbdGeneration,
    },
    /// Read the cluster's state and check that every VM runs on its home node.
    VerifyPlacement,
    /// What each node has, installed on the other (the live-migration key and the SSH host
    /// key): `read` runs on both nodes, and each node's output reaches the other node's `check`
    /// and `apply` (indexed by the node they run on) as `$PEER`. `check` exiting 0 means done.
    Exchange {
        read: String,
        check: [String; 2],
        apply: [String; 2],
    },
    /// The quorum device's certificates across the three machines.
    QdeviceCertificates(QdeviceCertificates),
}

/// The quorum device's certificate exchange, carried out by the runner across the three
/// machines, each command a shell script: `ca` on the quorum device's machine prints qnetd's CA
/// certificate; `check` on each node (with it in `$CA`) exits 0 when the node trusts that CA and
/// holds the cluster's certificate. When a node does not: `request` on the first node (with
/// `$CA`) makes its database and prints a certificate request, `sign` on the qnetd machine (with
/// `$REQUEST`) prints the signed certificate, `import` on the first node (with `$CERT`) imports
/// it and prints the certificate with its key, and `import_peer` on the second node (with `$CA`
/// and `$P12`) imports that. Binary files travel base64-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QdeviceCertificates {
    pub ca: String,
    pub check: String,
    pub request: String,
    pub sign: String,
    pub import: String,
    pub import_peer: String,
}

impl QdeviceCertificates {
    /// Every command, in the order the runner may run them.
    pub fn commands(&self) -> [&str; 6] {
        [
            &self.ca,
            &self.check,
            &self.request,
            &self.sign,
            &self.import,
            &self.import_peer,
        ]
    }
}

/// Names a secret the runner asks the caller for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "node", rename_all = "kebab-case")]
pub enum SecretName {
    /// The IPMI password of a node's BMC (fence_ipmilan reads it from the file).
    BmcPassword(String),
}

impl std::fmt::Display for SecretName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretName::BmcPassword(node) => write!(f, "the BMC password of {node}"),
        }
    }
}

/// The platform the nodes' facts call for (their DRBD module decides the syntax).
pub fn platform(design: &Design, facts: &[NodeFacts; 2]) -> Platform {
    let drbd = if facts
        .iter()
        .any(|facts| facts.drbd_generation() == DrbdGeneration::V9)
    {
        DrbdGeneration::V9
    } else {
        DrbdGeneration::V84
    };
    Platform {
        drbd,
        ..Platform::for_design(design)
    }
}

/// The whole setup, in order.
pub fn plan(design: &Design, facts: &[NodeFacts; 2]) -> Plan {
    let platform = platform(design, facts);
    let rendered = render(design, platform);
    let builder = Builder {
        design,
        facts,
        platform,
        rendered: &rendered,
    };
    let mut phases = vec![
        builder.packages(),
        builder.xen_boot(),
        builder.xen_reboot(),
        builder.bridge(),
        builder.drbd_module(),
        builder.volumes(),
        builder.drbd_config(),
        builder.drbd_metadata(),
        builder.drbd_up(),
        builder.initial_sync(),
        builder.domains(),
    ];
    if design.cluster.live_migration {
        phases.extend(builder.live_migration());
    }
    phases.extend(builder.sbd());
    phases.extend(builder.quorum_device());
    phases.extend(builder.corosync());
    phases.extend(builder.quorum_device_votes());
    phases.extend(builder.quorum_device_retired());
    phases.push(builder.pacemaker());
    phases.extend(builder.sbd_retired());
    if builder.switching_live_migration_off() {
        phases.push(builder.live_migration_off());
    }
    let retired = builder.retired();
    if !retired.is_empty() {
        phases.push(builder.retire_from_cluster(&retired));
        phases.push(builder.retire_from_nodes(&retired));
    }
    phases.push(builder.verify());
    Plan {
        cluster: design.cluster.name.clone(),
        nodes: design.hostnames(),
        target: rendered.target,
        quorum_device: design
            .cluster
            .quorum_device
            .as_ref()
            .map(|device| device.ssh.host.clone()),
        phases,
    }
}

impl Plan {
    pub fn steps(&self) -> impl Iterator<Item = (&Phase, &Step)> {
        self.phases
            .iter()
            .flat_map(|phase| phase.steps.iter().map(move |step| (phase, step)))
    }

    /// The steps that interrupt what runs (with what they do), to show before the run.
    pub fn disruptive_steps(&self) -> Vec<&Step> {
        self.steps()
            .map(|(_, step)| step)
            .filter(|step| step.disruptive.is_some())
            .collect()
    }

    pub fn destructive_steps(&self) -> Vec<&Step> {
        self.steps()
            .map(|(_, step)| step)
            .filter(|step| step.destructive.is_some())
            .collect()
    }
}

fn phase(kind: PhaseKind, title: &str, one_node_at_a_time: bool, steps: Vec<Step>) -> Phase {
    Phase {
        kind,
        title: title.to_owned(),
        one_node_at_a_time,
        steps,
    }
}

#[cfg(test)]
mod tests;
