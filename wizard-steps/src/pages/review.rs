//! The Review page: the plan per node, every file it writes, every destructive action to
//! confirm one by one, and what the preflight found.

use crate::facts::{Finding, Severity};
use crate::plan::{Operation, Plan, Scope};

/// One step as the administrator reviews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewStep {
    pub id: String,
    pub phase: String,
    pub title: String,
    /// Its checks, commands and files as shell script lines.
    pub script: String,
    pub destructive: Option<String>,
}

/// The steps that run on one node (or on both at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSteps {
    pub node: String,
    pub steps: Vec<ReviewStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewFile {
    pub node: String,
    pub path: String,
    pub contents: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destructive {
    pub step: String,
    pub node: String,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub target: String,
    pub nodes: Vec<NodeSteps>,
    pub files: Vec<ReviewFile>,
    pub destructive: Vec<Destructive>,
    /// Steps that interrupt what runs (services restarted, VMs moved away and back): shown,
    /// not confirmed, since nothing is lost.
    pub disruptive: Vec<Destructive>,
    /// Preflight errors: the run cannot start while there are any.
    pub blocking: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl Review {
    /// Whether the run may start, given the destructive steps confirmed so far.
    pub fn may_start(&self, confirmed: &[String]) -> bool {
        self.blocking.is_empty()
            && self
                .destructive
                .iter()
                .all(|action| confirmed.contains(&action.step))
    }
}

/// How the review names the quorum device's machine.
fn quorum_device_label(plan: &Plan) -> String {
    format!(
        "quorum device {}",
        plan.quorum_device.as_deref().unwrap_or_default()
    )
}

pub fn review(plan: &Plan, findings: &[Finding]) -> Review {
    let mut nodes: Vec<NodeSteps> = plan
        .nodes
        .iter()
        .map(|node| NodeSteps {
            node: node.clone(),
            steps: Vec::new(),
        })
        .chain(std::iter::once(NodeSteps {
            node: "both nodes".to_owned(),
            steps: Vec::new(),
        }))
        .chain(std::iter::once(NodeSteps {
            node: quorum_device_label(plan),
            steps: Vec::new(),
        }))
        .collect();
    let mut files = Vec::new();
    let mut destructive = Vec::new();
    let mut disruptive = Vec::new();
    for (phase, step) in plan.steps() {
        let (slot, node) = match step.scope {
            Scope::Node(index) => (index, plan.nodes[index].clone()),
            Scope::Cluster => (2, "both nodes".to_owned()),
            Scope::QuorumDevice => (3, quorum_device_label(plan)),
        };
        if let Operation::File { path, contents, .. } = &step.operation {
            files.push(ReviewFile {
                node: node.clone(),
                path: path.clone(),
                // Shown on screen: its secrets masked.
                contents: crate::render::masked(contents),
            });
        }
        if let Some(what) = &step.destructive {
            destructive.push(Destructive {
                step: step.id.clone(),
                node: node.clone(),
                what: what.clone(),
            });
        }
        if let Some(what) = &step.disruptive {
            disruptive.push(Destructive {
                step: step.id.clone(),
                node: node.clone(),
                what: what.clone(),
            });
        }
        nodes[slot].steps.push(ReviewStep {
            id: step.id.clone(),
            phase: phase.title.clone(),
            title: step.title.clone(),
            script: step.operation.script(),
            destructive: step.destructive.clone(),
        });
    }
    nodes.retain(|node| !node.steps.is_empty());
    Review {
        target: plan.target.clone(),
        nodes,
        files,
        destructive,
        disruptive,
        blocking: findings
            .iter()
            .filter(|finding| finding.severity == Severity::Error)
            .cloned()
            .collect(),
        warnings: findings
            .iter()
            .filter(|finding| finding.severity == Severity::Warning)
            .cloned()
            .collect(),
    }
}
