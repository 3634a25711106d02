//! The runner: carries out a [`Plan`] on both nodes over their SSH sessions and reports typed
//! [`Event`]s on a channel that the GUI, the CLI and the journal all consume. Checks come first,
//! so running the same plan again skips what is done — after a failure or a cancel, a new run
//! simply resumes.

use std::collections::{BTreeMap, VecDeque};
use std::io::Read;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::cluster_state::{ClusterState, parse_crm_mon, placements};
use crate::drbd::{self, ResourceState, SyncRate};
use crate::facts::Finding;
use crate::plan::{Operation, Phase, PhaseKind, Plan, Scope, SecretName, Step};
use crate::remote::{
    ExecError, Existing, OutputLine, Payload, Secret, Session, UploadOutcome, quote,
};
use crate::render::DrbdGeneration;
use crate::validate::Design;

/// Everything a run reports, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// The run begins: what it is for (secrets masked).
    RunStarted {
        summary: crate::report::ProfileSummary,
    },
    /// The preflight table, before anything changed.
    Preflight {
        findings: Vec<Finding>,
    },
    /// The plan that will run, step by step.
    PlanReady {
        target: String,
        steps: Vec<StepOutline>,
    },
    PhaseStarted {
        phase: PhaseKind,
        title: String,
    },
    StepStarted {
        step: String,
        node: String,
        title: String,
    },
    /// One line of a command's output.
    Output {
        step: String,
        node: String,
        line: String,
        stderr: bool,
    },
    /// Progress of a long step: a DRBD sync or an upload.
    Progress {
        step: String,
        node: String,
        label: String,
        percent: f64,
        speed_kib_per_sec: Option<u64>,
        eta_secs: Option<u64>,
    },
    /// A file written on a node (or found identical).
    FileWritten {
        node: String,
        path: String,
        changed: bool,
        backup: Option<String>,
    },
    StepFinished {
        step: String,
        node: String,
        outcome: Outcome,
        detail: String,
        duration_ms: u64,
    },
    StepFailed {
        step: String,
        node: String,
        message: String,
        command: Option<String>,
        status: Option<String>,
        output_tail: Vec<String>,
        duration_ms: u64,
    },
    /// The cluster's state as verified at the end.
    ClusterVerified {
        state: ClusterState,
        drbd: Vec<NodeDrbd>,
    },
    Finished {
        summary: Summary,
    },
    /// A day-2 action on the running cluster (standby, online, a move, a clean-up, each step of
    /// a failover drill), appended to the cluster's newest journal so that its report lists it.
    Maintenance {
        /// "maintenance" or "drill".
        purpose: String,
        /// What it did, in a line.
        action: String,
        /// The command it ran (none when the cluster was already as wanted, or it was refused).
        command: Option<String>,
        changed: bool,
        /// Why it failed or was refused.
        error: Option<String>,
        took_ms: u64,
        /// Where the VMs ran once it settled (or when it gave up).
        placements: Vec<crate::cluster_state::Placement>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Its check said it was done before: nothing was changed.
    AlreadyDone,
    /// It changed the node.
    Changed,
    /// A wait or verification that held.
    Passed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutline {
    pub id: String,
    pub phase: PhaseKind,
    pub node: String,
    pub title: String,
    pub destructive: Option<String>,
}

/// DRBD resources as one node sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeDrbd {
    pub node: String,
    pub resources: Vec<DrbdResource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrbdResource {
    pub name: String,
    pub role: String,
    pub peer_role: String,
    pub connection: String,
    pub disk: String,
    pub peer_disk: String,
    pub sync_percent: Option<f64>,
}

impl From<&ResourceState> for DrbdResource {
    fn from(state: &ResourceState) -> DrbdResource {
        DrbdResource {
            name: state.name.clone().unwrap_or_default(),
            role: state.role.clone(),
            peer_role: state.peer_role.clone(),
            connection: state.connection.clone(),
            disk: state.disk.clone(),
            peer_disk: state.peer_disk.clone(),
            sync_percent: state.sync.as_ref().map(|sync| sync.percent),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub changed: usize,
    pub already_done: usize,
    pub passed: usize,
    pub failed: usize,
    pub cancelled: bool,
    pub duration_ms: u64,
    /// SSH commands run on each node.
    pub commands: Vec<u64>,
}

impl Summary {
    pub fn succeeded(&self) -> bool {
        self.failed == 0 && !self.cancelled
    }
}

/// The key at `path` on a node, when it has `bytes` bytes (read as hex: never in the journal).
async fn read_key(
    session: &Session,
    path: &str,
    bytes: usize,
) -> Result<Option<Vec<u8>>, StepError> {
    let output = session
        .output(&format!("od -An -v -tx1 {}", quote(path)))
        .await?;
    if !output.status.success() {
        return Ok(None);
    }
    let key: Option<Vec<u8>> = output
        .stdout
        .split_whitespace()
        .map(|pair| u8::from_str_radix(pair, 16).ok())
        .collect();
    Ok(key.filter(|key| key.len() == bytes))
}

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
    }
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
        summary.commands = sessions.iter().map(Session::commands_run).collect();
        self.emit(Event::Finished {
            summary: summary.clone(),
        });
        summary
    }

    /// Each step's outcome (None for a failure); steps not reached are left out.
    async fn run_phase(&self, phase: &Phase, sessions: &mut [Session; 2]) -> Vec<Option<Outcome>> {
        let mut results = Vec::new();
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

    /// Runs a command whose output is streamed as events; fails on a non-zero exit.
    async fn run_streamed(
        &self,
        session: &Session,
        step: &Step,
        node: &str,
        command: &str,
    ) -> Result<(), StepError> {
        let mut tail: VecDeque<String> = VecDeque::new();
        let status = session
            .exec(
                command,
                None,
                &mut |line| {
                    let (text, stderr) = match line {
                        OutputLine::Stdout(text) => (text, false),
                        OutputLine::Stderr(text) => (text, true),
                    };
                    if tail.len() == TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(text.clone());
                    self.emit(Event::Output {
                        step: step.id.clone(),
                        node: node.to_owned(),
                        line: text,
                        stderr,
                    });
                },
                &self.cancel,
            )
            .await?;
        if status.success() {
            Ok(())
        } else {
            Err(StepError {
                message: format!("the command failed ({status})"),
                command: Some(command.to_owned()),
                status: Some(status.to_string()),
                tail: tail.into(),
            })
        }
    }

    /// Whether a check command exits 0 (its output is not shown).
    async fn holds(&self, session: &Session, check: &str) -> Result<bool, StepError> {
        Ok(session.output(check).await?.status.success())
    }

    async fn node_step(
        &self,
        step: &Step,
        index: usize,
        session: &mut Session,
    ) -> Result<(Outcome, String), StepError> {
        let node = self.plan.nodes[index].as_str();
        match &step.operation {
            Operation::Command {
                check,
                apply,
                verify,
            } => {
                if let Some(check) = check
                    && self.holds(session, check).await?
                {
                    return Ok((Outcome::AlreadyDone, "already done".to_owned()));
                }
                self.run_streamed(session, step, node, apply).await?;
                if let Some(verify) = verify {
                    let output = session.output(verify).await?;
                    if !output.status.success() {
                        return Err(StepError {
                            message: "the change did not take effect (its verification failed)"
                                .to_owned(),
                            command: Some(verify.clone()),
                            status: Some(output.status.to_string()),
                            tail: tail_of(&output.stdout, &output.stderr),
                        });
                    }
                }
                Ok((Outcome::Changed, "done".to_owned()))
            }
            Operation::Require { check, failure } => {
                let output = session.output(check).await?;
                if output.status.success() {
                    Ok((Outcome::Passed, "holds".to_owned()))
                } else {
                    Err(StepError {
                        message: failure.clone(),
                        command: Some(check.clone()),
                        status: Some(output.status.to_string()),
                        tail: tail_of(&output.stdout, &output.stderr),
                    })
                }
            }
            Operation::File {
                path,
                contents,
                mode,
                owner,
                then,
            } => {
                let outcome = self
                    .upload(
                        session,
                        node,
                        Payload::Bytes(contents.as_bytes()),
                        path,
                        *mode,
                        owner,
                        Existing::Replace,
                        step,
                    )
                    .await?;
                if outcome == Outcome::Changed
                    && let Some(then) = then
                {
                    self.run_streamed(session, step, node, then).await?;
                }
                Ok((outcome, path.clone()))
            }
            Operation::LocalFile { source, path } => {
                let outcome = self
                    .upload(
                        session,
                        node,
                        Payload::File(std::path::Path::new(source)),
                        path,
                        0o644,
                        "root:root",
                        // An ISO on the node is the user's: never replaced, never backed up.
                        Existing::Keep,
                        step,
                    )
                    .await?;
                Ok((outcome, format!("{source} → {path}")))
            }
            Operation::Reboot { check } => {
                if self.holds(session, check).await? {
                    return Ok((
                        Outcome::AlreadyDone,
                        "already running as Xen dom0".to_owned(),
                    ));
                }
                let boot_id = session.boot_id().await?;
                self.run_streamed(
                    session,
                    step,
                    node,
                    "nohup sh -c 'sleep 2; systemctl reboot' >/dev/null 2>&1 &",
                )
                .await?;
                session
                    .reconnect_after_reboot(&boot_id, Duration::from_secs(20 * 60))
                    .await
                    .map_err(|error| {
                        StepError::new(format!(
                            "the node did not come back after its reboot: {error}"
                        ))
                    })?;
                if self.holds(session, check).await? {
                    Ok((Outcome::Changed, "rebooted into Xen".to_owned()))
                } else {
                    Err(StepError {
                        message: "after the reboot the node does not run as Xen dom0 with the profile's dom0 memory (check the grub default)"
                            .to_owned(),
                        command: Some(check.clone()),
                        status: None,
                        tail: Vec::new(),
                    })
                }
            }
            Operation::NetworkChange {
                check,
                apply,
                revert,
                confirm_within_secs,
            } => {
                self.network_change(
                    session,
                    step,
                    node,
                    check,
                    apply,
                    revert,
                    *confirm_within_secs,
                )
                .await
            }
            Operation::WaitUntil {
                condition,
                timeout_secs,
            } => {
                let started = Instant::now();
                let mut first = true;
                loop {
                    let output = session.output(condition).await?;
                    if output.status.success() {
                        let outcome = if first {
                            Outcome::AlreadyDone
                        } else {
                            Outcome::Passed
                        };
                        return Ok((outcome, format!("after {} s", started.elapsed().as_secs())));
                    }
                    if started.elapsed() > Duration::from_secs(*timeout_secs) {
                        return Err(StepError {
                            message: format!("still not so after {timeout_secs} s"),
                            command: Some(condition.clone()),
                            status: Some(output.status.to_string()),
                            tail: tail_of(&output.stdout, &output.stderr),
                        });
                    }
                    first = false;
                    self.pause().await?;
                }
            }
            Operation::WaitForSync {
                resource,
                minor,
                drbd,
            } => {
                self.wait_for_sync(session, step, node, resource, *minor, *drbd)
                    .await
            }
            Operation::SharedKey { .. }
            | Operation::Secret { .. }
            | Operation::VerifyPlacement
            | Operation::Exchange { .. } => Err(StepError::new(
                "a cluster-wide step was planned on one node (a bug in the plan)",
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn upload(
        &self,
        session: &Session,
        node: &str,
        payload: Payload<'_>,
        path: &str,
        mode: u32,
        owner: &str,
        existing: Existing,
        step: &Step,
    ) -> Result<Outcome, StepError> {
        let total = payload
            .len()
            .await
            .map_err(|error| StepError::new(format!("cannot read the local file: {error}")))?
            .max(1);
        let started = Instant::now();
        let mut last_percent = -1.0;
        let upload = session
            .upload(
                payload,
                path,
                mode,
                owner,
                existing,
                &mut |sent| {
                    let percent = 100.0 * sent as f64 / total as f64;
                    // Small files need no progress; large ones report every whole percent.
                    if total > 4 * 1024 * 1024 && percent - last_percent >= 1.0 {
                        last_percent = percent;
                        let elapsed = started.elapsed().as_secs_f64().max(0.001);
                        let speed = sent as f64 / 1024.0 / elapsed;
                        self.emit(Event::Progress {
                            step: step.id.clone(),
                            node: node.to_owned(),
                            label: path.to_owned(),
                            percent,
                            speed_kib_per_sec: Some(speed as u64),
                            eta_secs: Some(
                                ((total - sent.min(total)) as f64 / 1024.0 / speed.max(1.0)) as u64,
                            ),
                        });
                    }
                },
                &self.cancel,
            )
            .await
            .map_err(|error| StepError::new(error.to_string()))?;
        let (changed, backup) = match upload {
            UploadOutcome::Unchanged => (false, None),
            UploadOutcome::Created => (true, None),
            UploadOutcome::Replaced { backup } => (true, Some(backup)),
        };
        self.emit(Event::FileWritten {
            node: node.to_owned(),
            path: path.to_owned(),
            changed,
            backup,
        });
        Ok(if changed {
            Outcome::Changed
        } else {
            Outcome::AlreadyDone
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn network_change(
        &self,
        session: &mut Session,
        step: &Step,
        node: &str,
        check: &str,
        apply: &str,
        revert: &str,
        confirm_within_secs: u64,
    ) -> Result<(Outcome, String), StepError> {
        if self.holds(session, check).await? {
            return Ok((Outcome::AlreadyDone, "already in place".to_owned()));
        }
        const REVERT: &str = "/etc/tandem/network-revert.sh";
        self.upload(
            session,
            node,
            Payload::Bytes(format!("#!/bin/sh\n{revert}\n").as_bytes()),
            REVERT,
            0o700,
            "root:root",
            Existing::Replace,
            step,
        )
        .await?;
        // Armed before the change: unless Tandem confirms, the node returns to its old network.
        self.run_streamed(
            session,
            step,
            node,
            &format!(
                "systemctl stop tandem-network-revert.timer 2>/dev/null; systemctl reset-failed tandem-network-revert.service 2>/dev/null; \
                 systemd-run --quiet --unit=tandem-network-revert --on-active={confirm_within_secs}s /bin/sh {REVERT}"
            ),
        )
        .await?;
        // Detached: the change may cut the connection this command arrived on.
        self.run_streamed(
            session,
            step,
            node,
            &format!(
                "nohup setsid sh -c {} >/var/log/tandem-network-change.log 2>&1 &",
                quote(apply)
            ),
        )
        .await?;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let window = Duration::from_secs(confirm_within_secs.saturating_sub(15).max(10));
        session.reconnect(window, None).await.map_err(|error| {
            StepError::new(format!(
                "the node is unreachable after the network change ({error}); it returns to its old network within {confirm_within_secs} s"
            ))
        })?;
        if !self.holds(session, check).await? {
            return Err(StepError {
                message: format!(
                    "the new network is not in place; the node returns to its old network within {confirm_within_secs} s"
                ),
                command: Some(check.to_owned()),
                status: None,
                tail: Vec::new(),
            });
        }
        self.run_streamed(
            session,
            step,
            node,
            "systemctl stop tandem-network-revert.timer",
        )
        .await?;
        Ok((Outcome::Changed, "changed and confirmed".to_owned()))
    }

    async fn wait_for_sync(
        &self,
        session: &Session,
        step: &Step,
        node: &str,
        resource: &str,
        minor: u32,
        generation: DrbdGeneration,
    ) -> Result<(Outcome, String), StepError> {
        let started = Instant::now();
        let mut rate = SyncRate::default();
        let mut first = true;
        loop {
            let state = drbd_state(session, generation, resource, minor).await?;
            match state {
                Some(state) if state.is_healthy() => {
                    let outcome = if first {
                        Outcome::AlreadyDone
                    } else {
                        Outcome::Passed
                    };
                    if !first {
                        self.emit(Event::Progress {
                            step: step.id.clone(),
                            node: node.to_owned(),
                            label: resource.to_owned(),
                            percent: 100.0,
                            speed_kib_per_sec: None,
                            eta_secs: Some(0),
                        });
                    }
                    return Ok((
                        outcome,
                        format!("UpToDate/UpToDate after {} s", started.elapsed().as_secs()),
                    ));
                }
                Some(state) if state.is_syncing() => {
                    let sync = state.sync.clone().unwrap_or_default();
                    let (speed, eta) = match (sync.speed_kib_per_sec, state.out_of_sync_kib) {
                        (Some(speed), _) => (Some(speed), sync.eta_secs),
                        (None, Some(left)) => rate.sample(started.elapsed().as_secs_f64(), left),
                        (None, None) => (None, None),
                    };
                    self.emit(Event::Progress {
                        step: step.id.clone(),
                        node: node.to_owned(),
                        label: resource.to_owned(),
                        percent: sync.percent,
                        speed_kib_per_sec: speed,
                        eta_secs: eta.or(sync.eta_secs),
                    });
                }
                Some(state)
                    if matches!(state.connection.as_str(), "StandAlone" | "Disconnecting") =>
                {
                    return Err(StepError::new(format!(
                        "{resource} is {} ({}/{}): the nodes stopped replicating",
                        state.connection, state.disk, state.peer_disk
                    )));
                }
                _ => {}
            }
            first = false;
            self.pause().await?;
        }
    }

    async fn pause(&self) -> Result<(), StepError> {
        tokio::select! {
            () = tokio::time::sleep(self.poll_interval) => Ok(()),
            () = self.cancel.cancelled() => Err(StepError::new("cancelled")),
        }
    }

    async fn cluster_step(
        &self,
        step: &Step,
        sessions: &mut [Session; 2],
    ) -> Result<(Outcome, String), StepError> {
        match &step.operation {
            Operation::SharedKey { path, bytes, then } => {
                let mut sums = Vec::new();
                for session in sessions.iter() {
                    let output = session
                        .output(&format!("sha256sum < {} 2>/dev/null", quote(path)))
                        .await?;
                    sums.push(
                        output
                            .status
                            .success()
                            .then(|| output.stdout.trim().to_owned()),
                    );
                }
                if sums[0].is_some() && sums[0] == sums[1] {
                    return Ok((
                        Outcome::AlreadyDone,
                        "the same key on both nodes".to_owned(),
                    ));
                }
                // A node that has a key keeps it (a running cluster uses it); the other gets a
                // copy. Only when neither has one (or they differ) is a new key made.
                let holder = match (&sums[0], &sums[1]) {
                    (Some(_), None) => Some(0),
                    (None, Some(_)) => Some(1),
                    _ => None,
                };
                let kept = match holder {
                    Some(holder) => read_key(&sessions[holder], path, *bytes).await?,
                    None => None,
                };
                let (key, detail) = match (holder, kept) {
                    (Some(holder), Some(key)) => (
                        key,
                        format!(
                            "the key of {} in {path} copied to {}",
                            self.plan.nodes[holder],
                            self.plan.nodes[1 - holder]
                        ),
                    ),
                    _ => (
                        random_bytes(*bytes)
                            .map_err(|error| StepError::new(format!("no random bytes: {error}")))?,
                        format!("a new key in {path} on both nodes"),
                    ),
                };
                for (index, session) in sessions.iter().enumerate() {
                    let node = &self.plan.nodes[index];
                    let written = self
                        .upload(
                            session,
                            node,
                            Payload::Bytes(&key),
                            path,
                            0o400,
                            "root:root",
                            Existing::Replace,
                            step,
                        )
                        .await?;
                    if written == Outcome::Changed
                        && let Some(then) = then
                    {
                        self.run_streamed(session, step, node, then).await?;
                    }
                }
                Ok((Outcome::Changed, detail))
            }
            Operation::Secret { path, secret } => {
                let value = self
                    .secrets
                    .get(secret)
                    .ok_or_else(|| StepError::new(format!("{secret} was not given")))?;
                let mut outcome = Outcome::AlreadyDone;
                for (index, session) in sessions.iter().enumerate() {
                    let written = self
                        .upload(
                            session,
                            &self.plan.nodes[index],
                            Payload::Bytes(value.expose().as_bytes()),
                            path,
                            0o600,
                            "root:root",
                            Existing::Replace,
                            step,
                        )
                        .await?;
                    if written == Outcome::Changed {
                        outcome = Outcome::Changed;
                    }
                }
                Ok((outcome, format!("{secret} in {path}")))
            }
            Operation::VerifyPlacement => self.verify_placement(sessions).await,
            Operation::Exchange { read, check, apply } => {
                self.exchange(step, sessions, read, check, apply).await
            }
            _ => Err(StepError::new(
                "a one-node step was planned for both nodes (a bug in the plan)",
            )),
        }
    }

    async fn exchange(
        &self,
        step: &Step,
        sessions: &[Session; 2],
        read: &str,
        check: &[String; 2],
        apply: &[String; 2],
    ) -> Result<(Outcome, String), StepError> {
        let mut read_on = Vec::new();
        for (index, session) in sessions.iter().enumerate() {
            let output = session.output(read).await?;
            if !output.status.success() {
                return Err(StepError {
                    message: format!("cannot read what {} has", self.plan.nodes[index]),
                    command: Some(read.to_owned()),
                    status: Some(output.status.to_string()),
                    tail: tail_of(&output.stdout, &output.stderr),
                });
            }
            read_on.push(output.stdout);
        }
        let mut changed_on = Vec::new();
        for (index, session) in sessions.iter().enumerate() {
            let node = &self.plan.nodes[index];
            let with_peer =
                |script: &str| format!("PEER={}\n{script}", quote(read_on[1 - index].trim_end()));
            if self.holds(session, &with_peer(&check[index])).await? {
                continue;
            }
            self.run_streamed(session, step, node, &with_peer(&apply[index]))
                .await?;
            if !self.holds(session, &with_peer(&check[index])).await? {
                return Err(StepError {
                    message: format!(
                        "the change did not take effect on {node} (its check still fails)"
                    ),
                    command: Some(check[index].clone()),
                    status: None,
                    tail: Vec::new(),
                });
            }
            changed_on.push(node.as_str());
        }
        Ok(if changed_on.is_empty() {
            (Outcome::AlreadyDone, "already on both nodes".to_owned())
        } else {
            (
                Outcome::Changed,
                format!("installed on {}", changed_on.join(" and ")),
            )
        })
    }

    async fn verify_placement(
        &self,
        sessions: &[Session; 2],
    ) -> Result<(Outcome, String), StepError> {
        // The cluster may still be moving resources right after it settled: look a few times.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (state, drbd) = observe(&self.plan.nodes, sessions).await?;
            let placements = placements(self.design, &state);
            let misplaced: Vec<String> = placements
                .iter()
                .zip(&self.design.vms)
                .filter(|(placement, vm)| !placement.at_home(vm.console_ip.is_some()))
                .map(|(placement, _)| {
                    format!(
                        "{} runs on {} (home {}), DRBD Promoted on {:?}",
                        placement.vm,
                        placement.running_on.as_deref().unwrap_or("no node"),
                        placement.home,
                        placement.promoted_on
                    )
                })
                .collect();
            let unhealthy: Vec<String> = drbd
                .iter()
                .flat_map(|node| {
                    node.resources
                        .iter()
                        .filter(|resource| {
                            self.design.vms.iter().any(|vm| vm.name == resource.name)
                                && !(resource.connection == "Connected"
                                    && resource.disk == "UpToDate"
                                    && resource.peer_disk == "UpToDate")
                        })
                        .map(move |resource| {
                            format!(
                                "{} on {}: {} {}/{}",
                                resource.name,
                                node.node,
                                resource.connection,
                                resource.disk,
                                resource.peer_disk
                            )
                        })
                })
                .collect();
            if (misplaced.is_empty() && unhealthy.is_empty()) || Instant::now() > deadline {
                self.emit(Event::ClusterVerified {
                    state: state.clone(),
                    drbd,
                });
                if misplaced.is_empty() && unhealthy.is_empty() {
                    return Ok((
                        Outcome::Passed,
                        format!(
                            "{} VM(s) at home, DRBD UpToDate on both nodes",
                            placements.len()
                        ),
                    ));
                }
                return Err(StepError {
                    message: "the cluster is not in the designed state".to_owned(),
                    command: None,
                    status: None,
                    tail: misplaced.into_iter().chain(unhealthy).collect(),
                });
            }
            self.pause().await?;
        }
    }
}

/// The cluster state (from the first node) and each node's DRBD resources.
pub async fn observe(
    nodes: &[String; 2],
    sessions: &[Session; 2],
) -> Result<(ClusterState, Vec<NodeDrbd>), ExecError> {
    observe_reachable(nodes, [Some(&sessions[0]), Some(&sessions[1])]).await
}

/// The same from the nodes there are sessions to (when one node is down): Pacemaker's view from
/// the first of them, DRBD from each.
pub async fn observe_reachable(
    nodes: &[String; 2],
    sessions: [Option<&Session>; 2],
) -> Result<(ClusterState, Vec<NodeDrbd>), ExecError> {
    let mut state = None;
    let mut drbd = Vec::new();
    for (index, session) in sessions.iter().enumerate() {
        let Some(session) = session else { continue };
        if state.is_none() {
            let crm_mon = session.output("crm_mon -1 --output-as=xml").await?;
            state = Some(parse_crm_mon(&crm_mon.stdout).unwrap_or_default());
        }
        let output = session
            .output("drbdsetup status --verbose --statistics")
            .await?;
        let resources = drbd::parse_status(&output.stdout).unwrap_or_default();
        drbd.push(NodeDrbd {
            node: nodes[index].clone(),
            resources: resources.iter().map(DrbdResource::from).collect(),
        });
    }
    Ok((state.unwrap_or_default(), drbd))
}

/// One resource's state: from /proc/drbd (8.4, which prints speed and ETA) or drbdsetup (9).
async fn drbd_state(
    session: &Session,
    generation: DrbdGeneration,
    resource: &str,
    minor: u32,
) -> Result<Option<ResourceState>, StepError> {
    Ok(match generation {
        DrbdGeneration::V84 => {
            let output = session.output("cat /proc/drbd").await?;
            drbd::parse_proc_drbd(&output.stdout)
                .map_err(|error| StepError::new(format!("/proc/drbd: {error}")))?
                .into_iter()
                .find(|state| state.minor == Some(minor))
        }
        DrbdGeneration::V9 => {
            let output = session
                .output(&format!(
                    "drbdsetup status {} --verbose --statistics",
                    quote(resource)
                ))
                .await?;
            drbd::parse_status(&output.stdout)
                .map_err(|error| StepError::new(format!("drbdsetup status: {error}")))?
                .into_iter()
                .next()
        }
    })
}

fn tail_of(stdout: &str, stderr: &str) -> Vec<String> {
    let lines: Vec<String> = stdout
        .lines()
        .chain(stderr.lines())
        .map(str::to_owned)
        .collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].to_vec()
}

fn random_bytes(count: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0; count];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes)
}
