//! Review.

use std::sync::Arc;

use iced::Element;
use iced::widget::{column, text};
use wizard_steps::Design;
use wizard_steps::access::Preflight;
use wizard_steps::facts::Finding;
use wizard_steps::plan::Plan;
use wizard_steps::run::Secrets;
use wizard_steps::validate::Problems;

use super::Context;

/// What the preflight found, and the plan made from it.
#[derive(Debug, Clone)]
pub struct Checked {
    pub preflight: Arc<Preflight>,
}

impl Checked {
    pub fn new(_design: &Design, preflight: Preflight) -> Checked {
        Checked {
            preflight: Arc::new(preflight),
        }
    }
}

/// Everything the run needs from this page.
#[derive(Debug)]
pub struct Start {
    pub plan: Plan,
    pub secrets: Secrets,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Default)]
pub struct State {
    checked: Option<Checked>,
}

impl State {
    pub fn checking(&mut self) {
        self.checked = None;
    }

    pub fn invalid(&mut self, _problems: &Problems) {}

    pub fn failed(&mut self, _error: String) {}

    pub fn can_start(&self) -> bool {
        self.checked.is_some()
    }

    pub fn start(&self) -> Option<Start> {
        let checked = self.checked.as_ref()?;
        Some(Start {
            plan: checked.preflight.plan.clone(),
            secrets: Secrets::new(),
            findings: checked.preflight.findings.clone(),
        })
    }

    pub fn blocked_reason(&self) -> String {
        String::new()
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    Checked(Result<Checked, String>),
}

#[derive(Debug)]
pub enum Action {
    None,
    CheckNodes,
    Start(Start),
}

pub fn update(state: &mut State, message: Message) -> Action {
    let Message::Checked(result) = message;
    state.checked = result.ok();
    Action::None
}

pub fn view<'a>(_state: &'a State, _context: Context<'a>) -> Element<'a, Message> {
    column![text("Review")].into()
}
