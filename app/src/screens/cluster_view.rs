//! The cluster's state as Tandem read it: nodes, where each VM runs, every DRBD resource on each
//! node, failed actions. Shown by the Done page (at the end of a run) and the Manage page (live).

use iced::widget::{Column, row, text};
use iced::{Element, Fill};
use wizard_steps::cluster_state::NodeDrbd;
use wizard_steps::cluster_state::{ClusterState, placements};
use wizard_steps::protection::{DeviceVote, fence_devices};

use super::{Context, section};
use crate::screens::style;

pub fn nodes_view<'a, M: 'a>(cluster: &'a ClusterState) -> Element<'a, M> {
    let mut list = Column::new().spacing(4);
    for node in &cluster.nodes {
        let state = node.condition();
        let line = text(format!("{}: {state}", node.name));
        list = list.push(if state == "online" {
            line.style(style::success)
        } else {
            line.style(style::warning)
        });
    }
    section("Nodes", list)
}

pub fn vms_view<'a, M: 'a>(context: Context<'a>, cluster: &'a ClusterState) -> Element<'a, M> {
    let mut list = Column::new().spacing(4);
    match context.design {
        Some(design) => {
            for placement in placements(design, cluster) {
                let has_ip = design
                    .vms
                    .iter()
                    .any(|vm| vm.name == placement.vm && vm.console_ip.is_some());
                let at_home = placement.at_home(has_ip);
                let running = match &placement.running_on {
                    Some(node) => format!("runs on {node}"),
                    None => "is not running".to_owned(),
                };
                let line = format!(
                    "{}: {running} (home: {}){}",
                    placement.vm,
                    placement.home,
                    if at_home { "" } else { " — not at home" }
                );
                list = list.push(if at_home {
                    text(line).style(style::success)
                } else {
                    text(line).style(style::warning)
                });
            }
        }
        // Without a valid profile (it was edited since), the resources as Pacemaker reports them.
        None => {
            for instance in &cluster.instances {
                let line = text(format!(
                    "{}: {} on {}",
                    instance.resource, instance.role, instance.node
                ));
                list = list.push(if instance.failed {
                    line.style(style::danger)
                } else {
                    line
                });
            }
        }
    }
    section("VMs", list)
}

/// The fence devices, where each runs and whether its checks pass; nothing without fencing
/// (or without a valid profile to know them from).
pub fn fencing_view<'a, M: 'a>(
    context: Context<'a>,
    cluster: &'a ClusterState,
) -> Option<Element<'a, M>> {
    let devices = fence_devices(context.design?, cluster);
    if devices.is_empty() {
        return None;
    }
    let mut list = Column::new().spacing(4);
    for device in devices {
        let line = text(device.describe());
        list = list.push(if device.healthy() {
            line.style(style::success)
        } else {
            line.style(style::danger)
        });
    }
    Some(section("Fencing", list))
}

/// The quorum device's vote as each node counts it; nothing without a quorum device.
pub fn quorum_device_view<'a, M: 'a>(
    votes: &'a [Result<DeviceVote, String>],
) -> Option<Element<'a, M>> {
    if votes.is_empty() {
        return None;
    }
    let mut list = Column::new().spacing(4);
    for vote in votes {
        list = list.push(match vote {
            Ok(vote) if vote.healthy() => text(vote.describe()).style(style::success),
            Ok(vote) => text(vote.describe()).style(style::danger),
            Err(node) => {
                text(format!("{node}: corosync gives no quorum information")).style(style::danger)
            }
        });
    }
    Some(section("Quorum device", list))
}

pub fn drbd_view<'a, M: 'a>(drbd: &'a [NodeDrbd]) -> Element<'a, M> {
    let mut list = Column::new().spacing(4);
    let cell = |value: String, width: u32| text(value).size(13).width(width);
    list = list.push(row![
        cell("Resource".into(), 110),
        cell("Node".into(), 110),
        cell("Role".into(), 110),
        cell("Connection".into(), 130),
        cell("Disk".into(), 170),
        text("Peer").size(13).width(Fill),
    ]);
    for node in drbd {
        for resource in &node.resources {
            let mut disk = resource.disk.clone();
            if let Some(percent) = resource.sync_percent {
                disk.push_str(&format!(" ({percent:.1}% synced)"));
            }
            let healthy = resource.connection == "Connected"
                && resource.disk == "UpToDate"
                && resource.peer_disk == "UpToDate";
            let connection = text(resource.connection.clone()).size(13).width(130);
            list = list.push(row![
                cell(resource.name.clone(), 110),
                cell(node.node.clone(), 110),
                cell(resource.role.clone(), 110),
                if healthy {
                    connection.style(style::success)
                } else {
                    connection.style(style::warning)
                },
                cell(disk, 170),
                text(format!("{}, {}", resource.peer_role, resource.peer_disk))
                    .size(13)
                    .width(Fill),
            ]);
        }
    }
    section("DRBD", list)
}

pub fn failures_view<'a, M: 'a>(cluster: &'a ClusterState) -> Element<'a, M> {
    let body: Element<'a, M> = if cluster.failures.is_empty() {
        text("No failed actions.").into()
    } else {
        let mut list = Column::new().spacing(4);
        for failure in &cluster.failures {
            list = list.push(
                text(format!(
                    "{} {} on {}: {}",
                    failure.resource, failure.task, failure.node, failure.reason
                ))
                .style(style::danger),
            );
        }
        list.into()
    };
    section("Failed actions", body)
}
