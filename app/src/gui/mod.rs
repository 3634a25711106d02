//! The iced wizard: routes messages to the pages, moves between them, and performs what the
//! pages ask for (SSH through `wizard_steps::access`, the run, files and dialogs) as tasks, so
//! that the window never waits. Data flows one way: pages edit the profile → validation →
//! preflight and plan → the run's events → the Run and Done pages.

pub mod edge;

use std::path::PathBuf;
use std::sync::Arc;

use iced::keyboard::{self, Key, key::Named};
use iced::widget::{button, column, container, operation, row, scrollable, space, text};
use iced::{Center, Element, Fill, Subscription, Task, window};
use wizard_steps::pages::{self, Page};
use wizard_steps::validate::{Problems, verdict};
use wizard_steps::{Design, Profile};

use crate::screens::{
    Context, cluster, done, manage, network, nodes, review, run, storage, vms, welcome,
};

/// The window's application id (Wayland app_id, X11 WM_CLASS): the desktop entry's file name,
/// its StartupWMClass and Icon, and the AppStream id (packaging/ holds them under this name).
pub const APPLICATION_ID: &str = "org.tandemcluster.Tandem";

/// Opens the wizard's window: on the Welcome page, or with `profile` open on the Nodes page.
pub fn run(profile: Option<PathBuf>) -> iced::Result {
    let boot = move || {
        let mut app = App::new(edge::Edge::standard());
        if let Some(path) = &profile {
            app.handle(Message::Welcome(welcome::Message::OpenPressed(
                path.clone(),
            )));
        }
        (app, Task::none())
    };
    iced::application(boot, App::update, App::view)
        .title(App::title)
        .subscription(App::subscription)
        .window(window::Settings {
            size: iced::Size::new(1024.0, 768.0),
            min_size: Some(iced::Size::new(760.0, 560.0)),
            exit_on_close_request: false,
            icon: window_icon(),
            #[cfg(target_os = "linux")]
            platform_specific: window::settings::PlatformSpecific {
                application_id: APPLICATION_ID.to_owned(),
                ..Default::default()
            },
            ..Default::default()
        })
        .exit_on_close_request(false)
        .run()
}

/// The application icon's 64 px PNG, for window managers that take the icon from the window
/// (the dock finds the installed one through the desktop entry).
const ICON_PNG: &[u8] =
    include_bytes!("../../../packaging/icons/hicolor/64x64/apps/org.tandemcluster.Tandem.png");

/// The window's icon, or none when the embedded PNG cannot be decoded (the window still opens).
pub fn window_icon() -> Option<window::Icon> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(ICON_PNG));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let mut pixels = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut pixels).ok()?;
    if frame.color_type != png::ColorType::Rgba {
        return None;
    }
    pixels.truncate(frame.buffer_size());
    window::icon::from_rgba(pixels, frame.width, frame.height).ok()
}

/// How often the Manage page reads the cluster.
const MANAGE_REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

/// What must happen outside the window's state after a message: I/O through the edge, dialogs,
/// focus and window operations.
pub enum Effect {
    Connect {
        node: Box<wizard_steps::profile::Node>,
        request: nodes::ConnectRequest,
    },
    Disconnect(usize),
    Preflight(Box<wizard_steps::Design>),
    /// Read the running cluster (the Manage page).
    ReadCluster(Box<wizard_steps::Design>),
    /// Read both nodes' side of a split DRBD resource.
    SplitEvidence {
        design: Box<wizard_steps::Design>,
        split: wizard_steps::split_brain::Split,
    },
    /// The split-brain recovery's events, journaled, as they come.
    Recovery(std::pin::Pin<Box<dyn iced::futures::Stream<Item = wizard_steps::run::Event> + Send>>),
    /// A maintenance's updates, journaled, as they come.
    Maintain(
        std::pin::Pin<Box<dyn iced::futures::Stream<Item = wizard_steps::manage::Update> + Send>>,
    ),
    /// The run's events, journaled, as they come.
    Run(std::pin::Pin<Box<dyn iced::futures::Stream<Item = wizard_steps::run::Event> + Send>>),
    PickProfile,
    /// Where to export the profile (the cluster's name suggests the file name).
    PickExportPath(String),
    PickKey(usize),
    PickIso(usize),
    /// Where to save the setup report (the cluster's name suggests the file name).
    PickReportPath {
        cluster: String,
        format: done::ReportFormat,
    },
    Focus {
        backwards: bool,
    },
    CloseWindow(window::Id),
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::Connect { request, .. } => write!(f, "Connect(node {})", request.index),
            Effect::Disconnect(index) => write!(f, "Disconnect({index})"),
            Effect::Preflight(_) => f.write_str("Preflight"),
            Effect::ReadCluster(_) => f.write_str("ReadCluster"),
            Effect::Maintain(_) => f.write_str("Maintain"),
            Effect::SplitEvidence { split, .. } => write!(f, "SplitEvidence({})", split.resource),
            Effect::Recovery(_) => f.write_str("Recovery"),
            Effect::Run(_) => f.write_str("Run"),
            Effect::PickProfile => f.write_str("PickProfile"),
            Effect::PickExportPath(name) => write!(f, "PickExportPath({name})"),
            Effect::PickKey(index) => write!(f, "PickKey({index})"),
            Effect::PickIso(index) => write!(f, "PickIso({index})"),
            Effect::PickReportPath { format, .. } => write!(f, "PickReportPath({format:?})"),
            Effect::Focus { backwards } => write!(f, "Focus {{ backwards: {backwards} }}"),
            Effect::CloseWindow(_) => f.write_str("CloseWindow"),
        }
    }
}

impl Effect {
    /// The message an I/O effect ends with (None for window and focus operations, which only
    /// iced can perform, and for the run, whose events are a stream).
    pub async fn perform(self, edge: Arc<edge::Edge>) -> Option<Message> {
        Some(match self {
            Effect::Connect { node, request } => {
                let index = request.index;
                let result = edge.connect(*node, request).await;
                Message::Nodes(nodes::Message::Connected(index, Box::new(result)))
            }
            Effect::Disconnect(index) => {
                edge.disconnect(index).await;
                Message::Nodes(nodes::Message::Disconnected)
            }
            Effect::Preflight(design) => {
                Message::Review(review::Message::Checked(edge.preflight(*design).await))
            }
            Effect::ReadCluster(design) => {
                Message::Manage(manage::Message::Read(edge.cluster_status(*design).await))
            }
            Effect::SplitEvidence { design, split } => Message::Manage(manage::Message::Examined(
                Box::new(edge.split_evidence(*design, split).await),
            )),
            Effect::PickProfile => {
                Message::Welcome(welcome::Message::ImportChosen(edge::pick_profile().await))
            }
            Effect::PickExportPath(name) => {
                Message::ExportChosen(edge::pick_export_path(&name).await)
            }
            Effect::PickKey(index) => {
                Message::Nodes(nodes::Message::KeyChosen(index, edge::pick_key().await))
            }
            Effect::PickIso(index) => {
                Message::Vms(vms::Message::IsoChosen(index, edge::pick_iso().await))
            }
            Effect::PickReportPath { cluster, format } => {
                Message::ReportPathChosen(format, edge::pick_report_path(&cluster, format).await)
            }
            Effect::Run(_)
            | Effect::Maintain(_)
            | Effect::Recovery(_)
            | Effect::Focus { .. }
            | Effect::CloseWindow(_) => {
                return None;
            }
        })
    }

    fn into_task(self, edge: Arc<edge::Edge>) -> Task<Message> {
        match self {
            Effect::Focus { backwards: false } => operation::focus_next(),
            Effect::Focus { backwards: true } => operation::focus_previous(),
            Effect::CloseWindow(id) => window::close(id),
            Effect::Run(events) => Task::run(events, |event| {
                Message::Run(run::Message::Event(Box::new(event)))
            })
            .chain(Task::done(Message::Run(run::Message::EventsEnded))),
            Effect::Maintain(updates) => Task::run(updates, |update| {
                Message::Manage(manage::Message::Update(Box::new(update)))
            })
            .chain(Task::done(Message::Manage(manage::Message::Ended))),
            Effect::Recovery(events) => Task::run(events, |event| {
                Message::Manage(manage::Message::RecoveryEvent(Box::new(event)))
            })
            .chain(Task::done(Message::Manage(manage::Message::RecoveryEnded))),
            effect => Task::perform(effect.perform(edge), |message| message).and_then(Task::done),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    Welcome(welcome::Message),
    Nodes(nodes::Message),
    Network(network::Message),
    Storage(storage::Message),
    Vms(vms::Message),
    Cluster(cluster::Message),
    Review(review::Message),
    Run(run::Message),
    Done(done::Message),
    Manage(manage::Message),
    /// Back to the Welcome page (from Manage).
    WelcomePressed,
    /// From Manage into the wizard with the same profile.
    EditProfilePressed,
    NextPressed,
    BackPressed,
    /// A page in the sidebar, for going back to it.
    PageSelected(Page),
    TabPressed {
        shift: bool,
    },
    SavePressed,
    ExportPressed,
    /// Where to save the report of the run (None: the dialog was cancelled).
    ReportPathChosen(done::ReportFormat, Option<PathBuf>),
    /// Where to export the profile to (None: the dialog was cancelled).
    ExportChosen(Option<PathBuf>),
    CloseRequested(window::Id),
    CloseConfirmed,
    CloseCancelled,
    SaveAndClose,
}

/// Why the window is not closed right away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingClose {
    /// A run is going on: closing stops it on the nodes.
    Running(window::Id),
    /// The profile has changes that are not saved.
    Unsaved(window::Id),
    /// A maintenance is under way on the Manage page.
    Maintaining(window::Id),
}

pub struct App {
    pub page: Page,
    pub profile: Profile,
    /// Where the profile was loaded from or saved to.
    pub profile_path: Option<PathBuf>,
    /// The profile as last loaded or saved, to tell unsaved changes.
    saved: Profile,
    /// What validation made of `profile` (once per change): every problem, or none and its
    /// design.
    pub problems: Problems,
    pub design: Option<Design>,
    pub welcome: welcome::State,
    pub nodes: nodes::State,
    pub network: network::State,
    pub storage: storage::State,
    pub vms: vms::State,
    pub cluster: cluster::State,
    pub review: review::State,
    pub run: run::State,
    pub done: done::State,
    pub manage: manage::State,
    /// The SSH sessions, which tasks use and the run borrows.
    edge: Arc<edge::Edge>,
    status: Option<String>,
    pending_close: Option<PendingClose>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("page", &self.page)
            .finish_non_exhaustive()
    }
}

impl App {
    pub fn new(edge: edge::Edge) -> App {
        App::with_edge(Arc::new(edge))
    }

    /// An app over an edge the caller keeps too (the tests await its effects on it).
    pub fn with_edge(edge: Arc<edge::Edge>) -> App {
        let profile = Profile::new_cluster();
        let (design, problems) = verdict(&profile);
        let welcome = edge.welcome();
        App {
            page: Page::Welcome,
            saved: profile.clone(),
            profile,
            profile_path: None,
            problems,
            design,
            welcome,
            nodes: nodes::State::default(),
            network: network::State::default(),
            storage: storage::State::default(),
            vms: vms::State::default(),
            cluster: cluster::State::default(),
            review: review::State::default(),
            run: run::State::default(),
            done: done::State::default(),
            manage: manage::State::default(),
            edge,
            status: None,
            pending_close: None,
        }
    }

    fn title(&self) -> String {
        let name = self.profile.cluster.name.trim();
        let dirty = if self.unsaved() { " •" } else { "" };
        if name.is_empty() {
            format!("Tandem{dirty}")
        } else {
            format!("Tandem — {name}{dirty}")
        }
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            profile: &self.profile,
            problems: &self.problems,
            design: self.design.as_ref(),
            facts: self.nodes.facts(),
        }
    }

    /// The profile differs from the one last saved or loaded.
    pub fn unsaved(&self) -> bool {
        self.profile != self.saved
    }

    /// Whether Next may be pressed on the current page.
    pub fn can_continue(&self) -> bool {
        let context = self.context();
        let page_valid = self
            .page
            .fields()
            .is_none_or(|fields| pages::problems_of(&self.problems, fields).is_empty());
        page_valid
            && match self.page {
                Page::Welcome => false,
                Page::Nodes => self.nodes.can_continue(),
                Page::Vms => self.vms.can_continue(context),
                Page::Review => self.review.can_start(),
                Page::Run => self.run.succeeded(),
                Page::Done | Page::Manage => false,
                Page::Network | Page::Storage | Page::Cluster => true,
            }
    }

    /// Whether Back may be pressed: never away from a run in progress.
    pub fn can_go_back(&self) -> bool {
        self.page.previous().is_some() && !self.run.running()
    }

    fn go_to(&mut self, page: Page) -> Vec<Effect> {
        self.page = page;
        self.status = None;
        match page {
            Page::Review => self.check_nodes(),
            _ => vec![Effect::Focus { backwards: false }],
        }
    }

    /// The iced entry point: [`App::handle`], with its effects as tasks.
    pub fn update(&mut self, message: Message) -> Task<Message> {
        let effects = self.handle(message);
        Task::batch(
            effects
                .into_iter()
                .map(|effect| effect.into_task(self.edge.clone())),
        )
    }

    /// Applies a message and says what must happen outside the window state: the same
    /// effects run as tasks in the window and are awaited by the tests.
    pub fn handle(&mut self, message: Message) -> Vec<Effect> {
        let effects = match message {
            Message::Welcome(message) => match welcome::update(&mut self.welcome, message) {
                welcome::Action::None => Vec::new(),
                welcome::Action::NewCluster => {
                    self.load(Profile::new_cluster(), None);
                    self.go_to(Page::Nodes)
                }
                welcome::Action::Open(path) => self.open(path),
                welcome::Action::Manage(path) => self.manage_cluster(path),
                welcome::Action::Import => vec![Effect::PickProfile],
            },
            Message::Nodes(message) => {
                let connected = matches!(message, nodes::Message::Connected(..));
                let mut effects = match nodes::update(&mut self.nodes, message, &mut self.profile) {
                    nodes::Action::None => Vec::new(),
                    nodes::Action::Connect(request) => self
                        .profile
                        .nodes
                        .get(request.index)
                        .cloned()
                        .map(|node| Effect::Connect {
                            node: Box::new(node),
                            request,
                        })
                        .into_iter()
                        .collect(),
                    nodes::Action::BrowseKey(index) => vec![Effect::PickKey(index)],
                    nodes::Action::Disconnect(index) => vec![Effect::Disconnect(index)],
                };
                if connected && self.page == Page::Manage {
                    effects.extend(self.handle_manage(manage::Message::RefreshPressed));
                }
                effects
            }
            Message::Network(message) => {
                network::update(
                    &mut self.network,
                    message,
                    &mut self.profile,
                    self.nodes.facts(),
                );
                Vec::new()
            }
            Message::Storage(message) => {
                storage::update(
                    &mut self.storage,
                    message,
                    &mut self.profile,
                    self.nodes.facts(),
                );
                Vec::new()
            }
            Message::Vms(message) => match vms::update(&mut self.vms, message, &mut self.profile) {
                vms::Action::None => Vec::new(),
                vms::Action::BrowseIso(index) => vec![Effect::PickIso(index)],
            },
            Message::Cluster(message) => {
                cluster::update(&mut self.cluster, message, &mut self.profile);
                Vec::new()
            }
            Message::Review(message) => match review::update(&mut self.review, message) {
                review::Action::None => Vec::new(),
                review::Action::CheckNodes => self.check_nodes(),
                review::Action::Start(start) => self.start_run(start),
            },
            Message::Run(message) => match run::update(&mut self.run, message) {
                run::Action::None => Vec::new(),
                run::Action::Cancel => {
                    self.edge.cancel_run();
                    Vec::new()
                }
                run::Action::Resume => {
                    self.page = Page::Review;
                    self.check_nodes()
                }
                run::Action::Finished { succeeded: true } => self.go_to(Page::Done),
                run::Action::Finished { succeeded: false } => Vec::new(),
            },
            Message::Done(message) => match done::update(&mut self.done, message) {
                done::Action::None => Vec::new(),
                done::Action::ExportReport(format) => vec![Effect::PickReportPath {
                    cluster: self.profile.cluster.name.clone(),
                    format,
                }],
                done::Action::SaveProfile => self.save(),
            },
            Message::Manage(message) => self.handle_manage(message),
            Message::WelcomePressed => {
                if self.manage.busy() {
                    Vec::new()
                } else {
                    self.welcome = self.edge.welcome();
                    self.page = Page::Welcome;
                    Vec::new()
                }
            }
            Message::EditProfilePressed => {
                if self.manage.busy() {
                    Vec::new()
                } else {
                    self.go_to(Page::Nodes)
                }
            }
            Message::NextPressed => match self.page.next() {
                Some(next) if self.can_continue() => match self.page {
                    Page::Review => match self.review.start() {
                        Some(start) => self.start_run(start),
                        None => Vec::new(),
                    },
                    _ => self.go_to(next),
                },
                _ => Vec::new(),
            },
            Message::BackPressed => match self.page.previous() {
                Some(previous) if self.can_go_back() => {
                    let previous = if self.page == Page::Done {
                        Page::Review
                    } else {
                        previous
                    };
                    self.go_to(previous)
                }
                _ => Vec::new(),
            },
            Message::PageSelected(page) => {
                if self.reachable(page) {
                    self.go_to(page)
                } else {
                    Vec::new()
                }
            }
            Message::TabPressed { shift } => vec![Effect::Focus { backwards: shift }],
            Message::SavePressed => self.save(),
            Message::ExportPressed => vec![Effect::PickExportPath(
                self.profile.cluster.name.trim().to_owned(),
            )],
            Message::ReportPathChosen(format, path) => {
                let result = match (path, &self.run.journal) {
                    (None, _) => Ok(None),
                    (Some(_), None) => Err("there is no run to report on yet".to_owned()),
                    (Some(path), Some(journal)) => {
                        edge::write_report(journal, format, &path).map(|()| Some(path))
                    }
                };
                done::update(&mut self.done, done::Message::Exported(result));
                Vec::new()
            }
            Message::ExportChosen(None) => Vec::new(),
            Message::ExportChosen(Some(path)) => {
                // A copy for elsewhere: the profile stays saved where it was.
                self.status = Some(match self.edge.save(&self.profile, Some(&path)) {
                    Ok(path) => format!("Exported to {}", path.display()),
                    Err(error) => format!("Not exported: {error}"),
                });
                Vec::new()
            }
            Message::CloseRequested(id) => {
                if self.run.running() {
                    self.pending_close = Some(PendingClose::Running(id));
                    Vec::new()
                } else if self.manage.busy() {
                    self.pending_close = Some(PendingClose::Maintaining(id));
                    Vec::new()
                } else if self.unsaved() {
                    self.pending_close = Some(PendingClose::Unsaved(id));
                    Vec::new()
                } else {
                    vec![Effect::CloseWindow(id)]
                }
            }
            Message::CloseCancelled => {
                self.pending_close = None;
                Vec::new()
            }
            Message::CloseConfirmed => match self.pending_close.take() {
                Some(PendingClose::Running(id))
                | Some(PendingClose::Unsaved(id))
                | Some(PendingClose::Maintaining(id)) => {
                    self.edge.cancel_run();
                    vec![Effect::CloseWindow(id)]
                }
                None => Vec::new(),
            },
            Message::SaveAndClose => match self.pending_close.take() {
                Some(PendingClose::Unsaved(id)) => match self.save_now() {
                    Ok(_) => vec![Effect::CloseWindow(id)],
                    Err(error) => {
                        self.status = Some(format!("Not saved: {error}"));
                        Vec::new()
                    }
                },
                other => {
                    self.pending_close = other;
                    Vec::new()
                }
            },
        };
        (self.design, self.problems) = verdict(&self.profile);
        effects
    }

    /// Pages the sidebar may jump to: those already passed (and never away from a run).
    pub fn reachable(&self, page: Page) -> bool {
        !self.run.running()
            && page != Page::Welcome
            && page.index() <= self.page.index()
            && !matches!(page, Page::Run | Page::Done)
    }

    fn load(&mut self, profile: Profile, path: Option<PathBuf>) {
        self.saved = profile.clone();
        self.profile = profile;
        self.profile_path = path;
        self.nodes = nodes::State::default();
        self.network = network::State::default();
        self.storage = storage::State::default();
        self.vms = vms::State::default();
        self.cluster = cluster::State::default();
        self.review = review::State::default();
        self.run = run::State::default();
        self.done = done::State::default();
        self.manage = manage::State::default();
    }

    fn open(&mut self, path: PathBuf) -> Vec<Effect> {
        match self.edge.load(&path) {
            Ok(profile) => {
                self.load(profile, Some(path));
                self.welcome = self.edge.welcome();
                self.go_to(Page::Nodes)
            }
            Err(error) => {
                self.welcome.error = Some(error);
                Vec::new()
            }
        }
    }

    /// Opens a profile's running cluster on the Manage page and connects to both nodes (through
    /// the Nodes page's flow: host keys and passwords are asked there as the nodes need them).
    fn manage_cluster(&mut self, path: PathBuf) -> Vec<Effect> {
        match self.edge.load(&path) {
            Ok(profile) => {
                self.load(profile, Some(path));
                self.welcome = self.edge.welcome();
                self.page = Page::Manage;
                self.status = None;
                (0..2)
                    .flat_map(|index| {
                        self.handle(Message::Nodes(nodes::Message::ConnectPressed(index)))
                    })
                    .collect()
            }
            Err(error) => {
                self.welcome.error = Some(error);
                Vec::new()
            }
        }
    }

    pub fn both_connected(&self) -> bool {
        self.connected_nodes() == [true, true]
    }

    pub fn connected_nodes(&self) -> [bool; 2] {
        [0, 1].map(|index| *self.nodes.link(index) == nodes::Link::Connected)
    }

    fn handle_manage(&mut self, message: manage::Message) -> Vec<Effect> {
        let design = self.design.clone();
        match manage::update(&mut self.manage, message, design.as_ref()) {
            manage::Action::None => Vec::new(),
            manage::Action::Read => match design {
                Some(design) if self.connected_nodes().contains(&true) => {
                    vec![Effect::ReadCluster(Box::new(design))]
                }
                _ => {
                    manage::update(
                        &mut self.manage,
                        manage::Message::Read(Err("connect to the nodes first".to_owned())),
                        None,
                    );
                    Vec::new()
                }
            },
            manage::Action::Examine(split) => match design {
                Some(design) => vec![Effect::SplitEvidence {
                    design: Box::new(design),
                    split,
                }],
                None => Vec::new(),
            },
            manage::Action::Recover {
                split,
                victim,
                generation,
            } => {
                let Some(design) = design else {
                    return Vec::new();
                };
                match self.edge.clone().recover(design, split, victim, generation) {
                    Ok((_, events)) => vec![Effect::Recovery(Box::pin(events))],
                    Err(error) => {
                        let failed = wizard_steps::run::Event::StepFailed {
                            step: "split-brain".to_owned(),
                            node: "both".to_owned(),
                            message: error,
                            command: None,
                            status: None,
                            output_tail: Vec::new(),
                            duration_ms: 0,
                        };
                        let finished = wizard_steps::run::Event::Finished {
                            summary: wizard_steps::run::Summary {
                                failed: 1,
                                ..Default::default()
                            },
                        };
                        for event in [failed, finished] {
                            manage::update(
                                &mut self.manage,
                                manage::Message::RecoveryEvent(Box::new(event)),
                                None,
                            );
                        }
                        self.handle_manage(manage::Message::RecoveryEnded)
                    }
                }
            }
            manage::Action::Perform { actions, purpose } => {
                let Some(design) = design else {
                    return Vec::new();
                };
                match self.edge.clone().maintain(design, actions, purpose) {
                    Ok(updates) => vec![Effect::Maintain(Box::pin(updates))],
                    Err(error) => {
                        let record = wizard_steps::run::Event::Maintenance {
                            purpose: purpose.to_owned(),
                            action: "open the cluster's journal".to_owned(),
                            command: None,
                            changed: false,
                            error: Some(error),
                            took_ms: 0,
                            placements: Vec::new(),
                        };
                        let finished = wizard_steps::manage::Update::Finished { record, ok: false };
                        manage::update(
                            &mut self.manage,
                            manage::Message::Update(Box::new(finished)),
                            None,
                        );
                        self.handle_manage(manage::Message::Ended)
                    }
                }
            }
        }
    }

    fn save_now(&mut self) -> Result<PathBuf, String> {
        let path = self
            .edge
            .save(&self.profile, self.profile_path.as_deref())?;
        self.saved = self.profile.clone();
        self.profile_path = Some(path.clone());
        self.welcome = self.edge.welcome();
        Ok(path)
    }

    fn save(&mut self) -> Vec<Effect> {
        let result = self.save_now();
        match result {
            Ok(path) => self.status = Some(format!("Saved to {}", path.display())),
            Err(error) => self.status = Some(format!("Not saved: {error}")),
        }
        Vec::new()
    }

    /// Reads both nodes (read-only) and plans: what the Review page shows.
    fn check_nodes(&mut self) -> Vec<Effect> {
        match &self.design {
            Some(design) => {
                self.review.checking();
                vec![Effect::Preflight(Box::new(design.clone()))]
            }
            None => {
                self.review.invalid(&self.problems);
                Vec::new()
            }
        }
    }

    fn start_run(&mut self, start: review::Start) -> Vec<Effect> {
        let Some(design) = self.design.clone() else {
            return Vec::new();
        };
        match self.edge.clone().start_run(design, start) {
            Ok((journal, events)) => {
                self.run = run::State::started(journal);
                self.page = Page::Run;
                vec![Effect::Run(Box::pin(events))]
            }
            Err(error) => {
                self.review.failed(error);
                Vec::new()
            }
        }
    }

    fn subscription(&self) -> Subscription<Message> {
        let mut subscriptions = vec![
            window::close_requests().map(Message::CloseRequested),
            keyboard::listen().filter_map(on_key),
        ];
        if self.page == Page::Manage && self.connected_nodes().contains(&true) {
            subscriptions.push(
                iced::time::every(MANAGE_REFRESH).map(|_| Message::Manage(manage::Message::Tick)),
            );
        }
        Subscription::batch(subscriptions)
    }

    pub fn view(&self) -> Element<'_, Message> {
        let context = self.context();
        let page: Element<'_, Message> = match self.page {
            Page::Welcome => welcome::view(&self.welcome).map(Message::Welcome),
            Page::Nodes => nodes::view(&self.nodes, context).map(Message::Nodes),
            Page::Network => network::view(&self.network, context).map(Message::Network),
            Page::Storage => storage::view(&self.storage, context).map(Message::Storage),
            Page::Vms => vms::view(&self.vms, context).map(Message::Vms),
            Page::Cluster => cluster::view(&self.cluster, context).map(Message::Cluster),
            Page::Review => review::view(&self.review, context).map(Message::Review),
            Page::Run => run::view(&self.run).map(Message::Run),
            Page::Done => done::view(&self.done, context, &self.run.board).map(Message::Done),
            Page::Manage => return self.manage_view(),
        };
        if self.page == Page::Welcome {
            return container(page).padding(24).width(Fill).height(Fill).into();
        }
        let body = column![
            scrollable(container(page).padding(24).width(Fill)).height(Fill),
            self.navigation(),
        ];
        let screen = row![self.sidebar(), body.width(Fill)].height(Fill);
        match self.pending_close {
            None => screen.into(),
            Some(pending) => iced::widget::stack![screen, close_overlay(pending)].into(),
        }
    }

    /// The Manage page: its own bar (back to Welcome, into the wizard), the nodes' connections
    /// and the cluster.
    fn manage_view(&self) -> Element<'_, Message> {
        let context = self.context();
        let idle = !self.manage.busy();
        let bar = row![
            button(text("← Welcome"))
                .style(button::secondary)
                .on_press_maybe(idle.then_some(Message::WelcomePressed)),
            text(format!("Cluster {}", self.profile.cluster.name))
                .size(20)
                .width(Fill),
            button(text("Edit profile"))
                .style(button::secondary)
                .on_press_maybe(idle.then_some(Message::EditProfilePressed)),
        ]
        .spacing(12)
        .align_y(Center);
        let mut links = row![].spacing(16);
        for index in 0..self.profile.nodes.len().min(2) {
            links = links.push(
                container(nodes::connection_view(&self.nodes, context, index).map(Message::Nodes))
                    .width(Fill),
            );
        }
        let mut page = column![bar, links].spacing(16);
        page = page
            .push(manage::view(&self.manage, context, self.connected_nodes()).map(Message::Manage));
        let screen = scrollable(container(page).padding(24).width(Fill)).height(Fill);
        match self.pending_close {
            None => screen.into(),
            Some(pending) => iced::widget::stack![screen, close_overlay(pending)].into(),
        }
    }

    fn sidebar(&self) -> Element<'_, Message> {
        let mut pages = column![].spacing(4);
        for page in Page::ALL.into_iter().skip(1) {
            let label = if page == self.page {
                text(format!("▸ {}", page.title()))
            } else {
                text(format!("  {}", page.title()))
            };
            let style = if page == self.page {
                button::primary
            } else {
                button::text
            };
            pages = pages.push(
                button(label)
                    .width(Fill)
                    .style(style)
                    .on_press_maybe(self.reachable(page).then_some(Message::PageSelected(page))),
            );
        }
        container(
            column![
                text("Tandem").size(22),
                pages,
                space::vertical(),
                self.save_button()
            ]
            .spacing(16),
        )
        .padding(16)
        .width(180)
        .height(Fill)
        .style(container::rounded_box)
        .into()
    }

    fn save_button(&self) -> Element<'_, Message> {
        let label = if self.unsaved() {
            "Save profile •"
        } else {
            "Save profile"
        };
        let saveable = !self.profile.cluster.name.trim().is_empty();
        column![
            button(text(label))
                .width(Fill)
                .style(button::secondary)
                .on_press_maybe(saveable.then_some(Message::SavePressed)),
            button(text("Export profile…"))
                .width(Fill)
                .style(button::text)
                .on_press_maybe(saveable.then_some(Message::ExportPressed)),
        ]
        .spacing(6)
        .into()
    }

    fn navigation(&self) -> Element<'_, Message> {
        let next_label = match self.page {
            Page::Review => "Start setup",
            Page::Run => "Finish",
            _ => "Next",
        };
        let status = self.status.clone().unwrap_or_else(|| self.blocked_reason());
        let back = (self.page != Page::Done || !self.run.running()).then(|| {
            button(text("Back"))
                .style(button::secondary)
                .on_press_maybe(self.can_go_back().then_some(Message::BackPressed))
        });
        let next = self.page.next().map(|_| {
            button(text(next_label))
                .style(button::primary)
                .on_press_maybe(self.can_continue().then_some(Message::NextPressed))
        });
        container(
            row![text(status).size(13).width(Fill), back, next]
                .spacing(12)
                .align_y(Center),
        )
        .padding(12)
        .width(Fill)
        .style(container::bordered_box)
        .into()
    }

    /// Why Next is disabled, in a few words, for the navigation bar.
    pub fn blocked_reason(&self) -> String {
        if self.can_continue() || self.page.next().is_none() {
            return String::new();
        }
        if let Some(fields) = self.page.fields() {
            let count = pages::problems_of(&self.problems, fields).len();
            if count > 0 {
                return format!(
                    "{count} field(s) on this page need attention (see the messages in red)"
                );
            }
        }
        match self.page {
            Page::Nodes => self.nodes.blocked_reason(),
            Page::Vms => "A node cannot run all VMs at once: see the capacity meter".to_owned(),
            Page::Review => self.review.blocked_reason(),
            Page::Run => self.run.blocked_reason(),
            _ => String::new(),
        }
    }
}

/// The close question over a dimmed window.
fn close_overlay<'a>(pending: PendingClose) -> Element<'a, Message> {
    iced::widget::opaque(iced::widget::center(close_dialog(pending)).style(|theme| {
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

fn close_dialog<'a>(pending: PendingClose) -> Element<'a, Message> {
    let (question, buttons) = match pending {
        PendingClose::Running(_) => (
            "A setup run is in progress. Closing stops it on the nodes; running the wizard again later resumes where it stopped.",
            row![
                button(text("Keep running"))
                    .style(button::secondary)
                    .on_press(Message::CloseCancelled),
                button(text("Stop and close"))
                    .style(button::danger)
                    .on_press(Message::CloseConfirmed),
            ],
        ),
        PendingClose::Maintaining(_) => (
            "A maintenance is under way. Closing stops following it; the cluster finishes what \
             was started on its own (check it with `tandem status`).",
            row![
                button(text("Keep following"))
                    .style(button::secondary)
                    .on_press(Message::CloseCancelled),
                button(text("Close"))
                    .style(button::danger)
                    .on_press(Message::CloseConfirmed),
            ],
        ),
        PendingClose::Unsaved(_) => (
            "The profile has changes that are not saved.",
            row![
                button(text("Cancel"))
                    .style(button::secondary)
                    .on_press(Message::CloseCancelled),
                button(text("Close without saving"))
                    .style(button::danger)
                    .on_press(Message::CloseConfirmed),
                button(text("Save and close"))
                    .style(button::primary)
                    .on_press(Message::SaveAndClose),
            ],
        ),
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

/// Enter = Next, Escape = Back, Tab and Shift+Tab move the focus (keys no widget took).
pub fn on_key(event: keyboard::Event) -> Option<Message> {
    let keyboard::Event::KeyPressed { key, modifiers, .. } = event else {
        return None;
    };
    match key.as_ref() {
        Key::Named(Named::Enter) => Some(Message::NextPressed),
        Key::Named(Named::Escape) => Some(Message::BackPressed),
        Key::Named(Named::Tab) => Some(Message::TabPressed {
            shift: modifiers.shift(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
