//! The Network page: the LAN NIC that joins the bridge, the bridge, the nodes' LAN and
//! replication addresses.

use crate::facts::NodeFacts;

/// The interfaces that can join the bridge: physical and bonded links, not the loopback, not
/// bridges and not Xen's own virtual interfaces.
pub fn nic_choices(facts: &NodeFacts) -> Vec<String> {
    facts
        .nics
        .iter()
        .filter(|nic| !nic.is_bridge && nic.name != "lo")
        .filter(|nic| {
            !["vif", "tap", "veth", "docker", "virbr"]
                .iter()
                .any(|prefix| nic.name.starts_with(prefix))
        })
        .map(|nic| nic.name.clone())
        .collect()
}

/// The address the node has on a NIC now (or on the bridge the NIC already belongs to):
/// the natural LAN address to keep on the bridge.
pub fn current_address(facts: &NodeFacts, nic: &str) -> Option<String> {
    let master = facts
        .nics
        .iter()
        .find(|found| found.name == nic)
        .and_then(|found| found.master.clone());
    facts
        .addresses
        .iter()
        .find(|(interface, _)| interface == nic || Some(interface) == master.as_ref())
        .map(|(_, address)| address.clone())
}
