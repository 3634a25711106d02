//! Split brain as data: detection from both nodes' DRBD states, the evidence a node gives, the
//! suggested victim, and the recovery plan (the seed's nine steps, the discard confirmed).

use super::*;
use crate::cluster_state::DrbdResource;
use crate::profile::Profile;
use crate::validate::validate;

fn seed() -> Design {
    let text = include_str!("../../../resources/profiles/seed.toml");
    validate(&Profile::from_toml(text, "seed").expect("parses")).expect("valid")
}

/// Both nodes' view: Win2012 with the given connection states, Win2012-2 healthy.
fn drbd(win2012: [&str; 2]) -> Vec<NodeDrbd> {
    ["node1", "node2"]
        .into_iter()
        .zip(win2012)
        .map(|(node, connection)| NodeDrbd {
            node: node.to_owned(),
            resources: [("Win2012", connection), ("Win2012-2", "Connected")]
                .into_iter()
                .filter(|(_, connection)| *connection != "down")
                .map(|(name, connection)| DrbdResource {
                    name: name.to_owned(),
                    role: "Primary".into(),
                    peer_role: "Unknown".into(),
                    connection: connection.to_owned(),
                    disk: "UpToDate".into(),
                    peer_disk: "DUnknown".into(),
                    sync_percent: None,
                })
                .collect(),
        })
        .collect()
}

#[test]
fn standalone_on_one_node_and_unconnected_on_the_other_is_a_split() {
    let design = seed();
    for states in [
        ["StandAlone", "StandAlone"],
        ["StandAlone", "WFConnection"],
        ["Connecting", "StandAlone"],
        ["StandAlone", "down"],
    ] {
        let splits = detect(&design, &drbd(states));
        assert_eq!(splits.len(), 1, "{states:?}");
        assert_eq!(splits[0].resource, "Win2012");
        assert_eq!(splits[0].vm, 0);
        assert_eq!(splits[0].connections, states.map(str::to_owned));
    }
    for states in [
        ["Connected", "Connected"],
        ["WFConnection", "down"],
        ["StandAlone", "Connected"],
    ] {
        assert!(
            detect(&design, &drbd(states)).is_empty(),
            "{states:?} is not a split brain"
        );
    }
}

#[test]
fn a_nodes_evidence_gives_role_generation_changes_and_its_kernel_log() {
    let output = "gi=A1B2C3D4E5F60708:0000000000000000:1111111111111110:2222222222222220:1:1:1:1:0:0\n\
        status=Win2012 role:Primary\n\
        status=  disk:UpToDate\n\
        status=  peer connection:StandAlone\n\
        oos=8192\n\
        log=2026-12-01T02:50:01+0000 node2 kernel: drbd Win2012: Split-Brain detected but unresolved, dropping connection!\n";
    let side = parse_evidence("node2", output);
    assert_eq!(side.node, "node2");
    assert_eq!(side.role, "Primary");
    assert_eq!(side.connection, "StandAlone");
    assert_eq!(side.disk, "UpToDate");
    assert_eq!(side.changed_kib, Some(8192), "from /proc/drbd's oos");
    assert!(side.generation.starts_with("A1B2C3D4E5F60708:"));
    assert_eq!(side.log.len(), 1);
    assert!(side.log[0].contains("Split-Brain detected"));

    let down = parse_evidence("node1", "gi=\n");
    assert_eq!(down.connection, "down");
    assert_eq!(down.changed_kib, None);

    let script = evidence_script("Win2012", 1);
    assert!(script.contains("drbdadm get-gi Win2012"), "{script}");
    assert!(script.contains("/^ *1: /"), "{script}");
}

#[test]
fn the_suggestion_discards_the_side_that_changed_less() {
    let side = |role: &str, changed| Side {
        role: role.to_owned(),
        changed_kib: changed,
        ..Side::default()
    };
    assert_eq!(
        suggested_victim(&[side("Primary", Some(100)), side("Primary", Some(9000))]),
        0
    );
    assert_eq!(
        suggested_victim(&[side("Primary", Some(9000)), side("Primary", Some(100))]),
        1
    );
    assert_eq!(
        suggested_victim(&[side("Secondary", None), side("Primary", None)]),
        0,
        "on a tie, the side that is not Primary"
    );
    assert_eq!(
        suggested_victim(&[side("Primary", None), side("Secondary", None)]),
        1
    );
}

#[test]
fn the_recovery_follows_the_seeds_nine_steps_and_confirms_the_discard() {
    let design = seed();
    let split = &detect(&design, &drbd(["StandAlone", "StandAlone"]))[0];
    let plan = recovery_plan(&design, split, 1, DrbdGeneration::V84);
    let kinds: Vec<PhaseKind> = plan.phases.iter().map(|phase| phase.kind).collect();
    assert_eq!(
        kinds,
        [
            PhaseKind::RecoveryStop,
            PhaseKind::RecoveryPrepare,
            PhaseKind::RecoveryDiscard,
            PhaseKind::RecoveryConnect,
            PhaseKind::RecoveryResync,
            PhaseKind::RecoveryDown,
            PhaseKind::RecoveryStart,
        ]
    );
    let applies: Vec<(String, String)> = plan
        .steps()
        .filter_map(|(_, step)| match &step.operation {
            Operation::Command { apply, .. } => Some((step.id.clone(), apply.clone())),
            _ => None,
        })
        .collect();
    let expected = [
        (
            "split-brain-stop:Win2012@node1",
            "crm resource stop ms_drbd_Win2012 vm_Win2012 ip_Win2012 && crm_resource --wait --timeout=300s",
        ),
        ("split-brain-up:Win2012@node1", "drbdadm up Win2012"),
        (
            "split-brain-disconnect:Win2012@node1",
            "n=0; until drbdadm disconnect Win2012 || drbdadm cstate Win2012 2>/dev/null | grep -qE '^StandAlone'; do [ $n -lt 30 ] || break; n=$((n+1)); sleep 1; done; drbdadm cstate Win2012 2>/dev/null | grep -qE '^StandAlone'",
        ),
        (
            "split-brain-secondary:Win2012@node1",
            "drbdadm secondary Win2012",
        ),
        ("split-brain-up:Win2012@node2", "drbdadm up Win2012"),
        (
            "split-brain-disconnect:Win2012@node2",
            "n=0; until drbdadm disconnect Win2012 || drbdadm cstate Win2012 2>/dev/null | grep -qE '^StandAlone'; do [ $n -lt 30 ] || break; n=$((n+1)); sleep 1; done; drbdadm cstate Win2012 2>/dev/null | grep -qE '^StandAlone'",
        ),
        (
            "split-brain-secondary:Win2012@node2",
            "drbdadm secondary Win2012",
        ),
        (
            "split-brain-discard:Win2012@node2",
            "drbdadm connect --discard-my-data Win2012",
        ),
        (
            "split-brain-connect:Win2012@node1",
            "drbdadm connect Win2012",
        ),
        ("split-brain-down:Win2012@node1", "drbdadm down Win2012"),
        ("split-brain-down:Win2012@node2", "drbdadm down Win2012"),
    ];
    for (id, apply) in expected {
        assert!(
            applies
                .iter()
                .any(|(found, command)| found == id && command == apply),
            "{id}: `{apply}` missing from {applies:#?}"
        );
    }
    let start = applies
        .iter()
        .find(|(id, _)| id == "split-brain-start:Win2012@node1")
        .expect("the start");
    assert!(
        start
            .1
            .starts_with("crm resource start ms_drbd_Win2012 vm_Win2012 ip_Win2012")
    );
    assert!(plan.steps().any(|(_, step)| matches!(
        &step.operation,
        Operation::WaitForSync { resource, minor: 1, .. } if resource == "Win2012"
    )));
    let destructive: Vec<&str> = plan
        .destructive_steps()
        .iter()
        .map(|step| step.id.as_str())
        .collect();
    assert_eq!(
        destructive,
        [
            "split-brain-stop:Win2012@node1",
            "split-brain-discard:Win2012@node2"
        ]
    );
    let discard = plan
        .steps()
        .find(|(_, step)| step.id == "split-brain-discard:Win2012@node2")
        .expect("the discard")
        .1;
    assert!(
        discard.destructive.as_deref().is_some_and(|what| what
            .contains("discards what node2 wrote")
            && what.contains("node1's")),
        "{discard:?}"
    );
    assert!(plan.target.contains("keep node1's data"));
}

#[test]
fn every_recovery_step_checks_first_so_a_resumed_recovery_skips_what_is_done() {
    let design = seed();
    let split = &detect(&design, &drbd(["StandAlone", "WFConnection"]))[0];
    let plan = recovery_plan(&design, split, 0, DrbdGeneration::V84);
    for (_, step) in plan.steps() {
        if let Operation::Command { check, .. } = &step.operation {
            assert!(check.is_some(), "{} has no check", step.id);
        }
    }
}
