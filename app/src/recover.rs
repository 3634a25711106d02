//! `tandem split-brain`: finds DRBD resources in split brain, shows what each node knows about
//! its data, takes the administrator's choice of the node whose changes are discarded, and runs
//! the recovery (the library's `split_brain` plan) as a journaled run.

use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use wizard_steps::Design;
use wizard_steps::manage;
use wizard_steps::remote::Session;
use wizard_steps::split_brain::{self, Split};

use crate::apply::{Decisions, Shown, connect_both, execute, open_journal, say_where};
use crate::terminal;

/// What the administrator named on the command line.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    /// The VM whose resource to recover (default: the only one split).
    pub resource: Option<String>,
    /// The node whose changes are discarded.
    pub discard: Option<String>,
}

pub async fn split_brain(
    design: &Design,
    decisions: &Decisions,
    choice: &Choice,
) -> Result<ExitCode> {
    if let Some(node) = &choice.discard
        && design.node_index(node).is_none()
    {
        bail!("--discard {node}: no such node in the profile (nodes[].hostname)");
    }
    let mut sessions = connect_both(design, decisions).await?;
    let status = manage::status(design, &sessions).await?;
    let splits = split_brain::detect(design, &status.drbd);
    let exit = if splits.is_empty() {
        println!("No split brain: no DRBD resource is StandAlone.");
        for node in &status.drbd {
            for resource in &node.resources {
                println!(
                    "  {:<12} {:<8} {} {}/{}",
                    resource.name,
                    node.node,
                    resource.connection,
                    resource.disk,
                    resource.peer_disk
                );
            }
        }
        ExitCode::SUCCESS
    } else {
        recover(design, &mut sessions, decisions, choice, &splits).await?
    };
    for session in sessions {
        session.close().await;
    }
    Ok(exit)
}

async fn recover(
    design: &Design,
    sessions: &mut [Session; 2],
    decisions: &Decisions,
    choice: &Choice,
    splits: &[Split],
) -> Result<ExitCode> {
    for split in splits {
        println!("{}", split.describe(design));
    }
    let split = match &choice.resource {
        Some(name) => splits
            .iter()
            .find(|split| &split.resource == name)
            .ok_or_else(|| anyhow!("--resource {name}: that resource is not split"))?,
        None if splits.len() == 1 => &splits[0],
        None => bail!(
            "several resources are split: recover one at a time with --resource ({})",
            splits
                .iter()
                .map(|split| split.resource.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let sides = split_brain::evidence(design, split, sessions).await?;
    println!(
        "\nWhat each node knows about its data of {}:",
        split.resource
    );
    for side in &sides {
        println!("  {}", side.summary());
        println!("    data generations (get-gi): {}", side.generation);
        for line in &side.log {
            println!("    | {line}");
        }
    }
    let suggested = &sides[split_brain::suggested_victim(&sides)].node;
    println!(
        "\nSuggested: discard the changes of {suggested} (it changed less, or is not Primary)."
    );
    let victim = match &choice.discard {
        Some(node) => node.clone(),
        None => {
            let names: Vec<&str> = design
                .nodes
                .iter()
                .map(|node| node.hostname.as_str())
                .collect();
            terminal::choose("Discard the changes of which node?", &names).ok_or_else(|| {
                anyhow!(
                    "name the node whose changes are discarded: --discard NODE (suggested: {suggested})"
                )
            })?
        }
    };
    let victim = design
        .node_index(&victim)
        .ok_or_else(|| anyhow!("no node {victim}"))?;
    let generation = split_brain::loaded_generation(&sessions[0]).await;
    let plan = split_brain::recovery_plan(design, split, victim, generation);
    println!("\n== {}", plan.target);
    let mut journaled = open_journal(design, decisions)?;
    let shown = Shown::start(decisions.verbose);
    let exit = execute(
        &mut journaled,
        &plan,
        design,
        sessions,
        None,
        decisions,
        shown.events(),
    )
    .await?;
    shown.finish().await;
    say_where(&journaled);
    Ok(exit)
}
