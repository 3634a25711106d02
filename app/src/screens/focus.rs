//! Keyboard reach for the controls iced cannot focus (buttons, option groups, pick lists, check
//! boxes and switches): each is wrapped in a [`Focus`] (for buttons: [`Activate::on_activate`]), which iced's focus operations count as
//! they count text fields. Tab moves through text fields and controls alike in the order they are
//! drawn ([`move_focus`]); a focused control has a ring around it, Enter or Space presses a
//! button or flips a check box, and the arrow keys move an option group or a pick list to the
//! previous or next choice. A disabled button is passed by.
//!
//! The constructors here are the only way the pages build these controls (clippy.toml forbids
//! iced's own outside this module), so nothing new can be mouse-only.

#![allow(clippy::disallowed_methods)]

use iced::advanced::layout::{self, Layout};
use iced::advanced::widget::{self, Operation, Tree, Widget, operation, tree};
use iced::advanced::{Clipboard, Shell, mouse, overlay, renderer};
use iced::keyboard::{self, Key, key::Named};
use iced::widget::{Button, Checkbox, PickList, Radio, Toggler};
use iced::{Border, Color, Element, Event, Length, Rectangle, Size, Theme, Vector};

/// Which way an arrow key moves a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Previous,
    Next,
}

type Stepper<'a, M> = Box<dyn Fn(Step) -> Option<M> + 'a>;

/// A control the keyboard can reach.
pub struct Focus<'a, M> {
    content: Element<'a, M>,
    /// What Enter and Space send.
    activate: Option<M>,
    /// What the arrow keys send.
    step: Option<Stepper<'a, M>>,
    /// The words the control shows that iced does not report as text (a check box's or a
    /// radio's label, a pick list's choice): reported here, for whoever looks for it by its
    /// words (the tests, as a person reads the screen).
    label: Option<String>,
}

impl<M> std::fmt::Debug for Focus<'_, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Focus")
            .field("activates", &self.activate.is_some())
            .field("steps", &self.step.is_some())
            .finish()
    }
}

impl<M> Focus<'_, M> {
    /// Whether Tab stops here: a control that does something.
    fn reachable(&self) -> bool {
        self.activate.is_some() || self.step.is_some()
    }
}

/// A button pressed by the mouse and by the keyboard alike: Tab reaches it, Enter or Space
/// presses it. Without a message it is disabled, and Tab passes it by.
pub trait Activate<'a, M> {
    fn on_activate(self, message: M) -> Element<'a, M>;
    fn on_activate_maybe(self, message: Option<M>) -> Element<'a, M>;
}

impl<'a, M: Clone + 'a> Activate<'a, M> for Button<'a, M> {
    fn on_activate(self, message: M) -> Element<'a, M> {
        self.on_activate_maybe(Some(message))
    }

    fn on_activate_maybe(self, message: Option<M>) -> Element<'a, M> {
        Focus {
            content: self.on_press_maybe(message.clone()).into(),
            activate: message,
            step: None,
            label: None,
        }
        .into()
    }
}

/// A check box that Enter or Space ticks and unticks.
pub fn checkbox<'a, M: Clone + 'a>(
    label: impl Into<String>,
    checked: bool,
    on_toggle: impl Fn(bool) -> M + 'a,
) -> Element<'a, M> {
    checkbox_styled(iced::widget::checkbox::primary, label, checked, on_toggle)
}

/// A [`checkbox`] drawn in `style` (a destructive step's is red).
pub fn checkbox_styled<'a, M: Clone + 'a>(
    style: fn(&Theme, iced::widget::checkbox::Status) -> iced::widget::checkbox::Style,
    label: impl Into<String>,
    checked: bool,
    on_toggle: impl Fn(bool) -> M + 'a,
) -> Element<'a, M> {
    let label: String = label.into();
    let activate = Some(on_toggle(!checked));
    Focus {
        content: Checkbox::new(checked)
            .label(label)
            .style(style)
            .on_toggle(on_toggle)
            .into(),
        activate,
        step: None,
        // iced reports a check box's label itself.
        label: None,
    }
    .into()
}

/// A switch that Enter or Space flips.
pub fn toggler<'a, M: Clone + 'a>(
    label: impl Into<String>,
    on: bool,
    on_toggle: impl Fn(bool) -> M + 'a,
) -> Element<'a, M> {
    let label = label.into();
    let activate = Some(on_toggle(!on));
    Focus {
        content: Toggler::new(on)
            .label(label.clone())
            .on_toggle(on_toggle)
            .into(),
        activate,
        step: None,
        label: Some(label),
    }
    .into()
}

/// A pick list whose choice the arrow keys move (the mouse opens its menu); `shape` sizes it as
/// the page wants.
pub fn pick_list<'a, T, M>(
    options: impl Into<Vec<T>>,
    selected: Option<T>,
    on_select: impl Fn(T) -> M + Clone + 'a,
    shape: impl FnOnce(PickList<'a, T, Vec<T>, T, M>) -> PickList<'a, T, Vec<T>, T, M>,
) -> Element<'a, M>
where
    T: ToString + PartialEq + Clone + 'a,
    M: Clone + 'a,
{
    let options: Vec<T> = options.into();
    let step = stepper(options.clone(), selected.clone(), on_select.clone());
    let label = selected.as_ref().map(ToString::to_string);
    Focus {
        content: shape(PickList::new(options, selected, on_select)).into(),
        activate: None,
        step: Some(step),
        label,
    }
    .into()
}

/// An option group (its [`radio`]s, laid out as the page wants) that Tab reaches as one stop
/// and whose choice the arrow keys move.
pub fn choice<'a, V, M>(
    group: impl Into<Element<'a, M>>,
    options: impl Into<Vec<V>>,
    selected: Option<V>,
    on_pick: impl Fn(V) -> M + 'a,
) -> Element<'a, M>
where
    V: PartialEq + Clone + 'a,
    M: Clone + 'a,
{
    Focus {
        content: group.into(),
        activate: None,
        step: Some(stepper(options.into(), selected, on_pick)),
        label: None,
    }
    .into()
}

/// One option of a group that [`choice`] makes keyboard-reachable (not a stop of its own).
pub fn radio<'a, V, M>(
    label: impl Into<String>,
    value: V,
    selected: Option<V>,
    on_pick: impl FnOnce(V) -> M,
) -> Element<'a, M>
where
    V: Copy + Eq,
    M: Clone + 'a,
{
    let label = label.into();
    Focus {
        content: Radio::new(label.clone(), value, selected, on_pick).into(),
        activate: None,
        step: None,
        label: Some(label),
    }
    .into()
}

/// The choice before or after `selected` among `options` (wrapping round, as option groups do;
/// from no choice, the first or the last).
fn stepper<'a, V, M>(
    options: Vec<V>,
    selected: Option<V>,
    on_pick: impl Fn(V) -> M + 'a,
) -> Stepper<'a, M>
where
    V: PartialEq + Clone + 'a,
    M: 'a,
{
    Box::new(move |step| {
        let count = options.len();
        if count == 0 {
            return None;
        }
        let at = selected
            .as_ref()
            .and_then(|selected| options.iter().position(|option| option == selected));
        let index = match (at, step) {
            (None, Step::Next) => 0,
            (None, Step::Previous) => count - 1,
            (Some(at), Step::Next) => (at + 1) % count,
            (Some(at), Step::Previous) => (at + count - 1) % count,
        };
        (Some(index) != at).then(|| on_pick(options[index].clone()))
    })
}

#[derive(Debug, Default)]
struct State {
    focused: bool,
}

impl operation::Focusable for State {
    fn is_focused(&self) -> bool {
        self.focused
    }
    fn focus(&mut self) {
        self.focused = true;
    }
    fn unfocus(&mut self) {
        self.focused = false;
    }
}

fn ring_color(theme: &Theme) -> Color {
    super::style::focus_ring(theme)
        .color
        .unwrap_or(theme.palette().primary)
}

impl<'a, M: Clone + 'a> Widget<M, Theme, iced::Renderer> for Focus<'a, M> {
    fn tag(&self) -> tree::Tag {
        tree::Tag::of::<State>()
    }

    fn state(&self) -> tree::State {
        tree::State::new(State::default())
    }

    fn children(&self) -> Vec<Tree> {
        vec![Tree::new(&self.content)]
    }

    fn diff(&self, tree: &mut Tree) {
        tree.diff_children(std::slice::from_ref(&self.content));
    }

    fn size(&self) -> Size<Length> {
        self.content.as_widget().size()
    }

    fn size_hint(&self) -> Size<Length> {
        self.content.as_widget().size_hint()
    }

    fn layout(
        &mut self,
        tree: &mut Tree,
        renderer: &iced::Renderer,
        limits: &layout::Limits,
    ) -> layout::Node {
        self.content
            .as_widget_mut()
            .layout(&mut tree.children[0], renderer, limits)
    }

    fn operate(
        &mut self,
        tree: &mut Tree,
        layout: Layout<'_>,
        renderer: &iced::Renderer,
        operation: &mut dyn Operation,
    ) {
        if self.reachable() {
            operation.focusable(None, layout.bounds(), tree.state.downcast_mut::<State>());
        } else {
            tree.state.downcast_mut::<State>().focused = false;
        }
        if let Some(label) = &self.label {
            operation.text(None, layout.bounds(), label);
        }
        self.content
            .as_widget_mut()
            .operate(&mut tree.children[0], layout, renderer, operation);
    }

    fn update(
        &mut self,
        tree: &mut Tree,
        event: &Event,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        renderer: &iced::Renderer,
        clipboard: &mut dyn Clipboard,
        shell: &mut Shell<'_, M>,
        viewport: &Rectangle,
    ) {
        self.content.as_widget_mut().update(
            &mut tree.children[0],
            event,
            layout,
            cursor,
            renderer,
            clipboard,
            shell,
            viewport,
        );
        let state = tree.state.downcast_mut::<State>();
        match event {
            // A click elsewhere takes the focus away, as it does from a text field.
            Event::Mouse(mouse::Event::ButtonPressed(_))
                if state.focused && !cursor.is_over(layout.bounds()) =>
            {
                state.focused = false;
                shell.request_redraw();
            }
            Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. })
                if state.focused
                    && !shell.is_event_captured()
                    && !modifiers.command()
                    && !modifiers.alt() =>
            {
                let message = match key.as_ref() {
                    Key::Named(Named::Enter | Named::Space) | Key::Character(" ") => {
                        self.activate.clone()
                    }
                    Key::Named(Named::ArrowUp | Named::ArrowLeft) => {
                        self.step.as_ref().and_then(|step| step(Step::Previous))
                    }
                    Key::Named(Named::ArrowDown | Named::ArrowRight) => {
                        self.step.as_ref().and_then(|step| step(Step::Next))
                    }
                    _ => return,
                };
                // The key is this control's even when it changes nothing (an arrow at a
                // choice already made), so that it does not also scroll or go Next.
                if let Some(message) = message {
                    shell.publish(message);
                }
                if self.activate.is_some() || !matches!(key, Key::Named(Named::Enter)) {
                    shell.capture_event();
                }
            }
            _ => {}
        }
    }

    fn mouse_interaction(
        &self,
        tree: &Tree,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
        renderer: &iced::Renderer,
    ) -> mouse::Interaction {
        self.content.as_widget().mouse_interaction(
            &tree.children[0],
            layout,
            cursor,
            viewport,
            renderer,
        )
    }

    fn draw(
        &self,
        tree: &Tree,
        renderer: &mut iced::Renderer,
        theme: &Theme,
        style: &renderer::Style,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
    ) {
        self.content.as_widget().draw(
            &tree.children[0],
            renderer,
            theme,
            style,
            layout,
            cursor,
            viewport,
        );
        if tree.state.downcast_ref::<State>().focused {
            use iced::advanced::Renderer as _;
            renderer.fill_quad(
                renderer::Quad {
                    bounds: layout.bounds().expand(3.0),
                    border: Border {
                        color: ring_color(theme),
                        width: 2.0,
                        radius: 5.0.into(),
                    },
                    ..renderer::Quad::default()
                },
                Color::TRANSPARENT,
            );
        }
    }

    fn overlay<'b>(
        &'b mut self,
        tree: &'b mut Tree,
        layout: Layout<'b>,
        renderer: &iced::Renderer,
        viewport: &Rectangle,
        translation: Vector,
    ) -> Option<overlay::Element<'b, M, Theme, iced::Renderer>> {
        self.content.as_widget_mut().overlay(
            &mut tree.children[0],
            layout,
            renderer,
            viewport,
            translation,
        )
    }
}

impl<'a, M: Clone + 'a> From<Focus<'a, M>> for Element<'a, M> {
    fn from(focus: Focus<'a, M>) -> Self {
        Element::new(focus)
    }
}

/// What is drawn behind a dialog: seen, but out of the keyboard's reach (Tab stays in the
/// dialog, and no key reaches a control behind it).
pub fn behind_dialog<'a, M: 'a>(content: impl Into<Element<'a, M>>) -> Element<'a, M> {
    Element::new(Behind {
        content: content.into(),
    })
}

struct Behind<'a, M> {
    content: Element<'a, M>,
}

impl<'a, M: 'a> Widget<M, Theme, iced::Renderer> for Behind<'a, M> {
    fn children(&self) -> Vec<Tree> {
        vec![Tree::new(&self.content)]
    }

    fn diff(&self, tree: &mut Tree) {
        tree.diff_children(std::slice::from_ref(&self.content));
    }

    fn size(&self) -> Size<Length> {
        self.content.as_widget().size()
    }

    fn layout(
        &mut self,
        tree: &mut Tree,
        renderer: &iced::Renderer,
        limits: &layout::Limits,
    ) -> layout::Node {
        self.content
            .as_widget_mut()
            .layout(&mut tree.children[0], renderer, limits)
    }

    fn operate(
        &mut self,
        tree: &mut Tree,
        layout: Layout<'_>,
        renderer: &iced::Renderer,
        operation: &mut dyn Operation,
    ) {
        self.content.as_widget_mut().operate(
            &mut tree.children[0],
            layout,
            renderer,
            &mut Unfocusable(operation),
        );
    }

    fn update(
        &mut self,
        tree: &mut Tree,
        event: &Event,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        renderer: &iced::Renderer,
        clipboard: &mut dyn Clipboard,
        shell: &mut Shell<'_, M>,
        viewport: &Rectangle,
    ) {
        if !matches!(event, Event::Keyboard(_) | Event::InputMethod(_)) {
            self.content.as_widget_mut().update(
                &mut tree.children[0],
                event,
                layout,
                cursor,
                renderer,
                clipboard,
                shell,
                viewport,
            );
        }
    }

    fn draw(
        &self,
        tree: &Tree,
        renderer: &mut iced::Renderer,
        theme: &Theme,
        style: &renderer::Style,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
    ) {
        self.content.as_widget().draw(
            &tree.children[0],
            renderer,
            theme,
            style,
            layout,
            cursor,
            viewport,
        );
    }
}

/// An operation as seen from behind a dialog: everything but the focus.
struct Unfocusable<'o>(&'o mut dyn Operation);

impl Operation for Unfocusable<'_> {
    fn traverse(&mut self, operate: &mut dyn FnMut(&mut dyn Operation)) {
        self.0
            .traverse(&mut |inner| operate(&mut Unfocusable(inner)));
    }
    fn container(&mut self, id: Option<&widget::Id>, bounds: Rectangle) {
        self.0.container(id, bounds);
    }
    fn scrollable(
        &mut self,
        id: Option<&widget::Id>,
        bounds: Rectangle,
        content_bounds: Rectangle,
        translation: Vector,
        state: &mut dyn operation::Scrollable,
    ) {
        self.0
            .scrollable(id, bounds, content_bounds, translation, state);
    }
    fn focusable(
        &mut self,
        _id: Option<&widget::Id>,
        _bounds: Rectangle,
        state: &mut dyn operation::Focusable,
    ) {
        state.unfocus();
    }
    fn text_input(
        &mut self,
        id: Option<&widget::Id>,
        bounds: Rectangle,
        state: &mut dyn operation::TextInput,
    ) {
        self.0.text_input(id, bounds, state);
    }
    fn text(&mut self, id: Option<&widget::Id>, bounds: Rectangle, text: &str) {
        self.0.text(id, bounds, text);
    }
    fn custom(
        &mut self,
        id: Option<&widget::Id>,
        bounds: Rectangle,
        state: &mut dyn std::any::Any,
    ) {
        self.0.custom(id, bounds, state);
    }
}

/// Moves the keyboard's focus to the next control or text field (the previous one with
/// `backwards`), round in a circle, and scrolls the page so that it shows. With nothing focused
/// yet it starts at the page's first (or last) one rather than the sidebar's, which comes first
/// in the window.
pub fn move_focus<T: Send + 'static>(backwards: bool, page: &'static str) -> impl Operation<T> {
    operation::then(
        Survey {
            backwards,
            page: widget::Id::new(page),
            stops: Vec::new(),
            area: None,
        },
        Move::apply,
    )
}

/// How far from the page's edge a control that the focus reaches is kept.
const SCROLL_MARGIN: f32 = 24.0;

/// The first pass: where every focus stop is, which one is focused, and the page's scroll area.
struct Survey {
    backwards: bool,
    page: widget::Id,
    /// Each stop's bounds and whether it is focused, in the order they are drawn.
    stops: Vec<(Rectangle, bool)>,
    /// The page's scroll area: its viewport, its content's bounds and how far it is scrolled.
    area: Option<(Rectangle, Rectangle, Vector)>,
}

/// The second pass: focus `target` and unfocus the others; scroll the page to `scroll`.
#[derive(Debug, Clone)]
struct Move {
    page: widget::Id,
    target: Option<usize>,
    scroll: Option<f32>,
    current: usize,
}

impl Move {
    fn apply(self) -> Self {
        self
    }
}

impl Operation<Move> for Survey {
    fn traverse(&mut self, operate: &mut dyn FnMut(&mut dyn Operation<Move>)) {
        operate(self);
    }

    fn scrollable(
        &mut self,
        id: Option<&widget::Id>,
        bounds: Rectangle,
        content_bounds: Rectangle,
        translation: Vector,
        _state: &mut dyn operation::Scrollable,
    ) {
        if id == Some(&self.page) {
            self.area = Some((bounds, content_bounds, translation));
        }
    }

    fn focusable(
        &mut self,
        _id: Option<&widget::Id>,
        bounds: Rectangle,
        state: &mut dyn operation::Focusable,
    ) {
        self.stops.push((bounds, state.is_focused()));
    }

    fn finish(&self) -> operation::Outcome<Move> {
        let count = self.stops.len();
        let focused = self.stops.iter().position(|(_, focused)| *focused);
        let in_page = |index: &usize| {
            self.area
                .is_some_and(|(_, content, _)| self.stops[*index].0.is_within(&content))
        };
        let target = match (focused, self.backwards) {
            _ if count == 0 => None,
            (Some(at), false) => Some((at + 1) % count),
            (Some(at), true) => Some((at + count - 1) % count),
            (None, false) => (0..count).find(in_page).or(Some(0)),
            (None, true) => (0..count).rev().find(in_page).or(Some(count - 1)),
        };
        let scroll = target.filter(in_page).and_then(|target| {
            let (viewport, content, translation) = self.area?;
            let bounds = self.stops[target].0;
            let top = bounds.y - content.y - SCROLL_MARGIN;
            let bottom = bounds.y - content.y + bounds.height + SCROLL_MARGIN;
            if top < translation.y {
                Some(top.max(0.0))
            } else if bottom > translation.y + viewport.height {
                Some((bottom - viewport.height).min(top))
            } else {
                None
            }
        });
        operation::Outcome::Some(Move {
            page: self.page.clone(),
            target,
            scroll,
            current: 0,
        })
    }
}

impl<T> Operation<T> for Move {
    fn traverse(&mut self, operate: &mut dyn FnMut(&mut dyn Operation<T>)) {
        operate(self);
    }

    fn scrollable(
        &mut self,
        id: Option<&widget::Id>,
        _bounds: Rectangle,
        _content_bounds: Rectangle,
        _translation: Vector,
        state: &mut dyn operation::Scrollable,
    ) {
        if let (Some(y), true) = (self.scroll, id == Some(&self.page)) {
            state.scroll_to(operation::scrollable::AbsoluteOffset {
                x: None,
                y: Some(y),
            });
        }
    }

    fn focusable(
        &mut self,
        _id: Option<&widget::Id>,
        _bounds: Rectangle,
        state: &mut dyn operation::Focusable,
    ) {
        if Some(self.current) == self.target {
            state.focus();
        } else {
            state.unfocus();
        }
        self.current += 1;
    }
}
