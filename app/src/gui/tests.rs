use std::path::Path;

use iced::keyboard::{self, Key, Location, Modifiers, key::Named};
use iced_test::simulator;

use super::edge::{Edge, Places};
use super::window::SHORTCUTS;
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

/// A key pressed, as the window reports it.
fn pressed(key: Key, modifiers: Modifiers) -> keyboard::Event {
    keyboard::Event::KeyPressed {
        key: key.clone(),
        modified_key: key,
        physical_key: keyboard::key::Physical::Unidentified(
            keyboard::key::NativeCode::Unidentified,
        ),
        location: Location::Standard,
        modifiers,
        text: None,
        repeat: false,
    }
}

#[test]
fn enter_is_next_escape_is_back_and_tab_moves_the_focus() {
    let ignored = iced::event::Status::Ignored;
    let captured = iced::event::Status::Captured;
    let window = iced::window::Id::unique();
    let key =
        |key: Key, modifiers: Modifiers, status| on_key(pressed(key, modifiers), status, window);
    let named = |named: Named| Key::Named(named);
    let none = Modifiers::empty();
    assert!(matches!(
        key(named(Named::Enter), none, ignored),
        Some(Message::NextPressed)
    ));
    assert!(matches!(
        key(named(Named::Escape), none, ignored),
        Some(Message::BackPressed)
    ));
    assert!(matches!(
        key(named(Named::Tab), Modifiers::SHIFT, ignored),
        Some(Message::TabPressed { shift: true })
    ));
    assert!(key(Key::Character("a".into()), none, ignored).is_none());
    // A text field that took Escape only gave up the focus: Escape still goes Back, in one
    // press. Other keys a widget took are its own.
    assert!(matches!(
        key(named(Named::Escape), none, captured),
        Some(Message::BackPressed)
    ));
    assert!(key(named(Named::Enter), none, captured).is_none());

    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    settle(&mut app, Message::NextPressed);
    assert_eq!(app.page, Page::Network);
    settle(&mut app, Message::BackPressed);
    assert_eq!(app.page, Page::Nodes);
    let effects = settle(&mut app, Message::TabPressed { shift: true });
    assert!(
        matches!(effects[..], [Effect::Focus { backwards: true }]),
        "{effects:?}"
    );
}

/// The keys F1 lists do what it says, from a text field too; the list itself is drawn from the
/// same table, and Escape closes it before anything else.
#[test]
fn every_key_f1_lists_does_what_it_says() {
    let window = iced::window::Id::unique();
    // As a focused text field reports the keys it sees.
    let key = |key: Key, modifiers: Modifiers| {
        on_key(
            pressed(key, modifiers),
            iced::event::Status::Captured,
            window,
        )
    };
    let ctrl = Modifiers::CTRL;
    let character = |c: &str| Key::Character(c.into());
    assert!(matches!(
        key(character("s"), ctrl),
        Some(Message::SavePressed)
    ));
    assert!(matches!(
        key(character("S"), ctrl | Modifiers::SHIFT),
        Some(Message::ExportPressed)
    ));
    assert!(matches!(key(character("q"), ctrl), Some(Message::CloseRequested(id)) if id == window));
    assert!(matches!(
        key(character("n"), ctrl),
        Some(Message::Welcome(welcome::Message::NewClusterPressed))
    ));
    assert!(matches!(
        key(character("o"), ctrl),
        Some(Message::Welcome(welcome::Message::ImportPressed))
    ));
    assert!(matches!(
        key(character("3"), Modifiers::ALT),
        Some(Message::NumberKey {
            number: 3,
            manage: false
        })
    ));
    assert!(matches!(
        key(character("2"), ctrl),
        Some(Message::NumberKey {
            number: 2,
            manage: true
        })
    ));
    assert!(key(character("0"), Modifiers::ALT).is_none());
    assert!(matches!(
        key(character("A"), Modifiers::ALT),
        Some(Message::AccessKey('a'))
    ));
    assert!(matches!(
        key(Key::Named(Named::F1), Modifiers::empty()),
        Some(Message::KeysPressed)
    ));

    // Through the app: Ctrl+N on Welcome starts a cluster (nowhere else), Alt+digit jumps back,
    // Ctrl+S saves, F1 lists the keys and Escape closes the list without going Back.
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app_in(dir.path());
    settle(&mut app, key(character("n"), ctrl).expect("Ctrl+N"));
    assert_eq!(app.page, Page::Nodes);
    type_into(&mut app, "cluster-name", "office");
    settle(&mut app, key(character("n"), ctrl).expect("Ctrl+N"));
    assert_eq!(app.question, None, "Ctrl+N is the Welcome page's");
    settle(&mut app, key(character("s"), ctrl).expect("Ctrl+S"));
    assert!(dir.path().join("profiles/office.toml").is_file());
    settle(
        &mut app,
        key(Key::Named(Named::F1), Modifiers::empty()).expect("F1"),
    );
    for (shortcut, what) in SHORTCUTS {
        assert!(shows(&app, shortcut) && shows(&app, what), "{shortcut}");
    }
    settle(&mut app, Message::BackPressed);
    assert!(!app.keys_shown);
    assert_eq!(app.page, Page::Nodes, "Escape closed the list only");
    settle(
        &mut app,
        key(character("1"), Modifiers::ALT).expect("Alt+1"),
    );
    assert_eq!(app.page, Page::Nodes);
}

/// The Welcome page by keyboard alone: each listed profile has its number, Alt+number opens it
/// in the wizard and Ctrl+number manages its cluster.
#[test]
fn the_welcome_page_is_used_by_keyboard() {
    let dir = tempfile::tempdir().expect("dir");
    let profiles = dir.path().join("profiles");
    std::fs::create_dir_all(&profiles).expect("profiles");
    for name in ["alpha", "beta"] {
        std::fs::write(
            profiles.join(format!("{name}.toml")),
            SEED.replace("name = \"seed\"", &format!("name = \"{name}\"")),
        )
        .expect("profile");
    }
    let mut app = app_in(dir.path());
    assert!(shows(&app, "2"), "the profiles are numbered");
    settle(
        &mut app,
        Message::NumberKey {
            number: 2,
            manage: false,
        },
    );
    assert_eq!(app.page, Page::Nodes);
    assert_eq!(app.profile.cluster.name, "beta");
    click(&mut app, "Back");
    settle(
        &mut app,
        Message::NumberKey {
            number: 9,
            manage: false,
        },
    );
    assert_eq!(app.page, Page::Welcome, "no ninth profile");
    // beta, just opened, now heads the list (recent first): alpha is number 2.
    let effects = settle(
        &mut app,
        Message::NumberKey {
            number: 2,
            manage: true,
        },
    );
    assert_eq!(app.page, Page::Manage);
    assert_eq!(app.profile.cluster.name, "alpha");
    assert!(
        effects
            .iter()
            .any(|effect| matches!(effect, Effect::Connect { .. })),
        "{effects:?}"
    );
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
fn save_writes_the_profile_and_lists_it_as_recent_and_closing_asks_only_when_unsaved() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    assert!(!app.unsaved());
    let window = iced::window::Id::unique();
    let effects = settle(&mut app, Message::CloseRequested(window));
    assert!(
        matches!(effects[..], [Effect::CloseWindow(_)]),
        "{effects:?}"
    );

    settle(&mut app, Message::Vms(vms::Message::IsoChosen(0, None)));
    settle(
        &mut app,
        Message::Nodes(nodes::Message::UserChanged(0, "ops".into())),
    );
    assert!(app.unsaved());
    assert!(app.title().ends_with('•'), "{}", app.title());
    let effects = settle(&mut app, Message::CloseRequested(window));
    assert!(effects.is_empty(), "an unsaved profile asks first");
    {
        let mut ui = simulator(app.view());
        ui.find("The profile has changes that are not saved.")
            .expect("the question");
    }
    click(&mut app, "Cancel");
    assert_eq!(app.question, None);

    click(&mut app, "Save profile •");
    assert!(!app.unsaved());
    // The profile was opened from outside the profiles directory: that file stays as it was,
    // and the profile is saved among the profiles under its name.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("seed.toml")).expect("opened file"),
        SEED
    );
    let saved = dir.path().join("profiles/seed.toml");
    let reloaded = wizard_steps::profile::store::load(&saved).expect("saved among the profiles");
    assert_eq!(reloaded.nodes[0].ssh.user, "ops");
    assert_eq!(app.profile_path.as_deref(), Some(saved.as_path()));
    assert_eq!(
        app.welcome.recent.first(),
        Some(&saved.canonicalize().expect("path"))
    );

    settle(
        &mut app,
        Message::Nodes(nodes::Message::UserChanged(0, "root".into())),
    );
    settle(&mut app, Message::CloseRequested(window));
    let effects = click(&mut app, "Save and close");
    assert!(
        matches!(effects[..], [Effect::CloseWindow(_)]),
        "{effects:?}"
    );
    let reloaded = wizard_steps::profile::store::load(&saved).expect("saved");
    assert_eq!(reloaded.nodes[0].ssh.user, "root");
}

#[test]
fn a_new_cluster_is_saved_under_its_name_in_the_profiles_directory() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app_in(dir.path());
    settle(
        &mut app,
        Message::Welcome(welcome::Message::NewClusterPressed),
    );
    settle(
        &mut app,
        Message::Nodes(nodes::Message::ClusterNameChanged("office".into())),
    );
    settle(&mut app, Message::SavePressed);
    let path = dir.path().join("profiles/office.toml");
    assert!(path.is_file(), "saved to {}", path.display());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "only its owner reads a profile");

    let mut fresh = app_in(dir.path());
    {
        let mut ui = simulator(fresh.view());
        ui.find("office").expect("listed on the Welcome page");
    }
    click(&mut fresh, "office");
    assert_eq!(fresh.page, Page::Nodes);
    assert_eq!(fresh.profile.cluster.name, "office");
}

#[test]
fn a_broken_profile_file_is_refused_with_its_reason_on_the_welcome_page() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("broken.toml");
    std::fs::write(
        &path,
        SEED.replace("[cluster]", "[cluster]\ncolour = \"red\""),
    )
    .expect("file");
    let mut app = app_in(dir.path());
    settle(
        &mut app,
        Message::Welcome(welcome::Message::ImportChosen(Some(path))),
    );
    assert_eq!(app.page, Page::Welcome);
    let error = app.welcome.error.clone().expect("an error");
    assert!(error.contains("colour"), "{error}");
}

#[test]
fn export_asks_where_and_writes_a_copy_while_the_profile_stays_where_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    let effects = click(&mut app, "Export profile…");
    assert!(
        matches!(&effects[..], [Effect::PickExportPath(name)] if name == "seed"),
        "{effects:?}"
    );
    settle(&mut app, Message::ExportChosen(None));
    let copy = dir.path().join("elsewhere/copy.toml");
    settle(&mut app, Message::ExportChosen(Some(copy.clone())));
    let exported = wizard_steps::profile::store::load(&copy).expect("the copy loads");
    assert_eq!(exported, app.profile);
    assert_eq!(
        app.profile_path.as_deref(),
        Some(dir.path().join("seed.toml").as_path())
    );
    let mut ui = simulator(app.view());
    ui.find(format!("Exported to {}", copy.display()).as_str())
        .expect("the status says where");
}

#[test]
fn the_done_page_writes_the_report_of_the_run_where_the_administrator_chose() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    let journal = dir.path().join("run.jsonl");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/recordings/testbed-resumed-run.jsonl"),
        &journal,
    )
    .expect("the recorded run");
    app.run = run::State::started(journal.clone());
    app.page = Page::Run;
    for entry in wizard_steps::journal::read(&journal).expect("journal") {
        settle(
            &mut app,
            Message::Run(run::Message::Event(Box::new(entry.event))),
        );
    }
    settle(&mut app, Message::Run(run::Message::EventsEnded));
    assert_eq!(app.page, Page::Done);

    let messages: Vec<Message> = {
        let mut ui = iced_test::Simulator::with_size(
            iced::Settings::default(),
            (1024.0, 2400.0),
            app.view(),
        );
        ui.click("Export report (HTML)").expect("the button");
        ui.into_messages().collect()
    };
    let effects: Vec<Effect> = messages
        .into_iter()
        .flat_map(|message| settle(&mut app, message))
        .collect();
    assert!(
        matches!(
            &effects[..],
            [Effect::PickReportPath { format: done::ReportFormat::Html, cluster }] if cluster == "seed"
        ),
        "{effects:?}"
    );
    let chosen = dir.path().join("reports/setup.html");
    std::fs::create_dir_all(chosen.parent().expect("parent")).expect("dir");
    settle(
        &mut app,
        Message::ReportPathChosen(done::ReportFormat::Html, Some(chosen.clone())),
    );
    let html = std::fs::read_to_string(&chosen).expect("the report was written");
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("vm1"),
        "{html:.300}"
    );
    let mut ui =
        iced_test::Simulator::with_size(iced::Settings::default(), (1024.0, 2400.0), app.view());
    ui.find(format!("Report saved to {}", chosen.display()).as_str())
        .expect("the page says where");
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

#[test]
fn an_edit_made_while_saving_before_closing_is_not_lost() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    let window = iced::window::Id::unique();
    settle(
        &mut app,
        Message::Nodes(nodes::Message::UserChanged(0, "ops".into())),
    );
    settle(&mut app, Message::CloseRequested(window));
    let mut effects = app.handle(Message::Answered(Answer::SaveFirst));
    assert!(
        matches!(&effects[..], [Effect::SaveProfile { .. }]),
        "{effects:?}"
    );
    assert!(
        app.handle(Message::SavePressed).is_empty(),
        "one write at a time"
    );
    // The administrator types on while the file is written.
    settle(
        &mut app,
        Message::Nodes(nodes::Message::UserChanged(0, "admin".into())),
    );
    let saved = perform(&app, effects.remove(0));
    let effects = settle(&mut app, saved);
    assert!(effects.is_empty(), "the window stays open: {effects:?}");
    assert!(app.unsaved(), "the newer edit is not saved yet");
    let mut ui = simulator(app.view());
    ui.find("The profile has changes that are not saved.")
        .expect("the question is asked again");
}

#[test]
fn a_profile_read_after_the_administrator_moved_on_does_not_replace_the_new_one() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("seed.toml");
    std::fs::write(&path, SEED).expect("profile");
    let mut app = app_in(dir.path());
    let mut effects = app.handle(Message::Welcome(welcome::Message::OpenPressed(path)));
    assert!(
        matches!(&effects[..], [Effect::LoadProfile { .. }]),
        "{effects:?}"
    );
    settle(
        &mut app,
        Message::Welcome(welcome::Message::NewClusterPressed),
    );
    settle(
        &mut app,
        Message::Nodes(nodes::Message::ClusterNameChanged("office".into())),
    );
    let loaded = perform(&app, effects.remove(0));
    settle(&mut app, loaded);
    assert_eq!(app.profile.cluster.name, "office");
    assert_eq!(app.page, Page::Nodes);
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

/// Save never writes over a file it did not make: a profile opened from elsewhere (an example,
/// a colleague's file) is saved as a new profile, and a new cluster whose name another saved
/// profile has gets a file of its own.
#[test]
fn save_never_writes_over_an_opened_file_or_another_saved_profile() {
    let dir = tempfile::tempdir().expect("dir");
    let example = dir.path().join("seed.toml");
    let mut app = seed_app(dir.path());
    settle(
        &mut app,
        Message::Nodes(nodes::Message::UserChanged(0, "ops".into())),
    );
    click(&mut app, "Save profile •");
    let first = dir.path().join("profiles/seed.toml");
    assert_eq!(std::fs::read_to_string(&example).expect("example"), SEED);
    assert_eq!(
        app.status.as_deref(),
        Some(
            format!(
                "Saved to {} ({} is unchanged)",
                first.display(),
                example.display()
            )
            .as_str()
        )
    );
    // Saved again: the same profile file, now the one open.
    settle(
        &mut app,
        Message::Nodes(nodes::Message::UserChanged(0, "admin".into())),
    );
    click(&mut app, "Save profile •");
    let again = wizard_steps::profile::store::load(&first).expect("saved");
    assert_eq!(again.nodes[0].ssh.user, "admin");

    // A new cluster of the same name is a second profile, not the first one rewritten.
    click(&mut app, "Back");
    click(&mut app, "New cluster");
    type_into(&mut app, "cluster-name", "seed");
    click(&mut app, "Save profile •");
    let second = dir.path().join("profiles/seed-2.toml");
    assert!(second.is_file(), "{:?}", app.status);
    let first_now = wizard_steps::profile::store::load(&first).expect("still there");
    assert_eq!(first_now.nodes[0].ssh.user, "admin");
}

/// Opening another profile or starting a new one with unsaved changes asks first: Cancel keeps
/// them, "Save and open" saves them and opens, "Open without saving" drops them. Escape closes
/// the question and nothing else; Enter does nothing behind it.
#[test]
fn leaving_unsaved_changes_asks_first_and_escape_closes_only_the_question() {
    let dir = tempfile::tempdir().expect("dir");
    let other = dir.path().join("other.toml");
    std::fs::write(&other, SEED.replace("name = \"seed\"", "name = \"other\"")).expect("file");
    let mut app = seed_app(dir.path());
    let edit = |app: &mut App, user: &str| {
        settle(
            app,
            Message::Nodes(nodes::Message::UserChanged(0, user.into())),
        );
    };
    edit(&mut app, "ops");
    click(&mut app, "Back");
    assert_eq!(app.page, Page::Welcome);

    // New cluster: asked; Escape closes the question, on the same page, with the edit kept.
    click(&mut app, "New cluster");
    assert!(shows(&app, "The profile has changes that are not saved."));
    settle(&mut app, Message::NextPressed);
    assert!(
        app.question.is_some(),
        "Enter does nothing behind the question"
    );
    settle(&mut app, Message::BackPressed);
    assert_eq!(app.question, None);
    assert_eq!(app.page, Page::Welcome);
    assert_eq!(app.profile.nodes[0].ssh.user, "ops");

    // Open another: "Save and open" writes the edit, then opens the other profile.
    settle(
        &mut app,
        Message::Welcome(welcome::Message::OpenPressed(other.clone())),
    );
    click(&mut app, "Save and open");
    assert_eq!(app.profile.cluster.name, "other");
    let saved =
        wizard_steps::profile::store::load(&dir.path().join("profiles/seed.toml")).expect("saved");
    assert_eq!(saved.nodes[0].ssh.user, "ops");

    // "Start without saving" drops the edit.
    edit(&mut app, "dropped");
    click(&mut app, "Back");
    click(&mut app, "New cluster");
    click(&mut app, "Start without saving");
    assert_eq!(app.page, Page::Nodes);
    assert_eq!(app.profile, Profile::new_cluster());
    assert_eq!(
        std::fs::read_to_string(&other).expect("other"),
        SEED.replace("name = \"seed\"", "name = \"other\"")
    );
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

/// The theme is the administrator's choice where the desktop has no portal to follow: picked on
/// the Welcome page or in the sidebar, kept for the next start.
#[test]
fn the_theme_chosen_is_used_and_kept_for_the_next_start() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app_in(dir.path());
    assert_eq!(app.theme(), None, "the desktop's by default");
    click(&mut app, "Dark");
    assert_eq!(app.theme(), Some(iced::Theme::Dark));
    let again = app_in(dir.path());
    assert_eq!(again.theme(), Some(iced::Theme::Dark), "kept");

    let mut app = seed_app(dir.path());
    assert_eq!(app.page, Page::Nodes);
    click(&mut app, "Light");
    assert_eq!(app.theme(), Some(iced::Theme::Light));
    click(&mut app, "System");
    assert_eq!(app_in(dir.path()).theme(), None);
}

/// With neither zenity nor a desktop portal, no file dialog can appear: the window asks for the
/// path in a field instead (here: Import), and Escape gives up as Cancel would.
#[test]
fn without_a_file_dialog_the_path_is_typed_instead() {
    use super::typed_path::{FIELD, PathFor, dialogs_available};
    use std::ffi::OsStr;
    let desktop = tempfile::tempdir().expect("dir");
    let bin = desktop.path().join("bin");
    let share = desktop.path().join("share");
    std::fs::create_dir_all(&bin).expect("bin");
    let bus = Some(OsStr::new("unix:path=/run/user/1000/bus"));
    let bin_path = Some(bin.as_os_str());
    let share_path = Some(share.as_os_str());
    assert!(!dialogs_available(bin_path, None, share_path));
    assert!(
        !dialogs_available(bin_path, bus, share_path),
        "a bus without a portal"
    );
    std::fs::create_dir_all(share.join("dbus-1/services")).expect("services");
    std::fs::write(
        share.join("dbus-1/services/org.freedesktop.portal.Desktop.service"),
        "[D-BUS Service]\n",
    )
    .expect("service");
    assert!(dialogs_available(bin_path, bus, share_path));
    assert!(
        !dialogs_available(bin_path, None, share_path),
        "no session bus to reach it"
    );
    std::fs::write(bin.join("zenity"), "#!/bin/sh\n").expect("zenity");
    assert!(dialogs_available(bin_path, None, share_path));

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("colleague.toml");
    std::fs::write(&path, SEED).expect("profile");
    let mut app = app_in(dir.path());
    // What the Import effect answers where no dialog can appear.
    let effects = settle(&mut app, Message::NoFileDialog(PathFor::ImportProfile));
    assert!(
        matches!(effects[..], [Effect::FocusField(FIELD)]),
        "{effects:?}"
    );
    assert!(shows(&app, "The profile file to import"));
    settle(&mut app, Message::NextPressed);
    assert_eq!(
        app.page,
        Page::Welcome,
        "Enter does nothing behind the field"
    );
    type_into(&mut app, FIELD, path.to_str().expect("path"));
    click(&mut app, "OK");
    assert_eq!(app.typed_path, None);
    assert_eq!(app.page, Page::Nodes);
    assert_eq!(app.profile_path.as_deref(), Some(path.as_path()));

    settle(&mut app, Message::NoFileDialog(PathFor::ExportProfile));
    settle(&mut app, Message::BackPressed);
    assert_eq!(app.typed_path, None, "Escape gives up");
    assert_eq!(app.page, Page::Nodes, "and goes nowhere");
}

/// Alt+letter does a page's main action, as its button would: connect the next node, add a
/// volume or a VM, export the plan; elsewhere it does nothing.
#[test]
fn access_keys_do_the_pages_main_actions() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = seed_app(dir.path());
    let effects = settle(&mut app, Message::AccessKey('c'));
    assert!(
        matches!(&effects[..], [Effect::Connect { request, .. }] if request.index == 0),
        "{effects:?}"
    );
    assert!(
        settle(&mut app, Message::AccessKey('t')).is_empty(),
        "no key to trust yet"
    );
    settle(&mut app, Message::Nodes(nodes::Message::CancelPressed(0)));
    for _ in 0..2 {
        click(&mut app, "Next");
    }
    assert_eq!(app.page, Page::Storage);
    let volumes = app.profile.storage.volumes.len();
    settle(&mut app, Message::AccessKey('a'));
    assert_eq!(app.profile.storage.volumes.len(), volumes + 1);
    settle(&mut app, Message::AccessKey('x'));
    assert_eq!(
        app.profile.storage.volumes.len(),
        volumes + 1,
        "Alt+X is nothing"
    );
    settle(&mut app, Message::PageSelected(Page::Vms));
    assert_eq!(app.page, Page::Storage, "not passed yet");
    settle(
        &mut app,
        Message::Storage(storage::Message::RemoveVolume(volumes)),
    );
    click(&mut app, "Next");
    let vms = app.profile.vms.len();
    settle(&mut app, Message::AccessKey('a'));
    assert_eq!(app.profile.vms.len(), vms + 1);
    settle(&mut app, Message::Vms(vms::Message::RemoveVm(vms)));
    click(&mut app, "Next");
    click(&mut app, "Next");
    assert_eq!(app.page, Page::Review);
    let effects = settle(&mut app, Message::AccessKey('e'));
    assert!(
        matches!(&effects[..], [Effect::PickPlanPath(_)]),
        "{effects:?}"
    );
}
