//! Maintenance actions as data: their commands, when the cluster refuses them, and when the
//! cluster has settled after them. (tests/pacemaker.rs runs the same commands against the real
//! scheduler.)

use super::*;
use crate::cluster_state::{FailedAction, Instance, NodeState};
use crate::profile::Profile;
use crate::run::DrbdResource;
use crate::validate::validate;

fn seed() -> Design {
    let text = include_str!("../../resources/profiles/seed.toml");
    validate(&Profile::from_toml(text, "seed").expect("parses")).expect("valid")
}

fn with_failback(failback: Failback) -> Design {
    let mut design = seed();
    design.profile.cluster.failback = failback;
    design
}

fn node(name: &str, condition: &str) -> NodeState {
    NodeState {
        name: name.to_owned(),
        online: condition != "offline",
        standby: condition == "standby",
        maintenance: false,
    }
}

fn instance(resource: String, role: &str, node: &str) -> Instance {
    Instance {
        resource,
        role: role.to_owned(),
        node: node.to_owned(),
        failed: false,
    }
}

/// A cluster whose nodes are in `conditions`, each VM (seed: Win2012 with a console IP, then
/// Win2012-2) whole on the node named in `vms_on`, and DRBD `replication` on both nodes
/// ("Connected UpToDate" or anything else).
fn status(conditions: [&str; 2], vms_on: [&str; 2], replication: &str) -> Status {
    let design = seed();
    let mut cluster = ClusterState {
        nodes: vec![node("node1", conditions[0]), node("node2", conditions[1])],
        ..ClusterState::default()
    };
    for (vm, on) in design.vms.iter().zip(vms_on) {
        let ids = PacemakerIds::for_vm(&vm.name);
        cluster.instances.push(instance(ids.xen, "Started", on));
        cluster.instances.push(instance(ids.drbd, "Promoted", on));
        if vm.console_ip.is_some() {
            cluster.instances.push(instance(ids.ip, "Started", on));
        }
    }
    let healthy = replication == "Connected UpToDate";
    let drbd = ["node1", "node2"]
        .into_iter()
        .map(|name| NodeDrbd {
            node: name.to_owned(),
            resources: design
                .vms
                .iter()
                .map(|vm| DrbdResource {
                    name: vm.name.clone(),
                    role: "Secondary".into(),
                    peer_role: "Primary".into(),
                    connection: if healthy { "Connected" } else { "SyncSource" }.into(),
                    disk: "UpToDate".into(),
                    peer_disk: if healthy { "UpToDate" } else { "Inconsistent" }.into(),
                    sync_percent: (!healthy).then_some(42.0),
                })
                .collect(),
        })
        .collect();
    Status { cluster, drbd }
}

const AT_HOME: [&str; 2] = ["node1", "node2"];
const ALL_ON_NODE2: [&str; 2] = ["node2", "node2"];
const ALL_ON_NODE1: [&str; 2] = ["node1", "node1"];
const HEALTHY: &str = "Connected UpToDate";

#[test]
fn each_action_runs_pacemakers_own_tool_with_quoted_names() {
    let design = seed();
    assert_eq!(
        Action::Standby { node: 0 }.command(&design),
        "crm_attribute --type nodes --node node1 --name standby --update on"
    );
    assert_eq!(
        Action::Online { node: 1 }.command(&design),
        "crm_attribute --type nodes --node node2 --name standby --update off"
    );
    assert_eq!(
        Action::Move { vm: 1, to: 0 }.command(&design),
        "crm_resource --move --resource vm_Win2012-2 --node node1"
    );
    assert_eq!(
        Action::Unmove { vm: 1 }.command(&design),
        "crm_resource --clear --resource vm_Win2012-2"
    );
    assert_eq!(
        Action::Cleanup {
            resource: Some("vm_Win2012 x".into())
        }
        .command(&design),
        "crm_resource --cleanup --resource 'vm_Win2012 x'"
    );
}

#[test]
fn standby_is_refused_while_the_other_node_cannot_take_the_vms() {
    let design = seed();
    let standby = Action::Standby { node: 0 };
    assert_eq!(
        standby.readiness(
            &design,
            &status(["online", "online"], AT_HOME, HEALTHY).cluster
        ),
        Readiness::Ready
    );
    for other in ["offline", "standby"] {
        let Readiness::Refused(why) = standby.readiness(
            &design,
            &status(["online", other], AT_HOME, HEALTHY).cluster,
        ) else {
            panic!("standby of node1 allowed while node2 is {other}");
        };
        assert!(why.contains(&format!("node2 is {other}")), "{why}");
        assert!(why.contains("bring node2 online first"), "{why}");
    }
    assert!(matches!(
        standby.readiness(
            &design,
            &status(["standby", "online"], ALL_ON_NODE2, HEALTHY).cluster
        ),
        Readiness::AlreadyDone(_)
    ));
}

#[test]
fn online_needs_a_running_node_and_moves_need_an_online_target() {
    let design = seed();
    let online = Action::Online { node: 0 };
    assert!(matches!(
        online.readiness(&design, &status(["offline", "online"], ALL_ON_NODE2, HEALTHY).cluster),
        Readiness::Refused(why) if why.contains("start it")
    ));
    assert!(matches!(
        online.readiness(
            &design,
            &status(["online", "online"], AT_HOME, HEALTHY).cluster
        ),
        Readiness::AlreadyDone(_)
    ));
    let to_node2 = Action::Move { vm: 0, to: 1 };
    assert!(matches!(
        to_node2.readiness(&design, &status(["online", "standby"], ALL_ON_NODE1, HEALTHY).cluster),
        Readiness::Refused(why) if why.contains("node2 is standby")
    ));
    assert!(matches!(
        to_node2.readiness(
            &design,
            &status(["online", "online"], ALL_ON_NODE2, HEALTHY).cluster
        ),
        Readiness::AlreadyDone(_)
    ));
}

#[test]
fn cleanup_has_nothing_to_do_without_failed_actions() {
    let design = seed();
    let mut failing = status(["online", "online"], AT_HOME, HEALTHY);
    assert!(matches!(
        Action::Cleanup { resource: None }.readiness(&design, &failing.cluster),
        Readiness::AlreadyDone(_)
    ));
    failing.cluster.failures.push(FailedAction {
        resource: "vm_Win2012".into(),
        node: "node1".into(),
        task: "start".into(),
        reason: "xl create failed".into(),
    });
    let cleanup = Action::Cleanup { resource: None };
    assert_eq!(
        cleanup.readiness(&design, &failing.cluster),
        Readiness::Ready
    );
    assert_eq!(
        cleanup.settled(&design, &failing.placements(&design), &failing),
        Err("vm_Win2012 still shows a failed start on node1".to_owned())
    );
    assert!(matches!(
        Action::Cleanup {
            resource: Some("vm_Win2012-2".into())
        }
        .readiness(&design, &failing.cluster),
        Readiness::AlreadyDone(_)
    ));
}

#[test]
fn standby_settles_once_every_vm_runs_whole_on_the_other_node() {
    let design = seed();
    let before = status(["online", "online"], AT_HOME, HEALTHY).placements(&design);
    let standby = Action::Standby { node: 0 };
    let moving = status(["standby", "online"], AT_HOME, HEALTHY);
    assert_eq!(
        standby.settled(&design, &before, &moving),
        Err("Win2012 runs on node1, expected on node2".to_owned())
    );
    let mut half = status(["standby", "online"], ALL_ON_NODE2, HEALTHY);
    half.cluster
        .instances
        .retain(|instance| instance.resource != "ip_Win2012");
    assert_eq!(
        standby.settled(&design, &before, &half),
        Err("Win2012's console IP is not up on node2".to_owned())
    );
    let done = status(["standby", "online"], ALL_ON_NODE2, HEALTHY);
    assert_eq!(standby.settled(&design, &before, &done), Ok(()));
}

#[test]
fn online_settles_after_the_resync_and_the_failback_policy() {
    let after_standby = status(["standby", "online"], ALL_ON_NODE2, HEALTHY);
    let online = Action::Online { node: 0 };

    let design = with_failback(Failback::ReturnHome {});
    let before = after_standby.placements(&design);
    let syncing = status(["online", "online"], ALL_ON_NODE2, "syncing");
    let pending = online
        .settled(&design, &before, &syncing)
        .expect_err("not settled while DRBD resyncs");
    assert!(pending.contains("sync 42.0%"), "{pending}");
    assert_eq!(
        online.settled(
            &design,
            &before,
            &status(["online", "online"], ALL_ON_NODE2, HEALTHY)
        ),
        Err("Win2012 runs on node2, expected on node1".to_owned())
    );
    assert_eq!(
        online.settled(
            &design,
            &before,
            &status(["online", "online"], AT_HOME, HEALTHY)
        ),
        Ok(())
    );

    let stay = with_failback(Failback::Stay {});
    assert_eq!(
        online.settled(
            &stay,
            &before,
            &status(["online", "online"], ALL_ON_NODE2, HEALTHY)
        ),
        Ok(())
    );
    assert!(
        online
            .settled(
                &stay,
                &before,
                &status(["online", "online"], AT_HOME, HEALTHY)
            )
            .is_err(),
        "with the stay policy nothing moves back"
    );

    let window = with_failback(Failback::Window {
        start_hour: 22,
        end_hour: 6,
    });
    for vms_on in [AT_HOME, ALL_ON_NODE2] {
        assert_eq!(
            online.settled(
                &window,
                &before,
                &status(["online", "online"], vms_on, HEALTHY)
            ),
            Ok(()),
            "inside or outside the window: {vms_on:?}"
        );
    }
}

#[test]
fn a_move_settles_when_that_vm_runs_on_the_target_and_the_others_stayed() {
    let design = seed();
    let before = status(["online", "online"], AT_HOME, HEALTHY).placements(&design);
    let move_home_vm = Action::Move { vm: 1, to: 0 };
    assert_eq!(
        move_home_vm.settled(
            &design,
            &before,
            &status(["online", "online"], ALL_ON_NODE1, HEALTHY)
        ),
        Ok(())
    );
    assert_eq!(
        move_home_vm.settled(
            &design,
            &before,
            &status(["online", "online"], AT_HOME, HEALTHY)
        ),
        Err("Win2012-2 runs on node2, expected on node1".to_owned())
    );
    assert_eq!(
        move_home_vm.settled(
            &design,
            &before,
            &status(["online", "online"], ["node2", "node1"], HEALTHY)
        ),
        Err("Win2012 runs on node2, expected on node1".to_owned()),
        "the other VM must stay where it was"
    );
    let unmove = Action::Unmove { vm: 1 };
    let moved = status(["online", "online"], ALL_ON_NODE1, HEALTHY).placements(&design);
    assert_eq!(
        unmove.settled(
            &design,
            &moved,
            &status(["online", "online"], AT_HOME, HEALTHY)
        ),
        Ok(())
    );
}

#[test]
fn the_drill_takes_each_node_down_and_back_node1_first() {
    assert_eq!(
        drill(&seed()),
        [
            Action::Standby { node: 0 },
            Action::Online { node: 0 },
            Action::Standby { node: 1 },
            Action::Online { node: 1 },
        ]
    );
}
