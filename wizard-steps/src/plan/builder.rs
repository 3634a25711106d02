//! The plan's builder: the design, the nodes' facts, the target and the rendered files, and
//! the helpers every subsystem uses to make its steps (a step on a node, a rendered file's step).

use crate::facts::NodeFacts;
use crate::remote::{BACKUP_ROOT, quote};
use crate::render::{Platform, Rendered};
use crate::validate::Design;

use super::{Operation, Scope, Step};

pub(super) struct Builder<'a> {
    pub(super) design: &'a Design,
    pub(super) facts: &'a [NodeFacts; 2],
    pub(super) platform: Platform,
    pub(super) rendered: &'a Rendered,
}

pub(super) const BOTH: [usize; 2] = [0, 1];

impl Builder<'_> {
    pub(super) fn hostname(&self, node: usize) -> &str {
        &self.design.nodes[node].hostname
    }

    pub(super) fn step(
        &self,
        id: String,
        node: usize,
        title: String,
        operation: Operation,
    ) -> Step {
        Step {
            id: format!("{id}@{}", self.hostname(node)),
            scope: Scope::Node(node),
            title,
            operation,
            destructive: None,
            disruptive: None,
        }
    }

    pub(super) fn rendered_file(&self, node: usize, path: &str) -> Operation {
        let file = self.rendered.nodes[node]
            .file(path)
            .unwrap_or_else(|| panic!("{path} is rendered for every node"));
        Operation::File {
            path: file.path.clone(),
            contents: file.contents.clone(),
            mode: file.mode,
            owner: "root:root".to_owned(),
            then: None,
        }
    }

    pub(super) fn rendered_file_text(&self, node: usize, path: &str) -> &str {
        self.rendered.nodes[node]
            .file(path)
            .map_or("", |file| file.contents.as_str())
    }

    pub(super) fn file_step(&self, node: usize, path: &str) -> Step {
        self.step(
            format!("file:{path}"),
            node,
            format!("write {path}"),
            self.rendered_file(node, path),
        )
    }
}

/// Shell that keeps the file named by the shell word `file` (when it exists) as
/// `/var/backups/tandem/<path>.<UTC time>` (the scheme of `remote::backup_path`): `verb` is
/// `cp -p` to keep the file in place too, `mv` to take it away.
pub(super) fn backup_shell(file: &str, verb: &str) -> String {
    format!(
        "if [ -e {file} ]; then b={root}{file}.$(date -u +%Y%m%d-%H%M%S) && install -d -m 700 {root} && mkdir -p -- \"$(dirname -- \"$b\")\" && {verb} -- {file} \"$b\"; fi",
        root = quote(BACKUP_ROOT),
    )
}
