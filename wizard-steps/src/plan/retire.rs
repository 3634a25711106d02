//! VMs taken out of the profile: their resources leave the cluster, then their DRBD resource,
//! domain config and (after a confirmation) their data leave the nodes.

use crate::remote::{BACKUP_ROOT, quote};
use crate::render::{PacemakerIds, paths};

use super::builder::{BOTH, Builder, backup_shell};
use super::{Operation, Phase, PhaseKind, Step, phase};

impl Builder<'_> {
    /// VMs the nodes carry (DRBD resource files Tandem rendered for this cluster) that the
    /// profile no longer has, sorted.
    pub(super) fn retired(&self) -> Vec<String> {
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

    pub(super) fn retire_from_cluster(&self, retired: &[String]) -> Phase {
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

    pub(super) fn retire_from_nodes(&self, retired: &[String]) -> Phase {
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
}
