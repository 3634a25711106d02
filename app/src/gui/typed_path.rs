//! The file chooser's stand-in: on a desktop with neither zenity nor a desktop portal, a file
//! dialog never appears (rfd answers as if it was cancelled). The window then says so and asks
//! for the path in a field instead, so that Import, Export, the key file and the ISO still work.

use crate::screens::focus::Activate;
use std::path::{Path, PathBuf};

use iced::widget::{button, column, container, row, text, text_input};
use iced::{Element, Fill};

use super::Message;
use crate::screens::{done, nodes, vms, welcome};

/// What a path is asked for, and so which message it answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFor {
    ImportProfile,
    ExportProfile,
    Key(usize),
    Iso(usize),
    Report(done::ReportFormat),
    Plan,
}

impl PathFor {
    fn question(self) -> &'static str {
        match self {
            PathFor::ImportProfile => "The profile file to import",
            PathFor::ExportProfile => "Where to export the profile (a .toml file)",
            PathFor::Key(_) => "The SSH private key file",
            PathFor::Iso(_) => "The install ISO on this workstation",
            PathFor::Report(_) => "Where to write the setup report",
            PathFor::Plan => "Where to write the plan",
        }
    }

    /// The message the file dialog would have answered with.
    pub fn answer(self, path: Option<PathBuf>) -> Message {
        match self {
            PathFor::ImportProfile => Message::Welcome(welcome::Message::ImportChosen(path)),
            PathFor::ExportProfile => Message::ExportChosen(path),
            PathFor::Key(index) => Message::Nodes(nodes::Message::KeyChosen(index, path)),
            PathFor::Iso(index) => Message::Vms(vms::Message::IsoChosen(index, path)),
            PathFor::Report(format) => Message::ReportPathChosen(format, path),
            PathFor::Plan => Message::PlanPathChosen(path),
        }
    }
}

/// A path being typed because no file dialog can appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedPath {
    pub asked: PathFor,
    pub text: String,
}

#[derive(Debug, Clone)]
pub enum TypedPathMessage {
    Changed(String),
    Confirmed,
    Cancelled,
}

impl TypedPath {
    /// Applies a message; the answer to send on when the administrator is done.
    pub fn update(&mut self, message: TypedPathMessage) -> Option<Message> {
        match message {
            TypedPathMessage::Changed(text) => {
                self.text = text;
                None
            }
            TypedPathMessage::Confirmed => {
                let typed = self.text.trim();
                (!typed.is_empty()).then(|| self.asked.answer(Some(expand(typed))))
            }
            TypedPathMessage::Cancelled => Some(self.asked.answer(None)),
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let typed = |message| Message::TypedPath(message);
        container(
            column![
                text(
                    "No file dialog can open on this desktop (it needs zenity or a desktop \
                     portal, such as xdg-desktop-portal-gtk). Type the path instead:"
                ),
                text(self.asked.question()).size(14),
                text_input("/home/you/…", &self.text)
                    .id(FIELD)
                    .on_input(move |text| typed(TypedPathMessage::Changed(text)))
                    .on_submit(typed(TypedPathMessage::Confirmed))
                    .width(Fill),
                row![
                    button(text("Cancel"))
                        .style(button::secondary)
                        .on_activate(typed(TypedPathMessage::Cancelled)),
                    button(text("OK"))
                        .style(button::primary)
                        .on_activate(typed(TypedPathMessage::Confirmed)),
                ]
                .spacing(12),
            ]
            .spacing(12)
            .max_width(560),
        )
        .padding(24)
        .style(container::rounded_box)
        .into()
    }
}

/// The id of the path field (focused when it appears).
pub const FIELD: &str = "typed-path";

/// `~/` is the administrator's home, as in a shell.
fn expand(typed: &str) -> PathBuf {
    match (typed.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(typed),
    }
}

/// Whether a file dialog can appear: zenity on the PATH, or a desktop portal that the session
/// bus can start. (Given the environment, so that a test can ask for any desktop.)
pub fn dialogs_available(
    path: Option<&std::ffi::OsStr>,
    session_bus: Option<&std::ffi::OsStr>,
    data_dirs: Option<&std::ffi::OsStr>,
) -> bool {
    let zenity = path
        .is_some_and(|path| std::env::split_paths(path).any(|dir| dir.join("zenity").is_file()));
    let data_dirs = data_dirs
        .filter(|dirs| !dirs.is_empty())
        .map(|dirs| std::env::split_paths(dirs).collect::<Vec<_>>())
        .unwrap_or_else(|| vec!["/usr/local/share".into(), "/usr/share".into()]);
    let portal = session_bus.is_some_and(|bus| !bus.is_empty())
        && data_dirs.iter().any(|dir| {
            dir.join("dbus-1/services/org.freedesktop.portal.Desktop.service")
                .is_file()
        });
    zenity || portal
}

/// [`dialogs_available`] on this workstation.
pub fn dialogs_available_here() -> bool {
    dialogs_available(
        std::env::var_os("PATH").as_deref(),
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").as_deref(),
        std::env::var_os("XDG_DATA_DIRS").as_deref(),
    )
}
