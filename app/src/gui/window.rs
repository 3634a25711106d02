//! The window: how it opens (size, icon, application id), what it listens to (close requests,
//! keys, the Manage page's refresh) and which keys do what.

use std::path::PathBuf;

use iced::keyboard::{self, Key, key::Named};
use iced::{Subscription, Task, event, window};
use wizard_steps::pages::Page;

use super::{App, Effect, Message, edge};
use crate::screens::{done, manage, nodes, review, storage, vms, welcome};

/// The window's application id (Wayland app_id, X11 WM_CLASS): the desktop entry's file name,
/// its StartupWMClass and Icon, and the AppStream id (packaging/ holds them under this name).
pub const APPLICATION_ID: &str = "org.tandemcluster.Tandem";

/// Why the window cannot open here, when it cannot: a Linux session with neither a Wayland nor
/// an X11 display (an SSH login, a console), where the windowing library would panic.
pub fn no_display() -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    (!set("WAYLAND_DISPLAY") && !set("DISPLAY")).then(|| {
        "no display to open the wizard's window on (neither WAYLAND_DISPLAY nor DISPLAY is set). \
         Run it in a desktop session or with `ssh -X`, or use the headless commands: \
         `tandem --help` lists them (validate, plan, render, apply, status, …)"
            .to_owned()
    })
}

/// Opens the wizard's window on the Welcome page; with `profile`, that profile is read at once
/// and opens on the Nodes page.
pub fn run(profile: Option<PathBuf>) -> iced::Result {
    let boot = move || {
        let mut app = App::new(edge::Edge::standard());
        // The profile is read as any other: by a task, whose result opens it.
        let task = match &profile {
            Some(path) => app.update(Message::Welcome(welcome::Message::OpenPressed(
                path.clone(),
            ))),
            None => Task::none(),
        };
        (app, task)
    };
    iced::application(boot, App::update, App::view)
        .title(App::title)
        .theme(App::theme)
        .subscription(App::subscription)
        .window(window::Settings {
            size: iced::Size::new(1024.0, 768.0),
            min_size: Some(iced::Size::new(760.0, 560.0)),
            exit_on_close_request: false,
            icon: window_icon(),
            #[cfg(target_os = "linux")]
            platform_specific: window::settings::PlatformSpecific {
                application_id: APPLICATION_ID.to_owned(),
                ..Default::default()
            },
            ..Default::default()
        })
        .exit_on_close_request(false)
        .run()
}

/// The application icon's 64 px PNG, for window managers that take the icon from the window
/// (the dock finds the installed one through the desktop entry).
const ICON_PNG: &[u8] =
    include_bytes!("../../../packaging/icons/hicolor/64x64/apps/org.tandemcluster.Tandem.png");

/// The window's icon, or none when the embedded PNG cannot be decoded (the window still opens).
pub fn window_icon() -> Option<window::Icon> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(ICON_PNG));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let mut pixels = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut pixels).ok()?;
    if frame.color_type != png::ColorType::Rgba {
        return None;
    }
    pixels.truncate(frame.buffer_size());
    window::icon::from_rgba(pixels, frame.width, frame.height).ok()
}

/// The window's keys, as F1 lists them (the key, what it does).
pub const SHORTCUTS: &[(&str, &str)] = &[
    (
        "Enter",
        "Next (on a button or a check box: press it; in a password field: connect)",
    ),
    ("Escape", "close the question or this list; otherwise Back"),
    (
        "Tab / Shift+Tab",
        "the next / previous field or control (a ring marks the control)",
    ),
    (
        "Space",
        "on a control: press the button, tick the box, flip the switch",
    ),
    (
        "Arrow keys",
        "on an option group or a list: the previous / next choice",
    ),
    (
        "Alt+1 … Alt+9",
        "a page of the sidebar already passed; on Welcome, open profile 1 … 9",
    ),
    (
        "Ctrl+1 … Ctrl+9",
        "on Welcome: manage the cluster of profile 1 … 9",
    ),
    ("Alt+C", "Nodes: connect the next node not connected yet"),
    (
        "Alt+T",
        "Nodes: trust the host key shown (compare it first)",
    ),
    ("Alt+A", "Storage: add a volume; VMs: add a VM"),
    (
        "Alt+E",
        "Review: export the plan; Done: export the report (HTML)",
    ),
    ("Ctrl+N", "a new cluster (Welcome page)"),
    ("Ctrl+O", "import a profile file (Welcome page)"),
    ("Ctrl+S", "save the profile"),
    (
        "Ctrl+Shift+S",
        "export the profile to a file of your choice",
    ),
    (
        "Ctrl+Q",
        "close the window (asks first with unsaved changes)",
    ),
    ("F1", "this list"),
];

/// What a key does (see [`SHORTCUTS`]). Enter and Tab only when no widget took them; Escape
/// even when a text field took it (it only gave up the focus: the administrator should not press
/// Escape twice on every page), and the Ctrl, Alt and F1 keys always (no field uses them).
pub fn on_key(
    event: keyboard::Event,
    status: event::Status,
    window: window::Id,
) -> Option<Message> {
    let keyboard::Event::KeyPressed { key, modifiers, .. } = event else {
        return None;
    };
    if modifiers.command() || modifiers.alt() {
        return command_key(key.as_ref(), modifiers, window);
    }
    if key == Key::Named(Named::F1) {
        return Some(Message::KeysPressed);
    }
    let escape = key == Key::Named(Named::Escape);
    if status == event::Status::Captured && !escape {
        return None;
    }
    match key.as_ref() {
        Key::Named(Named::Enter) => Some(Message::NextPressed),
        Key::Named(Named::Escape) => Some(Message::BackPressed),
        Key::Named(Named::Tab) => Some(Message::TabPressed {
            shift: modifiers.shift(),
        }),
        _ => None,
    }
}

fn command_key(
    key: Key<&str>,
    modifiers: keyboard::Modifiers,
    window: window::Id,
) -> Option<Message> {
    let Key::Character(character) = key else {
        return None;
    };
    if modifiers.alt() && !modifiers.command() {
        let letter = character.to_ascii_lowercase().chars().next()?;
        if letter.is_ascii_alphabetic() {
            return Some(Message::AccessKey(letter));
        }
    }
    if let Ok(number) = character.parse::<usize>() {
        return (1..=9).contains(&number).then_some(Message::NumberKey {
            number,
            manage: modifiers.command(),
        });
    }
    match (character.to_ascii_lowercase().as_str(), modifiers.shift()) {
        ("s", false) => Some(Message::SavePressed),
        ("s", true) => Some(Message::ExportPressed),
        ("q", _) => Some(Message::CloseRequested(window)),
        ("n", _) => Some(Message::Welcome(welcome::Message::NewClusterPressed)),
        ("o", _) => Some(Message::Welcome(welcome::Message::ImportPressed)),
        _ => None,
    }
}

/// How often the Manage page reads the cluster.
const MANAGE_REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

impl App {
    /// Alt+`number` (Ctrl with `manage`): on Welcome the profile listed with that number, in
    /// the wizard or on the Manage page; elsewhere the sidebar's page of that number.
    pub(super) fn number_key(&mut self, number: usize, manage: bool) -> Vec<Effect> {
        match (self.page, manage) {
            (Page::Welcome, _) => {
                let listed = self
                    .welcome
                    .listed()
                    .get(number - 1)
                    .map(|path| (*path).clone());
                match listed {
                    Some(path) if manage => {
                        self.handle(Message::Welcome(welcome::Message::ManagePressed(path)))
                    }
                    Some(path) => {
                        self.handle(Message::Welcome(welcome::Message::OpenPressed(path)))
                    }
                    None => Vec::new(),
                }
            }
            (_, false) => match Page::ALL.get(number) {
                Some(page) => self.handle(Message::PageSelected(*page)),
                None => Vec::new(),
            },
            (_, true) => Vec::new(),
        }
    }

    /// What Alt+`letter` does on the current page, as the message its button would send.
    pub(super) fn access_key(&self, letter: char) -> Option<Message> {
        let node_where = |wanted: fn(&nodes::Link) -> bool| {
            (0..self.profile.nodes.len()).find(|&index| wanted(self.nodes.link(index)))
        };
        match (self.page, letter) {
            (Page::Nodes, 'c') => node_where(|link| {
                matches!(link, nodes::Link::NotConnected | nodes::Link::Failed(_))
            })
            .filter(|&index| nodes::connect_blocker(self.context(), index).is_none())
            .map(|index| Message::Nodes(nodes::Message::ConnectPressed(index))),
            (Page::Nodes, 't') => {
                node_where(|link| matches!(link, nodes::Link::ConfirmHostKey { .. }))
                    .map(|index| Message::Nodes(nodes::Message::TrustPressed(index)))
            }
            (Page::Storage, 'a') => Some(Message::Storage(storage::Message::AddVolume)),
            (Page::Vms, 'a') => Some(Message::Vms(vms::Message::AddVm)),
            (Page::Review, 'e') => Some(Message::Review(review::Message::ExportPlanPressed)),
            (Page::Done, 'e') => Some(Message::Done(done::Message::ExportPressed(
                done::ReportFormat::Html,
            ))),
            _ => None,
        }
    }

    /// The chosen theme; None follows the desktop.
    pub fn theme(&self) -> Option<iced::Theme> {
        self.settings.theme.theme()
    }

    fn subscription(&self) -> Subscription<Message> {
        let mut subscriptions = vec![
            window::close_requests().map(Message::CloseRequested),
            iced::event::listen_with(|event, status, window| match event {
                iced::Event::Keyboard(event) => on_key(event, status, window),
                _ => None,
            }),
        ];
        if self.nodes.connecting() {
            // Often enough for the waiting bar to move smoothly.
            subscriptions.push(
                iced::time::every(std::time::Duration::from_millis(250))
                    .map(|now| Message::Nodes(nodes::Message::Tick(now))),
            );
        }
        if self.page == Page::Manage && self.connected_nodes().contains(&true) {
            subscriptions.push(
                iced::time::every(MANAGE_REFRESH).map(|_| Message::Manage(manage::Message::Tick)),
            );
        }
        Subscription::batch(subscriptions)
    }
}
