//! Review: what the read-only preflight found on both nodes, the plan per node (each step's
//! script on demand), every file it writes, each destructive action to confirm one by one, and
//! the BMC passwords the plan needs at run time. Nothing starts until all of that is in order.
//! Before the nodes are connected, the page shows the plan for freshly installed nodes (as
//! `tandem plan` prints it), which can be exported; connecting adds the preflight.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use wizard_steps::Design;
use wizard_steps::access::Preflight;
use wizard_steps::facts::{Finding, NodeFacts, Severity};
use wizard_steps::pages::Page;
use wizard_steps::pages::review::{Review, review};
use wizard_steps::plan::{Operation, Plan, SecretName};
use wizard_steps::remote::Secret;
use wizard_steps::render::DrbdGeneration;
use wizard_steps::run::Secrets;
use wizard_steps::validate::kinds;
use wizard_steps::validate::{Problem, Problems};

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
    /// The page's check from the preflight; `quorum_device_connected`: whether the window holds
    /// a session to the quorum device's machine, which the plan's qnetd steps need.
    pub fn new(preflight: Preflight, quorum_device_connected: bool) -> Checked {
        let mut review = review(&preflight.plan, &preflight.findings);
        if let Some(machine) = &preflight.plan.quorum_device
            && !quorum_device_connected
        {
            review.blocking.push(connect_the_quorum_device(machine));
        }
        let secrets = secrets_needed(&preflight.plan);
        Checked {
            preflight: Arc::new(preflight),
            review: Arc::new(review),
            secrets,
        }
    }
}

/// The plan installs qnetd and signs the cluster's certificate on the quorum device's machine:
/// the run needs a session to it, connected (its host key confirmed) at the top of this page.
/// Said before anything changes, not in the middle of the run.
fn connect_the_quorum_device(machine: &str) -> Finding {
    Finding {
        node: "cluster".to_owned(),
        check: "quorum device".to_owned(),
        severity: Severity::Error,
        detail: format!(
            "the quorum device's machine {machine} is not connected: the run installs corosync-qnetd there and signs the cluster's certificate with it"
        ),
        fix: "press Connect under \"The quorum device's machine\" at the top of this page and trust its host key (or turn the quorum device off on the Cluster page)".to_owned(),
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

/// The plan made without reading the nodes.
#[derive(Debug, Clone)]
pub struct Offline {
    pub review: Arc<Review>,
    /// The plan as a script per node (what "Export plan" writes).
    pub script: Arc<String>,
}

impl Offline {
    pub fn new(design: &Design) -> Offline {
        let plan = wizard_steps::plan::plan(design, &NodeFacts::assumed(DrbdGeneration::V84));
        Offline {
            review: Arc::new(review(&plan, &[])),
            script: Arc::new(plan.script()),
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
    Invalid(Vec<(Page, Problem)>),
    /// The nodes are not connected: the plan for freshly installed nodes, to look at and
    /// export.
    Offline(Offline),
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
            .map(|problem| (Page::editing(problem.field), problem.clone()))
            .collect();
        self.status = Status::Invalid(listed);
    }

    /// The plan made without the nodes, as a script, while the page shows it.
    pub fn plan_script(&self) -> Option<Arc<String>> {
        match &self.status {
            Status::Offline(offline) => Some(offline.script.clone()),
            _ => None,
        }
    }

    /// The nodes are not connected: the plan for freshly installed nodes.
    pub fn offline(&mut self, design: &Design) {
        self.status = Status::Offline(Offline::new(design));
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
            Status::Offline(_) => {
                "Connect both nodes on the Nodes page to check them and start".to_owned()
            }
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
    /// To the Nodes page, to connect.
    ConnectPressed,
    /// Write the offline plan to a file.
    ExportPlanPressed,
}

#[derive(Debug)]
pub enum Action {
    None,
    CheckNodes,
    Start(Start),
    GoToNodes,
    /// Ask where to write the plan ([`State::plan_script`]), then write it.
    ExportPlan,
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
        Message::ConnectPressed => Action::GoToNodes,
        Message::ExportPlanPressed => match state.plan_script() {
            Some(_) => Action::ExportPlan,
            None => Action::None,
        },
    }
}

pub const CHECKING: &str = "Reading both nodes (read-only)…";

mod view;

pub use view::{body, heading_view, view};

#[cfg(test)]
mod tests;
