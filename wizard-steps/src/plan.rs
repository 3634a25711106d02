//! The setup plan: a design and the nodes' facts become ordered phases of steps, as plain data.
//! Every step says where it runs, how to tell it is already done, what to do, and how to verify
//! it, so a re-run of a finished cluster skips everything and a half-done run can simply be run
//! again. Only the runner performs steps; the plan can be printed, reviewed, journaled and tested
//! without a network.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::corosync;
use crate::facts::{NodeFacts, VOLUME_PROBE, VolumeContent};
use crate::profile::{Boot, Fencing};
use crate::remote::{BACKUP_ROOT, quote};
use crate::render::{
    DrbdGeneration, PacemakerIds, Rendered, Target, migration_key_comment, paths, render,
};
use crate::validate::{Design, VmDesign};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub cluster: String,
    /// Hostnames, in profile order; steps name nodes by index into this.
    pub nodes: [String; 2],
    /// What the files were rendered for ("Debian 12 (bookworm) with DRBD 8.4").
    pub target: String,
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
    Corosync,
    /// ... and, on a running cluster, each node running them: a reload or a rolling restart.
    CorosyncEffect,
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
/// Its cluster-wide steps run first, then each node's steps in order, the two nodes at once
/// (or, when `one_node_at_a_time`, the first node's, then the second's).
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

/// Debian packages a node needs for the design.
pub fn packages(design: &Design) -> Vec<&'static str> {
    let mut packages = vec![
        "xen-system-amd64",
        "drbd-utils",
        "corosync",
        "pacemaker",
        "pacemaker-cli-utils",
        "crmsh",
        "resource-agents",
        "bridge-utils",
        "ifupdown",
    ];
    if design
        .profile
        .vms
        .iter()
        .any(|vm| matches!(vm.boot, Boot::Hvm { .. }))
    {
        // HVM guests need Xen's device model.
        packages.push("qemu-system-xen");
    }
    if matches!(design.profile.cluster.fencing, Fencing::Ipmi {}) {
        packages.push("fence-agents");
    }
    packages
}

/// The rendering target the nodes' facts call for (their DRBD module decides the syntax).
pub fn target(design: &Design, facts: &[NodeFacts; 2]) -> Target {
    let drbd = if facts
        .iter()
        .any(|facts| facts.drbd_generation() == DrbdGeneration::V9)
    {
        DrbdGeneration::V9
    } else {
        DrbdGeneration::V84
    };
    Target {
        drbd,
        ..Target::for_design(design)
    }
}

/// The whole setup, in order.
pub fn plan(design: &Design, facts: &[NodeFacts; 2]) -> Plan {
    let target = target(design, facts);
    let rendered = render(design, target);
    let builder = Builder {
        design,
        facts,
        target,
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
    if design.profile.cluster.live_migration {
        phases.extend(builder.live_migration());
    }
    phases.extend(builder.corosync());
    phases.push(builder.pacemaker());
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
        cluster: design.profile.cluster.name.clone(),
        nodes: [
            design.nodes[0].hostname.clone(),
            design.nodes[1].hostname.clone(),
        ],
        target: rendered.target,
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

    /// The plan as a reviewable shell script per node: every check, command and file.
    pub fn script(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Tandem plan for cluster \"{}\" ({})",
            self.cluster, self.target
        );
        let _ = writeln!(
            out,
            "# Checks run first: a step whose check passes is skipped.\n"
        );
        for phase in &self.phases {
            let order = if phase.one_node_at_a_time {
                ", one node at a time"
            } else {
                ""
            };
            let _ = writeln!(out, "#### {}{order}", phase.title);
            for step in &phase.steps {
                let place = match step.scope {
                    Scope::Node(index) => self.nodes[index].clone(),
                    Scope::Cluster => "both nodes".to_owned(),
                };
                let _ = writeln!(out, "\n## [{place}] {} ({})", step.title, step.id);
                if let Some(destructive) = &step.destructive {
                    let _ = writeln!(out, "## DESTRUCTIVE: {destructive}");
                }
                if let Some(disruptive) = &step.disruptive {
                    let _ = writeln!(out, "## DISRUPTIVE: {disruptive}");
                }
                step.operation.write_script(&mut out);
            }
            out.push('\n');
        }
        out
    }
}

impl Operation {
    /// The shell commands this operation runs on a node (checks, changes, verifications).
    pub fn shell_commands(&self) -> Vec<&str> {
        match self {
            Operation::Command {
                check,
                apply,
                verify,
            } => std::iter::once(apply.as_str())
                .chain(check.as_deref())
                .chain(verify.as_deref())
                .collect(),
            Operation::Require { check, .. } | Operation::Reboot { check } => vec![check.as_str()],
            Operation::NetworkChange {
                check,
                apply,
                revert,
                ..
            } => vec![check, apply, revert],
            Operation::WaitUntil { condition, .. } => vec![condition.as_str()],
            Operation::Exchange { read, check, apply } => std::iter::once(read.as_str())
                .chain(check.iter().map(String::as_str))
                .chain(apply.iter().map(String::as_str))
                .collect(),
            Operation::File { then, .. } | Operation::SharedKey { then, .. } => {
                then.as_deref().into_iter().collect()
            }
            Operation::LocalFile { .. }
            | Operation::Secret { .. }
            | Operation::WaitForSync { .. }
            | Operation::VerifyPlacement => Vec::new(),
        }
    }

    /// The operation as the lines of a reviewable script (see [`Plan::script`]).
    pub fn script(&self) -> String {
        let mut out = String::new();
        self.write_script(&mut out);
        out
    }

    fn write_script(&self, out: &mut String) {
        fn line(out: &mut String, label: &str, text: &str) {
            let _ = writeln!(out, "# {label}:\n{text}");
        }
        match self {
            Operation::Command {
                check,
                apply,
                verify,
            } => {
                if let Some(check) = check {
                    line(out, "done when", check);
                }
                line(out, "apply", apply);
                if let Some(verify) = verify {
                    line(out, "verify", verify);
                }
            }
            Operation::Require { check, failure } => {
                line(out, &format!("require ({failure})"), check)
            }
            Operation::File {
                path,
                contents,
                mode,
                owner,
                then,
            } => {
                let _ = writeln!(
                    out,
                    "# write {path} (mode {mode:o}, {owner}; skipped when identical, backed up when different)"
                );
                let _ = writeln!(
                    out,
                    "cat > {} <<'TANDEM_EOF'\n{}TANDEM_EOF",
                    quote(path),
                    crate::render::masked(contents)
                );
                if let Some(then) = then {
                    let _ = writeln!(out, "# when it changed:\n{then}");
                }
            }
            Operation::SharedKey { path, bytes, then } => {
                let _ = writeln!(
                    out,
                    "# {path}: {bytes} random bytes made by Tandem, the same on both nodes"
                );
                if let Some(then) = then {
                    let _ = writeln!(out, "# when it changed:\n{then}");
                }
            }
            Operation::LocalFile { source, path } => {
                let _ = writeln!(
                    out,
                    "# upload {source} from this workstation to {path} when missing (a different file there is never replaced)"
                );
            }
            Operation::Reboot { check } => {
                line(out, "done when", check);
                let _ = writeln!(out, "# otherwise: reboot, wait for SSH, check again");
            }
            Operation::NetworkChange {
                check,
                apply,
                revert,
                confirm_within_secs,
            } => {
                line(out, "done when", check);
                let _ = writeln!(
                    out,
                    "# armed first (undoes the change unless Tandem confirms within {confirm_within_secs} s):\n{revert}"
                );
                line(out, "apply", apply);
            }
            Operation::WaitUntil {
                condition,
                timeout_secs,
            } => line(
                out,
                &format!("wait up to {timeout_secs} s until"),
                condition,
            ),
            Operation::Secret { path, secret } => {
                let _ = writeln!(
                    out,
                    "# write {secret} to {path} (mode 600), asked at run time"
                );
            }
            Operation::WaitForSync { resource, .. } => {
                let _ = writeln!(
                    out,
                    "# wait until {resource} is UpToDate on both nodes (progress from DRBD)"
                );
            }
            Operation::VerifyPlacement => {
                let _ = writeln!(
                    out,
                    "# check with crm_mon that every VM runs on its home node"
                );
            }
            Operation::Exchange { read, check, apply } => {
                line(out, "read on each node", read);
                for (index, (check, apply)) in check.iter().zip(apply).enumerate() {
                    let _ = writeln!(
                        out,
                        "# on node {} with $PEER = what the other node read:",
                        index + 1
                    );
                    line(out, "done when", check);
                    line(out, "apply", apply);
                }
            }
        }
    }
}

struct Builder<'a> {
    design: &'a Design,
    facts: &'a [NodeFacts; 2],
    target: Target,
    rendered: &'a Rendered,
}

const BOTH: [usize; 2] = [0, 1];

impl Builder<'_> {
    fn hostname(&self, node: usize) -> &str {
        &self.design.nodes[node].hostname
    }

    fn step(&self, id: String, node: usize, title: String, operation: Operation) -> Step {
        Step {
            id: format!("{id}@{}", self.hostname(node)),
            scope: Scope::Node(node),
            title,
            operation,
            destructive: None,
            disruptive: None,
        }
    }

    fn rendered_file(&self, node: usize, path: &str) -> Operation {
        let file = self.rendered.nodes[node]
            .file(path)
            .unwrap_or_else(|| panic!("{path} is rendered for every node"));
        Operation::File {
            path: file.path.clone(),
            contents: file.contents.clone(),
            mode: file.mode,
            owner: "root:root".to_owned(),
            then: None,
        }
    }

    fn rendered_file_text(&self, node: usize, path: &str) -> &str {
        self.rendered.nodes[node]
            .file(path)
            .map_or("", |file| file.contents.as_str())
    }

    fn file_step(&self, node: usize, path: &str) -> Step {
        self.step(
            format!("file:{path}"),
            node,
            format!("write {path}"),
            self.rendered_file(node, path),
        )
    }

    fn packages(&self) -> Phase {
        let packages = packages(self.design);
        let list = packages.join(" ");
        let steps = BOTH
            .iter()
            .flat_map(|&node| {
                [
                    self.step(
                        "packages".into(),
                        node,
                        format!("install {} packages", packages.len()),
                        Operation::Command {
                            check: Some(format!(
                                "[ \"$(dpkg-query -W -f='${{Status}}\\n' {list} 2>/dev/null | grep -c 'install ok installed')\" -eq {} ]",
                                packages.len()
                            )),
                            // Without a network apt-get update fails, while the packages may
                            // already be in apt's cache: the install says what is really missing.
                            apply: format!(
                                "export DEBIAN_FRONTEND=noninteractive; apt-get update -q || true; apt-get install -y -q --no-install-recommends {list}"
                            ),
                            verify: None,
                        },
                    ),
                    self.step(
                        "drbd-service-disabled".into(),
                        node,
                        "keep DRBD's init script from starting resources (the cluster does)".into(),
                        Operation::Command {
                            check: Some("! systemctl is-enabled --quiet drbd.service 2>/dev/null".into()),
                            apply: "systemctl disable drbd.service".into(),
                            verify: None,
                        },
                    ),
                ]
            })
            .collect();
        phase(PhaseKind::Packages, "Packages", false, steps)
    }

    fn dom0_memory(&self, node: usize) -> u32 {
        self.design.profile.nodes[node].dom0_memory_mib
    }

    fn xen_running_check(&self, node: usize) -> String {
        let memory = self.dom0_memory(node);
        format!(
            "xl info 2>/dev/null | grep -q '^xen_commandline.*dom0_mem={memory}M,max:{memory}M'"
        )
    }

    fn xen_boot(&self) -> Phase {
        let steps = BOTH
            .iter()
            .flat_map(|&node| {
                let memory = self.dom0_memory(node);
                [
                    self.file_step(node, paths::GRUB_XEN),
                    self.step(
                        "update-grub".into(),
                        node,
                        "make the Xen entry the boot default with the dom0 memory".into(),
                        Operation::Command {
                            check: Some(format!(
                                "grep -q 'dom0_mem={memory}M,max:{memory}M' /boot/grub/grub.cfg"
                            )),
                            apply: "update-grub".into(),
                            verify: Some(format!(
                                "grep -q 'dom0_mem={memory}M,max:{memory}M' /boot/grub/grub.cfg"
                            )),
                        },
                    ),
                    self.file_step(node, paths::XENDOMAINS),
                ]
            })
            .collect();
        phase(PhaseKind::XenBoot, "Xen as the boot default", false, steps)
    }

    fn xen_reboot(&self) -> Phase {
        let steps = BOTH
            .iter()
            .map(|&node| {
                self.step(
                    "xen-dom0".into(),
                    node,
                    "run as Xen dom0 (reboot when not yet)".into(),
                    Operation::Reboot {
                        check: self.xen_running_check(node),
                    },
                )
            })
            .collect();
        phase(PhaseKind::XenReboot, "Reboot into Xen", true, steps)
    }

    fn bridge(&self) -> Phase {
        let bridge = &self.design.profile.network.bridge;
        let stanza = paths::bridge_stanza(bridge);
        let steps = BOTH
            .iter()
            .flat_map(|&node| {
                let nic = &self.design.profile.nodes[node].lan.nic;
                let address = format!("{}/{}", self.design.nodes[node].lan_address, self.design.lan.prefix);
                let done = format!(
                    "ip -o link show dev {nic} | grep -qF ' master {bridge} ' && ip -o -4 addr show dev {bridge} | grep -qF ' {address} '",
                    nic = quote(nic),
                    bridge = quote(bridge),
                );
                [
                    self.file_step(node, &stanza),
                    self.step(
                        "interfaces-hand-over".into(),
                        node,
                        format!("leave {nic} to the bridge in {}", paths::NETWORK_INTERFACES),
                        Operation::Command {
                            check: Some(format!(
                                "grep -qE '^[[:space:]]*source(-directory)?[[:space:]]+/etc/network/interfaces.d' {file} && ! {mentioned}",
                                file = paths::NETWORK_INTERFACES,
                                mentioned = nic_stanza_check(nic, paths::NETWORK_INTERFACES),
                            )),
                            apply: hand_over_script(nic, paths::NETWORK_INTERFACES, INTERFACES_BACKUP),
                            verify: None,
                        },
                    ),
                    self.step(
                        "bridge-up".into(),
                        node,
                        format!("move {address} from {nic} to bridge {bridge}"),
                        Operation::NetworkChange {
                            check: done,
                            apply: format!(
                                "ifdown --force -- {nic} 2>/dev/null; ip addr flush dev {nic}; ifup -- {bridge}",
                                nic = quote(nic),
                                bridge = quote(bridge)
                            ),
                            revert: format!(
                                "cp -p -- {backup} {file}; rm -f -- {stanza}; ifdown --force -- {bridge}; ip link del dev {bridge} 2>/dev/null; ifup -- {nic}",
                                backup = quote(INTERFACES_BACKUP),
                                file = quote(paths::NETWORK_INTERFACES),
                                stanza = quote(&stanza),
                                bridge = quote(bridge),
                                nic = quote(nic)
                            ),
                            confirm_within_secs: 120,
                        },
                    ),
                ]
            })
            .collect();
        phase(PhaseKind::Bridge, "Bridge", true, steps)
    }

    fn drbd_module(&self) -> Phase {
        let steps = BOTH
            .iter()
            .flat_map(|&node| {
                [
                    self.file_step(node, paths::DRBD_MODPROBE),
                    self.file_step(node, paths::DRBD_MODULES_LOAD),
                    self.step(
                        "drbd-module".into(),
                        node,
                        "load DRBD with disable_sendpage".into(),
                        Operation::Command {
                            check: Some(SENDPAGE_DISABLED.into()),
                            // The parameter is writable at run time, so a module loaded earlier
                            // (with resources up) need not be reloaded.
                            apply: "modprobe drbd && echo Y > /sys/module/drbd/parameters/disable_sendpage".into(),
                            verify: Some(SENDPAGE_DISABLED.into()),
                        },
                    ),
                ]
            })
            .collect();
        phase(PhaseKind::DrbdModule, "DRBD module", false, steps)
    }

    fn volume_name(&self, vm: &str) -> &str {
        self.design
            .profile
            .vms
            .iter()
            .find(|settings| settings.name == vm)
            .map_or("", |settings| settings.volume.as_str())
    }

    /// The LV size: the data size, plus room for DRBD's metadata when existing data is kept (the
    /// data must not be overwritten by metadata at the end of the volume).
    fn volume_size_mib(&self, vm: &VmDesign) -> u64 {
        if self.keeps_data(vm) {
            vm.volume_size_mib + metadata_room_mib(vm.volume_size_mib)
        } else {
            vm.volume_size_mib
        }
    }

    fn keeps_data(&self, vm: &VmDesign) -> bool {
        self.settings(vm).keep_data_on.is_some()
    }

    fn settings(&self, vm: &VmDesign) -> &crate::profile::Vm {
        self.design
            .profile
            .vms
            .iter()
            .find(|settings| settings.name == vm.name)
            .expect("a VM design comes from a profile VM")
    }

    fn volumes(&self) -> Phase {
        let group = &self.design.profile.storage.volume_group;
        let mut steps = Vec::new();
        for &node in &BOTH {
            for vm in &self.design.vms {
                let volume = self.volume_name(&vm.name);
                let size = self.volume_size_mib(vm);
                let lv = quote(&format!("{group}/{volume}"));
                let has_size = format!(
                    "[ \"$(lvs --noheadings --units m --nosuffix -o lv_size {lv} 2>/dev/null | awk '{{print int($1)}}')\" -ge {size} ]"
                );
                let exists = format!("lvs {lv} >/dev/null 2>&1");
                let create = self
                    .design
                    .profile
                    .volume(volume)
                    .is_some_and(|volume| volume.create);
                let operation = if create {
                    Operation::Command {
                        check: Some(exists.clone()),
                        // -Wy: a new LV may show a stale signature from an old one; it is not
                        // data. Its first and last MiB zeroed make it blank by construction
                        // (what the metadata step's probe asks of a volume it may write to).
                        apply: format!(
                            "lvcreate --yes -Wy -L {size}m -n {} {} && dd if=/dev/zero of={disk} bs=1M count=1 conv=fsync status=none && dd if=/dev/zero of={disk} bs=1M seek={last} count=1 conv=fsync status=none",
                            quote(volume),
                            quote(group),
                            disk = quote(&vm.backing_disk),
                            last = size - 1,
                        ),
                        verify: Some(exists),
                    }
                } else {
                    Operation::Require {
                        check: exists,
                        failure: format!(
                            "{} is missing and the profile does not create it",
                            vm.backing_disk
                        ),
                    }
                };
                steps.push(self.step(
                    format!("volume:{}", vm.name),
                    node,
                    format!("logical volume {} ({size} MiB)", vm.backing_disk),
                    operation,
                ));
                if self.keeps_data(vm) {
                    steps.push(self.step(
                        format!("volume-room:{}", vm.name),
                        node,
                        format!(
                            "room for DRBD metadata after the data on {}",
                            vm.backing_disk
                        ),
                        Operation::Command {
                            check: Some(has_size.clone()),
                            apply: format!("lvextend -L {size}m {lv}"),
                            verify: Some(has_size),
                        },
                    ));
                }
            }
        }
        phase(PhaseKind::Volumes, "Volumes", false, steps)
    }

    fn drbd_config(&self) -> Phase {
        // Dual-primary cannot be switched off while both sides are Primary: then the running
        // resources follow their files after the cluster has demoted one side (the live
        // migration switch-off phase, after Pacemaker's).
        let until_one_primary = self.switching_live_migration_off();
        let mut steps = Vec::new();
        for &node in &BOTH {
            steps.push(self.file_step(node, paths::DRBD_GLOBAL_COMMON));
            for vm in &self.design.vms {
                steps.push(self.file_step(node, &paths::drbd_resource(&vm.name)));
                steps.push(self.drbd_adjusted(node, vm, "drbd-adjusted", until_one_primary));
            }
        }
        phase(PhaseKind::DrbdConfig, "DRBD configuration", false, steps)
    }

    /// A resource that is up runs with the options it was started with: a changed file (a
    /// resync rate, live migration's dual-primary) reaches the kernel only through `drbdadm
    /// adjust`, which applies the difference online. Its dry run prints nothing when the kernel
    /// already matches the files. `unless_both_primary`: left for later while both sides are
    /// Primary.
    fn drbd_adjusted(
        &self,
        node: usize,
        vm: &VmDesign,
        id: &str,
        unless_both_primary: bool,
    ) -> Step {
        let resource = quote(&vm.name);
        let adjusted = format!(
            "! drbdsetup status {resource} >/dev/null 2>&1 || [ -z \"$(drbdadm -d adjust {resource} 2>&1)\" ]"
        );
        let (check, title) = if unless_both_primary {
            (
                format!(
                    "{adjusted} || [ \"$(drbdsetup status {resource} 2>/dev/null | grep -c 'role:Primary')\" -ge 2 ]"
                ),
                format!(
                    "the running DRBD resource {} follows its files (unless both sides are Primary)",
                    vm.name
                ),
            )
        } else {
            (
                adjusted.clone(),
                format!("the running DRBD resource {} follows its files", vm.name),
            )
        };
        self.step(
            format!("{id}:{}", vm.name),
            node,
            title,
            Operation::Command {
                check: Some(check.clone()),
                apply: format!("drbdadm adjust {resource}"),
                verify: Some(check),
            },
        )
    }

    fn switching_live_migration_off(&self) -> bool {
        !self.design.profile.cluster.live_migration
            && self.facts.iter().any(|facts| facts.migration_access)
    }

    fn drbd_metadata(&self) -> Phase {
        let metadata_format = match self.target.drbd {
            DrbdGeneration::V84 => "v08",
            DrbdGeneration::V9 => "v09",
        };
        let mut steps = Vec::new();
        for &node in &BOTH {
            for vm in &self.design.vms {
                let settings = self.settings(vm);
                let disk = quote(&vm.backing_disk);
                let resource = quote(&vm.name);
                let check = format!(
                    "drbdadm status {resource} >/dev/null 2>&1 || drbdmeta --force {minor} {metadata_format} {disk} internal dump-md >/dev/null 2>&1",
                    minor = vm.drbd_minor
                );
                let keep_on = settings.keep_data_on.as_deref();
                let holds = self.data_under_metadata(node, vm);
                let (guard, destructive) = match keep_on {
                    // This node's data is the original: DRBD's metadata goes into the room
                    // added after it (the data stays, but the administrator confirms that it
                    // is this volume's data that is kept).
                    Some(keeper) if keeper == self.hostname(node) => (
                        String::new(),
                        holds.map(|found| {
                            format!(
                                "{} on {} holds {found}: DRBD metadata is written into the room added after it, and this data is then copied over the other node's volume",
                                vm.backing_disk,
                                self.hostname(node)
                            )
                        }),
                    ),
                    // The peer's data wins: this node's old contents go.
                    Some(keeper) => (
                        format!("wipefs -a {disk} && "),
                        holds.map(|found| {
                            format!(
                                "{} on {} holds {found}: its contents are erased and replaced by {keeper}'s",
                                vm.backing_disk,
                                self.hostname(node)
                            )
                        }),
                    ),
                    // Nobody said whose data to keep: only a volume proven blank on the node,
                    // right now, gets metadata.
                    None => (
                        format!(
                            "{VOLUME_PROBE}found=$(volume_probe {disk}); if [ \"$found\" != blank ]; then echo \"{} holds data ($found): Tandem does not overwrite data unless the profile says whose to keep (keep_data_on)\" >&2; exit 1; fi\n",
                            vm.backing_disk
                        ),
                        None,
                    ),
                };
                let mut step = self.step(
                    format!("create-md:{}", vm.name),
                    node,
                    format!("DRBD metadata for {}", vm.name),
                    Operation::Command {
                        check: Some(check.clone()),
                        apply: format!("{guard}drbdadm -- --force create-md {resource}"),
                        verify: Some(check),
                    },
                );
                step.destructive = destructive;
                steps.push(step);
            }
        }
        phase(PhaseKind::DrbdMetadata, "DRBD metadata", false, steps)
    }

    fn drbd_up(&self) -> Phase {
        let mut steps = Vec::new();
        for &node in &BOTH {
            for vm in &self.design.vms {
                let resource = quote(&vm.name);
                let up = format!("drbdadm status {resource} >/dev/null 2>&1");
                steps.push(self.step(
                    format!("drbd-up:{}", vm.name),
                    node,
                    format!("bring {} up", vm.name),
                    Operation::Command {
                        check: Some(up.clone()),
                        apply: format!("drbdadm up {resource}"),
                        verify: Some(up),
                    },
                ));
            }
        }
        for &node in &BOTH {
            for vm in &self.design.vms {
                steps.push(self.step(
                    format!("drbd-connected:{}", vm.name),
                    node,
                    format!("{} connected to the peer", vm.name),
                    Operation::WaitUntil {
                        condition: format!(
                            "drbdadm cstate {} 2>/dev/null | grep -qE '^(Connected|Sync|PausedSync|Verify|Established)'",
                            quote(&vm.name)
                        ),
                        timeout_secs: 180,
                    },
                ));
            }
        }
        phase(PhaseKind::DrbdUp, "DRBD up and connected", false, steps)
    }

    /// The data on `node`'s volume of `vm` that the metadata step would write to (a
    /// description): none on a volume that already has DRBD metadata (the step is done).
    fn data_under_metadata(&self, node: usize, vm: &VmDesign) -> Option<String> {
        self.facts[node]
            .volume(self.volume_name(&vm.name))
            .filter(|lv| lv.content.holds_data() && !lv.content.has_drbd_metadata())
            .map(|lv| lv.content.describe())
    }

    /// What `node`'s volume of `vm` is before this run: None when it is missing (this run
    /// creates it, blank by construction).
    fn content(&self, node: usize, vm: &VmDesign) -> Option<&VolumeContent> {
        self.facts[node]
            .volume(self.volume_name(&vm.name))
            .map(|lv| &lv.content)
    }

    /// Whether both nodes probed a VM's existing volume blank (before any DRBD metadata), so
    /// the initial sync may be skipped.
    fn both_blank(&self, vm: &VmDesign) -> bool {
        self.design
            .profile
            .cluster
            .drbd
            .skip_initial_sync_when_blank
            && !self.keeps_data(vm)
            && BOTH
                .iter()
                .all(|&node| self.content(node, vm) == Some(&VolumeContent::Blank))
    }

    /// What the initial sync from `source` destroys on the other node, when that side is not
    /// proven blank. Both sides with DRBD metadata of a resource that has run have synced
    /// before (the step's check skips it, and its guard refuses to force such a resource).
    fn sync_overwrites(&self, source: usize, vm: &VmDesign) -> Option<String> {
        let peer = 1 - source;
        let overwritten = match self.content(peer, vm)? {
            VolumeContent::Blank | VolumeContent::FreshDrbd => return None,
            VolumeContent::Drbd if self.content(source, vm) == Some(&VolumeContent::Drbd) => {
                return None;
            }
            content => content.describe(),
        };
        Some(format!(
            "{} on {} ({overwritten}) is overwritten with {}'s by the initial sync",
            vm.backing_disk,
            self.hostname(peer),
            self.hostname(source)
        ))
    }

    fn initial_sync(&self) -> Phase {
        let mut steps = Vec::new();
        for vm in &self.design.vms {
            let settings = self.settings(vm);
            let source = settings
                .keep_data_on
                .as_deref()
                .and_then(|keeper| {
                    self.design
                        .nodes
                        .iter()
                        .position(|node| node.hostname == keeper)
                })
                .unwrap_or(vm.home);
            let resource = quote(&vm.name);
            // Only the very first sync: once either side is not Inconsistent, it has happened.
            let started =
                format!("! drbdadm dstate {resource} | grep -q '^Inconsistent/Inconsistent$'");
            let (title, apply) = if self.both_blank(vm) {
                (
                    format!("mark {} in sync (both volumes are blank)", vm.name),
                    match self.target.drbd {
                        DrbdGeneration::V84 => {
                            format!("drbdadm -- --clear-bitmap new-current-uuid {resource}")
                        }
                        DrbdGeneration::V9 => {
                            format!("drbdadm --clear-bitmap new-current-uuid {resource}")
                        }
                    },
                )
            } else {
                (
                    format!(
                        "start the initial sync of {} from {}",
                        vm.name,
                        self.hostname(source)
                    ),
                    // Primary only to become the sync source; the cluster promotes later.
                    // Only a resource whose metadata was never synced is forced: one that has
                    // run holds the cluster's data.
                    format!(
                        "case \"$(drbdadm get-gi {resource} 2>/dev/null | tail -n 1)\" in 0000000000000004:*) ;; *) echo \"{name} has been synced or used before: Tandem does not force it\" >&2; exit 1 ;; esac; drbdadm primary --force {resource} && drbdadm secondary {resource}",
                        name = vm.name
                    ),
                )
            };
            let destructive = if self.both_blank(vm) {
                None
            } else {
                self.sync_overwrites(source, vm)
            };
            steps.push(Step {
                destructive,
                ..self.step(
                    format!("initial-sync:{}", vm.name),
                    source,
                    title,
                    Operation::Command {
                        check: Some(started.clone()),
                        apply,
                        verify: Some(started),
                    },
                )
            });
            steps.push(self.step(
                format!("synced:{}", vm.name),
                source,
                format!("{} UpToDate on both nodes", vm.name),
                Operation::WaitForSync {
                    resource: vm.name.clone(),
                    minor: vm.drbd_minor,
                    drbd: self.target.drbd,
                },
            ));
        }
        phase(PhaseKind::InitialSync, "Initial DRBD sync", false, steps)
    }

    fn domains(&self) -> Phase {
        let mut steps = Vec::new();
        for &node in &BOTH {
            for vm in &self.design.vms {
                steps.push(self.file_step(node, &paths::xen_domain(&vm.name)));
                steps.push(self.step(
                    format!("not-autostarted:{}", vm.name),
                    node,
                    format!("xendomains never starts {}", vm.name),
                    Operation::Command {
                        check: Some(format!(
                            "[ ! -e {} ]",
                            quote(&format!("/etc/xen/auto/{}.cfg", vm.name))
                        )),
                        apply: format!(
                            "rm -f -- {}",
                            quote(&format!("/etc/xen/auto/{}.cfg", vm.name))
                        ),
                        verify: None,
                    },
                ));
                match &self.settings(vm).boot {
                    Boot::Hvm {
                        iso, iso_source, ..
                    } => steps.push(match iso_source {
                        Some(source) => self.step(
                            format!("iso:{}", vm.name),
                            node,
                            format!("install ISO {iso}"),
                            Operation::LocalFile {
                                source: crate::access::expand_home(source).display().to_string(),
                                path: iso.clone(),
                            },
                        ),
                        None => self.step(
                            format!("iso:{}", vm.name),
                            node,
                            format!("install ISO {iso} present"),
                            Operation::Require {
                                check: format!("[ -f {} ]", quote(iso)),
                                failure: format!("{iso} is missing on the node"),
                            },
                        ),
                    }),
                    Boot::Pv {
                        kernel, ramdisk, ..
                    } => {
                        for file in std::iter::once(kernel).chain(ramdisk) {
                            steps.push(self.step(
                                format!("pv-boot:{}:{file}", vm.name),
                                node,
                                format!("guest kernel file {file} present"),
                                Operation::Require {
                                    check: format!("[ -f {} ]", quote(file)),
                                    failure: format!("{file} is missing on the node"),
                                },
                            ));
                        }
                    }
                }
            }
        }
        phase(PhaseKind::Domains, "Xen domains", false, steps)
    }

    /// The Xen resource agent migrates with `xl migrate VM PEER`, which needs root on each node
    /// to reach the other by SSH: each node gets its own key, usable on the peer only from the
    /// node's replication address and only to receive a migration, and pins the peer's host key.
    fn live_migration(&self) -> [Phase; 2] {
        let mut steps = Vec::new();
        for &node in &BOTH {
            steps.push(self.file_step(node, paths::MIGRATE_RECEIVE));
            steps.push(self.file_step(node, paths::MIGRATION_SSH_CONFIG));
            steps.push(self.step(
                "migration-key".into(),
                node,
                "root's live-migration key".into(),
                Operation::Command {
                    check: Some(format!(
                        "[ -s {key} ] && [ -s {key}.pub ]",
                        key = paths::MIGRATION_KEY
                    )),
                    apply: format!(
                        "install -d -m 700 {dir} && rm -f {key} {key}.pub && ssh-keygen -q -t ed25519 -N '' -C {comment} -f {key}",
                        dir = paths::MIGRATION_DIR,
                        key = paths::MIGRATION_KEY,
                        comment = quote(&self.migration_key_comment(node)),
                    ),
                    verify: None,
                },
            ));
        }
        let keys = phase(
            PhaseKind::LiveMigration,
            "Live migration keys",
            false,
            steps,
        );
        let mut steps = vec![Step {
            id: "migration-trust".into(),
            scope: Scope::Cluster,
            title: "each node's migration key and host key trusted by the other".into(),
            operation: Operation::Exchange {
                read: format!(
                    "cat /etc/ssh/ssh_host_ed25519_key.pub {}.pub",
                    paths::MIGRATION_KEY
                ),
                check: BOTH.map(|node| self.peer_trusted(node)),
                apply: BOTH.map(|node| self.trust_peer(node)),
            },
            destructive: None,
            disruptive: None,
        }];
        for &node in &BOTH {
            let peer = self.hostname(1 - node);
            steps.push(self.step(
                "migration-ssh".into(),
                node,
                format!("root reaches {peer} for live migration"),
                Operation::Require {
                    check: format!("timeout 30 ssh {} true", quote(peer)),
                    failure: format!(
                        "root cannot reach {peer} by SSH over the private link with the migration key (is sshd on {peer} listening on {}?)",
                        self.design.nodes[1 - node].replication_address
                    ),
                },
            ));
        }
        [
            keys,
            phase(
                PhaseKind::LiveMigrationTrust,
                "Live migration between the nodes",
                false,
                steps,
            ),
        ]
    }

    fn migration_key_comment(&self, node: usize) -> String {
        migration_key_comment(self.hostname(node), &self.design.profile.cluster.name)
    }

    /// Live migration switched off, after the cluster has demoted one side of each resource:
    /// DRBD's dual-primary goes, and so does the access live migration gave root on each node.
    fn live_migration_off(&self) -> Phase {
        let steps =
            BOTH.iter()
                .flat_map(|&node| {
                    let comment = quote(&format!(" {}", self.migration_key_comment(1 - node)));
                    let files = [
                        paths::MIGRATION_SSH_CONFIG,
                        paths::MIGRATE_RECEIVE,
                        paths::MIGRATION_DIR,
                    ];
                    let gone = files
                        .iter()
                        .map(|path| format!("[ ! -e {path} ] && "))
                        .collect::<String>()
                        + &format!("! grep -qsF {comment} {}", paths::ROOT_AUTHORIZED_KEYS);
                    let adjusted =
                        self.design.vms.iter().map(move |vm| {
                            self.drbd_adjusted(node, vm, "drbd-single-primary", false)
                        });
                    let removed = self.step(
                        "migration-access-removed".into(),
                        node,
                        format!(
                            "{} may no longer migrate VMs here as root",
                            self.hostname(1 - node)
                        ),
                        Operation::Command {
                            check: Some(gone.clone()),
                            apply: format!(
                                "set -e\nif grep -qsF {comment} {authorized_keys}; then\n{rewrite}\nfi\nrm -rf {files}",
                                authorized_keys = paths::ROOT_AUTHORIZED_KEYS,
                                rewrite = authorized_keys_rewrite(
                                    &self.migration_key_comment(1 - node),
                                    None
                                ),
                                files = files.join(" "),
                            ),
                            verify: Some(gone),
                        },
                    );
                    adjusted.chain(std::iter::once(removed))
                })
                .collect();
        phase(
            PhaseKind::LiveMigrationOff,
            "Live migration switched off",
            false,
            steps,
        )
    }

    /// The peer's lines as they belong on `node`, to stand in a double-quoted shell word: its
    /// host key in the migration known_hosts and its migration key in root's authorized_keys
    /// (the shell variables `host` and `key` hold the peer's two public keys).
    fn peer_lines(&self, node: usize) -> (String, String) {
        let peer = 1 - node;
        let address = &self.design.nodes[peer].replication_address;
        (
            format!("{},{address} $host", self.hostname(peer)),
            format!(
                "from=\\\"{address}\\\",restrict,command=\\\"{}\\\" $key {}",
                paths::MIGRATE_RECEIVE,
                self.migration_key_comment(peer)
            ),
        )
    }

    fn peer_trusted(&self, node: usize) -> String {
        let (known, authorized) = self.peer_lines(node);
        format!(
            "{PEER_KEYS} && grep -qxF \"{known}\" {known_hosts} && grep -qxF \"{authorized}\" {authorized_keys}",
            known_hosts = paths::MIGRATION_KNOWN_HOSTS,
            authorized_keys = paths::ROOT_AUTHORIZED_KEYS,
        )
    }

    fn trust_peer(&self, node: usize) -> String {
        let (known, authorized) = self.peer_lines(node);
        format!(
            r#"set -e
{PEER_KEYS}
install -d -m 700 {dir} /root/.ssh
printf '%s\n' "{known}" > {known_hosts}.tandem-new
chmod 644 {known_hosts}.tandem-new
mv {known_hosts}.tandem-new {known_hosts}
{rewrite}"#,
            dir = paths::MIGRATION_DIR,
            known_hosts = paths::MIGRATION_KNOWN_HOSTS,
            rewrite = authorized_keys_rewrite(
                &self.migration_key_comment(1 - node),
                Some(&format!("\"{authorized}\"")),
            ),
        )
    }

    /// Corosync's files and key, and their taking effect. Before the cluster runs on either
    /// node, a change restarts corosync and Pacemaker where it was made (nothing runs yet).
    /// Once it runs, nothing restarts in the phase that writes; the next phase makes each node
    /// run the new settings, one node at a time: a reload where corosync reloads them, else
    /// a rolling restart that moves the node's VMs away first ([`corosync::rolling_restart`]).
    fn corosync(&self) -> Vec<Phase> {
        const ACTIVE: &str = "systemctl is-active --quiet corosync && systemctl is-active --quiet pacemaker && systemctl is-enabled --quiet corosync && systemctl is-enabled --quiet pacemaker";
        let cluster = &self.design.profile.cluster.name;
        let running = BOTH.map(|node| self.facts[node].runs_cluster(cluster));
        let restart_on_change = (!running.contains(&true))
            .then(|| "systemctl restart corosync && systemctl restart pacemaker".to_owned());
        let mut steps = Vec::new();
        if self.design.profile.cluster.corosync_crypto {
            steps.push(Step {
                id: "corosync-authkey".into(),
                scope: Scope::Cluster,
                title: "one corosync authkey on both nodes".into(),
                operation: Operation::SharedKey {
                    path: paths::COROSYNC_AUTHKEY.into(),
                    bytes: 256,
                    then: restart_on_change.clone(),
                },
                destructive: None,
                disruptive: None,
            });
        }
        for &node in &BOTH {
            let mut conf = self.rendered_file(node, paths::COROSYNC_CONF);
            if let Operation::File { then, .. } = &mut conf {
                then.clone_from(&restart_on_change);
            }
            steps.push(self.step(
                format!("file:{}", paths::COROSYNC_CONF),
                node,
                format!("write {}", paths::COROSYNC_CONF),
                conf,
            ));
            steps.push(self.step(
                "cluster-services".into(),
                node,
                "corosync and pacemaker enabled and running".into(),
                Operation::Command {
                    check: Some(ACTIVE.into()),
                    apply: "systemctl enable corosync pacemaker && systemctl restart corosync && systemctl restart pacemaker".into(),
                    verify: Some(ACTIVE.into()),
                },
            ));
        }
        let written = phase(PhaseKind::Corosync, "Corosync", false, steps);
        if restart_on_change.is_some() {
            return vec![written];
        }
        let effect: Vec<Step> = BOTH
            .iter()
            .flat_map(|&node| self.corosync_takes_effect(node, running[node]))
            .collect();
        if effect.is_empty() {
            vec![written]
        } else {
            vec![
                written,
                phase(
                    PhaseKind::CorosyncEffect,
                    "Corosync runs the new settings",
                    true,
                    effect,
                ),
            ]
        }
    }

    /// The steps that make `node`'s corosync run the rendered settings, when it does not yet:
    /// a reload, or a restart with the node's VMs moved away and back (`running`: the node
    /// runs the cluster now).
    fn corosync_takes_effect(&self, node: usize, running: bool) -> Vec<Step> {
        let rendered = self.rendered_file_text(node, paths::COROSYNC_CONF);
        let new = corosync::flatten(rendered);
        let old_file = corosync::flatten(&self.facts[node].corosync_conf);
        let live = &self.facts[node].corosync_running;
        let changed: std::collections::BTreeSet<&String> = new
            .keys()
            .chain(old_file.keys())
            .filter(|key| live.get(*key) != new.get(*key))
            .collect();
        if running && changed.is_empty() {
            return Vec::new();
        }
        let in_effect = corosync::runs_with(rendered);
        let (host, peer) = (self.hostname(node), self.hostname(1 - node));
        let reload = running && !changed.iter().any(|key| corosync::needs_restart(key));
        if reload {
            return vec![self.step(
                "corosync-reloaded".into(),
                node,
                format!("corosync on {host} reloads its settings (no restart)"),
                Operation::Command {
                    check: Some(in_effect.clone()),
                    apply: "corosync-cfgtool -R".into(),
                    verify: Some(in_effect),
                },
            )];
        }
        let restarted = Step {
            disruptive: running.then(|| {
                format!(
                    "restarts corosync and Pacemaker on {host} ({}): its VMs move to {peer} first and come back after, per the failback policy; {peer}'s VMs keep running",
                    changed
                        .iter()
                        .map(|key| key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
            ..self.step(
                "corosync-restarted".into(),
                node,
                format!("corosync and Pacemaker on {host} restarted with the new settings"),
                Operation::Command {
                    check: Some(in_effect.clone()),
                    apply: corosync::rolling_restart(host, peer),
                    verify: Some(in_effect),
                },
            )
        };
        let back = self.step(
            "back-online-after-restart".into(),
            node,
            format!("{host} back online after its restart"),
            Operation::Command {
                check: Some(format!("[ ! -e {} ]", corosync::STANDBY_MARK)),
                apply: corosync::back_online(host),
                verify: Some(format!("[ ! -e {} ]", corosync::STANDBY_MARK)),
            },
        );
        vec![restarted, back]
    }

    fn pacemaker(&self) -> Phase {
        let loaded = format!(
            "t=$(mktemp -d) && cibadmin -Q > \"$t/live.xml\" && cp \"$t/live.xml\" \"$t/new.xml\" && CIB_file=\"$t/new.xml\" crm configure load update {crm} >/dev/null 2>&1 && crm_diff -o \"$t/live.xml\" -n \"$t/new.xml\" >/dev/null 2>&1; rc=$?; rm -rf \"$t\"; exit $rc",
            crm = paths::CLUSTER_CRM
        );
        let mut steps = Vec::new();
        if matches!(self.design.profile.cluster.fencing, Fencing::Ipmi {}) {
            for node in &self.design.nodes {
                steps.push(Step {
                    id: format!("fence-secret:{}", node.hostname),
                    scope: Scope::Cluster,
                    title: format!("the BMC password of {} on both nodes", node.hostname),
                    operation: Operation::Secret {
                        path: paths::fence_secret(&node.hostname),
                        secret: SecretName::BmcPassword(node.hostname.clone()),
                    },
                    destructive: None,
                    disruptive: None,
                });
            }
        }
        steps.extend([
            self.step(
                "both-online".into(),
                0,
                "both nodes online in the cluster".into(),
                Operation::WaitUntil {
                    condition: "[ \"$(crm_mon -1 --output-as=xml 2>/dev/null | grep -c '<node name=.* online=\"true\"')\" -eq 2 ]".into(),
                    timeout_secs: 300,
                },
            ),
            self.step(
                format!("file:{}", paths::CLUSTER_CRM),
                0,
                format!("write {}", paths::CLUSTER_CRM),
                Operation::File {
                    path: paths::CLUSTER_CRM.into(),
                    contents: self.rendered.cluster_crm.clone(),
                    mode: 0o600,
                    owner: "root:root".into(),
                    then: None,
                },
            ),
            self.step(
                "crm-load".into(),
                0,
                "load the Pacemaker configuration".into(),
                Operation::Command {
                    check: Some(loaded.clone()),
                    apply: format!("crm configure load update {}", paths::CLUSTER_CRM),
                    verify: Some(loaded),
                },
            ),
            self.step(
                "failures-cleared".into(),
                0,
                "no failed actions left from earlier attempts".into(),
                Operation::Command {
                    check: Some(NO_FAILED_ACTIONS.into()),
                    // A clean-up makes the cluster look again; it changes nothing that works.
                    apply: "crm_resource --cleanup".into(),
                    verify: None,
                },
            ),
            self.step(
                "settled".into(),
                0,
                "the cluster settles".into(),
                Operation::WaitUntil {
                    condition: "crm_resource --wait --timeout=60s >/dev/null 2>&1".into(),
                    timeout_secs: 600,
                },
            ),
        ]);
        phase(PhaseKind::Pacemaker, "Pacemaker", false, steps)
    }

    /// VMs the nodes carry (DRBD resource files Tandem rendered for this cluster) that the
    /// profile no longer has, sorted.
    fn retired(&self) -> Vec<String> {
        let mut retired: Vec<String> = self
            .facts
            .iter()
            .flat_map(|facts| facts.tandem_vms.iter())
            .filter(|name| !self.design.vms.iter().any(|vm| &vm.name == *name))
            .cloned()
            .collect();
        retired.sort();
        retired.dedup();
        retired
    }

    fn retire_from_cluster(&self, retired: &[String]) -> Phase {
        let steps = retired
            .iter()
            .map(|name| {
                let ids = PacemakerIds::for_vm(name);
                // Those of its resources the cluster has (a VM without a console IP has no IP).
                let present = format!(
                    "for id in {} {} {} {}; do cibadmin -Q --xpath \"/cib/configuration//*[@id='$id']\" >/dev/null 2>&1 && echo \"$id\"; done",
                    quote(&ids.ip),
                    quote(&ids.xen),
                    quote(&ids.drbd_clone),
                    quote(&ids.drbd)
                );
                Step {
                    destructive: Some(format!(
                        "stops VM {name} (its domain shuts down) and removes it from the cluster; \
                         its volume and data stay on both nodes"
                    )),
                    ..self.step(
                        format!("retire-resources:{name}"),
                        0,
                        format!("stop {name} and remove it from the cluster"),
                        Operation::Command {
                            check: Some(format!("[ -z \"$({present})\" ]")),
                            apply: format!(
                                "ids=$({present}); [ -z \"$ids\" ] || {{ crm resource stop $ids && crm_resource --wait --timeout=300s && crm configure delete --force $ids; }}"
                            ),
                            verify: Some(format!("[ -z \"$({present})\" ]")),
                        },
                    )
                }
            })
            .collect();
        phase(
            PhaseKind::RetireFromCluster,
            "VMs removed from the profile: out of the cluster",
            false,
            steps,
        )
    }

    fn retire_from_nodes(&self, retired: &[String]) -> Phase {
        let mut steps = Vec::new();
        for &node in &BOTH {
            for name in retired {
                let resource = quote(name);
                let down = format!("! drbdsetup status {resource} >/dev/null 2>&1");
                steps.push(self.step(
                    format!("drbd-down:{name}"),
                    node,
                    format!("take DRBD resource {name} down"),
                    Operation::Command {
                        check: Some(down.clone()),
                        apply: format!("drbdadm down {resource}"),
                        verify: Some(down),
                    },
                ));
                for path in [paths::drbd_resource(name), paths::xen_domain(name)] {
                    let file = quote(&path);
                    steps.push(self.step(
                        format!("retire-file:{path}"),
                        node,
                        format!("move {path} to {BACKUP_ROOT}"),
                        Operation::Command {
                            check: Some(format!("[ ! -e {file} ]")),
                            apply: backup_shell(&file, "mv"),
                            verify: Some(format!("[ ! -e {file} ]")),
                        },
                    ));
                }
            }
        }
        phase(
            PhaseKind::RetireFromNodes,
            "VMs removed from the profile: off the nodes (volumes kept)",
            false,
            steps,
        )
    }

    fn verify(&self) -> Phase {
        let steps = vec![Step {
            id: "placement".into(),
            scope: Scope::Cluster,
            title: "every VM runs on its home node, DRBD healthy".into(),
            operation: Operation::VerifyPlacement,
            destructive: None,
            disruptive: None,
        }];
        phase(PhaseKind::Verify, "Verification", false, steps)
    }
}

/// Shell that keeps the file named by the shell word `file` (when it exists) as
/// `/var/backups/tandem/<path>.<UTC time>` (the scheme of `remote::backup_path`): `verb` is
/// `cp -p` to keep the file in place too, `mv` to take it away.
fn backup_shell(file: &str, verb: &str) -> String {
    format!(
        "if [ -e {file} ]; then b={root}{file}.$(date -u +%Y%m%d-%H%M%S) && install -d -m 700 {root} && mkdir -p -- \"$(dirname -- \"$b\")\" && {verb} -- {file} \"$b\"; fi",
        root = quote(BACKUP_ROOT),
    )
}

/// Shell lines that rewrite root's authorized_keys without the keys whose comment is `comment`
/// (keys Tandem added), then with `added` (a double-quoted shell word) when given. Every other
/// key stays, and the file as it was is backed up first.
fn authorized_keys_rewrite(comment: &str, added: Option<&str>) -> String {
    let add = added.map_or(String::new(), |line| format!(" printf '%s\\n' {line};"));
    format!(
        r#"f={authorized_keys}
{backup}
{{ grep -vF {comment} "$f" 2>/dev/null || true;{add} }} > "$f.tandem-new"
chmod 600 "$f.tandem-new"
mv "$f.tandem-new" "$f""#,
        authorized_keys = paths::ROOT_AUTHORIZED_KEYS,
        backup = backup_shell("\"$f\"", "cp -p"),
        comment = quote(&format!(" {comment}")),
    )
}

/// Splits `$PEER` (the peer's `cat` of its SSH host key and its migration key) into `host` and
/// `key`, each "type base64"; fails when either is missing.
const PEER_KEYS: &str = "host=$(printf '%s\\n' \"$PEER\" | sed -n 1p | cut -d' ' -f1,2) && key=$(printf '%s\\n' \"$PEER\" | sed -n 2p | cut -d' ' -f1,2) && [ -n \"$host\" ] && [ -n \"$key\" ]";

const NO_FAILED_ACTIONS: &str = "! crm_mon -1 --output-as=xml | grep -q '<failure '";

const SENDPAGE_DISABLED: &str =
    "[ \"$(cat /sys/module/drbd/parameters/disable_sendpage 2>/dev/null)\" = Y ]";

/// Where the hand-over keeps the node's original interfaces file (the network revert uses it).
pub const INTERFACES_BACKUP: &str = "/etc/tandem/interfaces.before-bridge";

/// A command that exits 0 when `file` still brings up `nic` itself: an `auto`, `allow-*` or
/// `iface` line naming it (exact words compared in awk: the NIC never becomes a pattern).
pub fn nic_stanza_check(nic: &str, file: &str) -> String {
    format!(
        "awk -v nic={nic} '$1 ~ /^(auto|allow-[a-z]+|iface)$/ {{ for (i = 2; i <= NF; i++) if ($i == nic) found = 1 }} END {{ exit !found }}' {file}",
        nic = quote(nic),
        file = quote(file),
    )
}

/// Rewrites /etc/network/interfaces so the NIC is left to the bridge: comments out the NIC's
/// stanza (with its option lines) and drops it from `auto`/`allow-*` lines, keeps the original
/// once, and makes sure interfaces.d is sourced.
pub fn hand_over_script(nic: &str, file: &str, backup: &str) -> String {
    let (file, backup) = (quote(file), quote(backup));
    format!(
        r##"set -e
mkdir -p "$(dirname {backup})"
[ -e {backup} ] || cp -p {file} {backup}
awk -v nic={nic} '
  function is_stanza(line) {{ return line ~ /^[[:space:]]*(auto|allow-[a-z]+|iface|mapping|source|source-directory|rename)[[:space:]]/ }}
  {{
    if (is_stanza($0)) in_nic = 0
    if ($1 == "iface" && $2 == nic) in_nic = 1
    if (in_nic) {{ print "# tandem: " nic " joins the bridge: " $0; next }}
    if ($1 == "auto" || $1 ~ /^allow-/) {{
      kept = $1; dropped = 0
      for (i = 2; i <= NF; i++) if ($i == nic) dropped = 1; else kept = kept " " $i
      if (dropped) {{ print "# tandem: " $0; if (kept != $1) print kept; next }}
    }}
    print
  }}' {file} > {file}.tandem-new
grep -qE '^[[:space:]]*source(-directory)?[[:space:]]+/etc/network/interfaces.d' {file}.tandem-new || printf '\nsource /etc/network/interfaces.d/*\n' >> {file}.tandem-new
mv {file}.tandem-new {file}"##,
        nic = quote(nic),
    )
}

/// Room DRBD 8.4/9 internal metadata needs after `size_mib` of data (bitmap, activity log,
/// superblock), rounded up to whole 4 MiB LVM extents.
pub fn metadata_room_mib(size_mib: u64) -> u64 {
    let bitmap_kib = size_mib.div_ceil(32);
    let total_mib = (bitmap_kib + 36).div_ceil(1024) + 1;
    total_mib.div_ceil(4) * 4
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
#[path = "plan_tests.rs"]
mod tests;
