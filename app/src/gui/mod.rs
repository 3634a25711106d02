//! The iced wizard: routes messages to the pages, moves between them, and performs what the
//! pages ask for (SSH through `wizard_steps::access`, the run, files and dialogs) as tasks, so
//! that the window never waits. Data flows one way: pages edit the profile → validation →
//! preflight and plan → the run's events → the Run and Done pages.
//!
//! This module routes; `effect.rs` is what the pages ask of the world and how it is done,
//! `chrome.rs` draws what surrounds the pages (sidebar, navigation, the close question),
//! `manage_page.rs` opens a running cluster and turns the Manage page's requests into effects,
//! `window.rs` opens the window and listens to it, `edge.rs` holds the SSH sessions and files.

mod chrome;
mod dialogs;
pub mod edge;
mod effect;
mod files;
mod manage_page;
pub mod settings;
pub mod typed_path;
mod window;

pub use effect::{AfterSave, Effect, Leave, Opened};
pub use files::{Answer, Question};
pub use window::{APPLICATION_ID, no_display, on_key, run, window_icon};

use std::path::PathBuf;
use std::sync::Arc;

use iced::Task;
use wizard_steps::pages::shown::Shown;
use wizard_steps::pages::{self, Page};
use wizard_steps::validate::{Problems, verdict};
use wizard_steps::{Design, Profile};

use crate::screens::cluster::ClusterPage;
use crate::screens::network::NetworkPage;
use crate::screens::storage::StoragePage;
use crate::screens::vms::VmsPage;
use crate::screens::{
    Context, Screen, cluster, done, manage, network, nodes, review, run, storage, vms, welcome,
};

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
    /// F1: the list of keys, shown or hidden.
    KeysPressed,
    /// Alt+letter: the current page's action of that letter (F1 lists them).
    AccessKey(char),
    /// Alt+digit (`manage`: Ctrl+digit): the sidebar's page of that number, or on Welcome the
    /// profile listed with it.
    NumberKey {
        number: usize,
        manage: bool,
    },
    /// No file dialog can appear: the path is asked for in a field instead.
    NoFileDialog(typed_path::PathFor),
    TypedPath(typed_path::TypedPathMessage),
    SavePressed,
    ExportPressed,
    ThemePicked(settings::ThemeChoice),
    /// The settings file was written, or why not.
    SettingsSaved(Result<(), String>),
    /// Where to save the report of the run (None: the dialog was cancelled).
    ReportPathChosen(done::ReportFormat, Option<PathBuf>),
    /// Where to export the profile to (None: the dialog was cancelled).
    ExportChosen(Option<PathBuf>),
    CloseRequested(iced::window::Id),
    /// The administrator's answer to the question asked.
    Answered(Answer),
    /// A profile file was read (or could not be), with the Welcome page's lists as they are now.
    ProfileLoaded {
        path: PathBuf,
        then: Opened,
        result: Result<Box<Profile>, String>,
        welcome: welcome::State,
    },
    /// The profile was written (or could not be): `profile` is what was written, `to` where it
    /// was asked to go.
    ProfileSaved {
        profile: Box<Profile>,
        to: edge::SaveTo,
        then: AfterSave,
        result: Result<PathBuf, String>,
        welcome: welcome::State,
    },
    WelcomeRefreshed(welcome::State),
    /// The report was written to the path (None: the dialog was cancelled), or why not.
    ReportWritten(Result<Option<PathBuf>, String>),
    /// Where to write the plan (None: the dialog was cancelled).
    PlanPathChosen(Option<PathBuf>),
    /// The plan was written to the path, or why not.
    PlanWritten(Result<PathBuf, String>),
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
    /// Which problems the pages show (edited fields, pages whose Next was pressed), and those.
    shown: Shown,
    visible: Problems,
    /// How many profiles were loaded: an edit is only noted within one profile.
    loads: u64,
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
    /// The question the window asks before going on (drawn over the page).
    pub question: Option<Question>,
    /// A save is being written.
    saving: bool,
    /// The window's preferences.
    pub settings: settings::Settings,
    /// The list of keys (F1) is shown.
    pub keys_shown: bool,
    /// A path typed in place of a file dialog that cannot appear.
    pub typed_path: Option<typed_path::TypedPath>,
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
        let settings = edge.settings();
        let shown = Shown::default();
        let visible = shown.filter(&problems);
        App {
            page: Page::Welcome,
            saved: profile.clone(),
            profile,
            profile_path: None,
            problems,
            shown,
            visible,
            loads: 0,
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
            question: None,
            saving: false,
            settings,
            keys_shown: false,
            typed_path: None,
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
            problems: &self.visible,
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
        let page_valid = pages::problems_of(&self.problems, self.page).is_empty();
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

    /// Opens a page at its top (the pages share one scrollable, which would keep the last
    /// page's offset).
    fn go_to(&mut self, page: Page) -> Vec<Effect> {
        self.page = page;
        self.status = None;
        let mut effects = vec![Effect::ScrollToTop];
        effects.extend(match page {
            Page::Review => self.check_nodes(),
            _ => vec![Effect::Focus { backwards: false }],
        });
        effects
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
        let before = (self.loads, self.profile.clone());
        if let Some(effects) = self.dialog_first(&message) {
            return effects;
        }
        let mut effects = match message {
            // The dialogs' own, handled above.
            Message::KeysPressed | Message::NoFileDialog(_) | Message::TypedPath(_) => Vec::new(),
            Message::Welcome(message) => match welcome::update(&mut self.welcome, message) {
                welcome::Action::None => Vec::new(),
                welcome::Action::NewCluster => self.leave(Leave::NewCluster),
                welcome::Action::Open(path) => self.leave(Leave::Open {
                    path,
                    then: Opened::Edit,
                }),
                welcome::Action::Manage(path) => self.leave(Leave::Open {
                    path,
                    then: Opened::Manage,
                }),
                welcome::Action::Import => vec![Effect::PickProfile],
            },
            Message::Nodes(message) => {
                let connected = matches!(message, nodes::Message::Connected(..));
                let mut effects = match nodes::update(&mut self.nodes, message, &mut self.profile) {
                    nodes::Action::None => Vec::new(),
                    nodes::Action::Connect(request) => nodes::access(&self.profile, request.index)
                        .cloned()
                        .map(|ssh| Effect::Connect {
                            ssh: Box::new(ssh),
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
                // The quorum device's machine is connected from the Review page: its check
                // runs again with it.
                if connected
                    && self.page == Page::Review
                    && *self.nodes.link(nodes::QUORUM_DEVICE) == nodes::Link::Connected
                {
                    effects.extend(self.check_nodes());
                }
                effects
            }
            Message::Network(message) => {
                NetworkPage::update(
                    &mut self.network,
                    message,
                    &mut self.profile,
                    self.nodes.facts(),
                );
                Vec::new()
            }
            Message::Storage(message) => {
                StoragePage::update(
                    &mut self.storage,
                    message,
                    &mut self.profile,
                    self.nodes.facts(),
                );
                Vec::new()
            }
            Message::Vms(message) => match VmsPage::update(
                &mut self.vms,
                message,
                &mut self.profile,
                self.nodes.facts(),
            ) {
                vms::Action::None => Vec::new(),
                vms::Action::BrowseIso(index) => vec![Effect::PickIso(index)],
            },
            Message::Cluster(message) => {
                ClusterPage::update(
                    &mut self.cluster,
                    message,
                    &mut self.profile,
                    self.nodes.facts(),
                );
                Vec::new()
            }
            Message::Review(message) => match review::update(&mut self.review, message) {
                review::Action::None => Vec::new(),
                review::Action::CheckNodes => self.check_nodes(),
                review::Action::Start(start) => self.start_run(start),
                review::Action::GoToNodes => self.go_to(Page::Nodes),
                review::Action::ExportPlan => vec![Effect::PickPlanPath(
                    self.profile.cluster.name.trim().to_owned(),
                )],
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
                done::Action::SaveProfile => self.save(AfterSave::Stay),
            },
            Message::Manage(message) => self.handle_manage(message),
            Message::WelcomePressed => {
                if self.manage.busy() {
                    Vec::new()
                } else {
                    self.page = Page::Welcome;
                    vec![Effect::RefreshWelcome]
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
                // Not done yet: every problem of the page shows, with the reason below.
                Some(_) if self.page.edits_profile() => {
                    self.shown.reveal(self.page);
                    Vec::new()
                }
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
            Message::AccessKey(letter) => match self.access_key(letter) {
                Some(message) => self.handle(message),
                None => Vec::new(),
            },
            Message::NumberKey { number, manage } => self.number_key(number, manage),
            Message::ReportPathChosen(format, path) => match (path, &self.run.journal) {
                (None, _) => self.handle(Message::ReportWritten(Ok(None))),
                (Some(_), None) => self.handle(Message::ReportWritten(Err(
                    "there is no run to report on yet".to_owned(),
                ))),
                (Some(path), Some(journal)) => vec![Effect::WriteReport {
                    journal: journal.clone(),
                    format,
                    path,
                }],
            },
            Message::WelcomeRefreshed(welcome) => {
                self.welcome = welcome;
                Vec::new()
            }
            Message::ThemePicked(theme) => {
                self.settings.theme = theme;
                vec![Effect::SaveSettings(self.settings)]
            }
            Message::SettingsSaved(result) => {
                if let Err(error) = result {
                    self.status = Some(format!("The theme is not kept: {error}"));
                }
                Vec::new()
            }
            Message::PlanPathChosen(None) => Vec::new(),
            Message::PlanPathChosen(Some(path)) => match self.review.plan_script() {
                Some(script) => vec![Effect::WritePlan { script, path }],
                None => Vec::new(),
            },
            Message::PlanWritten(result) => {
                self.status = Some(match result {
                    Ok(path) => format!("Plan exported to {}", path.display()),
                    Err(error) => format!("Plan not exported: {error}"),
                });
                Vec::new()
            }
            Message::ReportWritten(result) => {
                done::update(&mut self.done, done::Message::Exported(result));
                Vec::new()
            }
            message @ (Message::SavePressed
            | Message::ExportPressed
            | Message::ExportChosen(_)
            | Message::ProfileLoaded { .. }
            | Message::ProfileSaved { .. }
            | Message::CloseRequested(_)
            | Message::Answered(_)) => self.handle_files(message),
        };
        let quorum_ssh = |profile: &Profile| {
            profile
                .cluster
                .quorum_device
                .as_ref()
                .map(|device| device.ssh.clone())
        };
        if quorum_ssh(&before.1) != quorum_ssh(&self.profile)
            && let nodes::Action::Disconnect(index) = self.nodes.quorum_device_changed()
        {
            effects.push(Effect::Disconnect(index));
        }
        (self.design, self.problems) = verdict(&self.profile);
        if before.0 == self.loads && before.1 != self.profile {
            self.shown.edit(&before.1, &self.profile);
        }
        self.visible = self.shown.filter(&self.problems);
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
        self.loads += 1;
        // A profile from a file shows all its problems; a new one waits for edits.
        self.shown = if path.is_some() {
            Shown::everything()
        } else {
            Shown::default()
        };
        self.saved = profile.clone();
        self.profile = profile;
        self.profile_path = path;
        // The sessions belong to the profile that was open: another profile's machines are
        // connected anew, through its own host keys and settings.
        self.edge.forget_sessions();
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

    pub fn both_connected(&self) -> bool {
        self.connected_nodes() == [true, true]
    }

    pub fn connected_nodes(&self) -> [bool; 2] {
        [0, 1].map(|index| *self.nodes.link(index) == nodes::Link::Connected)
    }

    /// Reads both nodes (read-only) and plans: what the Review page shows.
    fn check_nodes(&mut self) -> Vec<Effect> {
        match &self.design {
            Some(design) if !self.both_connected() => {
                self.review.offline(design);
                Vec::new()
            }
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
}

#[cfg(test)]
mod tests;
