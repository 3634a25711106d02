//! The packages phase: Xen, DRBD, the cluster stack and their tools, installed on both nodes.

use super::builder::{BOTH, Builder};
use super::{Operation, Phase, PhaseKind, phase};

impl Builder<'_> {
    pub(super) fn packages(&self) -> Phase {
        let packages = self.design.packages();
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
}
