//! Review: what the read-only preflight found on both nodes, the plan per node (each step's
//! script on demand), every file it writes, each destructive action to confirm one by one, and
//! the BMC passwords the plan needs at run time. Nothing starts until all of that is in order.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use iced::widget::{Column, button, checkbox, column, container, row, text, text_input};
use iced::{Center, Element, Fill, Font};
use wizard_steps::Design;
use wizard_steps::access::Preflight;
use wizard_steps::facts::{Finding, Severity};
use wizard_steps::pages::Page;
use wizard_steps::pages::review::{Review, review};
use wizard_steps::plan::{Operation, Plan, SecretName};
use wizard_steps::remote::Secret;
use wizard_steps::run::Secrets;
use wizard_steps::validate::kinds;
use wizard_steps::validate::{Problem, Problems};

use super::{Context, heading, problem_text, section, warning};

/// What the preflight found, and the plan made from it.
#[derive(Debug, Clone)]
pub struct Checked {
    pub preflight: Arc<Preflight>,
    /// The plan as the administrator reviews it.
    pub review: Arc<Review>,
    /// The run-time secrets the plan's steps need, in plan order, each once.
    pub secrets: Vec<SecretName>,
}

impl Checked {
    pub fn new(_design: &Design, preflight: Preflight) -> Checked {
        let review = review(&preflight.plan, &preflight.findings);
        let secrets = secrets_needed(&preflight.plan);
        Checked {
            preflight: Arc::new(preflight),
            review: Arc::new(review),
            secrets,
        }
    }
}

/// The secrets that `Operation::Secret` steps of the plan ask for.
fn secrets_needed(plan: &Plan) -> Vec<SecretName> {
    let mut needed = Vec::new();
    for (_, step) in plan.steps() {
        if let Operation::Secret { secret, .. } = &step.operation
            && !needed.contains(secret)
        {
            needed.push(secret.clone());
        }
    }
    needed
}

/// Everything the run needs from this page.
#[derive(Debug)]
pub struct Start {
    pub plan: Plan,
    pub secrets: Secrets,
    pub findings: Vec<Finding>,
}

/// Where the page stands with its check of the nodes.
#[derive(Debug, Default)]
enum Status {
    /// No check asked for yet.
    #[default]
    Idle,
    /// Reading both nodes.
    Checking,
    /// The profile does not validate: its problems, with the pages that fix them.
    /// Each problem with the page that fixes it.
    Invalid(Vec<(Option<Page>, Problem)>),
    /// The preflight could not run, or the run could not start.
    Failed(String),
    Checked,
}

#[derive(Debug, Default)]
pub struct State {
    status: Status,
    /// The last successful check (kept while a new one is under way only to carry over what
    /// the administrator confirmed and typed).
    checked: Option<Checked>,
    /// Destructive actions ticked: (step, node, what), so that a confirmation covers exactly
    /// the action that was shown.
    confirmed: BTreeSet<(String, String, String)>,
    /// BMC passwords typed so far.
    passwords: BTreeMap<SecretName, String>,
    /// Steps whose script is shown: (node, step id).
    expanded: BTreeSet<(String, String)>,
    /// The file whose contents are shown: index into `Review::files`.
    shown_file: Option<usize>,
}

impl State {
    /// A check is under way.
    pub fn checking(&mut self) {
        self.status = Status::Checking;
    }

    /// The profile does not validate: the problems are shown with the pages that fix them.
    pub fn invalid(&mut self, problems: &Problems) {
        let listed = problems
            .0
            .iter()
            .map(|problem| (Page::editing(&problem.field), problem.clone()))
            .collect();
        self.status = Status::Invalid(listed);
    }

    /// The preflight or the start failed.
    pub fn failed(&mut self, error: String) {
        self.status = Status::Failed(error);
    }

    /// The current check's result, when the page shows one.
    fn current(&self) -> Option<&Checked> {
        match self.status {
            Status::Checked => self.checked.as_ref(),
            _ => None,
        }
    }

    /// The step ids whose every destructive action is ticked.
    fn confirmed_steps(&self, review: &Review) -> Vec<String> {
        review
            .destructive
            .iter()
            .map(|action| action.step.clone())
            .filter(|step| {
                review
                    .destructive
                    .iter()
                    .filter(|action| action.step == *step)
                    .all(|action| {
                        self.confirmed.contains(&(
                            action.step.clone(),
                            action.node.clone(),
                            action.what.clone(),
                        ))
                    })
            })
            .collect()
    }

    fn missing_secrets<'a>(&self, checked: &'a Checked) -> Vec<&'a SecretName> {
        checked
            .secrets
            .iter()
            .filter(|secret| {
                self.passwords
                    .get(secret)
                    .is_none_or(|password| password.is_empty())
            })
            .collect()
    }

    /// A typed password that IPMI would not take, with why.
    fn password_problem(&self, name: &SecretName) -> Option<String> {
        let password = self
            .passwords
            .get(name)
            .filter(|password| !password.is_empty())?;
        let SecretName::BmcPassword(node) = name;
        kinds::bmc_password(password).err().map(|broken| {
            format!(
                "BMC password of {node}: {} — {}",
                broken.message, broken.allowed
            )
        })
    }

    pub fn can_start(&self) -> bool {
        self.current().is_some_and(|checked| {
            checked
                .review
                .may_start(&self.confirmed_steps(&checked.review))
                && self.missing_secrets(checked).is_empty()
                && checked
                    .secrets
                    .iter()
                    .all(|name| self.password_problem(name).is_none())
        })
    }

    pub fn start(&self) -> Option<Start> {
        if !self.can_start() {
            return None;
        }
        let checked = self.current()?;
        let secrets = checked
            .secrets
            .iter()
            .filter_map(|name| {
                self.passwords
                    .get(name)
                    .map(|password| (name.clone(), Secret::new(password.clone())))
            })
            .collect();
        Some(Start {
            plan: checked.preflight.plan.clone(),
            secrets,
            findings: checked.preflight.findings.clone(),
        })
    }

    /// Why the run cannot start yet, in a few words.
    pub fn blocked_reason(&self) -> String {
        match &self.status {
            Status::Idle => "The nodes have not been checked yet".to_owned(),
            Status::Checking => "Reading both nodes…".to_owned(),
            Status::Invalid(_) => "The profile has problems: see the list above".to_owned(),
            Status::Failed(_) => "The check failed: see the error, then Check again".to_owned(),
            Status::Checked => {
                let Some(checked) = self.checked.as_ref() else {
                    return String::new();
                };
                let review = &checked.review;
                let blocking = review.blocking.len();
                if blocking > 0 {
                    return format!("{blocking} preflight error(s) must be fixed first");
                }
                let confirmed = self.confirmed_steps(review);
                let unconfirmed = review
                    .destructive
                    .iter()
                    .filter(|action| !confirmed.contains(&action.step))
                    .count();
                if unconfirmed > 0 {
                    return format!("Confirm each destructive action ({unconfirmed} left)");
                }
                let missing = self.missing_secrets(checked).len();
                if missing > 0 {
                    return format!("Type the BMC password(s) ({missing} left)");
                }
                checked
                    .secrets
                    .iter()
                    .find_map(|name| self.password_problem(name))
                    .unwrap_or_default()
            }
        }
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    Checked(Result<Checked, String>),
    CheckAgain,
    /// A step's script shown or hidden: (node, step id).
    StepToggled(String, String),
    /// A file's contents shown or hidden: index into the review's files.
    FileToggled(usize),
    /// A destructive action ticked or unticked: (step, node, what).
    Confirmed((String, String, String), bool),
    PasswordChanged(SecretName, String),
    StartPressed,
}

#[derive(Debug)]
pub enum Action {
    None,
    CheckNodes,
    Start(Start),
}

pub fn update(state: &mut State, message: Message) -> Action {
    match message {
        Message::Checked(Ok(checked)) => {
            // A confirmation stands only for an action that is still planned exactly so.
            let actions: BTreeSet<(String, String, String)> = checked
                .review
                .destructive
                .iter()
                .map(|action| {
                    (
                        action.step.clone(),
                        action.node.clone(),
                        action.what.clone(),
                    )
                })
                .collect();
            state.confirmed.retain(|action| actions.contains(action));
            state
                .passwords
                .retain(|name, _| checked.secrets.contains(name));
            state.shown_file = None;
            state.checked = Some(checked);
            state.status = Status::Checked;
            Action::None
        }
        Message::Checked(Err(error)) => {
            state.failed(error);
            Action::None
        }
        Message::CheckAgain => {
            if matches!(state.status, Status::Checking) {
                Action::None
            } else {
                Action::CheckNodes
            }
        }
        Message::StepToggled(node, step) => {
            let key = (node, step);
            if !state.expanded.remove(&key) {
                state.expanded.insert(key);
            }
            Action::None
        }
        Message::FileToggled(index) => {
            state.shown_file = if state.shown_file == Some(index) {
                None
            } else {
                Some(index)
            };
            Action::None
        }
        Message::Confirmed(action, ticked) => {
            if ticked {
                state.confirmed.insert(action);
            } else {
                state.confirmed.remove(&action);
            }
            Action::None
        }
        Message::PasswordChanged(name, password) => {
            state.passwords.insert(name, password);
            Action::None
        }
        Message::StartPressed => match state.start() {
            Some(start) => Action::Start(start),
            None => Action::None,
        },
    }
}

pub const CHECKING: &str = "Reading both nodes (read-only)…";

pub fn view<'a>(state: &'a State, _context: Context<'a>) -> Element<'a, Message> {
    let mut page = column![heading(
        "Review",
        "What Tandem found on both nodes and exactly what it will do. Nothing has changed on \
         the nodes yet."
    )]
    .spacing(20);
    let check_again = button(text("Check again"))
        .style(button::secondary)
        .on_press_maybe((!matches!(state.status, Status::Checking)).then_some(Message::CheckAgain));
    match &state.status {
        Status::Idle => {
            page = page.push(
                row![
                    text("The nodes have not been checked yet.").width(Fill),
                    check_again
                ]
                .spacing(12)
                .align_y(Center),
            );
        }
        Status::Checking => {
            page = page.push(
                row![text(CHECKING).width(Fill), check_again]
                    .spacing(12)
                    .align_y(Center),
            );
        }
        Status::Invalid(problems) => {
            let mut pages: Vec<Page> = Vec::new();
            for page in problems.iter().filter_map(|(page, _)| *page) {
                if !pages.contains(&page) {
                    pages.push(page);
                }
            }
            let names: Vec<&str> = pages.iter().map(|page| page.title()).collect();
            let mut list = column![text(format!(
                "The profile has {} problem(s). Fix them on these pages: {}.",
                problems.len(),
                names.join(", ")
            ))]
            .spacing(6);
            for (page, problem) in problems {
                list = list.push(
                    column![
                        text(format!(
                            "{} page · {}",
                            page.map_or("", Page::title),
                            problem.field
                        ))
                        .size(13),
                        problem_text(problem),
                    ]
                    .spacing(2),
                );
            }
            page = page.push(section("The profile is not complete", list));
        }
        Status::Failed(error) => {
            page = page.push(section(
                "The check did not complete",
                column![text(error.as_str()).style(text::danger), row![check_again]].spacing(10),
            ));
        }
        Status::Checked => {
            if let Some(checked) = state.checked.as_ref() {
                page = page
                    .push(
                        row![
                            text(format!("Plan for {}", checked.review.target)).width(Fill),
                            check_again
                        ]
                        .spacing(12)
                        .align_y(Center),
                    )
                    .push(findings_view(&checked.review, &checked.preflight.findings))
                    .push(destructive_view(state, &checked.review))
                    .push(disruptive_view(&checked.review))
                    .push(secrets_view(state, checked))
                    .push(plan_view(state, &checked.review))
                    .push(files_view(state, &checked.review))
                    .push(start_view(state));
            }
        }
    }
    page.into()
}

fn findings_view<'a>(review: &'a Review, findings: &'a [Finding]) -> Element<'a, Message> {
    let mut list = Column::new().spacing(8);
    for finding in &review.blocking {
        list = list.push(finding_view(finding));
    }
    for finding in &review.warnings {
        list = list.push(finding_view(finding));
    }
    let passed = findings
        .iter()
        .filter(|finding| finding.severity == Severity::Ok)
        .count();
    list = list.push(text(format!("{passed} check(s) passed.")).size(13));
    let title = match (review.blocking.len(), review.warnings.len()) {
        (0, 0) => "Preflight: everything is in order".to_owned(),
        (0, warnings) => format!("Preflight: {warnings} warning(s)"),
        (errors, warnings) => {
            format!("Preflight: {errors} error(s) to fix first, {warnings} warning(s)")
        }
    };
    section(title, list)
}

fn finding_view<'a>(finding: &'a Finding) -> Element<'a, Message> {
    let (mark, style): (&str, fn(&iced::Theme) -> text::Style) = match finding.severity {
        Severity::Error => ("Error", text::danger),
        Severity::Warning => ("Warning", text::warning),
        Severity::Ok => ("OK", text::default),
    };
    let mut item = column![
        text(format!(
            "{mark} · {} · {}: {}",
            finding.node, finding.check, finding.detail
        ))
        .style(style)
    ]
    .spacing(2);
    if !finding.fix.is_empty() {
        item = item.push(text(format!("Fix: {}", finding.fix)).size(13));
    }
    item.into()
}

fn destructive_view<'a>(state: &'a State, review: &'a Review) -> Option<Element<'a, Message>> {
    if review.destructive.is_empty() {
        return None;
    }
    let mut list = column![warning(
        "These steps erase data. Tick each one to confirm it; nothing starts until every one \
         is ticked."
    )]
    .spacing(8);
    for action in &review.destructive {
        let key = (
            action.step.clone(),
            action.node.clone(),
            action.what.clone(),
        );
        let ticked = state.confirmed.contains(&key);
        list = list.push(
            checkbox(ticked)
                .label(format!("{}: {}", action.node, action.what))
                .style(checkbox::danger)
                .on_toggle(move |ticked| Message::Confirmed(key.clone(), ticked)),
        );
    }
    Some(section(
        format!("Destructive actions ({})", review.destructive.len()),
        list,
    ))
}

fn disruptive_view(review: &Review) -> Option<Element<'_, Message>> {
    if review.disruptive.is_empty() {
        return None;
    }
    let mut list =
        column![text(
        "These steps interrupt what runs, one node at a time; no data is lost and the other \
         node keeps its VMs running meanwhile."
    )
    .size(13)]
        .spacing(8);
    for action in &review.disruptive {
        list = list.push(
            text(format!("{}: {}", action.node, action.what))
                .size(14)
                .style(text::warning),
        );
    }
    Some(section(
        format!("Disruptive actions ({})", review.disruptive.len()),
        list,
    ))
}

fn secrets_view<'a>(state: &'a State, checked: &'a Checked) -> Option<Element<'a, Message>> {
    if checked.secrets.is_empty() {
        return None;
    }
    let mut list =
        column![text(
        "Fencing needs each node's BMC password. It is written to the nodes (readable by root \
         only) and never saved in the profile or the journal."
    )
    .size(13)]
        .spacing(8);
    for name in &checked.secrets {
        let SecretName::BmcPassword(node) = name;
        let value = state.passwords.get(name).map_or("", String::as_str);
        let name = name.clone();
        let problem = state.password_problem(&name);
        list = list.push(
            row![
                text(format!("BMC password of {node}")).width(220),
                text_input(&format!("Password for the BMC of {node}"), value)
                    .secure(true)
                    .on_input(move |password| Message::PasswordChanged(name.clone(), password)),
            ]
            .spacing(12)
            .align_y(Center),
        );
        if let Some(problem) = problem {
            list = list.push(text(problem).size(13).style(text::danger));
        }
    }
    Some(section("Passwords needed at run time", list))
}

fn plan_view<'a>(state: &'a State, review: &'a Review) -> Element<'a, Message> {
    let mut nodes = Column::new().spacing(16);
    for node in &review.nodes {
        let mut steps = Column::new().spacing(2);
        let mut phase: Option<&str> = None;
        for step in &node.steps {
            if phase != Some(step.phase.as_str()) {
                phase = Some(step.phase.as_str());
                steps = steps.push(
                    container(text(step.phase.as_str()).size(15)).padding(iced::padding::top(6)),
                );
            }
            let key = (node.node.clone(), step.id.clone());
            let open = state.expanded.contains(&key);
            let marker = if open { "▾" } else { "▸" };
            let title = match &step.destructive {
                Some(_) => format!("{marker} {} (destructive)", step.title),
                None => format!("{marker} {}", step.title),
            };
            let label = if step.destructive.is_some() {
                text(title).style(text::danger)
            } else {
                text(title)
            };
            steps = steps.push(
                button(label.size(14))
                    .style(button::text)
                    .padding([2, 8])
                    .on_press(Message::StepToggled(key.0.clone(), key.1.clone())),
            );
            if open {
                steps = steps.push(
                    container(text(step.script.as_str()).font(Font::MONOSPACE).size(12))
                        .padding(8)
                        .width(Fill)
                        .style(container::rounded_box),
                );
            }
        }
        nodes = nodes.push(
            column![
                text(format!("{} — {} step(s)", node.node, node.steps.len())).size(16),
                steps
            ]
            .spacing(4),
        );
    }
    section("The plan (click a step to see its script)", nodes)
}

fn files_view<'a>(state: &'a State, review: &'a Review) -> Element<'a, Message> {
    let mut list = Column::new().spacing(2);
    for (index, file) in review.files.iter().enumerate() {
        list = list.push(
            row![
                text(file.node.as_str()).size(13).width(100),
                button(text(file.path.as_str()).size(14))
                    .style(button::text)
                    .padding([2, 8])
                    .on_press(Message::FileToggled(index)),
            ]
            .spacing(8)
            .align_y(Center),
        );
        if state.shown_file == Some(index) {
            list = list.push(
                container(text(file.contents.as_str()).font(Font::MONOSPACE).size(12))
                    .padding(8)
                    .width(Fill)
                    .style(container::rounded_box),
            );
        }
    }
    section(
        format!(
            "Files written ({}; click one to see its contents)",
            review.files.len()
        ),
        list,
    )
}

fn start_view(state: &State) -> Element<'_, Message> {
    let reason = state.blocked_reason();
    row![
        text(reason).size(13).width(Fill),
        button(text("Start setup"))
            .style(button::primary)
            .on_press_maybe(state.can_start().then_some(Message::StartPressed)),
    ]
    .spacing(12)
    .align_y(Center)
    .into()
}

#[cfg(test)]
mod tests;
