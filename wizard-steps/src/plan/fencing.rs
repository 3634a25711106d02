//! SBD: its settings and the watchdog on each node, the shared disk initialised once (from
//! the first node, only when the preflight found it blank or SBD's already), proof that both
//! nodes see the same disk (its SBD UUID), and the daemon enabled so that it starts with the
//! cluster. On a cluster that already runs, SBD starts with a rolling restart (one node at a
//! time, its VMs moved away first).

use crate::profile::Fencing;
use crate::remote::quote;
use crate::render::{SBD_MSGWAIT_S, SBD_WATCHDOG_TIMEOUT_S, paths};

use super::builder::{BOTH, Builder};
use super::{Operation, Phase, PhaseKind, Scope, Step, phase};

impl Builder<'_> {
    /// The SBD phases; none without SBD fencing.
    pub(super) fn sbd(&self) -> Vec<Phase> {
        let Fencing::Sbd { device, softdog } = &self.design.cluster.fencing else {
            return Vec::new();
        };
        let disk = quote(device);
        let mut steps = Vec::new();
        for node in BOTH {
            steps.push(self.file_step(node, paths::SBD_CONFIG));
            if *softdog {
                steps.push(self.file_step(node, paths::SOFTDOG_MODULES_LOAD));
                steps.push(self.step(
                    "softdog-loaded".into(),
                    node,
                    "Linux's software watchdog loaded".into(),
                    Operation::Command {
                        check: Some("[ -c /dev/watchdog ]".into()),
                        apply: "modprobe softdog".into(),
                        verify: Some("[ -c /dev/watchdog ]".into()),
                    },
                ));
            }
        }
        let header = format!("sbd -d {disk} dump >/dev/null 2>&1");
        steps.push(self.step(
            "sbd-initialised".into(),
            0,
            format!("SBD's header and slots on {device}"),
            Operation::Command {
                check: Some(header.clone()),
                // The preflight found the disk blank (or SBD's); this guards a disk that
                // changed since.
                apply: format!(
                    "if ! cmp -s -n 1048576 {disk} /dev/zero; then echo {refused} >&2; exit 1; fi; sbd -d {disk} -1 {SBD_WATCHDOG_TIMEOUT_S} -4 {SBD_MSGWAIT_S} create",
                    refused = quote(&format!(
                        "{device} is no longer blank: Tandem initialises only a blank disk for SBD"
                    )),
                ),
                verify: Some(header),
            },
        ));
        let disk_phase = phase(
            PhaseKind::SbdDisk,
            "SBD: the shared disk and the watchdog",
            false,
            steps,
        );

        let uuid = format!("sbd -d {disk} dump 2>/dev/null | sed -n 's/^UUID *: *//p'");
        let same_disk = format!("[ -n \"$PEER\" ] && [ \"$({uuid})\" = \"$PEER\" ]");
        let not_same = format!(
            "echo {} \"$({uuid})\" \"$PEER\" >&2; exit 1",
            quote(&format!(
                "{device} is not the same disk on both nodes (SBD UUID here and on the other node):"
            ))
        );
        let mut steps = vec![Step {
            id: "sbd-same-disk".into(),
            scope: Scope::Cluster,
            title: format!("both nodes see the same SBD disk {device}"),
            operation: Operation::Exchange {
                read: uuid.clone(),
                check: [same_disk.clone(), same_disk],
                apply: [not_same.clone(), not_same],
            },
            destructive: None,
            disruptive: None,
        }];
        for node in BOTH {
            steps.push(self.step(
                "sbd-enabled".into(),
                node,
                "SBD enabled: it starts with corosync".into(),
                Operation::Command {
                    check: Some("systemctl is-enabled --quiet sbd".into()),
                    apply: "systemctl enable sbd".into(),
                    verify: Some("systemctl is-enabled --quiet sbd".into()),
                },
            ));
        }
        let mut phases = vec![
            disk_phase,
            phase(PhaseKind::SbdEnabled, "SBD enabled", false, steps),
        ];
        let cluster = &self.design.cluster.name;
        let running: Vec<Step> = BOTH
            .iter()
            .filter(|&&node| self.facts[node].runs_cluster(cluster))
            .flat_map(|&node| self.sbd_started_by_restart(node))
            .collect();
        if !running.is_empty() {
            phases.push(phase(
                PhaseKind::SbdRestart,
                "SBD starts with the running cluster",
                true,
                running,
            ));
        }
        phases
    }

    /// Without SBD in the profile, a node where SBD still starts with corosync (an earlier
    /// profile fenced with it): SBD disabled and, where the cluster runs, stopped by a rolling
    /// restart (its unit refuses a manual stop: it goes with corosync). After the Pacemaker
    /// phase, so that the cluster fences another way (or not at all) before SBD stops
    /// watching: a fence through the SBD disk with SBD stopped would "succeed" without resetting
    /// anything. Empty when no node has it.
    pub(super) fn sbd_retired(&self) -> Vec<Phase> {
        if let Fencing::Sbd { .. } = self.design.cluster.fencing {
            return Vec::new();
        }
        let cluster = &self.design.cluster.name;
        const DISABLED: &str = "! systemctl is-enabled --quiet sbd";
        const STOPPED: &str = "! systemctl is-active --quiet sbd";
        let steps: Vec<Step> = BOTH
            .iter()
            .filter(|&&node| self.facts[node].enabled("sbd"))
            .flat_map(|&node| {
                let disabled = self.step(
                    "sbd-disabled".into(),
                    node,
                    "SBD disabled (no SBD fencing in the profile)".into(),
                    Operation::Command {
                        check: Some(DISABLED.into()),
                        apply: "systemctl disable sbd".into(),
                        verify: Some(DISABLED.into()),
                    },
                );
                let (host, peer) = (self.hostname(node), self.hostname(1 - node));
                let stopped = self.facts[node].runs_cluster(cluster).then(|| {
                    self.restarted_with_vms_away(
                        node,
                        ["sbd-stopped", "back-online-after-sbd-stopped"],
                        format!("SBD stopped on {host} (corosync and Pacemaker restarted)"),
                        STOPPED.into(),
                        Some(format!(
                            "restarts corosync and Pacemaker on {host} so that SBD stops with them: its VMs move to {peer} first and come back after, per the failback policy; {peer}'s VMs keep running"
                        )),
                    )
                });
                std::iter::once(disabled).chain(stopped.into_iter().flatten())
            })
            .collect();
        if steps.is_empty() {
            return Vec::new();
        }
        vec![phase(PhaseKind::SbdRetired, "SBD retired", true, steps)]
    }

    /// On a node that runs the cluster already: restart corosync and Pacemaker so that SBD
    /// starts with them, the node's VMs moved to the other node first and back after.
    fn sbd_started_by_restart(&self, node: usize) -> Vec<Step> {
        let (host, peer) = (self.hostname(node), self.hostname(1 - node));
        self.restarted_with_vms_away(
            node,
            ["sbd-started", "back-online-after-sbd"],
            format!("SBD runs on {host} (corosync and Pacemaker restarted)"),
            "systemctl is-active --quiet sbd".into(),
            Some(format!(
                "restarts corosync and Pacemaker on {host} so that SBD starts with them: its VMs move to {peer} first and come back after, per the failback policy; {peer}'s VMs keep running"
            )),
        )
    }
}
