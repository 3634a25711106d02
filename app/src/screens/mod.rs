//! The wizard's pages, one module each, named as in `wizard_steps::pages`. A page owns its
//! State, Message, `update` and `view`; it edits the profile it is handed and returns an
//! [`Action`]-like outward event when something beyond the page must happen (connect to a node,
//! open a file dialog, start the run). No page talks SSH or touches the disk itself: the app
//! (`crate::gui`) performs those as tasks and routes the results back as the page's messages.

pub mod cluster;
pub mod cluster_view;
pub mod done;
pub mod focus;
pub mod manage;
pub mod network;
pub mod nodes;
pub mod review;
pub mod run;
pub mod storage;
pub mod style;
#[cfg(test)]
pub(crate) mod testing;
pub mod vms;
pub mod welcome;

use iced::widget::{column, container, text};
use iced::{Element, Fill};
use wizard_steps::facts::NodeFacts;
use wizard_steps::field::Field;
use wizard_steps::pages::{self, Page};
use wizard_steps::validate::{Problem, Problems};
use wizard_steps::{Design, Profile};

/// The contract of a page that edits the profile with what the nodes were found to have: its
/// state, its messages and what it asks of the app, one `update` and one `view`. The app routes
/// through it and the page tests drive it. (Nodes, which connects to the nodes and holds what
/// they were found to have, and the pages after the profile are routed on their own.)
pub trait Screen {
    type State: Default;
    type Message;
    /// What the page asks the app to do (`()` when it never asks).
    type Action;
    /// The page in the registry: its title and the fields it edits.
    const PAGE: Page;

    /// Applies a message: edits the page's state and the profile, may ask the app for more.
    fn update(
        state: &mut Self::State,
        message: Self::Message,
        profile: &mut Profile,
        facts: [Option<&NodeFacts>; 2],
    ) -> Self::Action;

    fn view<'a>(state: &'a Self::State, context: Context<'a>) -> Element<'a, Self::Message>;
}

/// What every page may read besides its own state.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub profile: &'a Profile,
    /// The validator's verdict on the whole profile (empty when it is valid).
    pub problems: &'a Problems,
    /// The profile's design, when it is valid (made by the same validation as `problems`).
    pub design: Option<&'a Design>,
    /// What each node was found to have when the administrator connected to it.
    pub facts: [Option<&'a NodeFacts>; 2],
}

impl<'a> Context<'a> {
    /// The problems of exactly this field (`nodes[0].ssh.host`).
    pub fn problems_at(&self, field: Field) -> Vec<&'a Problem> {
        self.problems.for_field(field).collect()
    }

    /// The problems of a page that it shows under none of its inputs (`placed`): listed at the
    /// top of the page, so that nothing blocks Next unseen.
    pub fn problems_elsewhere(&self, page: Page, placed: &[Field]) -> Vec<&'a Problem> {
        pages::problems_of(self.problems, page)
            .into_iter()
            .filter(|problem| !placed.contains(&problem.field))
            .collect()
    }

    /// The hostname of node `index`, or "node N" while it has none.
    pub fn node_name(&self, index: usize) -> String {
        self.profile
            .nodes
            .get(index)
            .map(|node| node.hostname.trim())
            .filter(|name| !name.is_empty())
            .map_or_else(|| format!("node {}", index + 1), str::to_owned)
    }
}

/// A labelled form field: the label, the input, and under it each problem the validator has
/// with the field, with its fix.
pub fn field<'a, M: 'a>(
    label: &'a str,
    input: impl Into<Element<'a, M>>,
    problems: Vec<&Problem>,
) -> Element<'a, M> {
    let mut items = column![text(label).size(14), input.into()].spacing(4);
    for problem in problems {
        items = items.push(problem_text(problem));
    }
    items.into()
}

/// One validator problem, as shown under its field or in a page's list.
pub fn problem_text<'a, M: 'a>(problem: &Problem) -> Element<'a, M> {
    text(format!("{} — {}", problem.message, problem.fix))
        .size(13)
        .style(style::danger)
        .into()
}

/// A page's heading and the sentence that says what the page is for.
pub fn heading<'a, M: 'a>(title: &'a str, purpose: &'a str) -> Element<'a, M> {
    column![text(title).size(26), text(purpose).size(14)]
        .spacing(6)
        .into()
}

/// A framed group of fields.
pub fn section<'a, M: 'a>(
    title: impl text::IntoFragment<'a>,
    body: impl Into<Element<'a, M>>,
) -> Element<'a, M> {
    container(column![text(title).size(18), body.into()].spacing(10))
        .padding(12)
        .width(Fill)
        .style(container::bordered_box)
        .into()
}

/// A plain warning paragraph.
pub fn warning<'a, M: 'a>(message: impl text::IntoFragment<'a>) -> Element<'a, M> {
    text(message).size(14).style(style::warning).into()
}
