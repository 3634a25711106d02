//! One node's connection as the page draws it: Connect (or why not yet), Cancel while it
//! connects, the host key to confirm, the secret asked for, what a connected node has, and why
//! a connection failed with where to look. The Manage page shows the same, compact.

use crate::screens::focus::Activate;
use iced::widget::{button, column, container, progress_bar, row, text, text_input};
use iced::{Center, Element, Fill};
use wizard_steps::field::{ClusterField, Field, NodeField};
use wizard_steps::pages;
use wizard_steps::remote::ConnectOptions;

use super::{Link, Message, NodeLink, QUORUM_DEVICE, State, access};
use crate::screens::style;
use crate::screens::{Context, section};
use iced::time::Instant;

/// Only the connection to node `index` (Connect, host key, secrets), compact: the Manage page
/// reaches the nodes through the same flow as the wizard, and the Review page the quorum
/// device's machine ([`QUORUM_DEVICE`]).
pub fn connection_view<'a>(
    state: &'a State,
    context: Context<'a>,
    index: usize,
) -> Element<'a, Message> {
    let Some(ssh) = access(context.profile, index) else {
        return column![].into();
    };
    let machine = if index == QUORUM_DEVICE {
        "The quorum device's machine".to_owned()
    } else {
        format!("Node {} — {}", index + 1, context.node_name(index))
    };
    section(
        format!("{machine} ({}@{}:{})", ssh.user, ssh.host, ssh.port),
        link_view(
            &state.links[index],
            index,
            false,
            connect_blocker(context, index),
            state.now,
        ),
    )
}

/// How long the connection has waited so far, of the time Tandem gives it (the SSH client's
/// connect timeout): a bar that moves while the window waits, and the seconds.
fn connecting_view(link: &NodeLink, now: Option<Instant>) -> Element<'_, Message> {
    let limit = ConnectOptions::default().connect_timeout;
    let waited = match (link.connecting_since, now) {
        (Some(since), Some(now)) if now > since => Some(now - since),
        _ => None,
    };
    let seconds = waited.map_or(String::new(), |waited| format!(" {} s", waited.as_secs()));
    row![
        progress_bar(
            0.0..=limit.as_secs_f32(),
            waited.unwrap_or_default().as_secs_f32()
        )
        .length(90)
        .girth(6),
        text(format!(
            "Connecting…{seconds} (Tandem waits up to {} s for an answer)",
            limit.as_secs()
        ))
        .size(14),
    ]
    .spacing(10)
    .align_y(Center)
    .into()
}

/// Why Connect cannot be pressed yet for node `index` (or the quorum device's machine), if it
/// cannot.
pub fn connect_blocker(context: Context<'_>, index: usize) -> Option<&'static str> {
    let ssh = access(context.profile, index)?;
    // The fields that say how it is reached, and what to do where they are.
    let (fields, no_address, fix) = if index == QUORUM_DEVICE {
        (
            [
                ClusterField::QuorumSshHost,
                ClusterField::QuorumSshPort,
                ClusterField::QuorumSshUser,
                ClusterField::QuorumSshKeyPath,
            ]
            .map(Field::Cluster),
            "Type the machine's SSH address on the Cluster page first",
            "Fix its SSH settings on the Cluster page first",
        )
    } else {
        (
            [
                NodeField::SshHost,
                NodeField::SshPort,
                NodeField::SshUser,
                NodeField::SshKeyPath,
            ]
            .map(|field| Field::Node(index, field)),
            "Type the node's SSH address first",
            "Fix the SSH settings above first",
        )
    };
    if ssh.host.trim().is_empty() {
        return Some(no_address);
    }
    fields
        .into_iter()
        .any(|field| !context.problems_at(field).is_empty())
        .then_some(fix)
}

/// The connection's state and what to do next; with `facts`, what the connected node has.
pub(super) fn link_view<'a>(
    link: &'a NodeLink,
    index: usize,
    facts: bool,
    blocked: Option<&'static str>,
    now: Option<Instant>,
) -> Element<'a, Message> {
    let connect = button(text("Connect"))
        .style(button::primary)
        .on_activate_maybe(blocked.is_none().then_some(Message::ConnectPressed(index)));
    let not_connected = blocked.unwrap_or("Not connected");
    match &link.link {
        Link::NotConnected => row![connect, text(not_connected).size(14)]
            .spacing(12)
            .align_y(Center)
            .into(),
        Link::Connecting => row![
            connecting_view(link, now),
            button(text("Cancel"))
                .style(button::secondary)
                .on_activate(Message::CancelPressed(index)),
        ]
        .spacing(12)
        .align_y(Center)
        .into(),
        Link::ConfirmHostKey { fingerprint } => container(
            column![
                text(if index == QUORUM_DEVICE {
                    "This machine's host key is not known yet:"
                } else {
                    "This node's host key is not known yet:"
                })
                .size(14),
                text(fingerprint.as_str()).size(16),
                text(
                    "Compare it with the machine's own (on its console: ssh-keygen -lf \
                     /etc/ssh/ssh_host_ed25519_key.pub). Once trusted it is pinned, and a \
                     different key later is refused."
                )
                .size(13),
                row![
                    button(text("Trust this key and connect"))
                        .style(button::primary)
                        .on_activate(Message::TrustPressed(index)),
                    button(text("Do not trust"))
                        .style(button::secondary)
                        .on_activate(Message::RejectPressed(index)),
                ]
                .spacing(12),
            ]
            .spacing(8),
        )
        .padding(12)
        .style(container::rounded_box)
        .into(),
        Link::NeedsSecret(kind) => row![
            text_input(kind.label(), &link.secret)
                .id(format!("node{index}-secret"))
                .secure(true)
                .on_input(move |secret| Message::SecretChanged(index, secret))
                .on_submit(Message::SecretSubmitted(index)),
            button(text("Connect"))
                .style(button::primary)
                .on_activate(Message::SecretSubmitted(index)),
        ]
        .spacing(8)
        .into(),
        Link::Connected => {
            let mut found = column![
                row![
                    text("Connected").size(14).style(style::success),
                    button(text("Disconnect"))
                        .style(button::secondary)
                        .on_activate(Message::DisconnectPressed(index)),
                ]
                .spacing(12)
                .align_y(Center)
            ]
            .spacing(4);
            if let Some(node_facts) = link.facts.as_ref().filter(|_| facts) {
                for (label, value) in pages::nodes::describe(node_facts) {
                    found = found.push(
                        row![
                            text(label).size(14).width(140),
                            text(value).size(14).width(Fill)
                        ]
                        .spacing(8),
                    );
                }
            }
            found.into()
        }
        Link::Failed(error) => {
            let mut failed = column![text(error.as_str()).size(14).style(style::danger)].spacing(8);
            if let Some(hint) = link.hint {
                failed = failed.push(text(hint).size(14));
            }
            failed.push(connect).into()
        }
    }
}
