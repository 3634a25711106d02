//! Storage.

use iced::Element;
use iced::widget::{column, text};
use wizard_steps::Profile;
use wizard_steps::facts::NodeFacts;

use super::Context;

#[derive(Debug, Default)]
pub struct State {}

#[derive(Debug, Clone)]
pub enum Message {}

pub fn update(
    _state: &mut State,
    message: Message,
    _profile: &mut Profile,
    _facts: [Option<&NodeFacts>; 2],
) {
    match message {}
}

pub fn view<'a>(_state: &'a State, _context: Context<'a>) -> Element<'a, Message> {
    column![text("Storage")].into()
}
