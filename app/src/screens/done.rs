//! Done.

use std::path::PathBuf;

use iced::Element;
use iced::widget::{column, text};
use wizard_steps::steps::run::Board;

use super::Context;

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
pub struct State {}

#[derive(Debug, Clone)]
pub enum Message {
    Exported(Result<Option<PathBuf>, String>),
}

#[derive(Debug)]
pub enum Action {
    None,
    ExportReport(ReportFormat),
    SaveProfile,
}

pub fn update(_state: &mut State, _message: Message) -> Action {
    Action::None
}

pub fn view<'a>(
    _state: &'a State,
    _context: Context<'a>,
    _board: &'a Board,
) -> Element<'a, Message> {
    column![text("Done")].into()
}
