use super::*;

const CRM_MON: &str = r#"<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">
  <nodes>
<node name="node1" id="1" online="true" standby="false" standby_onfail="false" maintenance="false" pending="false" unclean="false" type="member"/>
<node name="node2" id="2" online="false" standby="false" standby_onfail="false" maintenance="false" pending="false" unclean="false" type="member"/>
  </nodes>
  <resources>
<resource id="vm_Win2012" resource_agent="ocf:heartbeat:Xen" role="Started" active="true" failed="false" nodes_running_on="1">
  <node name="node1" id="1" cached="true"/>
</resource>
<resource id="ip_Win2012" resource_agent="ocf:heartbeat:IPaddr2" role="Started" active="true" failed="false" nodes_running_on="1">
  <node name="node1" id="1" cached="true"/>
</resource>
<clone id="ms_drbd_Win2012" multi_state="true">
  <resource id="drbd_Win2012" resource_agent="ocf:linbit:drbd" role="Promoted" active="true" failed="false" nodes_running_on="1">
    <node name="node1" id="1" cached="true"/>
  </resource>
  <resource id="drbd_Win2012" resource_agent="ocf:linbit:drbd" role="Stopped" active="false" failed="false" nodes_running_on="0"/>
</clone>
  </resources>
  <failures>
<failure op_key="vm_Win2012-2_start_0" node="node1" exitstatus="error" exitreason="xl create failed" exitcode="1" call="12" status="complete" task="start"/>
  </failures>
</pacemaker-result>"#;

#[test]
fn crm_mon_xml_gives_nodes_instances_and_failures() {
    let state = parse_crm_mon(CRM_MON).expect("parses");
    assert_eq!(state.nodes.len(), 2);
    assert!(state.online("node1") && !state.online("node2"));
    assert_eq!(state.vm_node("Win2012").as_deref(), Some("node1"));
    assert_eq!(state.nodes_in_role("drbd_Win2012", "Promoted"), ["node1"]);
    assert_eq!(state.instances.len(), 3, "inactive instances are left out");
    assert_eq!(state.failures.len(), 1);
    assert_eq!(state.failures[0].resource, "vm_Win2012-2");
    assert_eq!(state.failures[0].task, "start");
    assert_eq!(state.failures[0].reason, "xl create failed");
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
