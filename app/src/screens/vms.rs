//! VMs.

use std::path::PathBuf;

use iced::Element;
use iced::widget::{column, text};
use wizard_steps::Profile;

use super::Context;

#[derive(Debug, Default)]
pub struct State {}

impl State {
    pub fn can_continue(&self, _context: Context<'_>) -> bool {
        true
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    IsoChosen(usize, Option<PathBuf>),
}

#[derive(Debug)]
pub enum Action {
    None,
    BrowseIso(usize),
}

pub fn update(_state: &mut State, _message: Message, _profile: &mut Profile) -> Action {
    Action::None
}

pub fn view<'a>(_state: &'a State, _context: Context<'a>) -> Element<'a, Message> {
    column![text("VMs")].into()
}
