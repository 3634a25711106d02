//! The cluster stack: corosync's configuration and key (a change reaches a running cluster by
//! reload or a rolling restart, never both nodes at once) and the Pacemaker configuration.

use crate::corosync;
use crate::profile::Fencing;
use crate::remote::quote;
use crate::render::{SBD_FENCE_DEVICE, fence_device_id, paths};

use super::builder::{BOTH, Builder};
use super::{Operation, Phase, PhaseKind, Scope, SecretName, Step, phase};

impl Builder<'_> {
    /// Corosync's files and key, and their taking effect. Before the cluster runs on either
    /// node, a change restarts corosync and Pacemaker where it was made (nothing runs yet).
    /// Once it runs, nothing restarts in the phase that writes; the next phase makes each node
    /// run the new settings, one node at a time: a reload where corosync reloads them, else
    /// a rolling restart that moves the node's VMs away first ([`corosync::rolling_restart`]).
    pub(super) fn corosync(&self) -> Vec<Phase> {
        const ACTIVE: &str = "systemctl is-active --quiet corosync && systemctl is-active --quiet pacemaker && systemctl is-enabled --quiet corosync && systemctl is-enabled --quiet pacemaker";
        let cluster = &self.design.cluster.name;
        let running = BOTH.map(|node| self.facts[node].runs_cluster(cluster));
        let restart_on_change = (!running.contains(&true))
            .then(|| "systemctl restart corosync && systemctl restart pacemaker".to_owned());
        let mut steps = Vec::new();
        if self.design.cluster.corosync_crypto {
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
    pub(super) fn corosync_takes_effect(&self, node: usize, running: bool) -> Vec<Step> {
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
        let disruptive = running.then(|| {
            format!(
                "restarts corosync and Pacemaker on {host} ({}): its VMs move to {peer} first and come back after, per the failback policy; {peer}'s VMs keep running",
                changed
                    .iter()
                    .map(|key| key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        self.restarted_with_vms_away(
            node,
            ["corosync-restarted", "back-online-after-restart"],
            format!("corosync and Pacemaker on {host} restarted with the new settings"),
            in_effect,
            disruptive,
        )
    }

    /// Corosync and Pacemaker restarted on `node` (its VMs moved to the other node first) until
    /// `done_when` holds, then the node back online: the steps `ids` name.
    pub(super) fn restarted_with_vms_away(
        &self,
        node: usize,
        ids: [&str; 2],
        title: String,
        done_when: String,
        disruptive: Option<String>,
    ) -> Vec<Step> {
        let (host, peer) = (self.hostname(node), self.hostname(1 - node));
        let restarted = Step {
            disruptive,
            ..self.step(
                ids[0].into(),
                node,
                title,
                Operation::Command {
                    check: Some(done_when.clone()),
                    apply: corosync::rolling_restart(host, peer),
                    verify: Some(done_when),
                },
            )
        };
        let back = self.step(
            ids[1].into(),
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

    pub(super) fn pacemaker(&self) -> Phase {
        let loaded = format!(
            "t=$(mktemp -d) && cibadmin -Q > \"$t/live.xml\" && cp \"$t/live.xml\" \"$t/new.xml\" && CIB_file=\"$t/new.xml\" crm configure load update {crm} >/dev/null 2>&1 && crm_diff -o \"$t/live.xml\" -n \"$t/new.xml\" >/dev/null 2>&1; rc=$?; rm -rf \"$t\"; exit $rc",
            crm = paths::CLUSTER_CRM
        );
        let mut steps = Vec::new();
        if let Fencing::Ipmi {} = self.design.cluster.fencing {
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
            // ... and each node asks the BMC it fences, with that password.
            for node in BOTH {
                steps.extend(self.bmc_answers(node, 1 - node));
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
        ]);
        steps.push(self.stale_fence_devices());
        steps.extend([
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
}

impl Builder<'_> {
    /// Fence devices Tandem made for another fencing method (IPMI's per node, SBD's one) that
    /// the design no longer has: deleted from the configuration once the new one is loaded
    /// (`crm configure load update` adds and changes, it never deletes). With crmsh, their
    /// location constraints go with them.
    fn stale_fence_devices(&self) -> Step {
        let mut ours: Vec<String> = self
            .design
            .nodes
            .iter()
            .map(|node| fence_device_id(&node.hostname))
            .collect();
        ours.push(SBD_FENCE_DEVICE.to_owned());
        let current: Vec<String> = match &self.design.cluster.fencing {
            Fencing::Ipmi {} => self
                .design
                .nodes
                .iter()
                .map(|node| fence_device_id(&node.hostname))
                .collect(),
            Fencing::Sbd { .. } => vec![SBD_FENCE_DEVICE.to_owned()],
            Fencing::None { .. } => Vec::new(),
        };
        let stale: Vec<String> = ours
            .into_iter()
            .filter(|id| !current.contains(id))
            .map(|id| quote(&id))
            .collect();
        let present = format!(
            "for id in {}; do cibadmin -Q --xpath \"/cib/configuration//*[@id='$id']\" >/dev/null 2>&1 && echo \"$id\"; done",
            stale.join(" ")
        );
        self.step(
            "stale-fence-devices".into(),
            0,
            "no fence device of another fencing method left".into(),
            Operation::Command {
                check: Some(format!("[ -z \"$({present})\" ]")),
                apply: format!(
                    "ids=$({present}); [ -z \"$ids\" ] || crm configure delete --force $ids"
                ),
                verify: Some(format!("[ -z \"$({present})\" ]")),
            },
        )
    }

    /// `target`'s BMC answers fence_ipmilan's status question from `node`, which fences it:
    /// with the address, user, password (its secret file) and lanplus settings the cluster's
    /// fence device will use, before that device is configured.
    fn bmc_answers(&self, node: usize, target: usize) -> Option<Step> {
        let target_node = &self.design.nodes[target];
        let bmc = target_node.bmc.as_ref()?;
        let mut agent = format!(
            "fence_ipmilan --ip={} --username={} --password-script={}",
            quote(&bmc.address),
            quote(&bmc.user),
            quote(&format!(
                "/bin/cat {}",
                paths::fence_secret(&target_node.hostname)
            ))
        );
        if bmc.lanplus {
            agent.push_str(" --lanplus");
        }
        if let Some(cipher) = bmc.cipher {
            agent.push_str(&format!(" --cipher={cipher}"));
        }
        // Exit 0: the power is on; 2: off. Either way the BMC answered.
        let check = format!(
            "rc=0; {agent} --action=status >/dev/null 2>&1 || rc=$?; [ \"$rc\" -eq 0 ] || [ \"$rc\" -eq 2 ]"
        );
        Some(self.step(
            format!("bmc-answers:{}", target_node.hostname),
            node,
            format!(
                "the BMC of {} answers fence_ipmilan from {}",
                target_node.hostname,
                self.hostname(node)
            ),
            Operation::Require {
                check,
                failure: format!(
                    "the BMC of {target} ({address}) does not answer fence_ipmilan from {node}: check its address, user, password, lanplus and cipher suite on the Cluster page, and that {node} reaches it (UDP port 623)",
                    target = target_node.hostname,
                    address = bmc.address,
                    node = self.hostname(node),
                ),
            },
        ))
    }
}

pub(super) const NO_FAILED_ACTIONS: &str = "! crm_mon -1 --output-as=xml | grep -q '<failure '";
