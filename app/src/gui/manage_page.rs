//! The Manage page's side of the shell: going to a loaded profile's running cluster (and
//! connecting to its nodes), and turning what the page asks for (read the cluster, examine or
//! recover a split brain, maintenance) into effects.

use wizard_steps::pages::Page;

use super::{App, Effect, Message};
use crate::screens::{manage, nodes};

impl App {
    /// Opens the loaded profile's running cluster on the Manage page and connects to both
    /// nodes (through the Nodes page's flow: host keys and passwords are asked there as the
    /// nodes need them).
    pub(super) fn manage_cluster(&mut self) -> Vec<Effect> {
        self.page = Page::Manage;
        self.status = None;
        (0..2)
            .flat_map(|index| self.handle(Message::Nodes(nodes::Message::ConnectPressed(index))))
            .collect()
    }

    pub(super) fn handle_manage(&mut self, message: manage::Message) -> Vec<Effect> {
        let design = self.design.clone();
        match manage::update(&mut self.manage, message, design.as_ref()) {
            manage::Action::None => Vec::new(),
            manage::Action::Read => match design {
                Some(design) if self.connected_nodes().contains(&true) => {
                    vec![Effect::ReadCluster(Box::new(design))]
                }
                _ => {
                    manage::update(
                        &mut self.manage,
                        manage::Message::Read(Err("connect to the nodes first".to_owned())),
                        None,
                    );
                    Vec::new()
                }
            },
            manage::Action::Examine(split) => match design {
                Some(design) => vec![Effect::SplitEvidence {
                    design: Box::new(design),
                    split,
                }],
                None => Vec::new(),
            },
            manage::Action::Recover {
                split,
                victim,
                generation,
            } => {
                let Some(design) = design else {
                    return Vec::new();
                };
                match self.edge.clone().recover(design, split, victim, generation) {
                    Ok((_, events)) => vec![Effect::Recovery(Box::pin(events))],
                    Err(error) => {
                        let failed = wizard_steps::run::Event::StepFailed {
                            step: "split-brain".to_owned(),
                            node: "both".to_owned(),
                            message: error,
                            command: None,
                            status: None,
                            output_tail: Vec::new(),
                            duration_ms: 0,
                        };
                        let finished = wizard_steps::run::Event::Finished {
                            summary: wizard_steps::run::Summary {
                                failed: 1,
                                ..Default::default()
                            },
                        };
                        for event in [failed, finished] {
                            manage::update(
                                &mut self.manage,
                                manage::Message::RecoveryEvent(Box::new(event)),
                                None,
                            );
                        }
                        self.handle_manage(manage::Message::RecoveryEnded)
                    }
                }
            }
            manage::Action::Perform { actions, purpose } => {
                let Some(design) = design else {
                    return Vec::new();
                };
                match self.edge.clone().maintain(design, actions, purpose) {
                    Ok(updates) => vec![Effect::Maintain(Box::pin(updates))],
                    Err(error) => {
                        let record = wizard_steps::run::Event::Maintenance {
                            purpose: purpose.to_owned(),
                            action: "open the cluster's journal".to_owned(),
                            command: None,
                            changed: false,
                            error: Some(error),
                            took_ms: 0,
                            placements: Vec::new(),
                        };
                        let finished = wizard_steps::manage::Update::Finished { record, ok: false };
                        manage::update(
                            &mut self.manage,
                            manage::Message::Update(Box::new(finished)),
                            None,
                        );
                        self.handle_manage(manage::Message::Ended)
                    }
                }
            }
        }
    }
}
