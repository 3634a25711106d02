//! Which of the validator's problems the wizard shows. A new cluster does not greet the
//! administrator with a wall of red: a field's problem shows once the field was edited, and
//! every problem of a page once Next was pressed there. A profile opened from a file shows all
//! of its problems at once (someone wrote those values).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::Page;
use crate::profile::Profile;
use crate::validate::{Problem, Problems};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shown {
    /// Every problem shows.
    everything: bool,
    /// The paths of the fields the administrator changed (`nodes[0].ssh.host`).
    edited: BTreeSet<String>,
    /// The pages whose Next was pressed.
    revealed: HashSet<Page>,
}

impl Shown {
    /// Every problem shows (a profile read from a file).
    pub fn everything() -> Shown {
        Shown {
            everything: true,
            ..Shown::default()
        }
    }

    /// Notes the fields whose value an edit changed. A field that came with a new entry (a VM,
    /// a volume just added) is not edited yet: its problems wait until it is, or until Next.
    pub fn edit(&mut self, before: &Profile, after: &Profile) {
        let (Some(before), Some(after)) = (values(before), values(after)) else {
            return;
        };
        let changed: Vec<&String> = before
            .keys()
            .chain(after.keys())
            .filter(|path| before.get(*path) != after.get(*path))
            .filter(|path| {
                let entry = entry_of(path);
                before.keys().any(|known| within(known, entry))
            })
            .collect();
        self.edited.extend(changed.into_iter().cloned());
    }

    /// Next was pressed on `page`: all its problems show from now on.
    pub fn reveal(&mut self, page: Page) {
        self.revealed.insert(page);
    }

    /// Whether a problem shows.
    pub fn shows(&self, problem: &Problem) -> bool {
        if self.everything || self.revealed.contains(&Page::editing(problem.field)) {
            return true;
        }
        let field = problem.field.path();
        self.edited
            .iter()
            .any(|edited| within(edited, &field) || within(&field, edited))
    }

    /// The problems that show.
    pub fn filter(&self, problems: &Problems) -> Problems {
        Problems(
            problems
                .0
                .iter()
                .filter(|problem| self.shows(problem))
                .cloned()
                .collect(),
        )
    }
}

/// Whether `path` is `outer` or lies below it (`vms[1].boot.iso` within `vms[1]`).
fn within(path: &str, outer: &str) -> bool {
    path.strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// The entry a path belongs to: a list's element (`vms[1]`, `storage.volumes[0]`) or a
/// section (`cluster`).
fn entry_of(path: &str) -> &str {
    match path.find(']') {
        Some(end) => &path[..=end],
        None => path.split('.').next().unwrap_or(path),
    }
}

/// Every value of the profile by its path, as the profile file spells them.
fn values(profile: &Profile) -> Option<BTreeMap<String, String>> {
    let text = profile.to_toml().ok()?;
    let value: toml::Value = toml::from_str(&text).ok()?;
    let mut flat = BTreeMap::new();
    flatten(&value, String::new(), &mut flat);
    Some(flat)
}

fn flatten(value: &toml::Value, path: String, flat: &mut BTreeMap<String, String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, inner) in table {
                let inner_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                flatten(inner, inner_path, flat);
            }
        }
        toml::Value::Array(items) if items.iter().all(toml::Value::is_table) => {
            for (index, item) in items.iter().enumerate() {
                flatten(item, format!("{path}[{index}]"), flat);
            }
        }
        other => {
            flat.insert(path, other.to_string());
        }
    }
}
