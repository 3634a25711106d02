//! Steps that span both nodes: the exchange of keys between them and the check that every VM
//! runs where the design puts it.

use std::io::Read as _;
use std::time::{Duration, Instant};

use crate::cluster_state::placements;
use crate::observe::observe;
use crate::plan::{Operation, Step};
use crate::remote::{Existing, Payload, Session, quote};

use super::{Event, Outcome, Runner, StepError, tail_of};

impl Runner<'_> {
    pub(super) async fn cluster_step(
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
            Operation::QdeviceCertificates(exchange) => {
                self.qdevice_certificates(sessions, exchange).await
            }
            _ => Err(StepError::new(
                "a one-node step was planned for both nodes (a bug in the plan)",
            )),
        }
    }

    pub(super) async fn exchange(
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

    pub(super) async fn verify_placement(
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

fn random_bytes(count: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0; count];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes)
}
