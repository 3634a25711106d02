//! The plan in its script form: each operation as the shell a reader can review (and the
//! commands it runs, for the checks that parse them).

use std::fmt::Write as _;

use crate::remote::quote;

use super::{Operation, Plan, Scope};

impl Plan {
    /// The plan as a reviewable shell script per node: every check, command and file.
    pub fn script(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Tandem plan for cluster \"{}\" ({})",
            self.cluster, self.target
        );
        let _ = writeln!(
            out,
            "# Checks run first: a step whose check passes is skipped.\n"
        );
        for phase in &self.phases {
            let order = if phase.one_node_at_a_time {
                ", one node at a time"
            } else {
                ""
            };
            let _ = writeln!(out, "#### {}{order}", phase.title);
            for step in &phase.steps {
                let place = match step.scope {
                    Scope::Node(index) => self.nodes[index].clone(),
                    Scope::Cluster => "both nodes".to_owned(),
                    Scope::QuorumDevice => format!(
                        "quorum device {}",
                        self.quorum_device.as_deref().unwrap_or_default()
                    ),
                };
                let _ = writeln!(out, "\n## [{place}] {} ({})", step.title, step.id);
                if let Some(destructive) = &step.destructive {
                    let _ = writeln!(out, "## DESTRUCTIVE: {destructive}");
                }
                if let Some(disruptive) = &step.disruptive {
                    let _ = writeln!(out, "## DISRUPTIVE: {disruptive}");
                }
                step.operation.write_script(&mut out);
            }
            out.push('\n');
        }
        out
    }
}

impl Operation {
    /// The shell commands this operation runs on a node (checks, changes, verifications).
    pub fn shell_commands(&self) -> Vec<&str> {
        match self {
            Operation::Command {
                check,
                apply,
                verify,
            } => std::iter::once(apply.as_str())
                .chain(check.as_deref())
                .chain(verify.as_deref())
                .collect(),
            Operation::Require { check, .. } | Operation::Reboot { check } => vec![check.as_str()],
            Operation::NetworkChange {
                check,
                apply,
                revert,
                ..
            } => vec![check, apply, revert],
            Operation::WaitUntil { condition, .. } => vec![condition.as_str()],
            Operation::Exchange { read, check, apply } => std::iter::once(read.as_str())
                .chain(check.iter().map(String::as_str))
                .chain(apply.iter().map(String::as_str))
                .collect(),
            Operation::QdeviceCertificates(exchange) => exchange.commands().to_vec(),
            Operation::File { then, .. } | Operation::SharedKey { then, .. } => {
                then.as_deref().into_iter().collect()
            }
            Operation::LocalFile { .. }
            | Operation::Secret { .. }
            | Operation::WaitForSync { .. }
            | Operation::VerifyPlacement => Vec::new(),
        }
    }

    /// The operation as the lines of a reviewable script (see [`Plan::script`]).
    pub fn script(&self) -> String {
        let mut out = String::new();
        self.write_script(&mut out);
        out
    }

    fn write_script(&self, out: &mut String) {
        fn line(out: &mut String, label: &str, text: &str) {
            let _ = writeln!(out, "# {label}:\n{text}");
        }
        match self {
            Operation::Command {
                check,
                apply,
                verify,
            } => {
                if let Some(check) = check {
                    line(out, "done when", check);
                }
                line(out, "apply", apply);
                if let Some(verify) = verify {
                    line(out, "verify", verify);
                }
            }
            Operation::Require { check, failure } => {
                line(out, &format!("require ({failure})"), check)
            }
            Operation::File {
                path,
                contents,
                mode,
                owner,
                then,
            } => {
                let _ = writeln!(
                    out,
                    "# write {path} (mode {mode:o}, {owner}; skipped when identical, backed up when different)"
                );
                let _ = writeln!(
                    out,
                    "cat > {} <<'TANDEM_EOF'\n{}TANDEM_EOF",
                    quote(path),
                    crate::render::masked(contents)
                );
                if let Some(then) = then {
                    let _ = writeln!(out, "# when it changed:\n{then}");
                }
            }
            Operation::SharedKey { path, bytes, then } => {
                let _ = writeln!(
                    out,
                    "# {path}: {bytes} random bytes made by Tandem, the same on both nodes"
                );
                if let Some(then) = then {
                    let _ = writeln!(out, "# when it changed:\n{then}");
                }
            }
            Operation::LocalFile { source, path } => {
                let _ = writeln!(
                    out,
                    "# upload {source} from this workstation to {path} when missing (a different file there is never replaced)"
                );
            }
            Operation::Reboot { check } => {
                line(out, "done when", check);
                let _ = writeln!(out, "# otherwise: reboot, wait for SSH, check again");
            }
            Operation::NetworkChange {
                check,
                apply,
                revert,
                confirm_within_secs,
            } => {
                line(out, "done when", check);
                let _ = writeln!(
                    out,
                    "# armed first (undoes the change unless Tandem confirms within {confirm_within_secs} s):\n{revert}"
                );
                line(out, "apply", apply);
            }
            Operation::WaitUntil {
                condition,
                timeout_secs,
            } => line(
                out,
                &format!("wait up to {timeout_secs} s until"),
                condition,
            ),
            Operation::Secret { path, secret } => {
                let _ = writeln!(
                    out,
                    "# write {secret} to {path} (mode 600), asked at run time"
                );
            }
            Operation::WaitForSync { resource, .. } => {
                let _ = writeln!(
                    out,
                    "# wait until {resource} is UpToDate on both nodes (progress from DRBD)"
                );
            }
            Operation::VerifyPlacement => {
                let _ = writeln!(
                    out,
                    "# check with crm_mon that every VM runs on its home node"
                );
            }
            Operation::Exchange { read, check, apply } => {
                line(out, "read on each node", read);
                for (index, (check, apply)) in check.iter().zip(apply).enumerate() {
                    let _ = writeln!(
                        out,
                        "# on node {} with $PEER = what the other node read:",
                        index + 1
                    );
                    line(out, "done when", check);
                    line(out, "apply", apply);
                }
            }
            Operation::QdeviceCertificates(exchange) => {
                line(
                    out,
                    "on the quorum device's machine, its CA ($CA)",
                    &exchange.ca,
                );
                line(out, "on each node, done when", &exchange.check);
                line(
                    out,
                    "otherwise, on node 1: a request ($REQUEST)",
                    &exchange.request,
                );
                line(
                    out,
                    "on the quorum device's machine: signed ($CERT)",
                    &exchange.sign,
                );
                line(
                    out,
                    "on node 1: imported, with its key ($P12)",
                    &exchange.import,
                );
                line(out, "on node 2: imported", &exchange.import_peer);
            }
        }
    }
}
