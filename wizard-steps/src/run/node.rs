//! A step on one node: its check, then its operation (a command, a file, a secret, a reboot,
//! a network change, a DRBD sync), then its verification, with the command's output streamed.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::plan::{Operation, Step};
use crate::remote::{Existing, OutputLine, Payload, Session};

use super::{Event, Outcome, Runner, StepError, TAIL_LINES, tail_of};

impl Runner<'_> {
    /// Runs a command whose output is streamed as events; fails on a non-zero exit.
    pub(super) async fn run_streamed(
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
    pub(super) async fn holds(&self, session: &Session, check: &str) -> Result<bool, StepError> {
        Ok(session.output(check).await?.status.success())
    }

    /// A command: skipped when its check passes, else run (its output streamed) and verified.
    pub(super) async fn command_step(
        &self,
        session: &Session,
        step: &Step,
        node: &str,
        check: Option<&str>,
        apply: &str,
        verify: Option<&str>,
    ) -> Result<(Outcome, String), StepError> {
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
                    message: "the change did not take effect (its verification failed)".to_owned(),
                    command: Some(verify.to_owned()),
                    status: Some(output.status.to_string()),
                    tail: tail_of(&output.stdout, &output.stderr),
                });
            }
        }
        Ok((Outcome::Changed, "done".to_owned()))
    }

    /// A requirement: passes when its check does, else fails with what to do.
    pub(super) async fn require_step(
        &self,
        session: &Session,
        check: &str,
        failure: &str,
    ) -> Result<(Outcome, String), StepError> {
        let output = session.output(check).await?;
        if output.status.success() {
            Ok((Outcome::Passed, "holds".to_owned()))
        } else {
            Err(StepError {
                message: failure.to_owned(),
                command: Some(check.to_owned()),
                status: Some(output.status.to_string()),
                tail: tail_of(&output.stdout, &output.stderr),
            })
        }
    }

    /// A command or a requirement (what runs the same on any machine); None for the other
    /// operations.
    async fn plain_step(
        &self,
        session: &Session,
        step: &Step,
        label: &str,
    ) -> Option<Result<(Outcome, String), StepError>> {
        Some(match &step.operation {
            Operation::Command {
                check,
                apply,
                verify,
            } => {
                self.command_step(
                    session,
                    step,
                    label,
                    check.as_deref(),
                    apply,
                    verify.as_deref(),
                )
                .await
            }
            Operation::Require { check, failure } => {
                self.require_step(session, check, failure).await
            }
            _ => return None,
        })
    }

    /// A step on the quorum device's machine: a command or a requirement.
    pub(super) async fn quorum_device_step(
        &self,
        step: &Step,
        label: &str,
        session: &Session,
    ) -> Result<(Outcome, String), StepError> {
        self.plain_step(session, step, label).await.unwrap_or_else(|| {
            Err(StepError::new(
                "only commands and requirements run on the quorum device's machine (a bug in the plan)",
            ))
        })
    }

    pub(super) async fn node_step(
        &self,
        step: &Step,
        index: usize,
        session: &mut Session,
    ) -> Result<(Outcome, String), StepError> {
        let node = self.plan.nodes[index].as_str();
        if let Some(result) = self.plain_step(session, step, node).await {
            return result;
        }
        match &step.operation {
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
            Operation::Command { .. } | Operation::Require { .. } => {
                unreachable!("a plain step, run above")
            }
            Operation::SharedKey { .. }
            | Operation::Secret { .. }
            | Operation::VerifyPlacement
            | Operation::Exchange { .. }
            | Operation::QdeviceCertificates { .. } => Err(StepError::new(
                "a cluster-wide step was planned on one node (a bug in the plan)",
            )),
        }
    }
}
