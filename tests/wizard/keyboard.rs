//! The wizard without a mouse: from the Welcome page to Review and an exported plan with Tab,
//! typing, Space, the arrows, Enter and Escape alone, and every page's actions within Tab's
//! reach.

use iced::keyboard::{Modifiers, key::Named};
use tandem::gui::typed_path::PathFor;
use tandem::gui::{Effect, Message};
use tempfile::TempDir;
use wizard_steps::pages::Page;
use wizard_steps::profile::{Boot, DrbdProtocol, Fencing};

use crate::common::keyboard::{Keyboard, Stop};
use crate::common::wizard::app_in;

fn field(id: &'static str) -> impl Fn(&Stop) -> bool {
    move |stop| stop.is_field(id)
}

fn control(words: &'static str) -> impl Fn(&Stop) -> bool {
    move |stop| stop.shows(words)
}

/// A new user's whole path by keyboard, in the smallest window the wizard allows for: New
/// cluster pressed with Space, every value typed into the field Tab reaches, a VM added with
/// Space, its boot kind and the DRBD protocol moved with the arrows, the acknowledgement ticked
/// with Space, Enter for Next from a field or an option group, the plan exported through the
/// typed path (no file dialog here), then Escape back one page.
#[test]
fn a_new_cluster_by_keyboard_alone() {
    let dir = TempDir::new().expect("temporary directory");
    let (app, edge) = app_in(dir.path());
    let mut keys = Keyboard::new(app, edge, (800.0, 600.0));

    keys.tab_to(control("New cluster"), "New cluster");
    keys.space();
    assert_eq!(keys.app.page, Page::Nodes);

    keys.tab_to(field("cluster-name"), "the cluster name");
    keys.type_text("office");
    for (index, (name, host)) in [("alpha", "10.1.0.1"), ("beta", "10.1.0.2")]
        .into_iter()
        .enumerate()
    {
        let host_field = if index == 0 {
            "node0-host"
        } else {
            "node1-host"
        };
        let name_field = if index == 0 {
            "node0-hostname"
        } else {
            "node1-hostname"
        };
        keys.tab_to(field(host_field), host_field);
        keys.type_text(host);
        keys.tab_to(field(name_field), name_field);
        keys.type_text(name);
    }
    assert_eq!(keys.app.profile.cluster.name, "office");
    assert_eq!(keys.app.profile.nodes[1].hostname, "beta");
    keys.named(Named::Enter);
    assert_eq!(
        keys.app.page,
        Page::Network,
        "{}",
        keys.app.blocked_reason()
    );

    for (index, (lan, replication)) in [("10.1.0.1/24", "10.9.0.1"), ("10.1.0.2/24", "10.9.0.2")]
        .into_iter()
        .enumerate()
    {
        let [nic, address, link] = [
            ["nic-0", "address-0", "replication-0"],
            ["nic-1", "address-1", "replication-1"],
        ][index];
        keys.tab_to(field(nic), nic);
        keys.type_text("eth0");
        keys.tab_to(field(address), address);
        keys.type_text(lan);
        keys.tab_to(field(link), link);
        keys.type_text(replication);
    }
    keys.named(Named::Enter);
    assert_eq!(
        keys.app.page,
        Page::Storage,
        "{}",
        keys.app.blocked_reason()
    );

    keys.tab_to(field("volume-group"), "the volume group");
    keys.type_text("vg0");
    keys.named(Named::Enter);
    assert_eq!(keys.app.page, Page::Vms, "{}", keys.app.blocked_reason());

    keys.tab_to(control("Add VM"), "Add VM");
    keys.space();
    assert_eq!(keys.app.profile.vms.len(), 1, "Space pressed Add VM");
    keys.tab_to(field("vm-iso-0"), "the VM's ISO");
    keys.type_text("/var/lib/tandem/iso/install.iso");
    keys.tab_to(control("HVM: installs from an ISO"), "the boot kind");
    let pv = |keys: &Keyboard| matches!(keys.app.profile.vms[0].boot, Boot::Pv { .. });
    assert!(!pv(&keys));
    keys.named(Named::ArrowRight);
    assert!(pv(&keys), "the arrow moved the choice");
    keys.named(Named::ArrowLeft);
    assert!(!pv(&keys));
    // Enter on an option group is Next, as in a text field.
    keys.named(Named::Enter);
    assert_eq!(
        keys.app.page,
        Page::Cluster,
        "{}",
        keys.app.blocked_reason()
    );

    keys.tab_to(control("I understand"), "the acknowledgement");
    keys.space();
    assert!(matches!(
        keys.app.profile.cluster.fencing,
        Fencing::None {
            acknowledge_split_brain_risk: true
        }
    ));
    keys.tab_to(control("C: synchronous"), "the DRBD protocol");
    keys.named(Named::ArrowUp);
    assert_eq!(keys.app.profile.cluster.drbd.protocol, DrbdProtocol::B);
    keys.named(Named::ArrowDown);
    assert_eq!(keys.app.profile.cluster.drbd.protocol, DrbdProtocol::C);
    keys.named(Named::Enter);
    assert_eq!(keys.app.page, Page::Review, "{}", keys.app.blocked_reason());

    // Export plan: no file dialog on this machine, so the path is typed where the keyboard is.
    keys.tab_to(control("Export plan"), "Export plan");
    keys.named(Named::Enter);
    assert!(
        matches!(keys.asked.last(), Some(Effect::PickPlanPath(_))),
        "{:?}",
        keys.asked
    );
    keys.handle(Message::NoFileDialog(PathFor::Plan));
    let plan = dir.path().join("office-plan.sh");
    keys.type_text(plan.to_str().expect("a UTF-8 path"));
    keys.named(Named::Enter);
    let script = std::fs::read_to_string(&plan).expect("the plan was written");
    assert!(script.contains("drbdadm"), "{script}");

    keys.named(Named::Escape);
    assert_eq!(
        keys.app.page,
        Page::Cluster,
        "Escape went Back in one press"
    );
    // The sidebar is within Tab's reach too.
    keys.tab_to(
        |stop| stop == &Stop::Control("  Nodes".into()),
        "the sidebar's Nodes",
    );
    keys.space();
    assert_eq!(keys.app.page, Page::Nodes);
    // Ctrl+S saves among the profiles.
    keys.chord(Modifiers::CTRL, "s");
    assert!(!keys.app.unsaved(), "Ctrl+S saved the profile");
}
