//! What is drawn over the page and takes Enter and Escape before it: the question asked before
//! something would stop a run or drop unsaved changes, the path typed where no file dialog can
//! appear, and the list of keys (F1). Nothing moves behind an open one; Escape closes it.

use crate::screens::focus::Activate;
use iced::Element;
use iced::widget::{button, column, container, row, text};

use super::effect::Effect;
use super::typed_path::{self, TypedPath, TypedPathMessage};
use super::window::SHORTCUTS;
use super::{Answer, App, Leave, Message, Question, welcome};
use wizard_steps::pages::Page;

impl App {
    /// The dialog over the page, if one is open (the question before the others).
    pub(super) fn dialog(&self) -> Option<Element<'_, Message>> {
        let dialog = match (&self.question, &self.typed_path) {
            (Some(question), _) => question_dialog(question),
            (None, Some(typed)) => typed.view(),
            (None, None) if self.keys_shown => keys_dialog(),
            (None, None) => return None,
        };
        Some(overlay(dialog))
    }

    /// Handles what belongs to an open dialog (its own messages, and Enter and Escape); None
    /// for any other message, to be handled as usual.
    pub(super) fn dialog_first(&mut self, message: &Message) -> Option<Vec<Effect>> {
        let back = matches!(message, Message::BackPressed);
        let enter_or_escape = back || matches!(message, Message::NextPressed);
        if enter_or_escape && self.question.is_some() {
            if back {
                self.question = None;
            }
            return Some(Vec::new());
        }
        if enter_or_escape && self.typed_path.is_some() {
            // Enter belongs to the path's field; Escape gives up as Cancel does.
            return Some(if back {
                self.handle(Message::TypedPath(TypedPathMessage::Cancelled))
            } else {
                Vec::new()
            });
        }
        if enter_or_escape && self.keys_shown {
            if back {
                self.keys_shown = false;
            }
            return Some(Vec::new());
        }
        match message {
            Message::NoFileDialog(asked) => {
                self.typed_path = Some(TypedPath {
                    asked: *asked,
                    text: String::new(),
                });
                Some(vec![Effect::FocusField(typed_path::FIELD)])
            }
            Message::TypedPath(message) => {
                let answer = self
                    .typed_path
                    .as_mut()
                    .and_then(|typed| typed.update(message.clone()));
                Some(match answer {
                    Some(answer) => {
                        self.typed_path = None;
                        self.handle(answer)
                    }
                    None => Vec::new(),
                })
            }
            Message::KeysPressed => {
                self.keys_shown = !self.keys_shown;
                Some(Vec::new())
            }
            // Ctrl+N and Ctrl+O are the Welcome page's.
            Message::Welcome(
                welcome::Message::NewClusterPressed | welcome::Message::ImportPressed,
            ) if self.page != Page::Welcome => Some(Vec::new()),
            _ => None,
        }
    }
}

/// A dialog over the dimmed window.
fn overlay<'a>(dialog: Element<'a, Message>) -> Element<'a, Message> {
    iced::widget::opaque(iced::widget::center(dialog).style(|theme| {
        container::Style {
            background: Some(
                iced::Color {
                    a: 0.6,
                    ..iced::Color::BLACK
                }
                .into(),
            ),
            ..container::transparent(theme)
        }
    }))
}

/// F1: every key of the window.
fn keys_dialog<'a>() -> Element<'a, Message> {
    let mut list = column![text("Keys").size(18)].spacing(6);
    for (key, what) in SHORTCUTS {
        list = list.push(
            row![
                text(*key).width(150).font(iced::Font::MONOSPACE),
                text(*what)
            ]
            .spacing(12),
        );
    }
    list = list.push(
        button(text("Close (Escape)"))
            .style(button::secondary)
            .on_activate(Message::KeysPressed),
    );
    container(list.max_width(560))
        .padding(24)
        .style(container::rounded_box)
        .into()
}

fn question_dialog<'a>(question: &Question) -> Element<'a, Message> {
    let answer =
        |label: &'a str, style: fn(&iced::Theme, button::Status) -> button::Style, answer| {
            button(text(label))
                .style(style)
                .on_activate(Message::Answered(answer))
        };
    let (question, buttons) = match question {
        Question::CloseWhileRunning(_) => (
            "A setup run is in progress. Closing stops it on the nodes; running the wizard again \
             later resumes where it stopped.",
            row![
                answer("Keep running", button::secondary, Answer::Cancel),
                answer("Stop and close", button::danger, Answer::GoAhead),
            ],
        ),
        Question::CloseWhileMaintaining(_) => (
            "A maintenance is under way. Closing stops following it; the cluster finishes what \
             was started on its own (check it with `tandem status`).",
            row![
                answer("Keep following", button::secondary, Answer::Cancel),
                answer("Close", button::danger, Answer::GoAhead),
            ],
        ),
        Question::Unsaved(leave) => {
            let (without, with) = match leave {
                Leave::Close(_) => ("Close without saving", "Save and close"),
                Leave::Open { .. } => ("Open without saving", "Save and open"),
                Leave::NewCluster => ("Start without saving", "Save and start"),
            };
            (
                "The profile has changes that are not saved.",
                row![
                    answer("Cancel", button::secondary, Answer::Cancel),
                    answer(without, button::danger, Answer::GoAhead),
                    answer(with, button::primary, Answer::SaveFirst),
                ],
            )
        }
    };
    container(
        column![text(question).size(16), buttons.spacing(12)]
            .spacing(20)
            .max_width(480),
    )
    .padding(24)
    .style(container::rounded_box)
    .into()
}
