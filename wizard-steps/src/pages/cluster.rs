//! The Cluster page: failback policy, fencing (IPMI per node, or none with an explicit
//! acknowledgement), corosync encryption, DRBD options, live migration.

use crate::profile::{Bmc, Fencing, Profile};

/// The plain warning shown when the cluster runs without fencing.
pub const NO_FENCING_WARNING: &str = "Without fencing, a node that stops answering is assumed dead. If it was only cut off, both \
nodes can run the same VM and write to its disk: a split brain. DRBD then disconnects and an \
administrator must choose which node's changes to discard.";

/// Switches fencing on or off; IPMI gives every node a BMC entry to fill in, keeping what was
/// entered before.
pub fn set_ipmi(profile: &mut Profile, ipmi: bool) {
    if ipmi {
        profile.cluster.fencing = Fencing::Ipmi {};
        for node in &mut profile.nodes {
            node.bmc.get_or_insert_with(|| Bmc {
                address: String::new(),
                user: String::new(),
                lanplus: true,
            });
        }
    } else {
        profile.cluster.fencing = Fencing::None {
            acknowledge_split_brain_risk: false,
        };
    }
}
