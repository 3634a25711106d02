//! What the page tests share: the seed profile, and a harness that holds a page's state with
//! the profile it edits, draws the page in a window tall enough to click anything on it, and
//! feeds what the clicks and keys produced back through the page's `update`.

use iced::keyboard::key::Named;
use iced_test::selector::{Bounded, id};
use iced_test::{Error, Selector, Simulator};
use wizard_steps::facts::NodeFacts;
use wizard_steps::validate::{Problems, verdict};
use wizard_steps::{Design, Profile, pages};

use super::{Context, Screen};

pub const SEED: &str = include_str!("../../../resources/profiles/seed.toml");

pub fn seed() -> Profile {
    Profile::from_toml(SEED, "seed").expect("the seed profile parses")
}

/// The context the app gives a page showing `profile`: its problems and design made by the
/// same validation as the app's (leaked: a test's window outlives none of it).
pub fn context_of(profile: &Profile) -> Context<'_> {
    let (design, problems) = verdict(profile);
    Context {
        profile,
        problems: Box::leak(Box::new(problems)),
        design: Box::leak(Box::new(design)).as_ref(),
        facts: [None, None],
    }
}

/// How tall the harness's window is for a page, so that the whole page is visible.
pub trait Tall: Screen {
    const HEIGHT: f32;
}

pub struct Harness<S: Tall> {
    pub state: S::State,
    pub profile: Profile,
    pub problems: Problems,
    pub design: Option<Design>,
    pub facts: [Option<NodeFacts>; 2],
}

impl<S: Tall> Harness<S> {
    pub fn new(profile: Profile, facts: [Option<NodeFacts>; 2]) -> Harness<S> {
        let (design, problems) = verdict(&profile);
        Harness {
            state: S::State::default(),
            profile,
            problems,
            design,
            facts,
        }
    }

    /// The seed profile, no node connected.
    pub fn seed() -> Harness<S> {
        Harness::new(seed(), [None, None])
    }

    /// The seed profile, with what the nodes were found to have.
    pub fn with_facts(facts: [Option<NodeFacts>; 2]) -> Harness<S> {
        Harness::new(seed(), facts)
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            profile: &self.profile,
            problems: &self.problems,
            design: self.design.as_ref(),
            facts: [self.facts[0].as_ref(), self.facts[1].as_ref()],
        }
    }

    pub fn ui(&self) -> Simulator<'_, S::Message> {
        Simulator::with_size(
            iced::Settings::default(),
            (1024.0, S::HEIGHT),
            S::view(&self.state, self.context()),
        )
    }

    /// Feeds messages to the page's update, then validates the profile as the app does.
    pub fn apply(&mut self, messages: Vec<S::Message>) -> Vec<S::Action> {
        let actions = messages
            .into_iter()
            .map(|message| {
                let facts = [self.facts[0].as_ref(), self.facts[1].as_ref()];
                S::update(&mut self.state, message, &mut self.profile, facts)
            })
            .collect();
        self.validate();
        actions
    }

    /// Validates the profile again, after a test changed it directly.
    pub fn validate(&mut self) {
        (self.design, self.problems) = verdict(&self.profile);
    }

    /// Clicks the input with this id (the cursor lands at the end), erases `erase`
    /// characters, and types.
    pub fn type_into(
        &mut self,
        input: impl Into<iced::widget::Id>,
        erase: usize,
        typed: &str,
    ) -> Result<Vec<S::Action>, Error> {
        let mut ui = self.ui();
        let _ = ui.click(id(input))?;
        for _ in 0..erase {
            let _ = ui.tap_key(Named::Backspace);
        }
        let _ = ui.typewrite(typed);
        let messages: Vec<S::Message> = ui.into_messages().collect();
        Ok(self.apply(messages))
    }

    pub fn click<T>(&mut self, target: T) -> Result<Vec<S::Action>, Error>
    where
        T: Selector + Send,
        T::Output: Bounded + Clone + Send + Sync + 'static,
    {
        let mut ui = self.ui();
        let _ = ui.click(target)?;
        let messages: Vec<S::Message> = ui.into_messages().collect();
        Ok(self.apply(messages))
    }

    pub fn shows(&self, text: &str) -> bool {
        self.ui().find(text).is_ok()
    }

    /// The problems the page can fix.
    pub fn page_problems(&self) -> usize {
        pages::problems_of(&self.problems, S::PAGE).len()
    }
}
