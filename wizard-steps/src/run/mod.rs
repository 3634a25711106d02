//! The runner: carries out a [`Plan`] on both nodes over their SSH sessions and reports typed
//! [`Event`]s on a channel that the GUI, the CLI and the journal all consume. Checks come first,
//! so running the same plan again skips what is done — after a failure or a cancel, a new run
//! simply resumes.
//!
//! This module runs phases and steps (order, barriers, cancel); `event.rs` is the vocabulary a
//! run reports (what the journal stores); the operations are carried out in `node.rs` (a step on
//! one node: check, operation, verification), `upload.rs` (files), `network.rs` (the guarded
//! network change), `sync.rs` (waiting for DRBD) and `cluster.rs` (steps across both nodes).
//! Looking at a running cluster is `crate::observe`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::plan::{Phase, Plan, Scope, SecretName, Step};
use crate::remote::{ExecError, Secret, Session};
use crate::validate::Design;

pub mod board;
mod cluster;
mod event;
mod network;
mod node;
mod quorum;
mod sync;
mod upload;

pub use event::{Event, NodeSummary, Outcome, ProfileSummary, StepOutline, Summary, VmSummary};

/// Run-time secrets for [`Operation::Secret`] steps; never journaled.
pub type Secrets = BTreeMap<SecretName, Secret>;

/// The outline of a plan for [`Event::PlanReady`].
pub fn outline(plan: &Plan) -> Vec<StepOutline> {
    plan.steps()
        .map(|(phase, step)| StepOutline {
            id: step.id.clone(),
            phase: phase.kind,
            node: node_label(plan, step.scope),
            title: step.title.clone(),
            destructive: step.destructive.clone(),
        })
        .collect()
}

fn node_label(plan: &Plan, scope: Scope) -> String {
    match scope {
        Scope::Node(index) => plan.nodes[index].clone(),
        Scope::Cluster => "both".to_owned(),
        Scope::QuorumDevice => quorum_device_label(plan),
    }
}

/// How events name the quorum device's machine.
fn quorum_device_label(plan: &Plan) -> String {
    format!(
        "qnetd {}",
        plan.quorum_device.as_deref().unwrap_or_default()
    )
}

/// Carries out a plan.
#[derive(Debug)]
pub struct Runner<'a> {
    pub plan: &'a Plan,
    pub design: &'a Design,
    pub secrets: &'a Secrets,
    pub events: UnboundedSender<Event>,
    pub cancel: CancellationToken,
    /// How long `WaitForSync` and other polls wait between looks.
    pub poll_interval: Duration,
    /// The session on the quorum device's machine, for plans with steps there.
    pub quorum_device: Option<&'a Session>,
}

/// Why a step failed.
#[derive(Debug)]
struct StepError {
    message: String,
    command: Option<String>,
    status: Option<String>,
    tail: Vec<String>,
}

impl StepError {
    fn new(message: impl Into<String>) -> StepError {
        StepError {
            message: message.into(),
            command: None,
            status: None,
            tail: Vec::new(),
        }
    }
}

impl From<ExecError> for StepError {
    fn from(error: ExecError) -> StepError {
        StepError::new(error.to_string())
    }
}

const TAIL_LINES: usize = 20;

impl Runner<'_> {
    /// Runs every phase in order; stops at the first failed phase or when cancelled.
    pub async fn run(&self, sessions: &mut [Session; 2]) -> Summary {
        let started = Instant::now();
        let mut summary = Summary::default();
        self.emit(Event::PlanReady {
            target: self.plan.target.clone(),
            steps: outline(self.plan),
        });
        for phase in &self.plan.phases {
            if self.cancel.is_cancelled() {
                summary.cancelled = true;
                break;
            }
            self.emit(Event::PhaseStarted {
                phase: phase.kind,
                title: phase.title.clone(),
            });
            let results = self.run_phase(phase, sessions).await;
            for result in results {
                match result {
                    Some(Outcome::AlreadyDone) => summary.already_done += 1,
                    Some(Outcome::Changed) => summary.changed += 1,
                    Some(Outcome::Passed) => summary.passed += 1,
                    None => summary.failed += 1,
                }
            }
            if summary.failed > 0 {
                break;
            }
        }
        summary.cancelled = summary.cancelled || self.cancel.is_cancelled();
        summary.duration_ms = started.elapsed().as_millis() as u64;
        summary.commands = sessions
            .iter()
            .chain(self.quorum_device)
            .map(Session::commands_run)
            .collect();
        self.emit(Event::Finished {
            summary: summary.clone(),
        });
        summary
    }

    /// Each step's outcome (None for a failure); steps not reached are left out.
    async fn run_phase(&self, phase: &Phase, sessions: &mut [Session; 2]) -> Vec<Option<Outcome>> {
        let mut results = Vec::new();
        let label = quorum_device_label(self.plan);
        for step in phase
            .steps
            .iter()
            .filter(|step| step.scope == Scope::QuorumDevice)
        {
            if self.cancel.is_cancelled() {
                return results;
            }
            let work = async {
                match self.quorum_device {
                    Some(session) => self.quorum_device_step(step, &label, session).await,
                    None => Err(StepError::new(
                        "the quorum device's machine is not connected (a bug: the plan has steps there)",
                    )),
                }
            };
            let result = self.step(step, &label, work).await;
            let failed = result.is_none();
            results.push(result);
            if failed {
                return results;
            }
        }
        for step in phase
            .steps
            .iter()
            .filter(|step| step.scope == Scope::Cluster)
        {
            if self.cancel.is_cancelled() {
                return results;
            }
            let result = self
                .step(step, "both", self.cluster_step(step, sessions))
                .await;
            let failed = result.is_none();
            results.push(result);
            if failed {
                return results;
            }
        }
        let node_steps = |index: usize| -> Vec<&Step> {
            phase
                .steps
                .iter()
                .filter(|step| step.scope == Scope::Node(index))
                .collect()
        };
        let [first, second] = sessions;
        let failed = std::sync::atomic::AtomicBool::new(false);
        if phase.one_node_at_a_time {
            // The first node's steps, and only when they all worked, the second's.
            results.extend(self.queue(node_steps(0), 0, first, &failed).await);
            results.extend(self.queue(node_steps(1), 1, second, &failed).await);
        } else {
            let (a, b) = tokio::join!(
                self.queue(node_steps(0), 0, first, &failed),
                self.queue(node_steps(1), 1, second, &failed)
            );
            results.extend(a);
            results.extend(b);
        }
        results
    }

    /// One node's steps of a phase, in order; stops when this or the other node's queue failed.
    async fn queue(
        &self,
        steps: Vec<&Step>,
        node: usize,
        session: &mut Session,
        failed: &std::sync::atomic::AtomicBool,
    ) -> Vec<Option<Outcome>> {
        let mut results = Vec::new();
        for step in steps {
            if self.cancel.is_cancelled() || failed.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let result = self
                .step(
                    step,
                    &self.plan.nodes[node],
                    self.node_step(step, node, session),
                )
                .await;
            if result.is_none() {
                failed.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            results.push(result);
        }
        results
    }

    /// Wraps a step's work in its started / finished / failed events.
    async fn step(
        &self,
        step: &Step,
        node: &str,
        work: impl std::future::Future<Output = Result<(Outcome, String), StepError>>,
    ) -> Option<Outcome> {
        let started = Instant::now();
        self.emit(Event::StepStarted {
            step: step.id.clone(),
            node: node.to_owned(),
            title: step.title.clone(),
        });
        let result = work.await;
        let duration_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok((outcome, detail)) => {
                self.emit(Event::StepFinished {
                    step: step.id.clone(),
                    node: node.to_owned(),
                    outcome,
                    detail,
                    duration_ms,
                });
                Some(outcome)
            }
            Err(error) => {
                self.emit(Event::StepFailed {
                    step: step.id.clone(),
                    node: node.to_owned(),
                    message: if self.cancel.is_cancelled() {
                        "cancelled".to_owned()
                    } else {
                        error.message
                    },
                    command: error.command,
                    status: error.status,
                    output_tail: error.tail,
                    duration_ms,
                });
                None
            }
        }
    }

    fn emit(&self, event: Event) {
        // A consumer that went away (a closed window) does not stop the run.
        let _ = self.events.send(event);
    }

    async fn pause(&self) -> Result<(), StepError> {
        tokio::select! {
            () = tokio::time::sleep(self.poll_interval) => Ok(()),
            () = self.cancel.cancelled() => Err(StepError::new("cancelled")),
        }
    }
}

fn tail_of(stdout: &str, stderr: &str) -> Vec<String> {
    let lines: Vec<String> = stdout
        .lines()
        .chain(stderr.lines())
        .map(str::to_owned)
        .collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].to_vec()
}
