//! Xen as dom0's boot entry (GRUB default, dom0 memory) and the reboot into it, one node at a
//! time.

use crate::render::paths;

use super::builder::{BOTH, Builder};
use super::{Operation, Phase, PhaseKind, phase};

impl Builder<'_> {
    pub(super) fn dom0_memory(&self, node: usize) -> u32 {
        self.design.nodes[node].dom0_memory_mib
    }

    pub(super) fn xen_running_check(&self, node: usize) -> String {
        let memory = self.dom0_memory(node);
        format!(
            "xl info 2>/dev/null | grep -q '^xen_commandline.*dom0_mem={memory}M,max:{memory}M'"
        )
    }

    pub(super) fn xen_boot(&self) -> Phase {
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

    pub(super) fn xen_reboot(&self) -> Phase {
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
}
