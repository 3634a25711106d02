//! How well the running cluster is protected against a split brain: each fence device, whether
//! it runs (on the node that fences with it) and whether its last check passed. Pure: the
//! design and Pacemaker's view in, plain data out.

use crate::cluster_state::ClusterState;
use crate::profile::Fencing;
use crate::validate::Design;

/// One fence device as the cluster has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceDevice {
    /// Its Pacemaker id.
    pub id: String,
    /// The nodes it fences.
    pub fences: Vec<String>,
    /// Where it runs (where its status check runs every minute), if anywhere.
    pub running_on: Option<String>,
    /// Its last failed operation (the status check, a start), when one is on record.
    pub failure: Option<String>,
}

impl FenceDevice {
    /// Runs, and no failure on record.
    pub fn healthy(&self) -> bool {
        self.running_on.is_some() && self.failure.is_none()
    }

    /// In a line: "fence_node1 (fences node1) on node2, its checks pass".
    pub fn describe(&self) -> String {
        let place = match &self.running_on {
            Some(node) => format!("on {node}"),
            None => "NOT RUNNING".to_owned(),
        };
        let check = match &self.failure {
            Some(failure) => format!("its last check FAILED: {failure}"),
            None if self.running_on.is_some() => "its checks pass".to_owned(),
            None => "nothing checks it".to_owned(),
        };
        format!(
            "{} (fences {}) {place}, {check}",
            self.id,
            self.fences.join(" and ")
        )
    }
}

/// The design's fence devices, as the cluster state shows them (none without fencing).
pub fn fence_devices(design: &Design, state: &ClusterState) -> Vec<FenceDevice> {
    let devices: Vec<(String, Vec<String>)> = match &design.cluster.fencing {
        Fencing::Ipmi {} => design
            .nodes
            .iter()
            .map(|node| {
                (
                    crate::render::fence_device_id(&node.hostname),
                    vec![node.hostname.clone()],
                )
            })
            .collect(),
        Fencing::Sbd { .. } => vec![(
            crate::render::SBD_FENCE_DEVICE.to_owned(),
            design
                .nodes
                .iter()
                .map(|node| node.hostname.clone())
                .collect(),
        )],
        Fencing::None { .. } => Vec::new(),
    };
    devices
        .into_iter()
        .map(|(id, fences)| FenceDevice {
            running_on: state.nodes_in_role(&id, "Started").into_iter().next(),
            failure: state
                .failures
                .iter()
                .find(|failure| failure.resource == id)
                .map(|failure| format!("{} on {}: {}", failure.task, failure.node, failure.reason)),
            id,
            fences,
        })
        .collect()
}
