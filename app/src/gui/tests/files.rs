//! Profiles and files: saving, exporting, the question before unsaved changes are dropped, the
//! theme kept between starts, and the path typed where no file dialog can appear.

use super::*;

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
