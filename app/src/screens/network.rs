//! Network: the bridge the VMs join, and per node the LAN NIC that joins it, the LAN address
//! that moves from the NIC to the bridge, the gateway and the replication address.

use crate::screens::focus::{self, Activate};
use iced::widget::{button, column, container, row, text, text_input};
use iced::{Bottom, Element, Fill};
use wizard_steps::Profile;
use wizard_steps::facts::NodeFacts;
use wizard_steps::field::{Field, NetworkField, NodeField};
use wizard_steps::pages::Page;
use wizard_steps::pages::network;

use super::Screen;
use super::{Context, field, heading, problem_text, section, warning};
use crate::screens::style;

/// The page keeps nothing of its own: every field is text or a choice in the profile.
#[derive(Debug, Default)]
pub struct State {}

#[derive(Debug, Clone)]
pub enum Message {
    /// A NIC picked from those found on node `usize`.
    NicPicked(usize, String),
    /// A NIC name typed while the node is not connected.
    NicTyped(usize, String),
    AddressChanged(usize, String),
    GatewayChanged(usize, String),
    ReplicationChanged(usize, String),
    /// Use the node's LAN address (without its prefix) as its replication address.
    ReplicationFromLan(usize),
    BridgeChanged(String),
    StpToggled(bool),
    ForwardDelayPicked(u8),
}

/// The page as the app and its tests drive it.
#[derive(Debug)]
pub struct NetworkPage;

impl Screen for NetworkPage {
    type State = State;
    type Message = Message;
    type Action = ();
    const PAGE: Page = Page::Network;

    fn update(
        _state: &mut State,
        message: Message,
        profile: &mut Profile,
        facts: [Option<&NodeFacts>; 2],
    ) {
        match message {
            Message::NicPicked(index, nic) => {
                let found = facts
                    .get(index)
                    .copied()
                    .flatten()
                    .and_then(|facts| network::current_address(facts, &nic));
                if let Some(node) = profile.nodes.get_mut(index) {
                    if node.lan.address.trim().is_empty()
                        && let Some(address) = found
                    {
                        node.lan.address = address;
                    }
                    node.lan.nic = nic;
                }
            }
            Message::NicTyped(index, nic) => {
                if let Some(node) = profile.nodes.get_mut(index) {
                    node.lan.nic = nic;
                }
            }
            Message::AddressChanged(index, address) => {
                if let Some(node) = profile.nodes.get_mut(index) {
                    node.lan.address = address;
                }
            }
            Message::GatewayChanged(index, gateway) => {
                if let Some(node) = profile.nodes.get_mut(index) {
                    node.lan.gateway = (!gateway.trim().is_empty()).then_some(gateway);
                }
            }
            Message::ReplicationChanged(index, address) => {
                if let Some(node) = profile.nodes.get_mut(index) {
                    node.replication_address = address;
                }
            }
            Message::ReplicationFromLan(index) => {
                if let Some(node) = profile.nodes.get_mut(index) {
                    node.replication_address = lan_host(&node.lan.address).to_owned();
                }
            }
            Message::BridgeChanged(bridge) => profile.network.bridge = bridge,
            Message::StpToggled(stp) => {
                profile.network.stp = stp;
                if stp && profile.network.forward_delay < 2 {
                    profile.network.forward_delay = STP_FORWARD_DELAY;
                }
            }
            Message::ForwardDelayPicked(delay) => profile.network.forward_delay = delay,
        }
    }

    fn view<'a>(_state: &'a State, context: Context<'a>) -> Element<'a, Message> {
        let profile = context.profile;
        let bridge = profile.network.bridge.trim();
        let bridge = if bridge.is_empty() {
            "the bridge"
        } else {
            bridge
        };
        let mut page = column![
            heading(
                "Network",
                "How each node is on the LAN, and the bridge the VMs join."
            ),
            text(format!(
                "Each node's LAN NIC joins the bridge {bridge}, and the node's LAN address moves from \
                 the NIC to {bridge}: the node keeps its address, and the VMs' network cards join \
                 {bridge} too, so the VMs sit on the LAN like any other machine. Pick the NIC that \
                 carries the LAN today."
            ))
            .size(14),
        ]
        .spacing(20);
        let placed = placed_fields(profile);
        let elsewhere = context.problems_elsewhere(Page::Network, &placed);
        if !elsewhere.is_empty() {
            page = page.push(column(elsewhere.into_iter().map(problem_text)).spacing(4));
        }
        page = page.push(bridge_section(context));
        for index in 0..profile.nodes.len() {
            page = page.push(node_section(context, index));
        }
        page.into()
    }
}

/// The 802.1D default forward delay, taken when STP is switched on with a delay the kernel
/// refuses for STP (below 2 s).
const STP_FORWARD_DELAY: u8 = 15;

/// The address part of "192.168.1.1/24".
fn lan_host(address: &str) -> &str {
    let address = address.trim();
    address.split_once('/').map_or(address, |(host, _)| host)
}

/// The profile fields this page shows problems under; any other problem of the page is listed
/// at the top, so that nothing blocks Next unseen.
fn placed_fields(profile: &Profile) -> Vec<Field> {
    let mut fields: Vec<Field> = NetworkField::ALL
        .iter()
        .copied()
        .map(Field::Network)
        .collect();
    for index in 0..profile.nodes.len() {
        for key in [
            NodeField::LanNic,
            NodeField::LanAddress,
            NodeField::LanGateway,
            NodeField::ReplicationAddress,
        ] {
            fields.push(Field::Node(index, key));
        }
    }
    fields
}

fn bridge_section<'a>(context: Context<'a>) -> Element<'a, Message> {
    let network = &context.profile.network;
    let name = field(
        "Bridge name",
        text_input("br0", &network.bridge)
            .id("bridge")
            .on_input(Message::BridgeChanged)
            .width(240),
        context.problems_at(Field::Network(NetworkField::Bridge)),
    );
    let stp = field(
        "Spanning tree",
        container(focus::toggler(
            "STP on the bridge (only when the LAN has loops that need it)",
            network.stp,
            Message::StpToggled,
        ))
        .id("stp"),
        context.problems_at(Field::Network(NetworkField::Stp)),
    );
    let delays: Vec<u8> = (0..=30).collect();
    let mut delay = column![field(
        "Forward delay (seconds)",
        focus::pick_list(
            delays,
            Some(network.forward_delay),
            Message::ForwardDelayPicked,
            |list| list.width(120),
        ),
        context.problems_at(Field::Network(NetworkField::ForwardDelay)),
    )]
    .spacing(4);
    if network.stp && network.forward_delay < 2 {
        delay = delay.push(warning(
            "With STP on, the kernel needs a forward delay of 2 to 30 seconds.",
        ));
    } else if !network.stp && network.forward_delay > 0 {
        delay = delay.push(
            text("Without STP, 0 lets the bridge forward at once.")
                .size(13)
                .style(style::secondary),
        );
    }
    section("Bridge", column![name, stp, delay].spacing(12))
}

fn node_section<'a>(context: Context<'a>, index: usize) -> Element<'a, Message> {
    let node = &context.profile.nodes[index];
    let facts = context.facts.get(index).copied().flatten();
    let at = |field: NodeField| context.problems_at(Field::Node(index, field));

    let nic: Element<'a, Message> = match facts {
        Some(facts) => {
            let choices = network::nic_choices(facts);
            let selected = choices.iter().find(|nic| **nic == node.lan.nic).cloned();
            let mut nic = column![
                container(focus::pick_list(
                    choices,
                    selected,
                    move |nic| Message::NicPicked(index, nic),
                    |list| list.placeholder("Choose the LAN NIC").width(240),
                ))
                .id(format!("nic-{index}"))
            ]
            .spacing(4);
            if !node.lan.nic.trim().is_empty()
                && !network::nic_choices(facts).contains(&node.lan.nic)
            {
                nic = nic.push(warning(format!(
                    "{} has no NIC {} that can join a bridge: pick one of the list",
                    context.node_name(index),
                    node.lan.nic
                )));
            }
            let found: Vec<String> = facts
                .addresses
                .iter()
                .filter(|(interface, _)| interface != "lo")
                .map(|(interface, address)| format!("{interface} {address}"))
                .collect();
            if !found.is_empty() {
                nic = nic.push(
                    text(format!("Addresses found now: {}", found.join(", ")))
                        .size(13)
                        .style(style::secondary),
                );
            }
            field("LAN NIC", nic, at(NodeField::LanNic))
        }
        None => field(
            "LAN NIC (connect to the node on the Nodes page to pick from its NICs)",
            text_input("enp1s0", &node.lan.nic)
                .id(format!("nic-{index}"))
                .on_input(move |nic| Message::NicTyped(index, nic))
                .width(240),
            at(NodeField::LanNic),
        ),
    };
    let address = field(
        "LAN address/prefix (moves to the bridge)",
        text_input("192.168.1.1/24", &node.lan.address)
            .id(format!("address-{index}"))
            .on_input(move |address| Message::AddressChanged(index, address)),
        at(NodeField::LanAddress),
    );
    let gateway = field(
        "Gateway (optional)",
        text_input("none", node.lan.gateway.as_deref().unwrap_or_default())
            .id(format!("gateway-{index}"))
            .on_input(move |gateway| Message::GatewayChanged(index, gateway)),
        at(NodeField::LanGateway),
    );
    let lan_host = lan_host(&node.lan.address);
    let same_as_lan =
        (!lan_host.is_empty() && lan_host != node.replication_address.trim()).then(|| {
            button(text("Use the LAN address").size(14))
                .style(button::secondary)
                .on_activate(Message::ReplicationFromLan(index))
        });
    let replication = field(
        "Replication address (DRBD and corosync; already configured on the node)",
        row![
            text_input("192.168.1.1", &node.replication_address)
                .id(format!("replication-{index}"))
                .on_input(move |address| Message::ReplicationChanged(index, address))
                .width(240),
            same_as_lan,
        ]
        .spacing(8)
        .align_y(Bottom),
        at(NodeField::ReplicationAddress),
    );
    section(
        context.node_name(index),
        column![
            nic,
            row![container(address).width(320), container(gateway).width(240)]
                .spacing(16)
                .wrap()
                .vertical_spacing(12),
            replication,
            text(
                "The replication address carries DRBD and corosync traffic: a second NIC's \
                 address for a dedicated cable between the nodes, or the LAN address."
            )
            .size(13)
            .style(style::secondary),
        ]
        .spacing(12)
        .width(Fill),
    )
}

#[cfg(test)]
mod tests;
