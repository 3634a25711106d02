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

/// The quorum device's vote as one node's corosync counts it (`corosync-quorumtool -s`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceVote {
    /// The node that was asked.
    pub node: String,
    /// Whether that node's partition has quorum.
    pub quorate: bool,
    /// The votes corosync counts from the device now (0 when qnetd is out of reach or gave
    /// its vote to the other partition); None when corosync lists no device.
    pub votes: Option<u32>,
}

impl DeviceVote {
    pub fn healthy(&self) -> bool {
        self.quorate && self.votes.is_some_and(|votes| votes > 0)
    }

    /// In a line: "node1 counts its vote, quorate".
    pub fn describe(&self) -> String {
        let vote = match self.votes {
            Some(0) => {
                "counts NO vote from it (qnetd out of reach, or its vote went to the other node)"
            }
            Some(_) => "counts its vote",
            None => "has NO quorum device configured",
        };
        let quorate = if self.quorate {
            "quorate"
        } else {
            "NOT QUORATE"
        };
        format!("{} {vote}, {quorate}", self.node)
    }
}

/// Reads `corosync-quorumtool -s` as `node` printed it; None when it printed no quorum
/// information (corosync not running).
pub fn device_vote(node: &str, quorumtool: &str) -> Option<DeviceVote> {
    let quorate = quorumtool.lines().find_map(|line| {
        let value = line.trim().strip_prefix("Quorate:")?;
        Some(value.trim() == "Yes")
    })?;
    // The membership table's device row: "0  <votes>  Qdevice" (with "(votes N)" after it
    // while the device's vote is not counted).
    let votes = quorumtool.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["0", votes, "Qdevice", ..] => votes.parse().ok(),
            _ => None,
        }
    });
    Some(DeviceVote {
        node: node.to_owned(),
        quorate,
        votes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured on the testbed's Debian 13 nodes: qnetd reached, and qnetd stopped.
    const VOTING: &str = include_str!("../../tests/fixtures/quorum/quorumtool-qdevice-trixie.txt");
    const LOST: &str =
        include_str!("../../tests/fixtures/quorum/quorumtool-qdevice-lost-trixie.txt");

    #[test]
    fn the_device_vote_is_read_as_corosync_prints_it() {
        let voting = device_vote("node1", VOTING).expect("quorum information");
        assert_eq!(voting.votes, Some(1));
        assert!(voting.healthy());
        assert_eq!(voting.describe(), "node1 counts its vote, quorate");
        let lost = device_vote("node1", LOST).expect("quorum information");
        assert_eq!(lost.votes, Some(0));
        assert!(lost.quorate && !lost.healthy());
        // Without a device (two_node), and without corosync.
        let two_node = VOTING.replace("         0          1            Qdevice\n", "");
        assert_eq!(
            device_vote("node1", &two_node).map(|vote| vote.votes),
            Some(None)
        );
        assert_eq!(
            device_vote("node1", "Cannot initialize QUORUM service\n"),
            None
        );
    }
}
