//! The VMs' Xen domain configs and their install media (ISOs uploaded or checked in place).

use crate::profile::Boot;
use crate::remote::quote;
use crate::render::paths;

use super::builder::{BOTH, Builder};
use super::{Operation, Phase, PhaseKind, phase};

impl Builder<'_> {
    pub(super) fn domains(&self) -> Phase {
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
                match &vm.boot {
                    Boot::Hvm {
                        iso, iso_source, ..
                    } => steps.push(match iso_source {
                        Some(source) => self.step(
                            format!("iso:{}", vm.name),
                            node,
                            format!("install ISO {iso}"),
                            Operation::LocalFile {
                                source: crate::profile::expand_home(source).display().to_string(),
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
}
