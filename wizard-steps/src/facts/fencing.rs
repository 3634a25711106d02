//! The preflight's verdict on fencing and quorum: with SBD, the shared disk is there on both
//! nodes, the same size, blank or SBD's already, and each node has a watchdog (or can load
//! softdog); with a quorum device, each node reaches qnetd's port.

use super::{Finding, NodeFacts, Reach, SbdDisk, Severity, VolumeContent};
use crate::field::{ClusterField, Field, NodeField};
use crate::profile::Fencing;
use crate::validate::Design;

pub(super) fn findings(design: &Design, facts: &[NodeFacts; 2]) -> Vec<Finding> {
    let mut findings = quorum_device(design, facts);
    findings.extend(sbd(design, facts));
    findings.extend(ipmi(design, facts));
    findings
}

/// With IPMI: each node reaches the BMC it fences the other node with. The presence ping
/// needs no password; the Pacemaker phase asks the BMC for its power status with it, once the
/// fence agent is installed.
fn ipmi(design: &Design, facts: &[NodeFacts; 2]) -> Vec<Finding> {
    let Fencing::Ipmi {} = design.cluster.fencing else {
        return Vec::new();
    };
    (0..2)
        .filter_map(|fencer| {
            let target = 1 - fencer;
            let bmc = design.nodes[target].bmc.as_ref()?;
            let answers = facts[fencer].peer_bmc_answers?;
            let (fencer_name, target_name) =
                (&design.nodes[fencer].hostname, &design.nodes[target].hostname);
            let (severity, detail, fix) = if answers {
                (
                    Severity::Ok,
                    format!("{target_name}'s BMC at {} answers {fencer_name}", bmc.address),
                    String::new(),
                )
            } else {
                (
                    Severity::Error,
                    format!(
                        "{fencer_name} gets no answer from {target_name}'s BMC at {} (an RMCP presence ping on UDP port 623)",
                        bmc.address
                    ),
                    format!(
                        "check {} and that {fencer_name} reaches the BMC network (no firewall dropping UDP port 623); {fencer_name} fences {target_name} through it",
                        Field::Node(target, NodeField::BmcAddress)
                    ),
                )
            };
            Some(Finding {
                node: fencer_name.clone(),
                check: "BMC".to_owned(),
                severity,
                detail,
                fix,
            })
        })
        .collect()
}

/// With a quorum device: each node reaches qnetd's port (a refusal is fine before Tandem has
/// installed qnetd; silence is a wrong address or a firewall).
fn quorum_device(design: &Design, facts: &[NodeFacts; 2]) -> Vec<Finding> {
    let Some(device) = &design.cluster.quorum_device else {
        return Vec::new();
    };
    let target = format!("{}:{}", device.address, device.port);
    design
        .nodes
        .iter()
        .zip(facts)
        .map(|(node, node_facts)| {
            let (severity, detail, fix) = match node_facts.qnetd {
                Some(Reach::Open) => (Severity::Ok, format!("qnetd answers at {target}"), String::new()),
                Some(Reach::Refused) => (
                    Severity::Ok,
                    format!("{target} answers, nothing listens yet: Tandem installs qnetd there"),
                    String::new(),
                ),
                _ => (
                    Severity::Error,
                    format!("{} gets no answer from {target}", node.hostname),
                    format!(
                        "check {} (the address the nodes reach the quorum device's machine at) and that no firewall between them drops TCP port {}",
                        Field::Cluster(ClusterField::QuorumAddress),
                        device.port
                    ),
                ),
            };
            Finding {
                node: node.hostname.clone(),
                check: "quorum device".to_owned(),
                severity,
                detail,
                fix,
            }
        })
        .collect()
}

fn sbd(design: &Design, facts: &[NodeFacts; 2]) -> Vec<Finding> {
    let Fencing::Sbd { device, softdog } = &design.cluster.fencing else {
        return Vec::new();
    };
    let device_field = Field::Cluster(ClusterField::SbdDevice);
    let mut findings = Vec::new();
    let mut sizes = Vec::new();
    for (node, node_facts) in design.nodes.iter().zip(facts) {
        let mut add = |check: &str, severity: Severity, detail: String, fix: String| {
            findings.push(Finding {
                node: node.hostname.clone(),
                check: check.to_owned(),
                severity,
                detail,
                fix,
            });
        };
        match &node_facts.sbd_disk {
            None | Some(SbdDisk::Missing) => add(
                "SBD disk",
                Severity::Error,
                format!("{device} is not a block device on {}", node.hostname),
                format!(
                    "give both nodes the shared disk (an iSCSI or FC LUN), or correct {device_field} to the name it has on both"
                ),
            ),
            Some(SbdDisk::Present {
                size_bytes,
                initialised,
                content,
            }) => {
                sizes.push(*size_bytes);
                if *initialised {
                    add(
                        "SBD disk",
                        Severity::Ok,
                        format!("{device} holds SBD's header: kept as it is"),
                        String::new(),
                    );
                } else if *content == VolumeContent::Blank {
                    add(
                        "SBD disk",
                        Severity::Ok,
                        format!("{device} is blank: SBD initialises it"),
                        String::new(),
                    );
                } else {
                    add(
                        "SBD disk",
                        Severity::Error,
                        format!(
                            "{device} holds {}; initialising SBD overwrites its start",
                            content.describe()
                        ),
                        format!(
                            "check that {device_field} names the shared disk meant for SBD; if it does and its data is not needed, clear it yourself (wipefs -a {device}, and zero its first and last MiB)"
                        ),
                    );
                }
            }
        }
        let watchdog = node_facts.watchdog || (*softdog && node_facts.softdog_available);
        add(
            "watchdog",
            if watchdog {
                Severity::Ok
            } else {
                Severity::Error
            },
            if node_facts.watchdog {
                "/dev/watchdog is there".to_owned()
            } else if *softdog {
                if node_facts.softdog_available {
                    "no /dev/watchdog yet: the softdog module is loaded".to_owned()
                } else {
                    "no /dev/watchdog, and the softdog module is not available".to_owned()
                }
            } else {
                "no /dev/watchdog: SBD cannot reset this node".to_owned()
            },
            if *softdog {
                "install the kernel's modules package (softdog is in linux-image), or load the node's hardware watchdog driver".to_owned()
            } else {
                format!(
                    "load the node's hardware watchdog driver (iTCO_wdt, ipmi_watchdog, ...), or turn {} on to use Linux's software watchdog",
                    Field::Cluster(ClusterField::SbdSoftdog)
                )
            },
        );
    }
    if let [first, second] = sizes.as_slice()
        && first != second
    {
        findings.push(Finding {
            node: "cluster".to_owned(),
            check: "SBD disk".to_owned(),
            severity: Severity::Error,
            detail: format!(
                "{device} has {first} bytes on {} and {second} on {}: not the same disk",
                design.nodes[0].hostname, design.nodes[1].hostname
            ),
            fix: format!("give {device_field} a name that is the same shared disk on both nodes"),
        });
    }
    findings
}
