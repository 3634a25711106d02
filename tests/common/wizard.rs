//! Drives the wizard as its window does: clicks on what a page shows (iced_test), handles the
//! messages, and awaits the effects the window would run as tasks — SSH through the edge, the
//! run's event stream — feeding their messages back, in order.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use iced::futures::StreamExt;
use tandem::gui::edge::{Edge, Places};
use tandem::gui::{App, Effect, Message};
use tandem::screens::{manage, run};

/// A wizard whose files (known_hosts, profiles, recent list, run journals) live in `dir`.
pub fn app_in(dir: &Path) -> (App, Arc<Edge>) {
    let edge = Arc::new(Edge::new(Places::under(dir)));
    (App::with_edge(edge.clone()), edge)
}

/// Handles a message, then performs each effect as the window's tasks would, feeding back
/// every message they end with (a run's events one by one), until nothing is left to do.
pub async fn settle(app: &mut App, edge: &Arc<Edge>, message: Message) {
    settle_watching(app, edge, message, &mut |_| {}).await;
}

/// [`settle`], showing the window to `watch` after each of a run's events.
pub async fn settle_watching(
    app: &mut App,
    edge: &Arc<Edge>,
    message: Message,
    watch: &mut dyn FnMut(&App),
) {
    let mut pending = VecDeque::from([message]);
    while let Some(message) = pending.pop_front() {
        for effect in app.handle(message) {
            match effect {
                Effect::Run(mut events) => {
                    while let Some(event) = events.next().await {
                        for effect in app.handle(Message::Run(run::Message::Event(Box::new(event))))
                        {
                            if let Some(next) = effect.perform(edge.clone()).await {
                                pending.push_back(next);
                            }
                        }
                        watch(app);
                    }
                    pending.push_back(Message::Run(run::Message::EventsEnded));
                }
                Effect::Recovery(mut events) => {
                    while let Some(event) = events.next().await {
                        let message =
                            Message::Manage(manage::Message::RecoveryEvent(Box::new(event)));
                        for effect in app.handle(message) {
                            if let Some(next) = effect.perform(edge.clone()).await {
                                pending.push_back(next);
                            }
                        }
                    }
                    pending.push_back(Message::Manage(manage::Message::RecoveryEnded));
                }
                Effect::Maintain(mut updates) => {
                    while let Some(update) = updates.next().await {
                        let message = Message::Manage(manage::Message::Update(Box::new(update)));
                        for effect in app.handle(message) {
                            if let Some(next) = effect.perform(edge.clone()).await {
                                pending.push_back(next);
                            }
                        }
                    }
                    pending.push_back(Message::Manage(manage::Message::Ended));
                }
                effect => {
                    if let Some(next) = effect.perform(edge.clone()).await {
                        pending.push_back(next);
                    }
                }
            }
        }
    }
}

/// The window, tall enough to show a whole page without scrolling.
pub fn window(app: &App) -> iced_test::Simulator<'_, Message> {
    iced_test::Simulator::with_size(iced::Settings::default(), (1024.0, 2400.0), app.view())
}

/// Clicks what the window shows now and settles every message the click produced.
pub async fn click(app: &mut App, edge: &Arc<Edge>, target: &str) {
    let messages: Vec<Message> = {
        let mut ui = window(app);
        ui.click(target)
            .unwrap_or_else(|error| panic!("{target}: {error}"));
        ui.into_messages().collect()
    };
    for message in messages {
        settle(app, edge, message).await;
    }
}

/// Types into the text input with `id` and settles what it produced.
pub async fn type_into(app: &mut App, edge: &Arc<Edge>, id: &str, text: &str) {
    let messages: Vec<Message> = {
        let mut ui = window(app);
        ui.click(iced_test::selector::id(id.to_owned()))
            .unwrap_or_else(|error| panic!("{id}: {error}"));
        ui.typewrite(text);
        ui.into_messages().collect()
    };
    for message in messages {
        settle(app, edge, message).await;
    }
}

pub fn shows(app: &App, text: &str) -> bool {
    window(app).find(text).is_ok()
}

/// Whether a text on the page holds `part` (a finding's sentence within its line).
pub fn shows_part(app: &App, part: &str) -> bool {
    window(app)
        .find(
            |candidate: iced_test::selector::Candidate<'_>| match candidate {
                iced_test::selector::Candidate::Text { content, .. } if content.contains(part) => {
                    Some(())
                }
                _ => None,
            },
        )
        .is_ok()
}

/// Handles a message, performing only the file effects it leads to (reading and writing
/// profiles and reports, the Welcome page's lists) and handling their messages in turn; the
/// other effects (SSH, dialogs, the window) are returned for the test to answer itself.
pub fn settle_files(app: &mut App, edge: &Arc<Edge>, message: Message) -> Vec<Effect> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut pending = VecDeque::from([message]);
    let mut others = Vec::new();
    while let Some(message) = pending.pop_front() {
        for effect in app.handle(message) {
            match effect {
                effect if effect.touches_files() => {
                    pending.extend(runtime.block_on(effect.perform(edge.clone())));
                }
                other => others.push(other),
            }
        }
    }
    others
}

/// Draws the window as the administrator sees it now, `size` (width, height) in `theme`, into
/// a PNG at `path` (tiny-skia, the renderer the window draws with).
pub fn png(app: &App, size: (f32, f32), theme: &iced::Theme, path: &Path) {
    use iced::advanced::renderer::Headless;
    use iced::theme::Base;
    use iced_runtime::user_interface::{Cache, UserInterface};

    let mut renderer = iced::futures::executor::block_on(<iced::Renderer as Headless>::new(
        iced::Font::with_name("Fira Sans"),
        iced::Pixels(16.0),
        Some("tiny-skia"),
    ))
    .expect("a headless renderer");
    let base = theme.base();
    let bounds = iced::Size::new(size.0, size.1);
    let mut ui = UserInterface::build(app.view(), bounds, Cache::default(), &mut renderer);
    let mut messages = Vec::new();
    let _ = ui.update(
        &[iced::Event::Window(iced::window::Event::RedrawRequested(
            std::time::Instant::now(),
        ))],
        iced::mouse::Cursor::Unavailable,
        &mut renderer,
        &mut iced::advanced::clipboard::Null,
        &mut messages,
    );
    ui.draw(
        &mut renderer,
        theme,
        &iced::advanced::renderer::Style {
            text_color: base.text_color,
        },
        iced::mouse::Cursor::Unavailable,
    );
    let pixels = iced::Size::new(size.0 as u32, size.1 as u32);
    let rgba = renderer.screenshot(pixels, 1.0, base.background_color);
    let file = std::fs::File::create(path).expect("the PNG file");
    let mut encoder = png::Encoder::new(file, pixels.width, pixels.height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("a PNG header");
    writer.write_image_data(&rgba).expect("the pixels");
}
