//! Maintenance actions as data: their commands, when the cluster refuses them, and when the
//! cluster has settled after them. (tests/tools/pacemaker.rs runs the same commands against the real
//! scheduler.)

use super::*;
use crate::cluster_state::DrbdResource;
use crate::cluster_state::{FailedAction, Instance, NodeState};
use crate::profile::Profile;
use crate::validate::validate;

fn seed_profile() -> Profile {
    Profile::from_toml(
        include_str!("../../../resources/profiles/seed.toml"),
        "seed",
    )
    .expect("parses")
}

fn seed() -> Design {
    validate(&seed_profile()).expect("valid")
}

fn with_failback(failback: Failback) -> Design {
    let mut profile = seed_profile();
    profile.cluster.failback = failback;
    validate(&profile).expect("valid")
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
    Status {
        cluster,
        drbd,
        votes: Vec::new(),
    }
}

const AT_HOME: [&str; 2] = ["node1", "node2"];
const ALL_ON_NODE2: [&str; 2] = ["node2", "node2"];
const ALL_ON_NODE1: [&str; 2] = ["node1", "node1"];
const HEALTHY: &str = "Connected UpToDate";

#[test]
fn each_action_runs_pacemakers_own_tool_with_quoted_names() {
    let design = seed();
    assert_eq!(
        Maintenance::Standby { node: 0 }.command(&design).as_deref(),
        Some("crm_attribute --type nodes --node node1 --name standby --update on")
    );
    assert_eq!(
        Maintenance::Online { node: 1 }.command(&design).as_deref(),
        Some("crm_attribute --type nodes --node node2 --name standby --update off")
    );
    assert_eq!(
        Maintenance::Move { vm: 1, to: 0 }
            .command(&design)
            .as_deref(),
        Some("crm_resource --move --resource vm_Win2012-2 --node node1")
    );
    assert_eq!(
        Maintenance::Unmove { vm: 1 }.command(&design).as_deref(),
        Some("crm_resource --clear --resource vm_Win2012-2")
    );
    assert_eq!(
        Maintenance::Cleanup {
            resource: Some("vm_Win2012 x".into())
        }
        .command(&design)
        .as_deref(),
        Some("crm_resource --cleanup --resource 'vm_Win2012 x'")
    );
}

#[test]
fn standby_is_refused_while_the_other_node_cannot_take_the_vms() {
    let design = seed();
    let standby = Maintenance::Standby { node: 0 };
    assert_eq!(
        standby.readiness(&design, &status(["online", "online"], AT_HOME, HEALTHY)),
        Readiness::Ready
    );
    for other in ["offline", "standby"] {
        let Readiness::Refused(why) =
            standby.readiness(&design, &status(["online", other], AT_HOME, HEALTHY))
        else {
            panic!("standby of node1 allowed while node2 is {other}");
        };
        assert!(why.contains(&format!("node2 is {other}")), "{why}");
        assert!(why.contains("bring node2 online first"), "{why}");
    }
    assert!(matches!(
        standby.readiness(
            &design,
            &status(["standby", "online"], ALL_ON_NODE2, HEALTHY)
        ),
        Readiness::AlreadyDone(_)
    ));
}

#[test]
fn online_needs_a_running_node_and_moves_need_an_online_target() {
    let design = seed();
    let online = Maintenance::Online { node: 0 };
    assert!(matches!(
        online.readiness(&design, &status(["offline", "online"], ALL_ON_NODE2, HEALTHY)),
        Readiness::Refused(why) if why.contains("start it")
    ));
    assert!(matches!(
        online.readiness(&design, &status(["online", "online"], AT_HOME, HEALTHY)),
        Readiness::AlreadyDone(_)
    ));
    let to_node2 = Maintenance::Move { vm: 0, to: 1 };
    assert!(matches!(
        to_node2.readiness(&design, &status(["online", "standby"], ALL_ON_NODE1, HEALTHY)),
        Readiness::Refused(why) if why.contains("node2 is standby")
    ));
    assert!(matches!(
        to_node2.readiness(
            &design,
            &status(["online", "online"], ALL_ON_NODE2, HEALTHY)
        ),
        Readiness::AlreadyDone(_)
    ));
}

#[test]
fn cleanup_has_nothing_to_do_without_failed_actions() {
    let design = seed();
    let mut failing = status(["online", "online"], AT_HOME, HEALTHY);
    assert!(matches!(
        Maintenance::Cleanup { resource: None }.readiness(&design, &failing),
        Readiness::AlreadyDone(_)
    ));
    failing.cluster.failures.push(FailedAction {
        resource: "vm_Win2012".into(),
        node: "node1".into(),
        task: "start".into(),
        reason: "xl create failed".into(),
    });
    let cleanup = Maintenance::Cleanup { resource: None };
    assert_eq!(cleanup.readiness(&design, &failing), Readiness::Ready);
    assert_eq!(
        cleanup.settled(&design, &failing.placements(&design), &failing),
        Err("vm_Win2012 still shows a failed start on node1".to_owned())
    );
    assert!(matches!(
        Maintenance::Cleanup {
            resource: Some("vm_Win2012-2".into())
        }
        .readiness(&design, &failing),
        Readiness::AlreadyDone(_)
    ));
}

#[test]
fn standby_settles_once_every_vm_runs_whole_on_the_other_node() {
    let design = seed();
    let before = status(["online", "online"], AT_HOME, HEALTHY).placements(&design);
    let standby = Maintenance::Standby { node: 0 };
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
    let online = Maintenance::Online { node: 0 };

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
    let move_home_vm = Maintenance::Move { vm: 1, to: 0 };
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
    let unmove = Maintenance::Unmove { vm: 1 };
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
        drill(&seed(), DrillKind::Standby),
        [
            Maintenance::Standby { node: 0 },
            Maintenance::Online { node: 0 },
            Maintenance::Standby { node: 1 },
            Maintenance::Online { node: 1 },
        ]
    );
}

/// A node in the cluster's view without anything running on it, as the other node sees it
/// after a crash: offline, its DRBD state unread.
fn crashed(node: usize, vms_on: [&str; 2], replication: &str) -> Status {
    let mut conditions = ["online", "online"];
    conditions[node] = "offline";
    let mut now = status(conditions, vms_on, replication);
    now.drbd.remove(node);
    now
}

/// node1 crashed, vm2 already on node2 and vm1 not restarted there yet.
fn vm1_restarting() -> Status {
    let mut restarting = crashed(0, ALL_ON_NODE2, "syncing");
    restarting
        .cluster
        .instances
        .retain(|instance| instance.resource != "vm_Win2012");
    restarting
}

/// node1 back online in node2's view (node1's own DRBD state not read).
fn node1_back(vms_on: [&str; 2], replication: &str) -> Status {
    let mut back = status(["online", "online"], vms_on, replication);
    back.drbd.remove(0);
    back
}

#[test]
fn the_hard_drill_crashes_the_node_itself_and_only_waits_for_it_to_return() {
    let design = seed();
    let crash = Maintenance::Crash { node: 0 };
    let command = crash.command(&design).expect("a crash runs a command");
    assert!(
        command.contains("echo b > /proc/sysrq-trigger"),
        "{command}"
    );
    assert!(
        command.starts_with("sync;") && command.ends_with('&'),
        "dom0's files are synced and the command returns before the reset: {command}"
    );
    assert_eq!(crash.runs_on(), 0, "only node1 can reset node1");
    assert_eq!(crash.observed_from(), [false, true]);
    let rejoin = Maintenance::Rejoin { node: 1 };
    assert_eq!(rejoin.command(&design), None);
    assert_eq!(rejoin.observed_from(), [true, false]);
    assert_eq!(Maintenance::Standby { node: 0 }.runs_on(), 1);
    assert_eq!(
        Maintenance::Online { node: 0 }.observed_from(),
        [true, true]
    );
    assert_eq!(
        drill(&design, DrillKind::Hard),
        [
            Maintenance::Crash { node: 0 },
            Maintenance::Rejoin { node: 0 },
            Maintenance::Crash { node: 1 },
            Maintenance::Rejoin { node: 1 },
        ]
    );
    assert_eq!(
        drill_of([1], DrillKind::Hard),
        [
            Maintenance::Crash { node: 1 },
            Maintenance::Rejoin { node: 1 }
        ]
    );
}

#[test]
fn a_crash_is_refused_unless_the_other_node_can_take_over_with_current_data() {
    let design = seed();
    let crash = Maintenance::Crash { node: 0 };
    assert_eq!(
        crash.readiness(&design, &status(["online", "online"], AT_HOME, HEALTHY)),
        Readiness::Ready
    );
    let Readiness::Refused(why) =
        crash.readiness(&design, &status(["online", "online"], AT_HOME, "syncing"))
    else {
        panic!("a crash allowed while DRBD resyncs");
    };
    assert!(
        why.contains("sync 42.0%") && why.contains("wait for the resync"),
        "{why}"
    );
    for (conditions, expected) in [
        (["online", "standby"], "node2 is standby"),
        (["online", "offline"], "node2 is offline"),
        (["standby", "online"], "node1 is standby"),
    ] {
        let Readiness::Refused(why) =
            crash.readiness(&design, &status(conditions, ALL_ON_NODE2, HEALTHY))
        else {
            panic!("a crash of node1 allowed with {conditions:?}");
        };
        assert!(why.contains(expected), "{why}");
    }
}

#[test]
fn a_crash_settles_when_the_node_is_gone_and_the_other_runs_every_vm() {
    let design = seed();
    let before = status(["online", "online"], AT_HOME, HEALTHY).placements(&design);
    let mut witness = CrashWitness::default();
    assert_eq!(
        witness.observe(
            &design,
            0,
            &before,
            &status(["online", "online"], AT_HOME, HEALTHY)
        ),
        Err("node1 is still in the cluster".to_owned()),
        "the reset has not happened yet"
    );
    let restarting = vm1_restarting();
    assert_eq!(
        witness.observe(&design, 0, &before, &restarting),
        Err("Win2012 is not running".to_owned())
    );
    assert_eq!(
        witness.observe(&design, 0, &before, &crashed(0, ALL_ON_NODE2, "syncing")),
        Ok(()),
        "DRBD cannot be connected with the peer gone"
    );
}

/// On the testbed node1 rejoined (67 s) before vm1 had restarted on node2 (109 s): no single
/// look showed node1 gone and node2 running every VM.
#[test]
fn a_crash_settles_when_the_node_boots_back_before_its_vms_have_restarted() {
    let design = seed();
    let before = status(["online", "online"], AT_HOME, HEALTHY).placements(&design);
    let restarting = vm1_restarting();
    let mut witness = CrashWitness::default();
    assert!(witness.observe(&design, 0, &before, &restarting).is_err());
    let back = node1_back(ALL_ON_NODE2, "syncing");
    assert_eq!(witness.observe(&design, 0, &before, &back), Ok(()));

    let mut never_left = CrashWitness::default();
    assert_eq!(
        never_left.observe(&design, 0, &before, &back),
        Err("node1 is still in the cluster".to_owned()),
        "every VM on node2 proves no crash by itself"
    );
}

#[test]
fn a_rejoin_settles_on_the_survivors_view_after_the_resync_and_the_failback() {
    let design = seed();
    let before = crashed(0, ALL_ON_NODE2, "syncing").placements(&design);
    let rejoin = Maintenance::Rejoin { node: 0 };
    assert_eq!(
        rejoin.readiness(&design, &crashed(0, ALL_ON_NODE2, "syncing")),
        Readiness::Ready
    );
    assert_eq!(
        rejoin.settled(&design, &before, &crashed(0, ALL_ON_NODE2, "syncing")),
        Err("node1 is not online yet".to_owned())
    );
    let back = node1_back(ALL_ON_NODE2, "syncing");
    let pending = rejoin
        .settled(&design, &before, &back)
        .expect_err("not settled while DRBD resyncs");
    assert!(
        pending.contains("on node2") && pending.contains("sync 42.0%"),
        "{pending}"
    );
    let home = node1_back(AT_HOME, HEALTHY);
    assert_eq!(rejoin.settled(&design, &before, &home), Ok(()));
    let mut unread = home.clone();
    unread.drbd.clear();
    assert_eq!(
        rejoin.settled(&design, &before, &unread),
        Err("no node's DRBD state was read".to_owned())
    );
}

/// The seed with IPMI fencing: a BMC on each node.
fn seed_with_ipmi() -> Design {
    let mut profile = seed_profile();
    profile.cluster.fencing = Fencing::Ipmi {};
    for (index, node) in profile.nodes.iter_mut().enumerate() {
        node.bmc = Some(crate::profile::Bmc {
            address: format!("10.99.9.{}", 101 + index),
            user: "fence".to_owned(),
            ..crate::profile::Bmc::blank()
        });
    }
    validate(&profile).expect("valid")
}

/// `status` with each fence device started on the node that does not fence itself.
fn with_fence_devices(mut now: Status, design: &Design) -> Status {
    for (index, node) in design.nodes.iter().enumerate() {
        let id = crate::render::fence_device_id(&node.hostname);
        let runs_on = &design.nodes[1 - index].hostname;
        now.cluster.instances.push(instance(id, "Started", runs_on));
    }
    now
}

#[test]
fn the_fence_drill_has_the_other_node_fence_it_through_the_cluster() {
    let design = seed_with_ipmi();
    let fence = Maintenance::Fence { node: 1 };
    assert_eq!(
        fence.command(&design).as_deref(),
        Some("stonith_admin --reboot node2 --timeout 120")
    );
    assert_eq!(fence.runs_on(), 0, "node1 asks its fencer to fence node2");
    assert_eq!(fence.observed_from(), [true, false]);
    assert!(
        fence.describe(&design).contains("its BMC power-cycles it"),
        "{}",
        fence.describe(&design)
    );
    assert_eq!(
        drill(&design, DrillKind::Fence),
        [
            Maintenance::Fence { node: 0 },
            Maintenance::Rejoin { node: 0 },
            Maintenance::Fence { node: 1 },
            Maintenance::Rejoin { node: 1 },
        ]
    );
    let healthy = with_fence_devices(status(["online", "online"], AT_HOME, HEALTHY), &design);
    assert_eq!(fence.readiness(&design, &healthy), Readiness::Ready);
    // It settles as a crash does: node2 out of the cluster, node1 running every VM.
    let before = healthy.placements(&design);
    let mut witness = CrashWitness::default();
    let mut fenced = status(["online", "offline"], ALL_ON_NODE1, "syncing");
    fenced.drbd.remove(1);
    assert_eq!(witness.observe(&design, 1, &before, &fenced), Ok(()));
}

/// A fence drill needs something that can fence: refused without fencing, with the device not
/// running, or with its last check failed; and, as a crash, while DRBD resyncs.
#[test]
fn the_fence_drill_is_refused_unless_a_healthy_device_can_fence_the_node() {
    let seed = seed();
    let Readiness::Refused(why) = Maintenance::Fence { node: 0 }
        .readiness(&seed, &status(["online", "online"], AT_HOME, HEALTHY))
    else {
        panic!("a fence drill allowed without fencing");
    };
    assert!(
        why.contains("cluster.fencing = none") && why.contains("Cluster page"),
        "{why}"
    );

    let design = seed_with_ipmi();
    let fence = Maintenance::Fence { node: 0 };
    let Readiness::Refused(why) =
        fence.readiness(&design, &status(["online", "online"], AT_HOME, HEALTHY))
    else {
        panic!("a fence drill allowed with no fence device running");
    };
    assert!(
        why.contains("fence_node1 (fences node1) NOT RUNNING"),
        "{why}"
    );

    let mut failing = with_fence_devices(status(["online", "online"], AT_HOME, HEALTHY), &design);
    failing.cluster.failures.push(FailedAction {
        resource: "fence_node1".to_owned(),
        task: "monitor".to_owned(),
        node: "node2".to_owned(),
        reason: "Timed Out".to_owned(),
    });
    let Readiness::Refused(why) = fence.readiness(&design, &failing) else {
        panic!("a fence drill allowed through a device whose check failed");
    };
    assert!(
        why.contains("its last check FAILED: monitor on node2: Timed Out")
            && why.contains("clear its failure first"),
        "{why}"
    );

    let syncing = with_fence_devices(status(["online", "online"], AT_HOME, "syncing"), &design);
    let Readiness::Refused(why) = fence.readiness(&design, &syncing) else {
        panic!("a fence drill allowed while DRBD resyncs");
    };
    assert!(why.contains("wait for the resync"), "{why}");
}
