//! The Cluster page: failback policy, fencing (IPMI per node, SBD on a shared disk, or none
//! with an explicit acknowledgement), the quorum device, corosync encryption, DRBD options, live
//! migration.

use crate::profile::{Bmc, Fencing, Profile, QNETD_PORT, QuorumDevice, SshAccess};

/// The plain warning shown when the cluster runs without fencing.
pub const NO_FENCING_WARNING: &str = "Without fencing, a node that stops answering is assumed dead. If it was only cut off, both \
nodes can run the same VM and write to its disk: a split brain. DRBD then disconnects and an \
administrator must choose which node's changes to discard.";

/// What IPMI fencing protects against and what it needs.
pub const IPMI_EXPLAINED: &str = "Protects against a node that hangs or is cut off: the other node \
powers it off through its BMC before it takes over the VMs. Needs a BMC on each node that the \
other node reaches over the network (UDP port 623).";

/// What SBD fencing protects against and what it needs.
pub const SBD_EXPLAINED: &str = "Protects against the same without BMCs: a node told to die on a \
shared disk, or cut off from both the disk and the cluster, is reset by its watchdog. Needs a \
small disk both nodes see (an iSCSI or FC LUN; 8 MiB will do, and its contents are replaced) \
and a watchdog on each node.";

/// What the quorum device does.
pub const QUORUM_DEVICE_EXPLAINED: &str = "Without it, two nodes that lose each other both keep \
quorum and fencing alone decides which one carries on. With it, corosync-qnetd on a third \
machine votes for one of them (node 1 in an even split); the other stops its VMs, even without \
fencing. Tandem installs qnetd there over SSH and signs the cluster's certificate.";

/// The fencing methods the wizard offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Ipmi,
    Sbd,
    None,
}

impl Method {
    pub fn of(fencing: &Fencing) -> Method {
        match fencing {
            Fencing::Ipmi {} => Method::Ipmi,
            Fencing::Sbd { .. } => Method::Sbd,
            Fencing::None { .. } => Method::None,
        }
    }
}

/// Switches the fencing method; IPMI gives every node a BMC entry to fill in, keeping what was
/// entered before. `sbd` is the SBD disk and softdog choice to start from (what was typed
/// before another method was chosen).
pub fn set_fencing(profile: &mut Profile, method: Method, sbd: (String, bool)) {
    if Method::of(&profile.cluster.fencing) == method {
        return;
    }
    profile.cluster.fencing = match method {
        Method::Ipmi => {
            for node in &mut profile.nodes {
                node.bmc.get_or_insert_with(Bmc::blank);
            }
            Fencing::Ipmi {}
        }
        Method::Sbd => Fencing::Sbd {
            device: sbd.0,
            softdog: sbd.1,
        },
        Method::None => Fencing::None {
            acknowledge_split_brain_risk: false,
        },
    };
}

/// Switches fencing between IPMI and none.
pub fn set_ipmi(profile: &mut Profile, ipmi: bool) {
    let method = if ipmi { Method::Ipmi } else { Method::None };
    set_fencing(profile, method, (String::new(), false));
}

/// Adds a quorum device (reached by SSH as the first node is: same user, sign-in and sudo, on
/// port 22) or takes it away.
pub fn set_quorum_device(profile: &mut Profile, on: bool) {
    if !on {
        profile.cluster.quorum_device = None;
    } else if profile.cluster.quorum_device.is_none() {
        let like = profile.nodes.first().map(|node| &node.ssh);
        profile.cluster.quorum_device = Some(QuorumDevice {
            address: String::new(),
            port: QNETD_PORT,
            ssh: SshAccess {
                host: String::new(),
                port: 22,
                user: like.map_or_else(|| "root".to_owned(), |ssh| ssh.user.clone()),
                auth: like.map(|ssh| ssh.auth.clone()).unwrap_or_default(),
                sudo: like.is_some_and(|ssh| ssh.sudo),
            },
        });
    }
}
