//! Welcome: start a new cluster, open a saved profile, pick a recent one, or import a file.

use std::path::PathBuf;

use iced::Element;
use iced::widget::{column, text};

#[derive(Debug, Default)]
pub struct State {
    pub recent: Vec<PathBuf>,
    pub error: Option<String>,
}

impl State {
    pub fn new(recent: Vec<PathBuf>) -> State {
        State {
            recent,
            error: None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    ImportChosen(Option<PathBuf>),
}

#[derive(Debug)]
pub enum Action {
    None,
    NewCluster,
    Open(PathBuf),
    Import,
}

pub fn update(_state: &mut State, message: Message) -> Action {
    match message {
        Message::ImportChosen(Some(path)) => Action::Open(path),
        Message::ImportChosen(None) => Action::None,
    }
}

pub fn view(_state: &State) -> Element<'_, Message> {
    column![text("Welcome")].into()
}
