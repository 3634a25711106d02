//! Welcome: start a new cluster, open a saved or recent profile in the wizard or manage its
//! running cluster, or import a profile file.

use crate::screens::focus::Activate;
use std::path::{Path, PathBuf};

use crate::screens::style;
use iced::widget::{button, column, container, row, text};
use iced::{Center, Element, Fill};

#[derive(Debug, Clone, Default)]
pub struct State {
    /// Recently opened or saved profiles, newest first.
    pub recent: Vec<PathBuf>,
    /// Profiles in the profiles directory that are not in the recent list.
    pub saved: Vec<PathBuf>,
    /// Why the last profile could not be opened.
    pub error: Option<String>,
}

impl State {
    pub fn new(recent: Vec<PathBuf>, saved: Vec<PathBuf>) -> State {
        let saved = saved
            .into_iter()
            .filter(|path| !recent.contains(path))
            .collect();
        State {
            recent,
            saved,
            error: None,
        }
    }

    /// Every profile the page lists, in order (Alt+1 opens the first).
    pub fn listed(&self) -> Vec<&PathBuf> {
        self.recent.iter().chain(&self.saved).collect()
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    NewClusterPressed,
    OpenPressed(PathBuf),
    ManagePressed(PathBuf),
    ImportPressed,
    ImportChosen(Option<PathBuf>),
}

#[derive(Debug)]
pub enum Action {
    None,
    NewCluster,
    Open(PathBuf),
    /// Open the profile's running cluster on the Manage page.
    Manage(PathBuf),
    Import,
}

pub fn update(state: &mut State, message: Message) -> Action {
    match message {
        Message::NewClusterPressed => {
            state.error = None;
            Action::NewCluster
        }
        Message::OpenPressed(path) | Message::ImportChosen(Some(path)) => Action::Open(path),
        Message::ManagePressed(path) => Action::Manage(path),
        Message::ImportPressed => Action::Import,
        Message::ImportChosen(None) => Action::None,
    }
}

pub fn view(state: &State) -> Element<'_, Message> {
    let start = row![
        button(text("New cluster").size(18))
            .padding([10, 20])
            .style(button::primary)
            .on_activate(Message::NewClusterPressed),
        button(text("Import a profile…").size(18))
            .padding([10, 20])
            .style(button::secondary)
            .on_activate(Message::ImportPressed),
    ]
    .spacing(16);
    let mut page = column![
        text("Tandem").size(40),
        text(
            "Two Debian servers become a high-availability VM cluster: Xen on each node, one \
             DRBD resource per VM replicated between them, and Pacemaker moving each VM to the \
             surviving node when its home node fails, and back when it returns."
        )
        .size(16),
        text(
            "The wizard asks how to reach both nodes and what the cluster should look like, \
             shows every step before anything changes, then does the setup over SSH."
        )
        .size(14),
        start,
    ]
    .spacing(20)
    .max_width(760);
    if let Some(error) = &state.error {
        page = page.push(text(error).size(14).style(style::danger));
    }
    page = page.push(profile_list(
        "Recent profiles",
        &state.recent,
        0,
        "None yet: profiles you open or save appear here.",
    ));
    if !state.saved.is_empty() {
        page = page.push(profile_list(
            "Saved profiles",
            &state.saved,
            state.recent.len(),
            "",
        ));
    }
    page = page.push(
        text(
            "Keys: Ctrl+N new cluster, Ctrl+O import, Alt+number opens a listed profile, \
             Ctrl+number manages its cluster, F1 lists every key.",
        )
        .size(13)
        .style(style::secondary),
    );
    container(page).center_x(Fill).into()
}

/// A list of profiles, numbered from `before + 1` (the number Alt and Ctrl take).
fn profile_list<'a>(
    title: &'a str,
    paths: &'a [PathBuf],
    before: usize,
    empty: &'a str,
) -> Element<'a, Message> {
    let mut list = column![text(title).size(20)].spacing(6);
    if paths.is_empty() {
        list = list.push(text(empty).size(14));
    }
    for (index, path) in paths.iter().enumerate() {
        let number = before + index + 1;
        let key = if number <= 9 {
            format!("{number}")
        } else {
            String::new()
        };
        list = list.push(
            row![
                text(key).size(14).width(16).style(style::secondary),
                button(
                    column![
                        text(profile_name(path)).size(16),
                        text(path.display().to_string()).size(12),
                    ]
                    .spacing(2),
                )
                .width(Fill)
                .style(button::subtle)
                .on_activate(Message::OpenPressed(path.clone())),
                button(text("Manage cluster"))
                    .style(button::secondary)
                    .on_activate(Message::ManagePressed(path.clone())),
            ]
            .spacing(8)
            .align_y(Center),
        );
    }
    list.into()
}

/// A profile file's cluster name, as its file is named.
fn profile_name(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests;
