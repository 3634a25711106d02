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
    let (mut app, edge) = app_in(dir.path());
    let mut keys = Keyboard::new(&mut app, edge, (800.0, 600.0));

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
    let pv = |keys: &Keyboard<'_>| matches!(keys.app.profile.vms[0].boot, Boot::Pv { .. });
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

/// Every page the wizard has, as the administrator first sees it: Tab comes round (it never
/// gets stuck or lost), starts on the page rather than in the sidebar, and stops at each of the
/// page's actions.
#[test]
fn tab_reaches_every_action_of_every_page() {
    let expected: &[(&str, &[&str])] = &[
        (
            "welcome",
            &[
                "New cluster",
                "Import a profile…",
                "System",
                "Light",
                "Dark",
            ],
        ),
        (
            "nodes",
            &[
                "Disconnect",
                "Not root: run commands through sudo",
                "Save profile",
            ],
        ),
        ("network", &["STP on the bridge", "Back", "Next"]),
        ("storage", &["Add volume", "Remove", "Create when missing"]),
        (
            "vms",
            &[
                "Add VM",
                "Remove this VM",
                "New volume",
                "HVM: installs from an ISO",
            ],
        ),
        (
            "cluster",
            &[
                "Return home",
                "None (not recommended)",
                "I understand",
                "Encrypt and authenticate",
                "C: synchronous",
                "Skip the initial full sync",
                "Live migration",
            ],
        ),
        ("review", &["Check again", "Start setup"]),
        ("run-syncing", &["Cancel"]),
        ("run-finished", &["Finish"]),
        ("done", &["Save profile"]),
        (
            "manage",
            &[
                "← Welcome",
                "Edit profile",
                "Refresh",
                "Run the failover drill…",
            ],
        ),
    ];
    let mut seen = Vec::new();
    crate::every_page(&mut |page, app, edge| {
        let mut keys = Keyboard::new(app, edge.clone(), (1024.0, 768.0));
        let stops = keys.round();
        seen.push(page.to_owned());
        // The wizard's pages start Tab on the page: the sidebar comes last.
        let sidebar = ["Save profile", "Export profile…", "System", "Light", "Dark"];
        if !["welcome", "manage"].contains(&page) {
            let last: Vec<&Stop> = stops.iter().rev().take(sidebar.len()).rev().collect();
            assert!(
                last.iter()
                    .zip(sidebar)
                    .all(|(stop, words)| stop.shows(words)),
                "the {page} page's round does not end in the sidebar: {stops:?}"
            );
        }
        let (_, actions) = expected
            .iter()
            .find(|(name, _)| *name == page)
            .unwrap_or_else(|| panic!("no expectation for the {page} page"));
        for action in *actions {
            assert!(
                stops.iter().any(|stop| stop.shows(action)),
                "Tab never reaches {action:?} on the {page} page: {stops:?}"
            );
        }
    });
    assert_eq!(seen.len(), expected.len(), "{seen:?}");
}

/// A dialog keeps the keyboard: Tab goes round its own buttons only, Space answers, Escape
/// closes it; the key list (F1) is reached the same way.
#[test]
fn tab_stays_in_a_dialog() {
    let dir = TempDir::new().expect("temporary directory");
    let (mut app, edge) = app_in(dir.path());
    let mut keys = Keyboard::new(&mut app, edge, (1024.0, 768.0));
    keys.chord(Modifiers::CTRL, "n");
    keys.tab_to(field("cluster-name"), "the cluster name");
    keys.type_text("office");
    assert!(keys.app.unsaved());

    keys.chord(Modifiers::CTRL, "q");
    assert!(keys.app.question.is_some(), "Ctrl+Q asks first");
    let stops = keys.round();
    assert_eq!(stops.len(), 3, "only the question's answers: {stops:?}");
    assert!(stops.iter().any(|stop| stop.shows("Cancel")), "{stops:?}");
    keys.tab_to(control("Cancel"), "Cancel");
    keys.space();
    assert!(keys.app.question.is_none(), "Space answered Cancel");
    assert!(keys.asked.is_empty(), "nothing closed: {:?}", keys.asked);

    keys.named(Named::F1);
    let stops = keys.round();
    assert_eq!(stops, vec![Stop::Control("Close (Escape)".into())]);
    keys.named(Named::Escape);
    assert!(!keys.app.keys_shown);
    assert_eq!(
        keys.app.page,
        Page::Nodes,
        "Escape closed the list and went nowhere else"
    );
}
