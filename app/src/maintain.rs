//! `tandem standby|online|move|unmove|cleanup|drill`: day-2 actions from the terminal, over the
//! library's `manage` module. Each action is journaled into the cluster's newest journal, so the
//! setup report (`tandem report`) lists it.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use wizard_steps::Design;
use wizard_steps::journal;
use wizard_steps::manage::{self, DrillKind, Maintenance, Progress, Update};
use wizard_steps::run::{Event, ProfileSummary};

use crate::apply::{Decisions, confirm_each, connect_both};

/// How long Tandem follows the cluster between two looks.
const POLL_EVERY: Duration = Duration::from_secs(3);

/// What the administrator asked for, by the names in the profile.
#[derive(Debug, Clone)]
pub enum Request {
    Standby {
        node: String,
    },
    Online {
        node: String,
    },
    Move {
        vm: String,
        node: String,
    },
    Unmove {
        vm: String,
    },
    Cleanup {
        resource: Option<String>,
    },
    Drill {
        /// How each node goes away (a crash confirmed as `crash@NODE`, a fence as
        /// `fence@NODE`).
        kind: DrillKind,
        /// Only this node (default: node1, then node2).
        node: Option<String>,
    },
}

impl Request {
    fn purpose(&self) -> &'static str {
        match self {
            Request::Drill { .. } => "drill",
            _ => "maintenance",
        }
    }

    /// The actions, with the names checked against the profile.
    fn actions(&self, design: &Design) -> Result<Vec<Maintenance>> {
        Ok(match self {
            Request::Standby { node } => vec![Maintenance::Standby {
                node: node_index(design, node)?,
            }],
            Request::Online { node } => vec![Maintenance::Online {
                node: node_index(design, node)?,
            }],
            Request::Move { vm, node } => vec![Maintenance::Move {
                vm: vm_index(design, vm)?,
                to: node_index(design, node)?,
            }],
            Request::Unmove { vm } => vec![Maintenance::Unmove {
                vm: vm_index(design, vm)?,
            }],
            Request::Cleanup { resource } => vec![Maintenance::Cleanup {
                resource: resource.clone(),
            }],
            Request::Drill { kind, node } => match manage::drill_unavailable(design, *kind) {
                Some(why) => bail!("--fence: {why}"),
                None => match node {
                    Some(node) => manage::drill_of([node_index(design, node)?], *kind),
                    None => manage::drill(design, *kind),
                },
            },
        })
    }
}

/// A hard or fence drill resets nodes: each reset must be confirmed (`crash@NODE`,
/// `fence@NODE`), by flag or at the terminal, before anything runs.
fn confirm_resets(design: &Design, actions: &[Maintenance], decisions: &Decisions) -> Result<()> {
    let resets = actions.iter().filter_map(|action| {
        let (how, node) = match action {
            Maintenance::Crash { node } => ("crash", node),
            Maintenance::Fence { node } => ("fence", node),
            _ => return None,
        };
        Some((
            format!("{how}@{}", design.nodes[*node].hostname),
            action.describe(design),
        ))
    });
    confirm_each(
        resets,
        "Reset this node without shutting it down?",
        decisions,
    )
    .map_err(anyhow::Error::msg)
}

fn node_index(design: &Design, name: &str) -> Result<usize> {
    design.node_index(name).ok_or_else(|| {
        anyhow!(
            "no node \"{name}\" in the profile: name one of {} (nodes[].hostname)",
            design
                .nodes
                .iter()
                .map(|node| node.hostname.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn vm_index(design: &Design, name: &str) -> Result<usize> {
    design
        .vms
        .iter()
        .position(|vm| vm.name == name)
        .ok_or_else(|| {
            anyhow!(
                "no VM \"{name}\" in the profile: name one of {} (vms[].name)",
                design
                    .vms
                    .iter()
                    .map(|vm| vm.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// Runs the request's actions one after the other, each until the cluster has settled; stops
/// at the first that fails. Exit code 1 when one failed or was refused.
pub async fn maintain(
    design: &Design,
    decisions: &Decisions,
    request: &Request,
    timeout: Duration,
) -> Result<ExitCode> {
    let actions = request.actions(design)?;
    confirm_resets(design, &actions, decisions)?;
    let mut sessions = connect_both(design, decisions).await?;
    let runs_dir = match &decisions.runs_dir {
        Some(dir) => dir.clone(),
        None => journal::runs_dir().context("no data directory for the journal")?,
    };
    let started = Event::RunStarted {
        summary: ProfileSummary::new(design),
    };
    let mut journal =
        journal::Writer::for_maintenance(&runs_dir, &design.cluster.name, &started)
            .with_context(|| format!("opening the cluster's journal in {}", runs_dir.display()))?;

    let mut last_pending = String::new();
    let mut drill_lines = Vec::new();
    let passed = manage::maintain(
        design,
        &mut sessions,
        &actions,
        request.purpose(),
        POLL_EVERY,
        timeout,
        |update| match update {
            Update::Started { action } => {
                println!("\n== {action}");
                last_pending.clear();
            }
            Update::Progress(Progress::Started { command }) => println!("   ran: {command}"),
            Update::Progress(Progress::Waiting { elapsed, pending }) => {
                if pending != last_pending {
                    println!("   {:>4} s  waiting: {pending}", elapsed.as_secs());
                    last_pending = pending;
                }
            }
            Update::Finished { record, .. } => {
                if let Event::Maintenance {
                    action,
                    changed,
                    error,
                    took_ms,
                    placements,
                    ..
                } = &record
                {
                    match error {
                        Some(error) => println!("   FAILED: {error}"),
                        None if *changed => println!("   settled in {} s", took_ms / 1000),
                        None => println!("   nothing to do: the cluster is already so"),
                    }
                    for placement in placements {
                        println!(
                            "   {:<12} on {}",
                            placement.vm,
                            placement.running_on.as_deref().unwrap_or("nothing")
                        );
                    }
                    drill_lines.push(format!("  {:>5} s  {action}", took_ms / 1000));
                }
                if let Err(error) = journal.write(&record) {
                    eprintln!("tandem: the journal could not be written: {error}");
                }
            }
        },
    )
    .await;
    for session in sessions {
        session.close().await;
    }
    if let Request::Drill { .. } = request {
        println!(
            "\nFailover drill {}:",
            if passed { "passed" } else { "FAILED" }
        );
        for line in &drill_lines {
            println!("{line}");
        }
    }
    println!("Journal: {}", journal.path().display());
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--timeout` in seconds, at least one poll.
pub fn timeout(seconds: u64) -> Result<Duration> {
    if seconds < POLL_EVERY.as_secs() {
        bail!(
            "--timeout {seconds} is shorter than one look at the cluster ({} s): give more",
            POLL_EVERY.as_secs()
        );
    }
    Ok(Duration::from_secs(seconds))
}
