//! The Run page's board: the run's events folded into what it shows (each node's steps with
//! state and duration, one DRBD sync bar per resource, the log), so that a live run and a
//! recorded journal look the same.

use std::collections::VecDeque;

use crate::cluster_state::ClusterState;
use crate::facts::Finding;
use crate::run::{Event, NodeDrbd, Outcome, Summary};

/// Log lines kept for the log pane (the journal keeps them all).
pub const LOG_LINES: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Waiting,
    Running,
    AlreadyDone,
    Changed,
    Passed,
    Failed,
}

impl StepState {
    pub fn label(self) -> &'static str {
        match self {
            StepState::Waiting => "waiting",
            StepState::Running => "running",
            StepState::AlreadyDone => "already done",
            StepState::Changed => "changed",
            StepState::Passed => "passed",
            StepState::Failed => "FAILED",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepLine {
    pub id: String,
    pub node: String,
    pub phase: String,
    pub title: String,
    pub state: StepState,
    pub duration_ms: Option<u64>,
    /// Why it failed, with the command's status and output tail.
    pub failure: Option<String>,
}

/// A DRBD sync (or an upload) in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressBar {
    pub step: String,
    pub node: String,
    pub label: String,
    pub percent: f64,
    pub speed_kib_per_sec: Option<u64>,
    pub eta_secs: Option<u64>,
}

impl ProgressBar {
    /// "42.0% · 21.3 MiB/s · 1:05 left"
    pub fn caption(&self) -> String {
        let mut caption = format!("{:.1}%", self.percent);
        if let Some(speed) = self.speed_kib_per_sec {
            caption.push_str(&format!(" · {:.1} MiB/s", speed as f64 / 1024.0));
        }
        if let Some(eta) = self.eta_secs {
            caption.push_str(&format!(" · {}:{:02} left", eta / 60, eta % 60));
        }
        caption
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Board {
    pub preflight: Vec<Finding>,
    pub target: String,
    pub steps: Vec<StepLine>,
    pub phase: Option<String>,
    pub bars: Vec<ProgressBar>,
    pub log: VecDeque<String>,
    pub files_written: Vec<(String, String, bool)>,
    pub cluster: Option<(ClusterState, Vec<NodeDrbd>)>,
    pub summary: Option<Summary>,
}

impl Board {
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Board {
        let mut board = Board::default();
        for event in events {
            board.apply(event);
        }
        board
    }

    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::RunStarted { .. } => {}
            Event::Preflight { findings } => self.preflight = findings.clone(),
            Event::PlanReady { target, steps } => {
                self.target = target.clone();
                self.steps = steps
                    .iter()
                    .map(|step| StepLine {
                        id: step.id.clone(),
                        node: step.node.clone(),
                        phase: format!("{:?}", step.phase),
                        title: step.title.clone(),
                        state: StepState::Waiting,
                        duration_ms: None,
                        failure: None,
                    })
                    .collect();
            }
            Event::PhaseStarted { title, .. } => {
                self.phase = Some(title.clone());
                self.log(format!("== {title}"));
            }
            Event::StepStarted { step, node, title } => {
                if let Some(line) = self.step_mut(step, node) {
                    line.state = StepState::Running;
                }
                self.log(format!("[{node}] {title}"));
            }
            Event::Output { node, line, .. } => self.log(format!("[{node}]   {line}")),
            Event::Progress {
                step,
                node,
                label,
                percent,
                speed_kib_per_sec,
                eta_secs,
            } => {
                let bar = ProgressBar {
                    step: step.clone(),
                    node: node.clone(),
                    label: label.clone(),
                    percent: *percent,
                    speed_kib_per_sec: *speed_kib_per_sec,
                    eta_secs: *eta_secs,
                };
                match self
                    .bars
                    .iter_mut()
                    .find(|known| known.label == *label && known.node == *node)
                {
                    Some(known) => *known = bar,
                    None => self.bars.push(bar),
                }
            }
            Event::FileWritten {
                node,
                path,
                changed,
                backup,
            } => {
                self.files_written
                    .push((node.clone(), path.clone(), *changed));
                if let Some(backup) = backup {
                    self.log(format!(
                        "[{node}]   {path} written (old one kept as {backup})"
                    ));
                }
            }
            Event::StepFinished {
                step,
                node,
                outcome,
                detail,
                duration_ms,
            } => {
                if let Some(line) = self.step_mut(step, node) {
                    line.state = match outcome {
                        Outcome::AlreadyDone => StepState::AlreadyDone,
                        Outcome::Changed => StepState::Changed,
                        Outcome::Passed => StepState::Passed,
                    };
                    line.duration_ms = Some(*duration_ms);
                }
                if !detail.is_empty() {
                    self.log(format!("[{node}]   {detail}"));
                }
            }
            Event::StepFailed {
                step,
                node,
                message,
                command,
                status,
                output_tail,
                duration_ms,
            } => {
                let mut failure = message.clone();
                if let Some(command) = command {
                    failure.push_str(&format!("\ncommand: {command}"));
                }
                if let Some(status) = status {
                    failure.push_str(&format!("\nexit status: {status}"));
                }
                for line in output_tail {
                    failure.push_str(&format!("\n  {line}"));
                }
                self.log(format!("[{node}] FAILED: {failure}"));
                if let Some(line) = self.step_mut(step, node) {
                    line.state = StepState::Failed;
                    line.duration_ms = Some(*duration_ms);
                    line.failure = Some(failure);
                }
            }
            Event::ClusterVerified { state, drbd } => {
                self.cluster = Some((state.clone(), drbd.clone()));
            }
            Event::Finished { summary } => {
                // A step still "running" when the run ended was cut short by a cancel.
                self.summary = Some(summary.clone());
            }
            // Day-2 actions appended after the run: not part of the setup's board.
            Event::Maintenance { .. } => {}
        }
    }

    /// The nodes in the order the plan names them ("both" last).
    pub fn nodes(&self) -> Vec<String> {
        let mut nodes: Vec<String> = Vec::new();
        for step in &self.steps {
            if !nodes.contains(&step.node) {
                nodes.push(step.node.clone());
            }
        }
        nodes.sort_by_key(|node| node == "both");
        nodes
    }

    pub fn steps_on<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a StepLine> + 'a {
        self.steps.iter().filter(move |step| step.node == node)
    }

    /// The DRBD sync bars (uploads have a path as their label).
    pub fn sync_bars(&self) -> impl Iterator<Item = &ProgressBar> {
        self.bars.iter().filter(|bar| !bar.label.starts_with('/'))
    }

    pub fn upload_bars(&self) -> impl Iterator<Item = &ProgressBar> {
        self.bars.iter().filter(|bar| bar.label.starts_with('/'))
    }

    pub fn failed(&self) -> Vec<&StepLine> {
        self.steps
            .iter()
            .filter(|step| step.state == StepState::Failed)
            .collect()
    }

    pub fn running(&self) -> bool {
        !self.steps.is_empty() && self.summary.is_none()
    }

    /// Steps finished (in any way) and steps in all.
    pub fn counts(&self) -> (usize, usize) {
        let done = self
            .steps
            .iter()
            .filter(|step| !matches!(step.state, StepState::Waiting | StepState::Running))
            .count();
        (done, self.steps.len())
    }

    fn step_mut(&mut self, id: &str, node: &str) -> Option<&mut StepLine> {
        self.steps
            .iter_mut()
            .find(|line| line.id == id && (line.node == node || line.node == "both"))
    }

    fn log(&mut self, line: String) {
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }
}
