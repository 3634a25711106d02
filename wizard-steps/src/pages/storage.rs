//! The Storage page: the volume group and the logical volumes the VMs' disks live on, with
//! what each node was found to have on them.

use crate::facts::{LogicalVolume, NamedVolumeGroup, NodeFacts};
use crate::profile::{Profile, Volume};
use crate::validate::parse_size_mib;

/// What one node has for one of the profile's volumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// The node has not been connected to.
    Unknown,
    /// No such volume; `created` says whether Tandem will create it.
    Missing { created: bool },
    /// The volume exists, with what the node found on it.
    Present(LogicalVolume),
}

impl Presence {
    pub fn describe(&self) -> String {
        match self {
            Presence::Unknown => "not connected".to_owned(),
            Presence::Missing { created: true } => "missing: Tandem creates it".to_owned(),
            Presence::Missing { created: false } => "missing".to_owned(),
            Presence::Present(volume) => format!(
                "{}, {}",
                super::nodes::mib_text(volume.size_mib),
                if volume.content.holds_data() {
                    format!("HAS DATA ({})", volume.content.describe())
                } else {
                    volume.content.describe()
                }
            ),
        }
    }
}

/// A profile volume as both nodes have it, and whatever stands in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeStatus {
    pub name: String,
    pub size_mib: Option<u64>,
    pub nodes: [Presence; 2],
    /// Sizes differ between the nodes or from the profile, or the volume is missing and not
    /// created.
    pub problem: Option<String>,
    /// A node holds data on it: the VMs page must say whose data to keep.
    pub has_data: bool,
}

/// The profile's volume group as a node has it.
pub fn group<'a>(profile: &Profile, facts: &'a NodeFacts) -> Option<&'a NamedVolumeGroup> {
    facts
        .volume_groups
        .iter()
        .find(|group| group.name == profile.storage.volume_group)
}

/// Volume groups found on every connected node, to pick from.
pub fn group_choices(facts: &[Option<&NodeFacts>; 2]) -> Vec<String> {
    let connected: Vec<&NodeFacts> = facts.iter().flatten().copied().collect();
    let Some(first) = connected.first() else {
        return Vec::new();
    };
    first
        .volume_groups
        .iter()
        .map(|group| group.name.clone())
        .filter(|name| {
            connected
                .iter()
                .all(|node| node.volume_groups.iter().any(|group| &group.name == name))
        })
        .collect()
}

/// Logical volumes of the profile's group found on a connected node and not yet in the
/// profile, to add from.
pub fn volume_choices(profile: &Profile, facts: &[Option<&NodeFacts>; 2]) -> Vec<(String, u64)> {
    let mut choices: Vec<(String, u64)> = Vec::new();
    for node in facts.iter().flatten() {
        for (name, volume) in group(profile, node)
            .map(|group| &group.volumes)
            .into_iter()
            .flatten()
        {
            let listed = profile
                .storage
                .volumes
                .iter()
                .any(|listed| &listed.name == name);
            if !listed && !choices.iter().any(|(known, _)| known == name) {
                choices.push((name.clone(), volume.size_mib));
            }
        }
    }
    choices
}

/// Size text for a found volume, as the profile writes sizes.
pub fn size_text(mib: u64) -> String {
    if mib.is_multiple_of(1024 * 1024) {
        format!("{}T", mib / (1024 * 1024))
    } else if mib.is_multiple_of(1024) {
        format!("{}G", mib / 1024)
    } else {
        format!("{mib}M")
    }
}

/// The size a new volume starts with.
pub const NEW_VOLUME_SIZE: &str = "20G";

/// A new volume for the profile, which Tandem creates on both nodes: named `wanted`, or
/// `wanted-2`, `wanted-3`… when a volume of the profile has that name already.
pub fn new_volume(profile: &Profile, wanted: &str) -> Volume {
    let taken = |name: &str| {
        profile
            .storage
            .volumes
            .iter()
            .any(|volume| volume.name == name)
    };
    let name = std::iter::once(wanted.to_owned())
        .chain((2..).map(|number| format!("{wanted}-{number}")))
        .find(|name| !taken(name))
        .unwrap_or_default();
    Volume {
        name,
        size: NEW_VOLUME_SIZE.to_owned(),
        create: true,
    }
}

/// Every profile volume with its state on both nodes.
pub fn volume_status(profile: &Profile, facts: &[Option<&NodeFacts>; 2]) -> Vec<VolumeStatus> {
    profile
        .storage
        .volumes
        .iter()
        .map(|volume| {
            let size_mib = parse_size_mib(&volume.size);
            let nodes = (*facts).map(|node| match node {
                None => Presence::Unknown,
                Some(node) => {
                    match group(profile, node).and_then(|group| group.volumes.get(&volume.name)) {
                        Some(found) => Presence::Present(found.clone()),
                        None => Presence::Missing {
                            created: volume.create,
                        },
                    }
                }
            });
            let hostname = |index: usize| {
                profile.nodes.get(index).map_or_else(
                    || format!("node {}", index + 1),
                    |node| node.hostname.clone(),
                )
            };
            let mut problem = None;
            for (index, presence) in nodes.iter().enumerate() {
                match presence {
                    Presence::Missing { created: false } => {
                        problem = Some(format!(
                            "{} has no volume {}: create it there or tick \"create\"",
                            hostname(index),
                            volume.name
                        ));
                    }
                    Presence::Present(found)
                        if size_mib.is_some_and(|size| size != found.size_mib) =>
                    {
                        problem = Some(format!(
                            "{} has {} of {}, the profile says {}",
                            hostname(index),
                            super::nodes::mib_text(found.size_mib),
                            volume.name,
                            volume.size
                        ));
                    }
                    _ => {}
                }
            }
            if let [Presence::Present(first), Presence::Present(second)] = &nodes
                && first.size_mib != second.size_mib
            {
                problem = Some(format!(
                    "{} differs: {} on {}, {} on {}; both nodes need the same size",
                    volume.name,
                    super::nodes::mib_text(first.size_mib),
                    hostname(0),
                    super::nodes::mib_text(second.size_mib),
                    hostname(1)
                ));
            }
            let has_data = nodes.iter().any(|presence| {
                matches!(presence, Presence::Present(found) if found.content.holds_data())
            });
            VolumeStatus {
                name: volume.name.clone(),
                size_mib,
                nodes,
                problem,
                has_data,
            }
        })
        .collect()
}
