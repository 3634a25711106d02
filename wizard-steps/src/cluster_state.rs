//! The cluster's state as `crm_mon --output-as=xml` reports it: nodes, where each resource
//! runs and in which role, and failed actions. Pure: XML in, plain data out.

use serde::{Deserialize, Serialize};

use crate::drbd::ResourceState;
use crate::render::PacemakerIds;
use crate::validate::Design;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClusterState {
    pub nodes: Vec<NodeState>,
    /// One entry per active resource instance.
    pub instances: Vec<Instance>,
    pub failures: Vec<FailedAction>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    pub name: String,
    pub online: bool,
    pub standby: bool,
    pub maintenance: bool,
}

impl NodeState {
    /// In a word: "offline", "standby", "maintenance" or "online".
    pub fn condition(&self) -> &'static str {
        if !self.online {
            "offline"
        } else if self.standby {
            "standby"
        } else if self.maintenance {
            "maintenance"
        } else {
            "online"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub resource: String,
    /// Started, Promoted, Unpromoted, ...
    pub role: String,
    pub node: String,
    pub failed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedAction {
    pub resource: String,
    pub node: String,
    pub task: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("crm_mon's XML could not be read: {0}")]
pub struct ParseError(String);

/// Parses `crm_mon -1 --output-as=xml`.
pub fn parse_crm_mon(xml: &str) -> Result<ClusterState, ParseError> {
    let document =
        roxmltree::Document::parse(xml).map_err(|error| ParseError(error.to_string()))?;
    let mut state = ClusterState::default();
    let flag = |node: roxmltree::Node<'_, '_>, name: &str| node.attribute(name) == Some("true");
    for element in document.descendants() {
        match element.tag_name().name() {
            "node"
                if element
                    .parent()
                    .is_some_and(|parent| parent.has_tag_name("nodes")) =>
            {
                state.nodes.push(NodeState {
                    name: element.attribute("name").unwrap_or_default().to_owned(),
                    online: flag(element, "online"),
                    standby: flag(element, "standby"),
                    maintenance: flag(element, "maintenance"),
                });
            }
            "resource" if flag(element, "active") => {
                for node in element
                    .children()
                    .filter(|child| child.has_tag_name("node"))
                {
                    state.instances.push(Instance {
                        resource: element.attribute("id").unwrap_or_default().to_owned(),
                        role: element.attribute("role").unwrap_or_default().to_owned(),
                        node: node.attribute("name").unwrap_or_default().to_owned(),
                        failed: flag(element, "failed"),
                    });
                }
            }
            "failure" => state.failures.push(FailedAction {
                resource: element
                    .attribute("op_key")
                    // "<resource>_<task>_<interval>"; resource ids have underscores too.
                    .and_then(|key| key.rsplitn(3, '_').nth(2))
                    .unwrap_or_default()
                    .to_owned(),
                node: element.attribute("node").unwrap_or_default().to_owned(),
                task: element.attribute("task").unwrap_or_default().to_owned(),
                reason: element
                    .attribute("exitreason")
                    .filter(|reason| !reason.is_empty())
                    .or(element.attribute("status"))
                    .unwrap_or_default()
                    .to_owned(),
            }),
            _ => {}
        }
    }
    Ok(state)
}

impl ClusterState {
    /// Nodes on which `resource` is active in `role`.
    pub fn nodes_in_role(&self, resource: &str, role: &str) -> Vec<String> {
        self.instances
            .iter()
            .filter(|instance| instance.resource == resource && instance.role == role)
            .map(|instance| instance.node.clone())
            .collect()
    }

    /// Where a VM runs (its Xen resource), if anywhere.
    pub fn vm_node(&self, vm: &str) -> Option<String> {
        self.nodes_in_role(&PacemakerIds::for_vm(vm).xen, "Started")
            .into_iter()
            .next()
    }

    pub fn online(&self, node: &str) -> bool {
        self.nodes
            .iter()
            .any(|state| state.name == node && state.online)
    }
}

/// How one VM is placed compared with the design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub vm: String,
    pub home: String,
    /// The node running the domain, if any.
    pub running_on: Option<String>,
    /// The node where its DRBD resource is Promoted, if any.
    pub promoted_on: Vec<String>,
    /// Where its console IP is up (when it has one).
    pub console_ip_on: Option<String>,
}

impl Placement {
    /// Domain, Promoted DRBD and console IP all on the home node.
    pub fn at_home(&self, has_console_ip: bool) -> bool {
        self.running_on.as_deref() == Some(self.home.as_str())
            && self.promoted_on.contains(&self.home)
            && (!has_console_ip || self.console_ip_on.as_deref() == Some(self.home.as_str()))
    }
}

/// Each VM's placement in the cluster state.
pub fn placements(design: &Design, state: &ClusterState) -> Vec<Placement> {
    design
        .vms
        .iter()
        .map(|vm| {
            let ids = PacemakerIds::for_vm(&vm.name);
            Placement {
                vm: vm.name.clone(),
                home: design.nodes[vm.home].hostname.clone(),
                running_on: state.nodes_in_role(&ids.xen, "Started").into_iter().next(),
                promoted_on: state.nodes_in_role(&ids.drbd, "Promoted"),
                console_ip_on: state.nodes_in_role(&ids.ip, "Started").into_iter().next(),
            }
        })
        .collect()
}

/// DRBD resources as one node sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDrbd {
    pub node: String,
    pub resources: Vec<DrbdResource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrbdResource {
    pub name: String,
    pub role: String,
    pub peer_role: String,
    pub connection: String,
    pub disk: String,
    pub peer_disk: String,
    pub sync_percent: Option<f64>,
}

impl From<&ResourceState> for DrbdResource {
    fn from(state: &ResourceState) -> DrbdResource {
        DrbdResource {
            name: state.name.clone().unwrap_or_default(),
            role: state.role.clone(),
            peer_role: state.peer_role.clone(),
            connection: state.connection.clone(),
            disk: state.disk.clone(),
            peer_disk: state.peer_disk.clone(),
            sync_percent: state.sync.as_ref().map(|sync| sync.percent),
        }
    }
}

#[cfg(test)]
mod tests;
