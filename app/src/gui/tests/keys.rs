//! The keyboard: Enter, Escape and Tab, the shortcuts F1 lists, the Welcome page by number, and
//! the access keys of the pages' main actions.

use iced::keyboard::{self, Key, Location, Modifiers, key::Named};

use super::*;
use crate::gui::window::SHORTCUTS;

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
