//! The window driven by its keyboard alone: each key goes through the widgets as the window
//! delivers it (a focused text field or control takes it first), then to the window's own key
//! handler (`tandem::gui::on_key`) with what the widgets did with it, and the messages are
//! handled as the window handles them. The widgets' state (which one has the focus) is kept from
//! one key to the next, and focus and scroll effects act on it as the window's tasks do.

use std::collections::VecDeque;
use std::sync::Arc;

use iced::advanced::renderer::Headless;
use iced::advanced::widget::{self, Operation, operation};
use iced::keyboard::{self, Key, Modifiers, key::Named};
use iced::{Event, Rectangle, Size};
use iced_runtime::user_interface::{self, UserInterface};
use tandem::gui::edge::Edge;
use tandem::gui::{App, Effect, Message, on_key};

/// The window with nothing but a keyboard.
pub struct Keyboard<'a> {
    pub app: &'a mut App,
    edge: Arc<Edge>,
    cache: user_interface::Cache,
    renderer: iced::Renderer,
    window: iced::window::Id,
    size: Size,
    /// The effects that are neither files nor focus (a connection, a file dialog, a run).
    pub asked: Vec<Effect>,
}

/// Where the keyboard is: a text field (its id) or a control (the words drawn on it).
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    Field(widget::Id),
    Control(String),
}

impl Stop {
    pub fn is_field(&self, id: &str) -> bool {
        *self == Stop::Field(widget::Id::from(id.to_owned()))
    }

    pub fn shows(&self, words: &str) -> bool {
        matches!(self, Stop::Control(label) if label.contains(words))
    }
}

impl<'a> Keyboard<'a> {
    /// A window of `size` (width, height) on `app`.
    pub fn new(app: &'a mut App, edge: Arc<Edge>, size: (f32, f32)) -> Self {
        let renderer = iced::futures::executor::block_on(<iced::Renderer as Headless>::new(
            iced::Font::with_name("Fira Sans"),
            iced::Pixels(16.0),
            Some("tiny-skia"),
        ))
        .expect("a headless renderer");
        Keyboard {
            app,
            edge,
            cache: user_interface::Cache::default(),
            renderer,
            window: iced::window::Id::unique(),
            size: Size::new(size.0, size.1),
            asked: Vec::new(),
        }
    }

    pub fn tab(&mut self) {
        self.key(Key::Named(Named::Tab), Modifiers::empty());
    }

    pub fn shift_tab(&mut self) {
        self.key(Key::Named(Named::Tab), Modifiers::SHIFT);
    }

    pub fn named(&mut self, named: Named) {
        self.key(Key::Named(named), Modifiers::empty());
    }

    pub fn space(&mut self) {
        self.key(Key::Named(Named::Space), Modifiers::empty());
    }

    /// Ctrl+`letter` (or Alt+`letter`, …).
    pub fn chord(&mut self, modifiers: Modifiers, letter: &str) {
        self.key(Key::Character(letter.into()), modifiers);
    }

    /// Types `text` into whatever has the focus, one key per character.
    pub fn type_text(&mut self, text: &str) {
        for character in text.chars() {
            let typed = character.to_string();
            self.press(
                Key::Character(typed.as_str().into()),
                Modifiers::empty(),
                Some(typed),
            );
        }
    }

    pub fn key(&mut self, key: Key, modifiers: Modifiers) {
        self.press(key, modifiers, None);
    }

    fn press(&mut self, key: Key, modifiers: Modifiers, text: Option<String>) {
        let physical =
            keyboard::key::Physical::Unidentified(keyboard::key::NativeCode::Unidentified);
        let events = [
            Event::Keyboard(keyboard::Event::KeyPressed {
                key: key.clone(),
                modified_key: key.clone(),
                physical_key: physical,
                location: keyboard::Location::Standard,
                modifiers,
                text: text.map(Into::into),
                repeat: false,
            }),
            Event::Keyboard(keyboard::Event::KeyReleased {
                key: key.clone(),
                modified_key: key,
                physical_key: physical,
                location: keyboard::Location::Standard,
                modifiers,
            }),
        ];
        let mut messages = Vec::new();
        let statuses = {
            let mut ui = UserInterface::build(
                self.app.view(),
                self.size,
                std::mem::take(&mut self.cache),
                &mut self.renderer,
            );
            let (_, statuses) = ui.update(
                &events,
                iced::mouse::Cursor::Unavailable,
                &mut self.renderer,
                &mut iced::advanced::clipboard::Null,
                &mut messages,
            );
            self.cache = ui.into_cache();
            statuses
        };
        // The window's key handler sees each key after the widgets, with what they did.
        for (event, status) in events.into_iter().zip(statuses) {
            if let Event::Keyboard(event) = event {
                messages.extend(on_key(event, status, self.window));
            }
        }
        for message in messages {
            self.handle(message);
        }
    }

    /// Handles a message as the window does: file effects performed and their messages handled
    /// in turn, focus and scroll effects done on the widgets, the rest kept in `asked`.
    pub fn handle(&mut self, message: Message) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut pending = VecDeque::from([message]);
        while let Some(message) = pending.pop_front() {
            for effect in self.app.handle(message) {
                let operations = effect.widget_operations();
                if !operations.is_empty() {
                    self.operate(operations);
                } else if effect.touches_files() {
                    pending.extend(runtime.block_on(effect.perform(self.edge.clone())));
                } else {
                    self.asked.push(effect);
                }
            }
        }
    }

    fn operate(&mut self, operations: Vec<Box<dyn Operation + Send>>) {
        let mut ui = UserInterface::build(
            self.app.view(),
            self.size,
            std::mem::take(&mut self.cache),
            &mut self.renderer,
        );
        for operation in operations {
            let mut current: Box<dyn Operation> = operation;
            loop {
                ui.operate(&self.renderer, current.as_mut());
                match current.finish() {
                    operation::Outcome::Chain(next) => current = next,
                    _ => break,
                }
            }
        }
        self.cache = ui.into_cache();
    }

    /// Where the keyboard is now, if anywhere.
    pub fn focused(&mut self) -> Option<Stop> {
        let mut survey = Survey::default();
        {
            let mut ui = UserInterface::build(
                self.app.view(),
                self.size,
                std::mem::take(&mut self.cache),
                &mut self.renderer,
            );
            ui.operate(&self.renderer, &mut survey);
            self.cache = ui.into_cache();
        }
        let (id, bounds) = survey.focused?;
        Some(match id {
            Some(id) => Stop::Field(id),
            None => Stop::Control(
                survey
                    .texts
                    .iter()
                    .filter(|(at, _)| at.is_within(&bounds.expand(1.0)))
                    .map(|(_, text)| text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        })
    }

    /// Presses Tab until the keyboard is at `wanted`, at most once round every stop; panics
    /// with the stops passed when it never gets there.
    pub fn tab_to(&mut self, wanted: impl Fn(&Stop) -> bool, what: &str) {
        let mut passed = Vec::new();
        for _ in 0..200 {
            self.tab();
            let stop = self.focused();
            if stop.as_ref().is_some_and(&wanted) {
                return;
            }
            if passed.contains(&stop) && passed.len() > 1 && passed.first() == Some(&stop) {
                break;
            }
            passed.push(stop);
        }
        panic!(
            "Tab never reaches {what} on {:?}; it stops at {passed:?}",
            self.app.page
        );
    }

    /// Every stop of the current page, once round from where Tab starts.
    pub fn round(&mut self) -> Vec<Stop> {
        let mut stops: Vec<Stop> = Vec::new();
        for _ in 0..200 {
            self.tab();
            let stop = self.focused().expect("Tab always lands somewhere");
            if stops.first() == Some(&stop) {
                return stops;
            }
            stops.push(stop);
        }
        panic!("Tab never comes round on {:?}: {stops:?}", self.app.page);
    }
}

/// Which widget has the focus (its id and bounds) and every text drawn, with its bounds.
#[derive(Default)]
struct Survey {
    focused: Option<(Option<widget::Id>, Rectangle)>,
    texts: Vec<(Rectangle, String)>,
}

impl Operation for Survey {
    fn traverse(&mut self, operate: &mut dyn FnMut(&mut dyn Operation)) {
        operate(self);
    }

    fn focusable(
        &mut self,
        id: Option<&widget::Id>,
        bounds: Rectangle,
        state: &mut dyn operation::Focusable,
    ) {
        if state.is_focused() && self.focused.is_none() {
            self.focused = Some((id.cloned(), bounds));
        }
    }

    fn text(&mut self, _id: Option<&widget::Id>, bounds: Rectangle, text: &str) {
        self.texts.push((bounds, text.to_owned()));
    }
}
