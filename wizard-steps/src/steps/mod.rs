//! The wizard's pages as the core sees them, one module per page (the GUI's `screens` mirror
//! these names): which profile fields a page edits, so that the validator's problems appear on
//! the page that can fix them, and the page's own judgements (what a node was found to have,
//! the capacity meter, each volume's state, the review of a plan). Pure
//! functions over the profile and the facts read from the nodes.

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

/// The fields of every page that edits the profile, in the wizard's order.
pub const PAGES: [(&str, Fields); 5] = [
    ("nodes", nodes::FIELDS),
    ("network", network::FIELDS),
    ("storage", storage::FIELDS),
    ("vms", vms::FIELDS),
    ("cluster", cluster::FIELDS),
];

#[cfg(test)]
mod tests;
