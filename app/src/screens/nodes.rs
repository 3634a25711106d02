//! Nodes: how Tandem reaches each node; Connect shows the host key to confirm, then what the
//! node has.

use std::path::PathBuf;

use iced::Element;
use iced::widget::{column, text};
use wizard_steps::Profile;
use wizard_steps::access::{AccessError, Credentials};
use wizard_steps::facts::NodeFacts;

use super::Context;

/// What the app needs to connect to a node.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    pub index: usize,
    pub credentials: Credentials,
    pub accept_fingerprint: Option<String>,
}

#[derive(Debug, Default)]
pub struct State {
    facts: [Option<NodeFacts>; 2],
}

impl State {
    pub fn facts(&self) -> [Option<&NodeFacts>; 2] {
        [self.facts[0].as_ref(), self.facts[1].as_ref()]
    }

    pub fn can_continue(&self) -> bool {
        true
    }

    pub fn blocked_reason(&self) -> String {
        String::new()
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    Connected(usize, Result<NodeFacts, AccessError>),
    KeyChosen(usize, Option<PathBuf>),
    Disconnected,
}

#[derive(Debug)]
pub enum Action {
    None,
    Connect(ConnectRequest),
    BrowseKey(usize),
    Disconnect(usize),
}

pub fn update(state: &mut State, message: Message, _profile: &mut Profile) -> Action {
    if let Message::Connected(index, Ok(facts)) = message {
        state.facts[index] = Some(facts);
    }
    Action::None
}

pub fn view<'a>(_state: &'a State, _context: Context<'a>) -> Element<'a, Message> {
    column![text("Nodes")].into()
}
