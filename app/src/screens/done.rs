//! Done: the cluster as verified at the end of the run (nodes, where each VM runs, every DRBD
//! resource on each node, failed actions), what the run did, and the report to export.

use crate::screens::focus::Activate;
use std::path::PathBuf;

use iced::widget::{button, column, row, text};
use iced::{Center, Element};
use wizard_steps::run::board::Board;

use super::cluster_view::{drbd_view, failures_view, fencing_view, nodes_view, vms_view};
use super::run::duration;
use super::{Context, heading, section, warning};
use crate::screens::style;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Html,
    Markdown,
}

impl ReportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Markdown => "md",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportFormat::Html => "HTML report",
            ReportFormat::Markdown => "Markdown report",
        }
    }
}

#[derive(Debug, Default)]
pub struct State {
    /// A report export is under way (its dialog is open).
    exporting: bool,
    /// The outcome of the last export: where the report went, or why it did not.
    exported: Option<Result<PathBuf, String>>,
}

#[derive(Debug, Clone)]
pub enum Message {
    /// None: the dialog was cancelled.
    Exported(Result<Option<PathBuf>, String>),
    ExportPressed(ReportFormat),
    SavePressed,
}

#[derive(Debug)]
pub enum Action {
    None,
    ExportReport(ReportFormat),
    SaveProfile,
}

pub fn update(state: &mut State, message: Message) -> Action {
    match message {
        Message::Exported(result) => {
            state.exporting = false;
            state.exported = match result {
                Ok(Some(path)) => Some(Ok(path)),
                Ok(None) => None,
                Err(error) => Some(Err(error)),
            };
            Action::None
        }
        Message::ExportPressed(format) => {
            if state.exporting {
                Action::None
            } else {
                state.exporting = true;
                Action::ExportReport(format)
            }
        }
        Message::SavePressed => Action::SaveProfile,
    }
}

pub fn view<'a>(state: &'a State, context: Context<'a>, board: &'a Board) -> Element<'a, Message> {
    let cluster = match &board.cluster {
        Some((cluster, drbd)) => column![nodes_view(cluster), vms_view(context, cluster),]
            .push(fencing_view(context, cluster))
            .push(drbd_view(drbd))
            .push(failures_view(cluster))
            .spacing(20)
            .into(),
        None => warning(
            "The cluster's state was not read at the end of the run: check it on a node with \
             `crm_mon -1` and `drbdadm status`.",
        ),
    };
    column![
        heading(
            "Done",
            "Both nodes are set up: the cluster runs each VM on its home node and replicates \
             its disk to the other node."
        ),
        summary_view(board),
        cluster,
        export_view(state),
    ]
    .spacing(20)
    .into()
}

fn summary_view(board: &Board) -> Element<'_, Message> {
    let body: Element<'_, Message> = match &board.summary {
        Some(summary) => {
            let mut lines = column![text(format!(
                "{} changed, {} already done, {} checks passed, in {}",
                summary.changed,
                summary.already_done,
                summary.passed,
                duration(summary.duration_ms)
            ))]
            .spacing(4);
            if !summary.commands.is_empty() {
                let commands: Vec<String> = board
                    .nodes()
                    .into_iter()
                    .filter(|node| node != "both")
                    .zip(&summary.commands)
                    .map(|(node, count)| format!("{node}: {count}"))
                    .collect();
                lines =
                    lines.push(text(format!("SSH commands run: {}", commands.join(", "))).size(13));
            }
            if summary.failed > 0 || summary.cancelled {
                lines = lines.push(warning("The run did not finish: see the Run page."));
            }
            lines.into()
        }
        None => text("The run has no summary.").into(),
    };
    section("The run", body)
}

fn export_view(state: &State) -> Element<'_, Message> {
    let export = |label: &'static str, format: ReportFormat| {
        button(text(label))
            .style(button::secondary)
            .on_activate_maybe((!state.exporting).then_some(Message::ExportPressed(format)))
    };
    let result = match &state.exported {
        Some(Ok(path)) => {
            Some(text(format!("Report saved to {}", path.display())).style(style::success))
        }
        Some(Err(error)) => {
            Some(text(format!("The report was not saved: {error}")).style(style::danger))
        }
        None => None,
    };
    section(
        "Report and profile",
        column![
            text(
                "The report holds the preflight, every step with its outcome, the files written \
                 and the cluster's state, for the records."
            )
            .size(13),
            row![
                export("Export report (HTML)", ReportFormat::Html),
                export("Export report (Markdown)", ReportFormat::Markdown),
                button(text("Save profile"))
                    .style(button::secondary)
                    .on_activate(Message::SavePressed),
            ]
            .spacing(12)
            .align_y(Center),
            result,
        ]
        .spacing(10),
    )
}

#[cfg(test)]
mod tests;
