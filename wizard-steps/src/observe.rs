//! Looking at a running cluster: Pacemaker's view and each node's DRBD resources, for the
//! verification, day-2 operations and the status the GUI and the CLI show.

use crate::cluster_state::{ClusterState, parse_crm_mon};
use crate::cluster_state::{DrbdResource, NodeDrbd};
use crate::drbd;
use crate::protection::{DeviceVote, device_vote};
use crate::remote::{ExecError, Session};

/// The cluster state (from the first node) and each node's DRBD resources.
pub async fn observe(
    nodes: &[String; 2],
    sessions: &[Session; 2],
) -> Result<(ClusterState, Vec<NodeDrbd>), ExecError> {
    observe_reachable(nodes, [Some(&sessions[0]), Some(&sessions[1])]).await
}

/// The same from the nodes there are sessions to (when one node is down): Pacemaker's view from
/// the first of them, DRBD from each.
pub async fn observe_reachable(
    nodes: &[String; 2],
    sessions: [Option<&Session>; 2],
) -> Result<(ClusterState, Vec<NodeDrbd>), ExecError> {
    let mut state = None;
    let mut drbd = Vec::new();
    for (index, session) in sessions.iter().enumerate() {
        let Some(session) = session else { continue };
        if state.is_none() {
            let crm_mon = session.output("crm_mon -1 --output-as=xml").await?;
            state = Some(parse_crm_mon(&crm_mon.stdout).unwrap_or_default());
        }
        let output = session
            .output("drbdsetup status --verbose --statistics")
            .await?;
        let resources = drbd::parse_status(&output.stdout).unwrap_or_default();
        drbd.push(NodeDrbd {
            node: nodes[index].clone(),
            resources: resources.iter().map(DrbdResource::from).collect(),
        });
    }
    Ok((state.unwrap_or_default(), drbd))
}

/// The quorum device's vote as each node there is a session to counts it (`corosync-quorumtool
/// -s`); a node whose corosync gives no quorum information is named in the error.
pub async fn device_votes(
    nodes: &[String; 2],
    sessions: [Option<&Session>; 2],
) -> Vec<Result<DeviceVote, String>> {
    let mut votes = Vec::new();
    for (session, node) in sessions.iter().zip(nodes) {
        let Some(session) = session else { continue };
        // The exit status says whether the node is quorate; the text says it all.
        let printed = session
            .output("corosync-quorumtool -s 2>&1; true")
            .await
            .map(|output| output.stdout)
            .unwrap_or_default();
        votes.push(device_vote(node, &printed).ok_or_else(|| node.clone()));
    }
    votes
}
