use std::path::Path;

use iced_test::simulator;

use super::edge::{Edge, Places};
use super::*;

use crate::screens::testing::SEED;

/// An app whose files all live in `dir`.
fn app_in(dir: &Path) -> App {
    App::new(Edge::new(Places::under(dir)))
}

/// Handles a message as the window would: the file effects it asks for (reading and writing
/// profiles and reports, the Welcome page's lists) are performed, as the window's tasks perform
/// them, and their messages handled in turn; the other effects are returned.
fn settle(app: &mut App, message: Message) -> Vec<Effect> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut pending = std::collections::VecDeque::from([message]);
    let mut others = Vec::new();
    while let Some(message) = pending.pop_front() {
        for effect in app.handle(message) {
            match effect {
                effect if effect.touches_files() => {
                    pending.extend(runtime.block_on(effect.perform(app.edge.clone())));
                }
                other => others.push(other),
            }
        }
    }
    others
}

/// Clicks on what the window shows now, then handles the messages as the window would.
fn click(app: &mut App, label: &str) -> Vec<Effect> {
    let messages: Vec<Message> = {
        let mut ui = tall(app);
        ui.click(label)
            .unwrap_or_else(|error| panic!("{label}: {error}"));
        ui.into_messages().collect()
    };
    messages
        .into_iter()
        .flat_map(|message| settle(app, message))
        .collect()
}

fn seed_app(dir: &Path) -> App {
    let path = dir.join("seed.toml");
    std::fs::write(&path, SEED).expect("profile");
    let mut app = app_in(dir);
    settle(
        &mut app,
        Message::Welcome(welcome::Message::OpenPressed(path)),
    );
    app
}

#[test]
fn the_pages_are_in_order_and_next_and_previous_walk_them() {
    let mut page = Page::Welcome;
    let mut walked = vec![page];
    while let Some(next) = page.next() {
        assert_eq!(next.previous(), Some(page));
        walked.push(next);
        page = next;
    }
    assert_eq!(walked, Page::ALL);
    assert_eq!(Page::Welcome.previous(), None);
}

#[test]
fn a_new_cluster_starts_on_nodes_with_next_disabled_until_the_page_is_valid() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app_in(dir.path());
    click(&mut app, "New cluster");
    assert_eq!(app.page, Page::Nodes);
    assert!(!app.can_continue(), "empty node fields block Next");
    assert!(
        app.blocked_reason().contains("need attention"),
        "{}",
        app.blocked_reason()
    );
    // Next (and Enter) do nothing while blocked.
    settle(&mut app, Message::NextPressed);
    assert_eq!(app.page, Page::Nodes);

    settle(
        &mut app,
        Message::Nodes(nodes::Message::ClusterNameChanged("office".into())),
    );
    for (index, (name, host)) in [("alpha", "10.1.0.1"), ("beta", "10.1.0.2")]
        .into_iter()
        .enumerate()
    {
        settle(
            &mut app,
            Message::Nodes(nodes::Message::HostnameChanged(index, name.into())),
        );
        settle(
            &mut app,
            Message::Nodes(nodes::Message::HostChanged(index, host.into())),
        );
    }
    assert!(app.can_continue(), "{}", app.problems);
    click(&mut app, "Next");
    assert_eq!(app.page, Page::Network);
    assert!(!app.can_continue(), "the network page is empty");
}

#[test]
fn back_and_next_keep_what_was_entered() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    assert_eq!(app.page, Page::Nodes);
    assert!(app.can_continue(), "the seed is valid: {}", app.problems);
    settle(
        &mut app,
        Message::Nodes(nodes::Message::PortChanged(1, "2222".into())),
    );
    click(&mut app, "Next");
    assert_eq!(app.page, Page::Network);
    click(&mut app, "Next");
    assert_eq!(app.page, Page::Storage);
    click(&mut app, "Back");
    click(&mut app, "Back");
    assert_eq!(app.page, Page::Nodes);
    assert_eq!(app.profile.nodes[1].ssh.port, 2222);
    let mut ui = simulator(app.view());
    ui.find("2222").expect("the field shows what was typed");
    drop(ui);
}

#[test]
fn the_sidebar_reaches_only_pages_already_passed() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    assert!(!app.reachable(Page::Vms));
    settle(&mut app, Message::PageSelected(Page::Vms));
    assert_eq!(app.page, Page::Nodes, "not before its turn");
    for _ in 0..3 {
        settle(&mut app, Message::NextPressed);
    }
    assert_eq!(app.page, Page::Vms);
    click(&mut app, "  Nodes");
    assert_eq!(app.page, Page::Nodes);
}

#[test]
fn the_window_carries_the_application_icon() {
    assert!(
        super::window_icon().is_some(),
        "the embedded 64 px icon decodes to RGBA"
    );
}

#[test]
fn manage_cluster_opens_the_profile_on_its_page_and_connects_to_both_nodes() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("seed.toml");
    std::fs::write(&path, SEED).expect("profile");
    let mut app = app_in(dir.path());
    let effects = settle(
        &mut app,
        Message::Welcome(welcome::Message::ManagePressed(path)),
    );
    assert_eq!(app.page, Page::Manage);
    assert_eq!(
        format!("{effects:?}"),
        "[Connect(node 0), Connect(node 1)]",
        "both nodes are connected through the Nodes page's flow"
    );
    assert!(!app.can_continue(), "Manage is not a wizard step");
    let mut ui = simulator(app.view());
    ui.find("Connecting… (Tandem waits up to 15 s for an answer)")
        .expect("the connection cards");
    ui.find("Connect to both nodes (above) to read the cluster and to work on it.")
        .expect("the page waits for the connections");
    drop(ui);
    // Without a session, a read reports it instead of waiting forever.
    assert!(
        settle(
            &mut app,
            Message::Manage(crate::screens::manage::Message::RefreshPressed)
        )
        .is_empty()
    );
    assert_eq!(
        app.manage.read_error.as_deref(),
        Some("connect to the nodes first")
    );
    click(&mut app, "Edit profile");
    assert_eq!(
        app.page,
        Page::Nodes,
        "into the wizard with the same profile"
    );
}

/// Performs one effect as the window's task would and returns the message it ends with.
fn perform(app: &App, effect: Effect) -> Message {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(effect.perform(app.edge.clone()))
        .expect("a file effect ends with a message")
}

/// Types `typed` into the text input with `id`, as the administrator does (a click, then keys),
/// and handles what it produced.
fn type_into(app: &mut App, id: &str, typed: &str) {
    let messages: Vec<Message> = {
        let mut ui = tall(app);
        ui.click(iced_test::selector::id(id.to_owned()))
            .unwrap_or_else(|error| panic!("{id}: {error}"));
        ui.typewrite(typed);
        ui.into_messages().collect()
    };
    for message in messages {
        settle(app, message);
    }
}

/// The window, tall enough for a whole page.
fn tall(app: &App) -> iced_test::Simulator<'_, Message> {
    iced_test::Simulator::with_size(iced::Settings::default(), (1024.0, 3000.0), app.view())
}

/// Presses Next, which must be enabled: the page the wizard was on has nothing left to fix.
fn next_from(app: &mut App, page: Page) {
    assert_eq!(app.page, page);
    assert!(
        app.can_continue(),
        "{page:?} blocks Next: {}\n{}",
        app.blocked_reason(),
        app.problems
    );
    click(app, "Next");
    assert_ne!(app.page, page, "Next left {page:?}");
}

/// The path every new user takes: from "New cluster", typing each value a page asks for, each
/// page lets the administrator go on once its own fields are right, whatever later pages still
/// need; the VM's disk is made where the VM is, and Review is reached.
#[test]
fn a_new_cluster_goes_from_an_empty_wizard_to_review_without_a_dead_end() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app_in(dir.path());
    click(&mut app, "New cluster");

    type_into(&mut app, "cluster-name", "office");
    for (index, (name, host)) in [("alpha", "10.1.0.1"), ("beta", "10.1.0.2")]
        .into_iter()
        .enumerate()
    {
        type_into(&mut app, &format!("node{index}-host"), host);
        type_into(&mut app, &format!("node{index}-hostname"), name);
    }
    next_from(&mut app, Page::Nodes);

    for (index, (lan, replication)) in [("10.1.0.1/24", "10.9.0.1"), ("10.1.0.2/24", "10.9.0.2")]
        .into_iter()
        .enumerate()
    {
        type_into(&mut app, &format!("nic-{index}"), "eth0");
        type_into(&mut app, &format!("address-{index}"), lan);
        type_into(&mut app, &format!("replication-{index}"), replication);
    }
    next_from(&mut app, Page::Network);

    type_into(&mut app, "volume-group", "vg0");
    assert!(app.profile.storage.volumes.is_empty());
    next_from(&mut app, Page::Storage);

    // No volume yet: the VMs page adds the VM with a new volume of its own.
    click(&mut app, "Add VM");
    assert_eq!(app.profile.vms.len(), 1);
    let vm = &app.profile.vms[0];
    let volume = app.profile.volume(&vm.volume).expect("the VM's volume");
    assert!(volume.create, "Tandem creates the new volume");
    assert_eq!(volume.name, vm.name);
    type_into(&mut app, "vm-iso-0", "/var/lib/tandem/iso/install.iso");
    next_from(&mut app, Page::Vms);

    click(
        &mut app,
        "I understand: without fencing, a split brain needs manual recovery",
    );
    next_from(&mut app, Page::Cluster);
    assert_eq!(app.page, Page::Review);
    assert!(app.problems.0.is_empty(), "{}", app.problems);
}

/// A volume no VM uses is the VMs page's to settle (pick it as a disk, or remove it): it never
/// holds up Storage, and removing a VM removes the volume the VMs page made for it, but not one
/// the administrator added on Storage.
#[test]
fn an_unused_volume_holds_up_the_vms_page_and_a_removed_vm_takes_its_new_volume_along() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    click(&mut app, "Next");
    click(&mut app, "Next");
    assert_eq!(app.page, Page::Storage);
    click(&mut app, "Add volume");
    let added = app
        .profile
        .storage
        .volumes
        .last()
        .expect("added")
        .name
        .clone();
    assert!(app.can_continue(), "{}", app.blocked_reason());
    assert!(shows(
        &app,
        "No VM uses it yet: pick it as a VM's disk on the VMs page"
    ));
    click(&mut app, "Next");
    assert!(
        !app.can_continue(),
        "the unused volume is the VMs page's problem"
    );
    assert!(shows(
        &app,
        &format!(
            "no VM uses the volume \"{added}\" — pick it as a VM's disk, or remove it on the \
             Storage page"
        )
    ));

    click(&mut app, "Add VM");
    assert_eq!(
        app.profile.vms[2].volume, added,
        "the new VM takes the free volume"
    );
    let volumes = app.profile.storage.volumes.len();
    click(&mut app, "Add VM");
    let made = app.profile.vms[3].volume.clone();
    assert_eq!(app.profile.storage.volumes.len(), volumes + 1);
    for index in [3, 2] {
        settle(&mut app, Message::Vms(vms::Message::RemoveVm(index)));
    }
    assert!(
        app.profile.volume(&made).is_none(),
        "the VM's new volume went with it"
    );
    assert!(
        app.profile.volume(&added).is_some(),
        "Storage's volume stays"
    );
}

fn shows(app: &App, text: &str) -> bool {
    tall(app).find(text).is_ok()
}

/// Every page opens at its top: the pages share the window's scrollable (found by its id), and
/// each move to another page (Next, Back, the sidebar) scrolls it to the top.
#[test]
fn each_page_opens_at_its_top() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    tall(&app)
        .find(iced_test::selector::id(chrome::PAGE_SCROLL))
        .expect("the page's scrollable");
    for message in [
        Message::NextPressed,
        Message::NextPressed,
        Message::BackPressed,
        Message::PageSelected(Page::Nodes),
    ] {
        let before = app.page;
        let effects = settle(&mut app, message);
        assert_ne!(app.page, before);
        assert!(
            effects
                .iter()
                .any(|effect| matches!(effect, Effect::ScrollToTop)),
            "{:?}: {effects:?}",
            app.page
        );
    }
}

/// A new cluster starts without red: a field's problem shows once it is typed into, and Next
/// on an unfinished page shows all of the page's problems instead of going on.
#[test]
fn errors_show_after_a_field_is_edited_and_all_of_them_at_next() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app_in(dir.path());
    click(&mut app, "New cluster");
    let host_problem = "\"300.1.1.1\" is not an IPv4 address — write four numbers from 0 to 255 \
                        separated by dots (e.g. 192.168.1.10), or the node's DNS name";
    assert!(!app.problems.0.is_empty());
    assert!(app.context().problems.0.is_empty(), "no red before an edit");
    type_into(&mut app, "node0-host", "300.1.1.1");
    assert!(shows(&app, host_problem));
    assert_eq!(
        app.context().problems.0.len(),
        1,
        "{}",
        app.context().problems
    );

    click(&mut app, "Next");
    assert_eq!(app.page, Page::Nodes, "the page is not done");
    assert_eq!(
        app.context().problems.0.len(),
        pages::problems_of(&app.problems, Page::Nodes).len()
    );
    assert!(shows(&app, host_problem));

    // A profile opened from a file shows every problem at once.
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        SEED.replace("dom0_memory_mib = 2048", "dom0_memory_mib = 10"),
    )
    .expect("file");
    click(&mut app, "Back");
    settle(
        &mut app,
        Message::Welcome(welcome::Message::OpenPressed(broken)),
    );
    click(&mut app, "Open without saving");
    assert_eq!(app.page, Page::Nodes);
    assert_eq!(app.context().problems, &app.problems);
    assert!(!app.problems.0.is_empty());
}

/// Review without connecting: the plan for freshly installed nodes per node, its files and its
/// destructive steps, exported as the script `tandem plan` prints; "Connect the nodes" leads to
/// the Nodes page.
#[test]
fn review_without_connecting_shows_the_plan_and_exports_it() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    for _ in 0..5 {
        click(&mut app, "Next");
    }
    assert_eq!(app.page, Page::Review);
    let design = app.design.clone().expect("the seed is valid");
    let plan = wizard_steps::plan::plan(
        &design,
        &wizard_steps::facts::NodeFacts::assumed(wizard_steps::render::DrbdGeneration::V84),
    );
    assert!(shows(&app, "Not connected yet"));
    let (_, first) = plan.steps().next().expect("a step");
    assert!(
        shows(&app, &format!("▸ {}", first.title)),
        "{}",
        first.title
    );
    let reviewed = wizard_steps::pages::review::review(&plan, &[]);
    for node in &reviewed.nodes {
        let header = format!("{} — {} step(s)", node.node, node.steps.len());
        assert!(shows(&app, &header), "{header}");
    }
    assert!(shows(&app, "/etc/drbd.d/Win2012.res"));
    assert!(!app.can_continue(), "nothing starts without the preflight");

    let effects = click(&mut app, "Export plan…");
    assert!(
        matches!(&effects[..], [Effect::PickPlanPath(name)] if name == "seed"),
        "{effects:?}"
    );
    let path = dir.path().join("plan.sh");
    settle(&mut app, Message::PlanPathChosen(Some(path.clone())));
    assert_eq!(
        std::fs::read_to_string(&path).expect("written"),
        plan.script()
    );
    assert_eq!(
        app.status.as_deref(),
        Some(format!("Plan exported to {}", path.display()).as_str())
    );

    click(&mut app, "Connect the nodes");
    assert_eq!(app.page, Page::Nodes);
}

mod files;
mod keys;
