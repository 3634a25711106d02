//! The Review page as drawn: the preflight's findings, the plan per node, the files, what is
//! destructive or disruptive, the passwords, Start.

use crate::screens::focus::{self, Activate};
use crate::screens::{Context, heading, problem_text, section, warning};
use iced::widget::{Column, button, checkbox, column, container, row, text, text_input};
use iced::{Center, Element, Fill, Font};
use wizard_steps::facts::{Finding, Severity};
use wizard_steps::pages::Page;
use wizard_steps::pages::review::Review;
use wizard_steps::plan::SecretName;
use wizard_steps::profile::Fencing;

use super::*;
use crate::screens::style;

pub fn view<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
    column![heading_view(), body(state, context)]
        .spacing(20)
        .into()
}

/// The page's title and what it is for (the window puts the quorum device machine's connection
/// between it and the body).
pub fn heading_view<'a>() -> Element<'a, Message> {
    heading(
        "Review",
        "What Tandem found on both nodes and exactly what it will do. Nothing has changed on \
         the nodes yet.",
    )
}

/// Everything below the heading: the check, the plan, Start.
pub fn body<'a>(state: &'a State, context: Context<'a>) -> Element<'a, Message> {
    let mut page = column![].spacing(20);
    let check_again = button(text("Check again"))
        .style(button::secondary)
        .on_activate_maybe(
            (!matches!(state.status, Status::Checking)).then_some(Message::CheckAgain),
        );
    match &state.status {
        Status::Idle => {
            page = page.push(
                row![
                    text("The nodes have not been checked yet.").width(Fill),
                    check_again
                ]
                .spacing(12)
                .align_y(Center),
            );
        }
        Status::Checking => {
            page = page.push(
                row![text(CHECKING).width(Fill), check_again]
                    .spacing(12)
                    .align_y(Center),
            );
        }
        Status::Invalid(problems) => {
            let mut pages: Vec<Page> = Vec::new();
            for &(page, _) in problems {
                if !pages.contains(&page) {
                    pages.push(page);
                }
            }
            let names: Vec<&str> = pages.iter().map(|page| page.title()).collect();
            let mut list = column![text(format!(
                "The profile has {} problem(s). Fix them on these pages: {}.",
                problems.len(),
                names.join(", ")
            ))]
            .spacing(6);
            for (page, problem) in problems {
                list = list.push(
                    column![
                        text(format!("{} page · {}", page.title(), problem.field)).size(13),
                        problem_text(problem),
                    ]
                    .spacing(2),
                );
            }
            page = page.push(section("The profile is not complete", list));
        }
        Status::Offline(offline) => {
            let review = &offline.review;
            page = page
                .push(section(
                    "Not connected yet",
                    column![
                        text(
                            "This is the plan for two freshly installed nodes (nothing of \
                             Tandem's on them yet, Debian's DRBD 8.4), as `tandem plan` prints \
                             it. Connect both nodes on the Nodes page: the preflight then reads \
                             them (read-only), and the plan shows what is really left to do."
                        ),
                        row![
                            button(text("Connect the nodes"))
                                .style(button::primary)
                                .on_activate(Message::ConnectPressed),
                            button(text("Export plan…"))
                                .style(button::secondary)
                                .on_activate(Message::ExportPlanPressed),
                        ]
                        .spacing(12),
                    ]
                    .spacing(10),
                ))
                .push(offline_destructive_view(review))
                .push(protection_view(context))
                .push(disruptive_view(review))
                .push(plan_view(state, review))
                .push(files_view(state, review));
        }
        Status::Failed(error) => {
            page = page.push(section(
                "The check did not complete",
                column![text(error.as_str()).style(style::danger), row![check_again]].spacing(10),
            ));
        }
        Status::Checked => {
            if let Some(checked) = state.checked.as_ref() {
                page = page
                    .push(
                        row![
                            text(format!("Plan for {}", checked.review.target)).width(Fill),
                            check_again
                        ]
                        .spacing(12)
                        .align_y(Center),
                    )
                    .push(findings_view(&checked.review, &checked.preflight.findings))
                    .push(destructive_view(state, &checked.review))
                    .push(protection_view(context))
                    .push(disruptive_view(&checked.review))
                    .push(secrets_view(state, checked))
                    .push(plan_view(state, &checked.review))
                    .push(files_view(state, &checked.review))
                    .push(start_view(state));
            }
        }
    }
    page.into()
}

/// What guards the cluster against a split brain: the fencing method, the tie-breaker, and
/// what each node installs for them.
fn protection_view<'a>(context: Context<'a>) -> Element<'a, Message> {
    let Some(design) = context.design else {
        return Column::new().into();
    };
    let cluster = &design.cluster;
    let fencing = match &cluster.fencing {
        Fencing::Ipmi {} => "Fencing: IPMI, each node's BMC driven by the other node.".to_owned(),
        Fencing::Sbd { device, softdog } => format!(
            "Fencing: SBD on {device}, with {} watchdog.",
            if *softdog {
                "Linux's software"
            } else {
                "each node's hardware"
            }
        ),
        Fencing::None { .. } => "Fencing: none (the split-brain risk is acknowledged).".to_owned(),
    };
    let quorum = match &cluster.quorum_device {
        Some(device) => format!(
            "Tie-breaker: corosync-qnetd at {}:{}, installed over SSH on {}.",
            device.address, device.port, device.ssh.host
        ),
        None => "Tie-breaker: none; the two nodes keep quorum alone (two_node).".to_owned(),
    };
    let mut list = column![text(fencing), text(quorum)].spacing(6);
    let installs = design.protection();
    if !installs.is_empty() {
        list = list.push(text("Each node installs for them:"));
        for (package, purpose) in installs {
            list = list.push(
                row![
                    text(package).font(Font::MONOSPACE).width(200),
                    text(purpose).width(Fill)
                ]
                .spacing(12),
            );
        }
    }
    section("Against a split brain", list)
}

fn findings_view<'a>(review: &'a Review, findings: &'a [Finding]) -> Element<'a, Message> {
    let mut list = Column::new().spacing(8);
    for finding in &review.blocking {
        list = list.push(finding_view(finding));
    }
    for finding in &review.warnings {
        list = list.push(finding_view(finding));
    }
    let passed = findings
        .iter()
        .filter(|finding| finding.severity == Severity::Ok)
        .count();
    list = list.push(text(format!("{passed} check(s) passed.")).size(13));
    let title = match (review.blocking.len(), review.warnings.len()) {
        (0, 0) => "Preflight: everything is in order".to_owned(),
        (0, warnings) => format!("Preflight: {warnings} warning(s)"),
        (errors, warnings) => {
            format!("Preflight: {errors} error(s) to fix first, {warnings} warning(s)")
        }
    };
    section(title, list)
}

fn finding_view<'a>(finding: &'a Finding) -> Element<'a, Message> {
    let (mark, style): (&str, fn(&iced::Theme) -> text::Style) = match finding.severity {
        Severity::Error => ("Error", style::danger),
        Severity::Warning => ("Warning", style::warning),
        Severity::Ok => ("OK", text::default),
    };
    let mut item = column![
        text(format!(
            "{mark} · {} · {}: {}",
            finding.node, finding.check, finding.detail
        ))
        .style(style)
    ]
    .spacing(2);
    if !finding.fix.is_empty() {
        item = item.push(text(format!("Fix: {}", finding.fix)).size(13));
    }
    item.into()
}

fn destructive_view<'a>(state: &'a State, review: &'a Review) -> Option<Element<'a, Message>> {
    if review.destructive.is_empty() {
        return None;
    }
    let mut list = column![warning(
        "These steps erase data. Tick each one to confirm it; nothing starts until every one \
         is ticked."
    )]
    .spacing(8);
    for action in &review.destructive {
        let key = (
            action.step.clone(),
            action.node.clone(),
            action.what.clone(),
        );
        let ticked = state.confirmed.contains(&key);
        list = list.push(focus::checkbox_styled(
            checkbox::danger,
            format!("{}: {}", action.node, action.what),
            ticked,
            move |ticked| Message::Confirmed(key.clone(), ticked),
        ));
    }
    Some(section(
        format!("Destructive actions ({})", review.destructive.len()),
        list,
    ))
}

/// The destructive steps of a plan made without the nodes: listed, to be confirmed once the
/// preflight has read what the volumes hold.
fn offline_destructive_view(review: &Review) -> Option<Element<'_, Message>> {
    if review.destructive.is_empty() {
        return None;
    }
    let mut list = column![warning(
        "These steps erase data. Each is confirmed here one by one once the nodes are \
         connected and the preflight has read what the volumes hold."
    )]
    .spacing(8);
    for action in &review.destructive {
        list = list.push(text(format!("{}: {}", action.node, action.what)));
    }
    Some(section(
        format!("Destructive actions ({})", review.destructive.len()),
        list,
    ))
}

fn disruptive_view(review: &Review) -> Option<Element<'_, Message>> {
    if review.disruptive.is_empty() {
        return None;
    }
    let mut list =
        column![text(
        "These steps interrupt what runs, one node at a time; no data is lost and the other \
         node keeps its VMs running meanwhile."
    )
    .size(13)]
        .spacing(8);
    for action in &review.disruptive {
        list = list.push(
            text(format!("{}: {}", action.node, action.what))
                .size(14)
                .style(style::warning),
        );
    }
    Some(section(
        format!("Disruptive actions ({})", review.disruptive.len()),
        list,
    ))
}

fn secrets_view<'a>(state: &'a State, checked: &'a Checked) -> Option<Element<'a, Message>> {
    if checked.secrets.is_empty() {
        return None;
    }
    let mut list =
        column![text(
        "Fencing needs each node's BMC password. It is written to the nodes (readable by root \
         only) and never saved in the profile or the journal."
    )
    .size(13)]
        .spacing(8);
    for name in &checked.secrets {
        let SecretName::BmcPassword(node) = name;
        let value = state.passwords.get(name).map_or("", String::as_str);
        let name = name.clone();
        let problem = state.password_problem(&name);
        list = list.push(
            row![
                text(format!("BMC password of {node}")).width(220),
                text_input(&format!("Password for the BMC of {node}"), value)
                    .id(format!("bmc-password-{node}"))
                    .secure(true)
                    .on_input(move |password| Message::PasswordChanged(name.clone(), password)),
            ]
            .spacing(12)
            .align_y(Center),
        );
        if let Some(problem) = problem {
            list = list.push(text(problem).size(13).style(style::danger));
        }
    }
    Some(section("Passwords needed at run time", list))
}

fn plan_view<'a>(state: &'a State, review: &'a Review) -> Element<'a, Message> {
    let mut nodes = Column::new().spacing(16);
    for node in &review.nodes {
        let mut steps = Column::new().spacing(2);
        let mut phase: Option<&str> = None;
        for step in &node.steps {
            if phase != Some(step.phase.as_str()) {
                phase = Some(step.phase.as_str());
                steps = steps.push(
                    container(text(step.phase.as_str()).size(15)).padding(iced::padding::top(6)),
                );
            }
            let key = (node.node.clone(), step.id.clone());
            let open = state.expanded.contains(&key);
            let marker = if open { "▾" } else { "▸" };
            let title = match &step.destructive {
                Some(_) => format!("{marker} {} (destructive)", step.title),
                None => format!("{marker} {}", step.title),
            };
            let label = if step.destructive.is_some() {
                text(title).style(style::danger)
            } else {
                text(title)
            };
            steps = steps.push(
                button(label.size(14))
                    .style(button::text)
                    .padding([2, 8])
                    .on_activate(Message::StepToggled(key.0.clone(), key.1.clone())),
            );
            if open {
                steps = steps.push(
                    container(text(step.script.as_str()).font(Font::MONOSPACE).size(12))
                        .padding(8)
                        .width(Fill)
                        .style(container::rounded_box),
                );
            }
        }
        nodes = nodes.push(
            column![
                text(format!("{} — {} step(s)", node.node, node.steps.len())).size(16),
                steps
            ]
            .spacing(4),
        );
    }
    section("The plan (click a step to see its script)", nodes)
}

fn files_view<'a>(state: &'a State, review: &'a Review) -> Element<'a, Message> {
    let mut list = Column::new().spacing(2);
    for (index, file) in review.files.iter().enumerate() {
        list = list.push(
            row![
                text(file.node.as_str()).size(13).width(100),
                button(text(file.path.as_str()).size(14))
                    .style(button::text)
                    .padding([2, 8])
                    .on_activate(Message::FileToggled(index)),
            ]
            .spacing(8)
            .align_y(Center),
        );
        if state.shown_file == Some(index) {
            list = list.push(
                container(text(file.contents.as_str()).font(Font::MONOSPACE).size(12))
                    .padding(8)
                    .width(Fill)
                    .style(container::rounded_box),
            );
        }
    }
    section(
        format!(
            "Files written ({}; click one to see its contents)",
            review.files.len()
        ),
        list,
    )
}

fn start_view(state: &State) -> Element<'_, Message> {
    let reason = state.blocked_reason();
    row![
        text(reason).size(13).width(Fill),
        button(text("Start setup"))
            .style(button::primary)
            .on_activate_maybe(state.can_start().then_some(Message::StartPressed)),
    ]
    .spacing(12)
    .align_y(Center)
    .into()
}
