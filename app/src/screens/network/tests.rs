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

type Screen = NetworkPage;

impl testing::Tall for NetworkPage {
    const HEIGHT: f32 = 2000.0;
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
fn pick(ui: &mut Simulator<'_, Message>, list: &'static str, option: usize) -> Result<(), Error> {
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
