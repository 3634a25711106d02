//! What must happen outside the window's state after a message, and how it happens: I/O through
//! the edge (SSH, the run, dialogs, and every file: profiles, the recent list, reports) as tasks
//! whose results come back as messages, so that `update` itself does not wait on a disk or a
//! network; and the window and focus operations only iced performs. (A run's journal is the one
//! file made inside `update`, by the edge, so that a journal that cannot be made is an error on
//! the page that starts the run.)

use std::path::PathBuf;
use std::sync::Arc;

use iced::advanced::widget::{self, Operation, operation};
use iced::{Task, window};

use wizard_steps::Profile;

use super::Message;
use super::edge::{self, SaveTo};
use super::typed_path::{self, PathFor};
use crate::screens::{done, focus, manage, nodes, review, run, vms, welcome};

/// What must happen outside the window's state after a message: I/O through the edge, dialogs,
/// focus and window operations.
pub enum Effect {
    /// Read a profile file, then open it for editing or on the Manage page.
    LoadProfile {
        path: PathBuf,
        then: Opened,
    },
    /// Write the profile.
    SaveProfile {
        profile: Box<Profile>,
        to: SaveTo,
        then: AfterSave,
    },
    /// Read the Welcome page's lists again (recent and saved profiles).
    RefreshWelcome,
    /// Write the report of a run's journal.
    WriteReport {
        journal: PathBuf,
        format: done::ReportFormat,
        path: PathBuf,
    },
    /// Connect to a node, or to the quorum device's machine ([`nodes::QUORUM_DEVICE`]).
    Connect {
        ssh: Box<wizard_steps::profile::SshAccess>,
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
    /// Where to export the plan (the cluster's name suggests the file name).
    PickPlanPath(String),
    /// Write the plan's script.
    WritePlan {
        script: Arc<String>,
        path: PathBuf,
    },
    Focus {
        backwards: bool,
    },
    /// Show the top of the page.
    ScrollToTop,
    /// Put the focus in the text field with this id.
    FocusField(&'static str),
    /// Keep the window's preferences.
    SaveSettings(super::settings::Settings),
    CloseWindow(window::Id),
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::LoadProfile { path, then } => {
                write!(f, "LoadProfile({}, {then:?})", path.display())
            }
            Effect::SaveProfile { to, then, .. } => write!(f, "SaveProfile({to:?}, {then:?})"),
            Effect::RefreshWelcome => f.write_str("RefreshWelcome"),
            Effect::WriteReport { path, format, .. } => {
                write!(f, "WriteReport({}, {format:?})", path.display())
            }
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
            Effect::PickPlanPath(name) => write!(f, "PickPlanPath({name})"),
            Effect::WritePlan { path, .. } => write!(f, "WritePlan({})", path.display()),
            Effect::Focus { backwards } => write!(f, "Focus {{ backwards: {backwards} }}"),
            Effect::ScrollToTop => f.write_str("ScrollToTop"),
            Effect::FocusField(id) => write!(f, "FocusField({id})"),
            Effect::SaveSettings(settings) => write!(f, "SaveSettings({settings:?})"),
            Effect::CloseWindow(_) => f.write_str("CloseWindow"),
        }
    }
}

impl Effect {
    /// Whether the effect reads or writes a file of this workstation (a profile, the recent
    /// list, a report): the effects a test performs at once where the window would run a task.
    pub fn touches_files(&self) -> bool {
        matches!(
            self,
            Effect::LoadProfile { .. }
                | Effect::SaveProfile { .. }
                | Effect::RefreshWelcome
                | Effect::WriteReport { .. }
                | Effect::WritePlan { .. }
                | Effect::SaveSettings(_)
        )
    }

    /// The path a file dialog effect asks for.
    fn path_asked(&self) -> Option<PathFor> {
        Some(match self {
            Effect::PickProfile => PathFor::ImportProfile,
            Effect::PickExportPath(_) => PathFor::ExportProfile,
            Effect::PickKey(index) => PathFor::Key(*index),
            Effect::PickIso(index) => PathFor::Iso(*index),
            Effect::PickReportPath { format, .. } => PathFor::Report(*format),
            Effect::PickPlanPath(_) => PathFor::Plan,
            _ => return None,
        })
    }

    /// The message an I/O effect ends with (None for window and focus operations, which only
    /// iced can perform, and for the run, whose events are a stream).
    pub async fn perform(self, edge: Arc<edge::Edge>) -> Option<Message> {
        if let Some(asked) = self.path_asked()
            && !typed_path::dialogs_available_here()
        {
            return Some(Message::NoFileDialog(asked));
        }
        Some(match self {
            Effect::LoadProfile { path, then } => {
                let result = edge.load(&path).map(Box::new);
                Message::ProfileLoaded {
                    path,
                    then,
                    result,
                    welcome: edge.welcome(),
                }
            }
            Effect::SaveProfile { profile, to, then } => {
                let result = edge.save(&profile, &to);
                Message::ProfileSaved {
                    profile,
                    to,
                    then,
                    result,
                    welcome: edge.welcome(),
                }
            }
            Effect::RefreshWelcome => Message::WelcomeRefreshed(edge.welcome()),
            Effect::WriteReport {
                journal,
                format,
                path,
            } => Message::ReportWritten(
                edge::write_report(&journal, format, &path).map(|()| Some(path)),
            ),
            Effect::Connect { ssh, request } => {
                let index = request.index;
                let result = edge.connect(*ssh, request).await;
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
            Effect::PickPlanPath(cluster) => {
                Message::PlanPathChosen(edge::pick_plan_path(&cluster).await)
            }
            Effect::SaveSettings(settings) => Message::SettingsSaved(edge.save_settings(&settings)),
            Effect::WritePlan { script, path } => {
                Message::PlanWritten(edge::write_plan(&script, &path).map(|()| path))
            }
            Effect::PickReportPath { cluster, format } => {
                Message::ReportPathChosen(format, edge::pick_report_path(&cluster, format).await)
            }
            Effect::Run(_)
            | Effect::Maintain(_)
            | Effect::Recovery(_)
            | Effect::Focus { .. }
            | Effect::ScrollToTop
            | Effect::FocusField(_)
            | Effect::CloseWindow(_) => {
                return None;
            }
        })
    }

    /// What a focus or scroll effect does to the window's widgets (nothing for the others).
    pub fn widget_operations(&self) -> Vec<Box<dyn Operation + Send>> {
        match self {
            Effect::Focus { backwards } => vec![Box::new(focus::move_focus(
                *backwards,
                super::chrome::PAGE_SCROLL,
            ))],
            Effect::FocusField(id) => {
                vec![Box::new(operation::focusable::focus(widget::Id::new(id)))]
            }
            // A new page: at its top, with nothing focused (Tab starts at its first field).
            Effect::ScrollToTop => vec![
                Box::new(operation::scrollable::snap_to(
                    widget::Id::new(super::chrome::PAGE_SCROLL),
                    operation::scrollable::RelativeOffset::START.into(),
                )),
                Box::new(operation::focusable::unfocus()),
            ],
            _ => Vec::new(),
        }
    }

    pub(super) fn into_task(self, edge: Arc<edge::Edge>) -> Task<Message> {
        match self {
            Effect::Focus { .. } | Effect::FocusField(_) | Effect::ScrollToTop => Task::batch(
                self.widget_operations()
                    .into_iter()
                    .map(|operation| iced::advanced::widget::operate(operation).discard()),
            ),
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

/// Where a profile that was read opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// In the wizard, on the Nodes page.
    Edit,
    /// On the Manage page, connecting to both nodes.
    Manage,
}

/// What follows a save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterSave {
    /// The profile is saved where it belongs: it is now the one open.
    Stay,
    /// A copy for elsewhere: the profile stays saved where it was.
    Export,
    /// Saved before leaving it: `Leave` goes ahead once it is written.
    Leave(Leave),
}

/// Something that leaves the open profile behind, and would drop its unsaved changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leave {
    /// The window closes.
    Close(iced::window::Id),
    /// Another profile file is opened (to edit it, or to manage its cluster).
    Open { path: PathBuf, then: Opened },
    /// A new, empty cluster is started.
    NewCluster,
}
