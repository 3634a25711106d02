//! The Manage page as drawn: the cluster as the nodes report it, a split brain and its
//! evidence, the maintenance buttons.

use crate::screens::cluster_view::{
    drbd_view, failures_view, fencing_view, nodes_view, quorum_device_view, vms_view,
};
use crate::screens::focus::{self, Activate};
use crate::screens::{Context, heading, section, warning};
use iced::widget::{Column, button, column, container, row, text};
use iced::{Center, Element, Fill};
use wizard_steps::Design;
use wizard_steps::manage::{self, DrillKind, Readiness, Status};
use wizard_steps::split_brain::{self, Split};

use super::*;
use crate::screens::style;

/// The page below the nodes' connection cards (the app shows those). `connected`: which nodes
/// are (with one, the page shows the cluster as that node sees it: a node that is down is when
/// an administrator looks).
pub fn view<'a>(
    state: &'a State,
    context: Context<'a>,
    connected: [bool; 2],
) -> Element<'a, Message> {
    let mut page = column![heading(
        "Manage cluster",
        "The running cluster, read from the nodes every few seconds. Maintenance moves VMs the \
         way Pacemaker does after a failure, but planned: nothing is lost, each VM restarts on \
         the other node (or migrates, with live migration)."
    )]
    .spacing(20);
    if connected == [false, false] {
        return page
            .push(warning(
                "Connect to both nodes (above) to read the cluster and to work on it.",
            ))
            .into();
    }
    let Some(design) = context.design else {
        return page
            .push(warning(
                "The profile has problems: fix them in the wizard (Edit profile) to work on the \
                 cluster.",
            ))
            .into();
    };
    let both = connected == [true, true];
    if !both {
        let answering = if connected[0] { 0 } else { 1 };
        page = page.push(warning(format!(
            "Only {} is connected: this is the cluster as it sees it. Maintenance and split-brain \
             recovery need both nodes: connect to {} (above).",
            design.nodes[answering].hostname,
            design.nodes[1 - answering].hostname
        )));
    }
    let refresh = button(text("Refresh"))
        .style(button::secondary)
        .on_activate_maybe((!state.reading).then_some(Message::RefreshPressed));
    let mut reading = row![refresh].spacing(12).align_y(Center);
    if state.reading {
        reading = reading.push(text("Reading the cluster…").size(13));
    }
    if let Some(error) = &state.read_error {
        reading = reading.push(text(error.as_str()).size(13).style(style::danger));
    }
    page = page.push(reading);
    match &state.status {
        None => {}
        Some(status) if status.cluster.nodes.is_empty() => {
            page = page.push(warning(
                "The cluster does not answer: are corosync and pacemaker running on the nodes?",
            ));
        }
        Some(status) => {
            // A split brain comes first: nothing else on the page matters as much.
            let splits = split_brain::detect(design, &status.drbd);
            if both && (!splits.is_empty() || state.examined.is_some()) {
                page = page.push(split_brain_view(state, design, &splits));
            }
            page = page
                .push(nodes_view(&status.cluster))
                .push(vms_view(context, &status.cluster))
                .push(fencing_view(context, &status.cluster))
                .push(quorum_device_view(&status.votes))
                .push(drbd_view(&status.drbd))
                .push(failures_view(&status.cluster));
            if both {
                page = page.push(maintenance_view(state, design, status));
            }
        }
    }
    if !state.log.is_empty() {
        let mut log = Column::new().spacing(4);
        for entry in &state.log {
            let line = text(entry.text.as_str()).size(14);
            log = log.push(if entry.ok {
                line
            } else {
                line.style(style::danger)
            });
        }
        page = page.push(section("Done since this page opened", log));
    }
    page.into()
}

fn split_brain_view<'a>(
    state: &'a State,
    design: &Design,
    splits: &[Split],
) -> Element<'a, Message> {
    let mut body = Column::new().spacing(10);
    for split in splits {
        body = body.push(
            row![
                text(split.describe(design))
                    .size(14)
                    .style(style::danger)
                    .width(Fill),
                button(text(format!("Examine {}", split.resource)))
                    .style(button::secondary)
                    .on_activate_maybe(
                        state
                            .busy
                            .is_none()
                            .then(|| Message::ExaminePressed(split.clone()))
                    ),
            ]
            .spacing(12)
            .align_y(Center),
        );
    }
    if let Some(examined) = &state.examined {
        body = body.push(examined_view(examined, design));
    }
    section("Split brain", body)
}

fn examined_view<'a>(examined: &'a Examined, design: &Design) -> Element<'a, Message> {
    let resource = &examined.split.resource;
    let (sides, _) = match &examined.evidence {
        None => {
            return text(format!("Reading what each node knows about {resource}…"))
                .size(13)
                .into();
        }
        Some(Err(error)) => return text(error.as_str()).size(13).style(style::danger).into(),
        Some(Ok(evidence)) => evidence,
    };
    let mut body = column![
        text(format!(
            "What each node knows about its data of {resource}:"
        ))
        .size(15)
    ]
    .spacing(8);
    for side in sides {
        let mut lines = column![
            text(side.summary()).size(14),
            text(format!("data generations: {}", side.generation)).size(12),
        ]
        .spacing(2);
        for line in &side.log {
            lines = lines.push(text(line.as_str()).size(11));
        }
        body = body.push(lines);
    }
    let suggested = split_brain::suggested_victim(sides);
    body = body.push(
        text(format!(
            "Suggested: discard the changes of {} (it changed less, or is not Primary).",
            design.nodes[suggested].hostname
        ))
        .size(13),
    );
    match examined.victim {
        None => {
            let mut choices = row![].spacing(12);
            for (index, node) in design.nodes.iter().enumerate() {
                choices = choices.push(
                    button(text(format!("Discard {}'s changes…", node.hostname)))
                        .style(if index == suggested {
                            button::primary
                        } else {
                            button::secondary
                        })
                        .on_activate(Message::DiscardChosen(index)),
                );
            }
            body = body.push(choices);
        }
        Some(victim) => {
            let vm = &examined.split.resource;
            body = body.push(
                container(
                    column![
                        text(format!(
                            "Recover {vm}: it stops in the cluster, {} takes {}'s data, and \
                             everything {} wrote to {vm} since the split brain is lost. Then \
                             {vm} starts again.",
                            design.nodes[victim].hostname,
                            design.nodes[1 - victim].hostname,
                            design.nodes[victim].hostname
                        ))
                        .size(14),
                        row![
                            button(text(format!(
                                "Recover, discarding {}'s changes",
                                design.nodes[victim].hostname
                            )))
                            .style(button::danger)
                            .on_activate(Message::RecoverConfirmed),
                            button(text("Cancel"))
                                .style(button::secondary)
                                .on_activate(Message::RecoverCancelled),
                        ]
                        .spacing(12),
                    ]
                    .spacing(8),
                )
                .padding(12)
                .style(container::rounded_box),
            );
        }
    }
    body.into()
}

fn maintenance_view<'a>(
    state: &'a State,
    design: &Design,
    status: &Status,
) -> Element<'a, Message> {
    if let Some(busy) = &state.busy {
        return section(
            "Maintenance",
            column![
                text(format!("Under way: {}", busy.action)).size(15),
                text(busy.line.clone()).size(13),
            ]
            .spacing(6),
        );
    }
    if state.confirming_drill {
        let (first, second) = (&design.nodes[0].hostname, &design.nodes[1].hostname);
        let kind = state.drill_kind;
        let (explained, start) = match kind {
            DrillKind::Standby => (
                format!(
                    "{first} goes into standby until {second} runs every VM, then comes back; \
                     then the same for {second}. Each VM restarts on the other node and back (a \
                     short outage each time), unless live migration is on. The result goes into \
                     the setup report."
                ),
                "Start the drill",
            ),
            DrillKind::Hard => (
                format!(
                    "{first} is reset at once, without shutting down, as if its plug were \
                     pulled: its VMs crash and restart on {second}. Tandem waits until it has \
                     booted and rejoined and its VMs are back per the failback policy; then the \
                     same for {second}. Whatever the VMs had not written to disk is lost. The \
                     result goes into the setup report."
                ),
                "Start the hard drill",
            ),
            DrillKind::Fence => (
                format!(
                    "{second} fences {first} through the cluster's fence device, as it would \
                     after a real failure: {first} is reset without shutting down and its VMs \
                     restart on {second}. Tandem waits until it has booted and rejoined and its \
                     VMs are back per the failback policy; then the same for {second}. This \
                     proves the fencing works. Whatever the VMs had not written to disk is \
                     lost. The result goes into the setup report."
                ),
                "Start the fence drill",
            ),
        };
        let mut kinds = vec![
            (
                "Standby: each node in standby and back (a planned move)",
                DrillKind::Standby,
            ),
            (
                "Hard: reset each node without shutting it down",
                DrillKind::Hard,
            ),
        ];
        // Fencing on purpose needs a fence device.
        if manage::drill_unavailable(design, DrillKind::Fence).is_none() {
            kinds.push((
                "Fence: the cluster fences each node, as after a real failure",
                DrillKind::Fence,
            ));
        }
        let options: Vec<DrillKind> = kinds.iter().map(|(_, kind)| *kind).collect();
        let group = kinds
            .into_iter()
            .fold(Column::new().spacing(6), |group, (label, value)| {
                group.push(focus::radio(
                    label,
                    value,
                    Some(kind),
                    Message::DrillKindPicked,
                ))
            });
        return section(
            "Maintenance",
            container(
                column![
                    text("Run the failover drill?").size(16),
                    focus::choice(group, options, Some(kind), Message::DrillKindPicked),
                    text(explained).size(13),
                    row![
                        button(text(start))
                            .style(button::danger)
                            .on_activate(Message::DrillConfirmed),
                        button(text("Cancel"))
                            .style(button::secondary)
                            .on_activate(Message::DrillCancelled),
                    ]
                    .spacing(12),
                ]
                .spacing(8),
            )
            .padding(12)
            .style(container::rounded_box),
        );
    }
    let mut body = Column::new().spacing(10);
    let choice = |label: String, action: manage::Maintenance, message: Message| {
        let readiness = action.readiness(design, status);
        let mut line = row![
            button(text(label))
                .style(button::secondary)
                .on_activate_maybe((readiness == Readiness::Ready).then_some(message))
        ]
        .spacing(8)
        .align_y(Center);
        match readiness {
            Readiness::Ready => {}
            Readiness::AlreadyDone(why) | Readiness::Refused(why) => {
                line = line.push(text(why).size(12).width(Fill));
            }
        }
        line
    };
    for (index, node) in design.nodes.iter().enumerate() {
        let standby = status
            .cluster
            .nodes
            .iter()
            .any(|state| state.name == node.hostname && state.standby);
        body = body.push(if standby {
            choice(
                format!("Bring {} back online", node.hostname),
                manage::Maintenance::Online { node: index },
                Message::OnlinePressed(index),
            )
        } else {
            choice(
                format!("Put {} in standby", node.hostname),
                manage::Maintenance::Standby { node: index },
                Message::StandbyPressed(index),
            )
        });
    }
    for (index, vm) in design.vms.iter().enumerate() {
        let running_on = status.cluster.vm_node(&vm.name);
        let other = design
            .nodes
            .iter()
            .position(|node| Some(&node.hostname) != running_on.as_ref())
            .unwrap_or(1 - vm.home);
        body = body.push(
            row![
                choice(
                    format!("Move {} to {}", vm.name, design.nodes[other].hostname),
                    manage::Maintenance::Move {
                        vm: index,
                        to: other
                    },
                    Message::MovePressed {
                        vm: index,
                        to: other
                    },
                ),
                button(text(format!("Let {} go", vm.name)))
                    .style(button::text)
                    .on_activate(Message::UnmovePressed(index)),
            ]
            .spacing(12)
            .align_y(Center),
        );
    }
    if !status.cluster.failures.is_empty() {
        body = body.push(
            button(text("Clear the failed actions"))
                .style(button::secondary)
                .on_activate(Message::CleanupPressed),
        );
    }
    body = body.push(
        button(text("Run the failover drill…"))
            .style(button::primary)
            .on_activate(Message::DrillPressed),
    );
    section("Maintenance", body)
}
