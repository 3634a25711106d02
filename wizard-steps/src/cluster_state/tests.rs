use super::*;

/// Real `crm_mon` output (tests/tools/pacemaker.rs makes it again): Win2012-2's start failed on
/// its home node2, so both VMs run on node1; node2 is in standby.
const CRM_MON: &str =
    include_str!("../../../tests/fixtures/crm_mon/seed-node2-start-failed-then-standby.xml");

#[test]
fn crm_mon_xml_gives_nodes_instances_and_failures() {
    let state = parse_crm_mon(CRM_MON).expect("parses");
    assert_eq!(state.nodes.len(), 2);
    assert!(state.online("node1") && state.online("node2"));
    let conditions: Vec<&str> = state.nodes.iter().map(NodeState::condition).collect();
    assert_eq!(conditions, ["online", "standby"]);
    assert_eq!(state.vm_node("Win2012").as_deref(), Some("node1"));
    assert_eq!(state.vm_node("Win2012-2").as_deref(), Some("node1"));
    assert_eq!(state.nodes_in_role("drbd_Win2012", "Promoted"), ["node1"]);
    assert_eq!(state.instances.len(), 5, "inactive instances are left out");
    assert_eq!(state.failures.len(), 1);
    assert_eq!(state.failures[0].resource, "vm_Win2012-2");
    assert_eq!(state.failures[0].node, "node2");
    assert_eq!(state.failures[0].task, "start");
    assert_eq!(state.failures[0].reason, "User-injected result");
}

#[test]
fn broken_xml_is_an_error() {
    assert!(parse_crm_mon("<pacemaker-result>").is_err());
}

#[test]
fn a_node_s_condition_puts_offline_before_standby_before_maintenance() {
    let node = |online, standby, maintenance| NodeState {
        name: "node1".into(),
        online,
        standby,
        maintenance,
    };
    assert_eq!(node(false, true, true).condition(), "offline");
    assert_eq!(node(true, true, true).condition(), "standby");
    assert_eq!(node(true, false, true).condition(), "maintenance");
    assert_eq!(node(true, false, false).condition(), "online");
}
