//! The VMs page: the guests, their home nodes and sizes, and the capacity meter that holds the
//! seed's rule: each node must be able to run ALL VMs at once, because after a failover it does.

use crate::facts::NodeFacts;
use crate::profile::Profile;

/// One node's line of the capacity meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capacity {
    pub node: String,
    pub dom0_mib: u64,
    pub vms_mib: u64,
    /// The node's memory, when Tandem has connected to it.
    pub available_mib: Option<u64>,
    pub vcpus: u32,
    pub cpus: Option<u32>,
}

impl Capacity {
    pub fn needed_mib(&self) -> u64 {
        self.dom0_mib + self.vms_mib
    }

    /// Some(false) when the node is known to be too small; None when it is not known yet.
    pub fn fits(&self) -> Option<bool> {
        self.available_mib
            .map(|available| available >= self.needed_mib())
    }

    /// How full the node would be, 0.0 to 1.0 and beyond.
    pub fn load(&self) -> Option<f32> {
        self.available_mib
            .filter(|available| *available > 0)
            .map(|available| self.needed_mib() as f32 / available as f32)
    }
}

/// The capacity meter: every node with what all VMs at once need of it.
pub fn capacity(profile: &Profile, facts: &[Option<&NodeFacts>; 2]) -> Vec<Capacity> {
    let vms_mib: u64 = profile.vms.iter().map(|vm| u64::from(vm.memory_mib)).sum();
    let vcpus = profile.vms.iter().map(|vm| vm.vcpus).max().unwrap_or(0);
    profile
        .nodes
        .iter()
        .enumerate()
        .map(|(index, node)| Capacity {
            node: node.hostname.clone(),
            dom0_mib: u64::from(node.dom0_memory_mib),
            vms_mib,
            available_mib: facts
                .get(index)
                .copied()
                .flatten()
                .map(|found| found.memory_mib),
            vcpus,
            cpus: facts.get(index).copied().flatten().map(|found| found.cpus),
        })
        .collect()
}

/// Whether the design is known to overcommit a node: the page blocks Next then.
pub fn overcommitted(capacity: &[Capacity]) -> bool {
    capacity.iter().any(|node| node.fits() == Some(false))
}
