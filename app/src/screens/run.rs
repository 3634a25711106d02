//! Run.

use std::path::PathBuf;

use iced::Element;
use iced::widget::{column, text};
use wizard_steps::run::Event;
use wizard_steps::steps::run::Board;

#[derive(Debug, Default)]
pub struct State {
    pub journal: Option<PathBuf>,
    pub board: Board,
}

impl State {
    pub fn started(journal: PathBuf) -> State {
        State {
            journal: Some(journal),
            board: Board::default(),
        }
    }

    pub fn running(&self) -> bool {
        self.board.running()
    }

    pub fn succeeded(&self) -> bool {
        self.board
            .summary
            .as_ref()
            .is_some_and(|summary| summary.succeeded())
    }

    pub fn blocked_reason(&self) -> String {
        String::new()
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    Event(Box<Event>),
    EventsEnded,
}

#[derive(Debug)]
pub enum Action {
    None,
    Cancel,
    Resume,
    Finished { succeeded: bool },
}

pub fn update(state: &mut State, message: Message) -> Action {
    match message {
        Message::Event(event) => {
            state.board.apply(&event);
            Action::None
        }
        Message::EventsEnded => Action::Finished {
            succeeded: state.succeeded(),
        },
    }
}

pub fn view(_state: &State) -> Element<'_, Message> {
    column![text("Run")].into()
}
