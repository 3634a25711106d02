//! The wizard's pages as the core sees them: the one registry of pages ([`Page`]: their order,
//! titles and the profile fields each edits, so that the validator's problems appear on the
//! page that can fix them), and one module per page (the GUI's `screens` mirror these names)
//! with the page's own judgements (what a node was found to have, the capacity meter, each
//! volume's state, the review of a plan). Pure functions over the profile and the facts read
//! from the nodes. ("Step" means only a step of the plan.)

pub mod cluster;
pub mod network;
pub mod nodes;
pub mod review;
pub mod storage;
pub mod vms;

use crate::validate::{Problem, Problems};

/// The profile fields a page edits: paths as the validator names them, `[*]` standing for any
/// index (`nodes[*].ssh` covers `nodes[1].ssh.port`); a trailing `!` means the field itself and
/// nothing below it (`nodes!`: how many nodes there are).
pub type Fields = &'static [&'static str];

/// Whether `field` (`nodes[1].ssh.port`) is `pattern` (`nodes[*].ssh`) or lies below it.
pub fn covers(pattern: &str, field: &str) -> bool {
    let general = without_indices(field);
    if let Some(exact) = pattern.strip_suffix('!') {
        return general == exact;
    }
    general == pattern
        || general
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

fn without_indices(field: &str) -> String {
    let mut general = String::with_capacity(field.len());
    let mut in_index = false;
    for character in field.chars() {
        match character {
            '[' => {
                in_index = true;
                general.push_str("[*]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => general.push(character),
        }
    }
    general
}

/// The problems a page can fix.
pub fn problems_of(problems: &Problems, fields: Fields) -> Vec<&Problem> {
    problems
        .0
        .iter()
        .filter(|problem| fields.iter().any(|pattern| covers(pattern, &problem.field)))
        .collect()
}

/// A page of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Page {
    Welcome,
    Nodes,
    Network,
    Storage,
    Vms,
    Cluster,
    Review,
    Run,
    Done,
    /// The running cluster of a saved profile (opened from Welcome; not a wizard page).
    Manage,
}

impl Page {
    /// The wizard's pages, in order.
    pub const ALL: [Page; 9] = [
        Page::Welcome,
        Page::Nodes,
        Page::Network,
        Page::Storage,
        Page::Vms,
        Page::Cluster,
        Page::Review,
        Page::Run,
        Page::Done,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Page::Welcome => "Welcome",
            Page::Nodes => "Nodes",
            Page::Network => "Network",
            Page::Storage => "Storage",
            Page::Vms => "VMs",
            Page::Cluster => "Cluster",
            Page::Review => "Review",
            Page::Run => "Run",
            Page::Done => "Done",
            Page::Manage => "Manage cluster",
        }
    }

    /// Where the page stands in the wizard (Manage, outside it, counts as the first).
    pub fn index(self) -> usize {
        Page::ALL.iter().position(|page| *page == self).unwrap_or(0)
    }

    pub fn next(self) -> Option<Page> {
        Page::ALL.get(self.index() + 1).copied()
    }

    pub fn previous(self) -> Option<Page> {
        self.index().checked_sub(1).map(|index| Page::ALL[index])
    }

    /// The profile fields this page edits, when it edits any.
    pub fn fields(self) -> Option<Fields> {
        match self {
            Page::Nodes => Some(nodes::FIELDS),
            Page::Network => Some(network::FIELDS),
            Page::Storage => Some(storage::FIELDS),
            Page::Vms => Some(vms::FIELDS),
            Page::Cluster => Some(cluster::FIELDS),
            _ => None,
        }
    }

    /// The page that fixes a problem of this field (exactly one page edits each field).
    pub fn editing(field: &str) -> Option<Page> {
        Page::ALL.into_iter().find(|page| {
            page.fields()
                .is_some_and(|fields| fields.iter().any(|pattern| covers(pattern, field)))
        })
    }
}

#[cfg(test)]
mod tests;
