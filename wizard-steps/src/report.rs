//! The setup report, made from a run's journal: Markdown, and one self-contained HTML file.
//! It names what was asked for (secrets masked), the preflight, every step with its duration
//! and outcome (and the output tail of a failure), every file written, and the final state.

use std::fmt::Write as _;

use crate::facts::Severity;
use crate::journal::Entry;
use crate::run::Event;
use crate::run::board::Board;
use crate::utc;

/// The journal folded as the Run page folds a live run.
fn board(entries: &[Entry]) -> Board {
    let mut board = Board::default();
    for entry in entries {
        board.apply_at(entry.at_ms, &entry.event);
    }
    board
}

fn outcome_line(board: &Board) -> String {
    match &board.summary {
        Some(summary) if summary.succeeded() => format!(
            "Succeeded: {} changed, {} already done, {} checks passed, in {}.",
            summary.changed,
            summary.already_done,
            summary.passed,
            duration(summary.duration_ms)
        ),
        Some(summary) if summary.cancelled => format!(
            "Cancelled after {} ({} changed). Run `tandem apply` again to resume.",
            duration(summary.duration_ms),
            summary.changed
        ),
        Some(summary) => format!(
            "FAILED: {} step(s) failed after {} changes. Fix the cause and run `tandem apply` again: it resumes.",
            summary.failed, summary.changed
        ),
        None => {
            "Unfinished: the run stopped without a final event (it was killed or is still running)."
                .to_owned()
        }
    }
}

fn duration(ms: u64) -> String {
    let seconds = ms / 1000;
    if seconds >= 60 {
        format!("{} min {:02} s", seconds / 60, seconds % 60)
    } else {
        format!("{}.{} s", seconds, ms % 1000 / 100)
    }
}

/// The report as Markdown.
pub fn markdown(entries: &[Entry]) -> String {
    let board = board(entries);
    let mut out = String::new();
    let cluster = board
        .profile
        .as_ref()
        .map_or("?", |summary| summary.cluster.as_str());
    let _ = writeln!(out, "# Tandem setup report: cluster \"{cluster}\"\n");
    if let Some(started) = board.started_ms {
        let _ = writeln!(out, "Started {}.", utc::text(started));
    }
    if !board.target.is_empty() {
        let target = &board.target;
        let _ = writeln!(out, "Target: {target}.");
    }
    let _ = writeln!(out, "\n**{}**\n", outcome_line(&board));
    if let Some(summary) = &board.profile {
        let _ = writeln!(out, "## Profile\n");
        let _ = writeln!(
            out,
            "- {}; failback: {}; fencing: {}; quorum device: {}; corosync encryption: {}; live migration: {}\n",
            summary.debian,
            summary.failback,
            summary.fencing,
            summary.quorum_device,
            yes_no(summary.corosync_crypto),
            yes_no(summary.live_migration)
        );
        table(
            &mut out,
            &["Node", "SSH", "Auth", "LAN", "Replication", "dom0 MiB"],
            summary.nodes.iter().map(|node| {
                vec![
                    node.hostname.clone(),
                    node.ssh.clone(),
                    node.auth.clone(),
                    node.lan.clone(),
                    node.replication.clone(),
                    node.dom0_memory_mib.to_string(),
                ]
            }),
        );
        table(
            &mut out,
            &[
                "VM",
                "Home",
                "MiB",
                "vCPUs",
                "Boot",
                "Disk",
                "DRBD",
                "Console IP",
                "VNC password",
            ],
            summary.vms.iter().map(|vm| {
                vec![
                    vm.name.clone(),
                    vm.home.clone(),
                    vm.memory_mib.to_string(),
                    vm.vcpus.to_string(),
                    vm.boot.clone(),
                    vm.disk.clone(),
                    vm.drbd.clone(),
                    vm.console_ip.clone().unwrap_or_default(),
                    vm.vnc_password.clone().unwrap_or_default(),
                ]
            }),
        );
    }
    if !board.preflight.is_empty() {
        let _ = writeln!(out, "## Preflight\n");
        table(
            &mut out,
            &["Node", "Check", "Result", "Detail", "Fix"],
            board.preflight.iter().map(|finding| {
                vec![
                    finding.node.clone(),
                    finding.check.clone(),
                    severity(finding.severity).to_owned(),
                    finding.detail.clone(),
                    finding.fix.clone(),
                ]
            }),
        );
    }
    let _ = writeln!(out, "## Steps\n");
    table(
        &mut out,
        &["Phase", "Node", "Step", "Outcome", "Time", "Detail"],
        board
            .steps
            .iter()
            .filter(|step| step.finished())
            .map(|step| {
                vec![
                    board.phase_title(&step.phase),
                    step.node.clone(),
                    step.title.clone(),
                    step.state.label().to_owned(),
                    duration(step.duration_ms.unwrap_or_default()),
                    step.detail.clone(),
                ]
            }),
    );
    for (step, failure) in board
        .steps
        .iter()
        .filter_map(|step| Some((step, step.failure.as_ref()?)))
    {
        let _ = writeln!(
            out,
            "### Failed: {} on {} ({})\n",
            step.title, step.node, step.id
        );
        let _ = writeln!(out, "{}\n", step.detail);
        if let Some(command) = &failure.command {
            let _ = writeln!(out, "Command:\n\n```sh\n{command}\n```\n");
        }
        if let Some(status) = &failure.status {
            let _ = writeln!(out, "Ended with {status}.\n");
        }
        if !failure.tail.is_empty() {
            let _ = writeln!(
                out,
                "Last output:\n\n```\n{}\n```\n",
                failure.tail.join("\n")
            );
        }
    }
    if !board.files.is_empty() {
        let _ = writeln!(out, "## Files\n");
        table(
            &mut out,
            &["Node", "File", "Written", "Backup of the previous file"],
            board.files.iter().map(|file| {
                vec![
                    file.node.clone(),
                    file.path.clone(),
                    if file.changed {
                        "yes"
                    } else {
                        "identical, left alone"
                    }
                    .to_owned(),
                    file.backup.clone().unwrap_or_default(),
                ]
            }),
        );
    }
    if let Some((state, drbd)) = &board.cluster {
        let _ = writeln!(out, "## Final cluster state\n");
        table(
            &mut out,
            &["Node", "Online", "Standby"],
            state.nodes.iter().map(|node| {
                vec![
                    node.name.clone(),
                    yes_no(node.online).into(),
                    yes_no(node.standby).into(),
                ]
            }),
        );
        table(
            &mut out,
            &["Resource", "Role", "Node"],
            state.instances.iter().map(|instance| {
                vec![
                    instance.resource.clone(),
                    instance.role.clone(),
                    instance.node.clone(),
                ]
            }),
        );
        table(
            &mut out,
            &["Node", "DRBD resource", "Role", "Connection", "Disks"],
            drbd.iter().flat_map(|node| {
                node.resources.iter().map(move |resource| {
                    vec![
                        node.node.clone(),
                        resource.name.clone(),
                        format!("{}/{}", resource.role, resource.peer_role),
                        resource.connection.clone(),
                        format!("{}/{}", resource.disk, resource.peer_disk),
                    ]
                })
            }),
        );
    }
    if !board.maintenance.is_empty() {
        let _ = writeln!(out, "## Maintenance and failover drills\n");
        table(
            &mut out,
            &[
                "When (UTC)",
                "Purpose",
                "Action",
                "Result",
                "Took",
                "VMs afterwards",
            ],
            board.maintenance.iter().filter_map(|(at_ms, event)| {
                let Event::Maintenance {
                    purpose,
                    action,
                    changed,
                    error,
                    took_ms,
                    placements,
                    ..
                } = event
                else {
                    return None;
                };
                let result = match (error, changed) {
                    (Some(error), _) => format!("FAILED: {error}"),
                    (None, true) => "done".to_owned(),
                    (None, false) => "already so".to_owned(),
                };
                let vms: Vec<String> = placements
                    .iter()
                    .map(|placement| {
                        format!(
                            "{} on {}",
                            placement.vm,
                            placement.running_on.as_deref().unwrap_or("nothing")
                        )
                    })
                    .collect();
                Some(vec![
                    utc::text(*at_ms),
                    purpose.clone(),
                    action.clone(),
                    result,
                    duration(*took_ms),
                    vms.join(", "),
                ])
            }),
        );
    }
    if !board.phase_times.is_empty() {
        let _ = writeln!(out, "## Timings\n");
        table(
            &mut out,
            &["Phase", "Time"],
            board.phase_times.iter().map(|phase| {
                vec![
                    phase.title.clone(),
                    duration(phase.ended_ms - phase.started_ms),
                ]
            }),
        );
        if let Some(result) = &board.summary {
            let commands: Vec<String> = result.commands.iter().map(u64::to_string).collect();
            let _ = writeln!(
                out,
                "Total {}; SSH commands per node: {}.\n",
                duration(result.duration_ms),
                commands.join(", ")
            );
        }
    }
    out
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Ok => "ok",
        Severity::Warning => "warning",
        Severity::Error => "ERROR",
    }
}

fn table(out: &mut String, header: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|text| cell(text)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// The report as one self-contained HTML page (inline style, no external resources).
pub fn html(entries: &[Entry]) -> String {
    let markdown = markdown(entries);
    let mut body = String::new();
    let mut lines = markdown.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(title) = line.strip_prefix("# ") {
            let _ = writeln!(body, "<h1>{}</h1>", escape(title));
        } else if let Some(title) = line.strip_prefix("## ") {
            let _ = writeln!(body, "<h2>{}</h2>", escape(title));
        } else if let Some(title) = line.strip_prefix("### ") {
            let _ = writeln!(body, "<h3>{}</h3>", escape(title));
        } else if line.starts_with("```") {
            let mut code = Vec::new();
            for line in lines.by_ref() {
                if line.starts_with("```") {
                    break;
                }
                code.push(escape(line));
            }
            let _ = writeln!(body, "<pre>{}</pre>", code.join("\n"));
        } else if line.starts_with("| ") {
            let mut rows = vec![line];
            while let Some(next) = lines.next_if(|next| next.starts_with('|')) {
                rows.push(next);
            }
            body.push_str("<table>\n");
            for (index, row) in rows.iter().enumerate() {
                if index == 1 {
                    continue;
                }
                let tag = if index == 0 { "th" } else { "td" };
                let cells = split_row(row);
                let class = if cells.iter().any(|cell| cell == "FAILED" || cell == "ERROR") {
                    " class=\"bad\""
                } else {
                    ""
                };
                let _ = write!(body, "<tr{class}>");
                for cell in cells {
                    let _ = write!(body, "<{tag}>{}</{tag}>", escape(&cell));
                }
                body.push_str("</tr>\n");
            }
            body.push_str("</table>\n");
        } else if let Some(text) = line
            .strip_prefix("**")
            .and_then(|text| text.strip_suffix("**"))
        {
            let _ = writeln!(
                body,
                "<p class=\"outcome\"><strong>{}</strong></p>",
                escape(text)
            );
        } else if let Some(item) = line.strip_prefix("- ") {
            let _ = writeln!(body, "<p>{}</p>", escape(item));
        } else if !line.trim().is_empty() {
            let _ = writeln!(body, "<p>{}</p>", escape(line));
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tandem setup report</title>\n<style>\n{STYLE}</style></head>\n<body>\n{body}</body></html>\n"
    )
}

const STYLE: &str = "body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #1d2329; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #c8ced4; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #eef1f4; }
tr.bad td { background: #fde8e8; }
pre { background: #f4f6f8; padding: 0.8em; overflow-x: auto; }
.outcome { font-size: 1.1em; }
@media (prefers-color-scheme: dark) {
  body { background: #15191d; color: #dfe4e8; }
  th { background: #262d33; } th, td { border-color: #3a434b; }
  tr.bad td { background: #4a2020; } pre { background: #20262b; }
}
";

fn split_row(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                current.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut current).trim().to_owned()),
            other => current.push(other),
        }
    }
    cells.push(current.trim().to_owned());
    cells
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests;
