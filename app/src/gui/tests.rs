use std::path::Path;

use iced::keyboard::{self, Key, Location, Modifiers, key::Named};
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
        let mut ui = simulator(app.view());
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
fn enter_is_next_escape_is_back_and_tab_moves_the_focus() {
    let press = |key: Key, modifiers: Modifiers| keyboard::Event::KeyPressed {
        key: key.clone(),
        modified_key: key,
        physical_key: keyboard::key::Physical::Unidentified(
            keyboard::key::NativeCode::Unidentified,
        ),
        location: Location::Standard,
        modifiers,
        text: None,
        repeat: false,
    };
    assert!(matches!(
        on_key(press(Key::Named(Named::Enter), Modifiers::empty())),
        Some(Message::NextPressed)
    ));
    assert!(matches!(
        on_key(press(Key::Named(Named::Escape), Modifiers::empty())),
        Some(Message::BackPressed)
    ));
    assert!(matches!(
        on_key(press(Key::Named(Named::Tab), Modifiers::SHIFT)),
        Some(Message::TabPressed { shift: true })
    ));
    assert!(on_key(press(Key::Character("a".into()), Modifiers::empty())).is_none());

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
    settle(&mut app, Message::CloseCancelled);

    click(&mut app, "Save profile •");
    assert!(!app.unsaved());
    let saved = dir.path().join("seed.toml");
    let reloaded = wizard_steps::profile::store::load(&saved).expect("saved where it came from");
    assert_eq!(reloaded.nodes[0].ssh.user, "ops");
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
    ui.find("Connecting…").expect("the connection cards");
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
    let mut effects = app.handle(Message::SaveAndClose);
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
