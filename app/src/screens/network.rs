//! Network: the bridge the VMs join, and per node the LAN NIC that joins it, the LAN address
//! that moves from the NIC to the bridge, the gateway and the replication address.

use iced::widget::{button, column, container, pick_list, row, text, text_input, toggler};
use iced::{Bottom, Element, Fill};
use wizard_steps::Profile;
use wizard_steps::facts::NodeFacts;
use wizard_steps::field::{Field, NetworkField, NodeField};
use wizard_steps::pages::network;

use super::{Context, field, heading, problem_text, section, warning};

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

/// The 802.1D default forward delay, taken when STP is switched on with a delay the kernel
/// refuses for STP (below 2 s).
const STP_FORWARD_DELAY: u8 = 15;

pub fn update(
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

pub fn view<'a>(_state: &'a State, context: Context<'a>) -> Element<'a, Message> {
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
    let elsewhere = context.problems_elsewhere(network::FIELDS, &placed);
    if !elsewhere.is_empty() {
        page = page.push(column(elsewhere.into_iter().map(problem_text)).spacing(4));
    }
    page = page.push(bridge_section(context));
    for index in 0..profile.nodes.len() {
        page = page.push(node_section(context, index));
    }
    page.into()
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
        container(
            toggler(network.stp)
                .label("STP on the bridge (only when the LAN has loops that need it)")
                .on_toggle(Message::StpToggled),
        )
        .id("stp"),
        context.problems_at(Field::Network(NetworkField::Stp)),
    );
    let delays: Vec<u8> = (0..=30).collect();
    let mut delay = column![field(
        "Forward delay (seconds)",
        pick_list(
            delays,
            Some(network.forward_delay),
            Message::ForwardDelayPicked
        )
        .width(120),
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
                .style(text::secondary),
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
                container(
                    pick_list(choices, selected, move |nic| Message::NicPicked(index, nic))
                        .placeholder("Choose the LAN NIC")
                        .width(240)
                )
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
                        .style(text::secondary),
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
                .on_press(Message::ReplicationFromLan(index))
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
            row![container(address).width(320), container(gateway).width(240)].spacing(16),
            replication,
            text(
                "The replication address carries DRBD and corosync traffic: a second NIC's \
                 address for a dedicated cable between the nodes, or the LAN address."
            )
            .size(13)
            .style(text::secondary),
        ]
        .spacing(12)
        .width(Fill),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::testing;
    use iced::Point;
    use iced::mouse;
    use iced_test::selector::id;
    use iced_test::{Error, Simulator};

    fn discovery(hostname: &str, address: &str) -> String {
        format!(
            "uid=0\nhostname={hostname}\nmachine_id=6d2a1c0e9b8f4a7d9e3c2b1a0f9e8d7c\nos_id=debian\n\
             os_version_id=12\ncpus=4\ndom0=no\nmemory_mib=8000\nhvm=yes\nnic=lo link \n\
             nic=eth0 link \nnic=eth1 link \nnic=vif1.0 link \nnic=xenbr9 bridge \n\
             address=lo 127.0.0.1/8\naddress=eth0 {address}\n\
             group=virtuals 200000 119000\ngroup_volume=virtuals Win2012 40960 \n"
        )
    }

    struct Screen;

    impl testing::Screen for Screen {
        type State = State;
        type Message = Message;
        type Action = ();
        const FIELDS: wizard_steps::pages::Fields = network::FIELDS;
        const HEIGHT: f32 = 2000.0;

        fn update(
            state: &mut State,
            message: Message,
            profile: &mut Profile,
            facts: [Option<&NodeFacts>; 2],
        ) {
            update(state, message, profile, facts)
        }

        fn view<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
            view(state, context)
        }
    }

    type Page = testing::Harness<Screen>;

    #[test]
    fn typing_the_lan_address_and_the_bridge_changes_the_profile() -> Result<(), Error> {
        let mut page = Page::seed();
        page.type_into("address-0", "192.168.1.1/24".len(), "192.168.1.10/24")?;
        assert_eq!(page.profile.nodes[0].lan.address, "192.168.1.10/24");
        page.type_into("bridge", 3, "xenbr0")?;
        assert_eq!(page.profile.network.bridge, "xenbr0");
        page.type_into("gateway-1", 0, "192.168.1.254")?;
        assert_eq!(
            page.profile.nodes[1].lan.gateway.as_deref(),
            Some("192.168.1.254")
        );
        assert_eq!(page.page_problems(), 0, "{:?}", page.problems);
        Ok(())
    }

    #[test]
    fn an_address_without_prefix_shows_the_validators_message_until_fixed() -> Result<(), Error> {
        let mut page = Page::seed();
        page.type_into("address-1", "/24".len(), "")?;
        assert_eq!(page.profile.nodes[1].lan.address, "192.168.1.2");
        assert!(page.page_problems() > 0);
        let mut ui = page.ui();
        let _ = ui.find(
            "\"192.168.1.2\" has no prefix length — write the address with its prefix length, \
             e.g. 192.168.1.1/24",
        )?;
        drop(ui);
        page.type_into("address-1", 0, "/24")?;
        assert_eq!(page.profile.nodes[1].lan.address, "192.168.1.2/24");
        assert_eq!(page.page_problems(), 0, "{:?}", page.problems);
        let mut ui = page.ui();
        assert!(ui.find("\"192.168.1.2\" has no prefix length — write the address with its prefix length, e.g. 192.168.1.1/24").is_err());
        Ok(())
    }

    #[test]
    fn a_gateway_outside_the_lan_is_shown_under_the_gateway() -> Result<(), Error> {
        let mut page = Page::seed();
        page.type_into("gateway-0", 0, "10.0.0.1")?;
        let mut ui = page.ui();
        let _ = ui.find(
            "10.0.0.1 is not another host on the node's LAN 192.168.1.0/24 — use the router's \
             address on the LAN, or leave the gateway out",
        )?;
        drop(ui);
        page.type_into("gateway-0", "10.0.0.1".len(), "")?;
        assert_eq!(page.profile.nodes[0].lan.gateway, None);
        assert_eq!(page.page_problems(), 0);
        Ok(())
    }

    /// Opens the pick list wrapped in the container `list` and clicks its option `option`.
    fn pick(
        ui: &mut Simulator<'_, Message>,
        list: &'static str,
        option: usize,
    ) -> Result<(), Error> {
        let bounds = ui.click(id(list))?.bounds();
        let position = Point::new(
            bounds.center_x(),
            bounds.y + bounds.height * (option as f32 + 1.5),
        );
        ui.point_at(position);
        let _ = ui.simulate([
            iced::Event::Mouse(mouse::Event::CursorMoved { position }),
            iced::Event::Mouse(mouse::Event::ButtonPressed(mouse::Button::Left)),
            iced::Event::Mouse(mouse::Event::ButtonReleased(mouse::Button::Left)),
        ]);
        Ok(())
    }

    #[test]
    fn the_nic_list_offers_the_nodes_nics_and_picking_one_fills_the_address() -> Result<(), Error> {
        let mut profile = testing::seed();
        for node in &mut profile.nodes {
            node.lan.nic.clear();
            node.lan.address.clear();
        }
        let facts = [
            wizard_steps::facts::parse(&discovery("node1", "192.168.1.1/24")),
            wizard_steps::facts::parse(&discovery("node2", "192.168.1.2/24")),
        ];
        let mut page = Page::new(profile, facts.map(Some));
        assert!(page.page_problems() > 0);

        // Node 1's list: eth0, eth1 (no lo, vif1.0 or bridge), in that order.
        let offered: Vec<Message> = (0..4)
            .flat_map(|option| {
                let mut ui = page.ui();
                pick(&mut ui, "nic-0", option).expect("the list is there");
                ui.into_messages().collect::<Vec<_>>()
            })
            .collect();
        let names: Vec<String> = offered
            .iter()
            .map(|message| match message {
                Message::NicPicked(0, nic) => nic.clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(names, ["eth0", "eth1"]);

        // eth1 has no address: nothing to fill in.
        let mut ui = page.ui();
        pick(&mut ui, "nic-0", 1)?;
        let messages: Vec<Message> = ui.into_messages().collect();
        page.apply(messages);
        assert_eq!(page.profile.nodes[0].lan.nic, "eth1");
        assert_eq!(page.profile.nodes[0].lan.address, "");

        // eth0 carries the LAN now: its address fills the empty field.
        for (list, node) in [("nic-0", 0), ("nic-1", 1)] {
            let mut ui = page.ui();
            pick(&mut ui, list, 0)?;
            let messages: Vec<Message> = ui.into_messages().collect();
            page.apply(messages);
            assert_eq!(page.profile.nodes[node].lan.nic, "eth0");
        }
        assert_eq!(page.profile.nodes[0].lan.address, "192.168.1.1/24");
        assert_eq!(page.profile.nodes[1].lan.address, "192.168.1.2/24");
        assert_eq!(page.page_problems(), 0, "{:?}", page.problems);

        // A typed address is kept when another NIC is picked.
        page.profile.nodes[1].lan.address = "192.168.1.20/24".into();
        let mut ui = page.ui();
        pick(&mut ui, "nic-1", 1)?;
        let messages: Vec<Message> = ui.into_messages().collect();
        page.apply(messages);
        assert_eq!(page.profile.nodes[1].lan.nic, "eth1");
        assert_eq!(page.profile.nodes[1].lan.address, "192.168.1.20/24");
        Ok(())
    }

    #[test]
    fn without_facts_the_nic_is_typed() -> Result<(), Error> {
        let mut page = Page::seed();
        page.type_into("nic-1", 1, "1")?;
        assert_eq!(page.profile.nodes[1].lan.nic, "eth1");
        Ok(())
    }

    #[test]
    fn switching_stp_on_takes_a_forward_delay_the_kernel_accepts() -> Result<(), Error> {
        let mut page = Page::seed();
        let mut ui = page.ui();
        let _ = ui.click(id("stp"))?;
        let messages: Vec<Message> = ui.into_messages().collect();
        page.apply(messages);
        assert!(page.profile.network.stp);
        assert_eq!(page.profile.network.forward_delay, 15);
        Ok(())
    }

    #[test]
    fn the_replication_address_can_be_taken_from_the_lan_address() -> Result<(), Error> {
        let mut page = Page::seed();
        page.profile.nodes[0].replication_address.clear();
        page.validate();
        assert!(page.page_problems() > 0);
        let mut ui = page.ui();
        let _ = ui.click("Use the LAN address")?;
        let messages: Vec<Message> = ui.into_messages().collect();
        page.apply(messages);
        assert_eq!(page.profile.nodes[0].replication_address, "192.168.1.1");
        assert_eq!(page.page_problems(), 0);
        Ok(())
    }
}
