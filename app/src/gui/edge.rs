//! The wizard's I/O: SSH sessions to the nodes (through `wizard_steps::access`), the run and its
//! journal, profiles on disk and the file dialogs. Everything here is called from tasks, never
//! from a page.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use iced::futures::{SinkExt, Stream};
use tokio_util::sync::CancellationToken;
use wizard_steps::access::{self, AccessError};
use wizard_steps::facts::NodeFacts;
use wizard_steps::manage::{self, Status, Update};
use wizard_steps::plan::Plan;
use wizard_steps::profile::{SshAccess, store};
use wizard_steps::remote::{HostKeyTrust, Session};
use wizard_steps::render::DrbdGeneration;
use wizard_steps::run::{Event, ProfileSummary, Runner, Secrets};
use wizard_steps::split_brain::{self, Side, Split};
use wizard_steps::{Design, Profile, journal, report};

use super::settings::Settings;
use crate::screens::{done, nodes, review, welcome};

/// Where a profile is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveTo {
    /// Among the saved profiles: over the file it was opened from when that is one of them,
    /// otherwise into a new file of the profiles directory named after the cluster.
    Profiles { opened_from: Option<PathBuf> },
    /// A file the administrator chose (Export).
    File(PathBuf),
}

/// Where the wizard keeps and finds things; tests point every path into a temporary directory.
#[derive(Debug, Clone)]
pub struct Places {
    /// Tandem's own known_hosts (confirmed host keys are pinned there).
    pub trust: HostKeyTrust,
    /// Saved profiles.
    pub profiles: Option<PathBuf>,
    /// The recent-profiles list.
    pub recent: Option<PathBuf>,
    /// Run journals.
    pub runs: Option<PathBuf>,
    /// The window's preferences (its theme).
    pub settings: Option<PathBuf>,
}

impl Places {
    /// Everything under `dir`, the user's own files untouched (tests, screenshots).
    pub fn under(dir: &Path) -> Places {
        Places {
            trust: HostKeyTrust {
                pinned: dir.join("known_hosts"),
                user_known_hosts: None,
                accept: None,
            },
            profiles: Some(dir.join("profiles")),
            recent: Some(dir.join("recent")),
            runs: Some(dir.join("runs")),
            settings: Some(dir.join("settings.toml")),
        }
    }

    pub fn standard() -> Places {
        Places {
            trust: HostKeyTrust::standard(),
            profiles: store::profiles_dir(),
            recent: store::recent_file(),
            runs: journal::runs_dir(),
            settings: store::recent_file().map(|recent| recent.with_file_name("settings.toml")),
        }
    }
}

#[derive(Debug)]
pub struct Edge {
    places: Places,
    /// One SSH session per node, once connected, and one to the quorum device's machine
    /// ([`nodes::QUORUM_DEVICE`]). A run takes them for its duration.
    sessions: tokio::sync::Mutex<[Option<Session>; 3]>,
    cancel: Mutex<Option<CancellationToken>>,
}

impl Edge {
    pub fn new(places: Places) -> Edge {
        Edge {
            places,
            sessions: tokio::sync::Mutex::new([None, None, None]),
            cancel: Mutex::new(None),
        }
    }

    pub fn standard() -> Edge {
        Edge::new(Places::standard())
    }

    pub fn recent(&self) -> Vec<PathBuf> {
        self.places
            .recent
            .as_deref()
            .map(store::recent)
            .unwrap_or_default()
    }

    /// Every profile in the profiles directory, by name.
    pub fn saved(&self) -> Vec<PathBuf> {
        let Some(dir) = &self.places.profiles else {
            return Vec::new();
        };
        let mut saved: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "toml")
            })
            .filter_map(|path| std::fs::canonicalize(&path).ok())
            .collect();
        saved.sort();
        saved
    }

    /// The window's preferences as last saved (the defaults without a file).
    pub fn settings(&self) -> Settings {
        self.places
            .settings
            .as_deref()
            .map(Settings::read)
            .unwrap_or_default()
    }

    pub fn save_settings(&self, settings: &Settings) -> Result<(), String> {
        match &self.places.settings {
            Some(path) => settings.write(path),
            None => Err("no configuration directory to keep settings in".to_owned()),
        }
    }

    /// The Welcome page's lists: recent profiles, then the saved ones.
    pub fn welcome(&self) -> welcome::State {
        welcome::State::new(self.recent(), self.saved())
    }

    fn remember(&self, path: &Path) {
        if let Some(list) = &self.places.recent {
            // The list is a convenience: a profile that opened or saved is not an error because of it.
            let _ = store::remember(list, path);
        }
    }

    pub fn load(&self, path: &Path) -> Result<Profile, String> {
        let profile = store::load(path).map_err(|error| error.to_string())?;
        self.remember(path);
        Ok(profile)
    }

    /// Writes the profile where `to` says, and returns the file written.
    pub fn save(&self, profile: &Profile, to: &SaveTo) -> Result<PathBuf, String> {
        let name = profile.cluster.name.trim();
        if name.is_empty() {
            return Err("give the cluster a name first (Nodes page)".to_owned());
        }
        let path = match to {
            SaveTo::File(path) => path.clone(),
            SaveTo::Profiles {
                opened_from: Some(path),
            } if self.keeps(path) => path.clone(),
            SaveTo::Profiles { .. } => {
                let dir = self
                    .places
                    .profiles
                    .as_ref()
                    .ok_or("no configuration directory to save profiles in")?;
                // A new file: another profile of the same name is never written over.
                std::iter::once(format!("{name}.toml"))
                    .chain((2..).map(|number| format!("{name}-{number}.toml")))
                    .map(|file| dir.join(file))
                    .find(|path| !path.exists())
                    .ok_or("no free file name in the profiles directory")?
            }
        };
        store::save(profile, &path).map_err(|error| error.to_string())?;
        self.remember(&path);
        Ok(path)
    }

    /// Whether `path` is one of the saved profiles, which Save writes over (an example, an
    /// imported or a colleague's file elsewhere is never written by Save).
    fn keeps(&self, path: &Path) -> bool {
        let Some(dir) = &self.places.profiles else {
            return false;
        };
        let canonical = |path: &Path| std::fs::canonicalize(path).ok();
        canonical(dir).is_some_and(|dir| {
            path.parent()
                .and_then(canonical)
                .is_some_and(|parent| parent == dir)
        })
    }

    /// Connects to a node with what the administrator gave, reads what it has, and keeps the
    /// session for the preflight and the run. The quorum device's machine is only connected
    /// (what it needs is its plan steps' to find out).
    pub async fn connect(
        self: Arc<Self>,
        ssh: SshAccess,
        request: nodes::ConnectRequest,
    ) -> Result<NodeFacts, AccessError> {
        let mut trust = self.places.trust.clone();
        if let Some(fingerprint) = &request.accept_fingerprint {
            trust = trust.accepting(fingerprint.clone());
        }
        let session = access::connect(&ssh, &request.credentials, trust).await?;
        let facts = if request.index == nodes::QUORUM_DEVICE {
            Ok(NodeFacts::default())
        } else {
            access::discover(&session).await
        };
        let facts = match facts {
            Ok(facts) => facts,
            Err(error) => {
                session.close().await;
                return Err(AccessError::Exec(error));
            }
        };
        let old = {
            let mut sessions = self.sessions.lock().await;
            sessions[request.index].replace(session)
        };
        if let Some(old) = old {
            old.close().await;
        }
        Ok(facts)
    }

    /// Drops every session (another profile is opened): each connection ends with it. A run
    /// or maintenance holding them (never while a profile is opened) keeps them.
    pub fn forget_sessions(&self) {
        if let Ok(mut slots) = self.sessions.try_lock() {
            *slots = [None, None, None];
        }
    }

    pub async fn disconnect(self: Arc<Self>, index: usize) {
        let old = self.sessions.lock().await[index].take();
        if let Some(old) = old {
            old.close().await;
        }
    }

    /// The read-only preflight on both nodes, and the plan from what it found.
    pub async fn preflight(self: Arc<Self>, design: Design) -> Result<review::Checked, String> {
        let mut slots = self.sessions.lock().await;
        let sessions = take_both(&mut slots)?;
        let result = access::preflight(&design, &sessions).await;
        put_back(&mut slots, sessions);
        let quorum_device_connected = slots[nodes::QUORUM_DEVICE].is_some();
        let preflight = result.map_err(|error| format!("reading the nodes: {error}"))?;
        Ok(review::Checked::new(preflight, quorum_device_connected))
    }

    /// Starts the run: journals every event and hands them to the Run page as they come.
    pub fn start_run(
        self: Arc<Self>,
        design: Design,
        start: review::Start,
    ) -> Result<(PathBuf, impl Stream<Item = Event> + Send + 'static), String> {
        let preflight = Event::Preflight {
            findings: start.findings.clone(),
        };
        self.run_plan(design, start.plan, start.secrets, vec![preflight])
    }

    /// Runs `plan` over both sessions in a new journal (after its summary and `first`), and
    /// hands the events on as they come.
    fn run_plan(
        self: Arc<Self>,
        design: Design,
        plan: Plan,
        secrets: Secrets,
        first: Vec<Event>,
    ) -> Result<(PathBuf, impl Stream<Item = Event> + Send + 'static), String> {
        let runs = self
            .places
            .runs
            .clone()
            .ok_or("no data directory for the run journal")?;
        // The journal is opened here, before the page changes, so that a journal that cannot be
        // made is an error on the Review page; its path names the run on the Run page.
        let mut journaled = journal::JournaledRun::create(&runs, &design)
            .map_err(|error| format!("creating a journal in {}: {error}", runs.display()))?;
        let path = journaled.path().to_path_buf();
        let cancel = CancellationToken::new();
        *self
            .cancel
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(cancel.clone());
        let edge = self.clone();
        let stream = iced::stream::channel(64, async move |mut output| {
            let (shown, mut to_show) = tokio::sync::mpsc::unbounded_channel();
            let run = async move {
                for event in first {
                    journaled.record(event, &shown);
                }
                let mut slots = edge.sessions.lock().await;
                let Ok(mut sessions) = take_both(&mut slots) else {
                    return;
                };
                let quorum_device = slots[nodes::QUORUM_DEVICE].take();
                journaled
                    .run(
                        |events| Runner {
                            plan: &plan,
                            design: &design,
                            secrets: &secrets,
                            events,
                            cancel,
                            poll_interval: std::time::Duration::from_secs(2),
                            quorum_device: quorum_device.as_ref(),
                        },
                        &mut sessions,
                        &shown,
                    )
                    .await;
                put_back(&mut slots, sessions);
                slots[nodes::QUORUM_DEVICE] = quorum_device;
            };
            let forward = async {
                while let Some(event) = to_show.recv().await {
                    let _ = output.send(event).await;
                }
            };
            iced::futures::join!(run, forward);
        });
        Ok((path, stream))
    }

    /// What each node knows about its side of a split resource (read-only), and the DRBD
    /// generation the nodes run (for the recovery).
    pub async fn split_evidence(
        self: Arc<Self>,
        design: Design,
        split: Split,
    ) -> Result<([Side; 2], DrbdGeneration), String> {
        let mut slots = self.sessions.lock().await;
        let sessions = take_both(&mut slots)?;
        let result = split_brain::evidence(&design, &split, &sessions).await;
        let generation = split_brain::loaded_generation(&sessions[0]).await;
        put_back(&mut slots, sessions);
        result
            .map(|sides| (sides, generation))
            .map_err(|error| format!("reading the nodes: {error}"))
    }

    /// The split-brain recovery of `split`, discarding `victim`'s changes, as a journaled run.
    pub fn recover(
        self: Arc<Self>,
        design: Design,
        split: Split,
        victim: usize,
        generation: DrbdGeneration,
    ) -> Result<(PathBuf, impl Stream<Item = Event> + Send + 'static), String> {
        let plan = split_brain::recovery_plan(&design, &split, victim, generation);
        self.run_plan(design, plan, Secrets::new(), Vec::new())
    }

    /// Asks the run to stop: the command running on a node is stopped there.
    pub fn cancel_run(&self) {
        if let Some(cancel) = self
            .cancel
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
        {
            cancel.cancel();
        }
    }
}

impl Edge {
    /// Reads the running cluster over both sessions (the Manage page).
    pub async fn cluster_status(self: Arc<Self>, design: Design) -> Result<Status, String> {
        let slots = self.sessions.lock().await;
        if slots[..2].iter().all(Option::is_none) {
            return Err("connect to the nodes on the Nodes page first".to_owned());
        }
        manage::status_reachable(&design, [slots[0].as_ref(), slots[1].as_ref()])
            .await
            .map_err(|error| format!("reading the cluster: {error}"))
    }

    /// Performs day-2 actions on the cluster, one after the other, journaling each into the
    /// cluster's newest journal; hands their updates to the Manage page as they come.
    pub fn maintain(
        self: Arc<Self>,
        design: Design,
        actions: Vec<manage::Maintenance>,
        purpose: &'static str,
    ) -> Result<impl Stream<Item = Update> + Send + 'static, String> {
        let runs = self
            .places
            .runs
            .clone()
            .ok_or("no data directory for the journal")?;
        let started = Event::RunStarted {
            summary: ProfileSummary::new(&design),
        };
        let mut journal =
            journal::Writer::for_maintenance(&runs, &design.cluster.name, &started)
                .map_err(|error| format!("opening the journal in {}: {error}", runs.display()))?;
        let edge = self.clone();
        Ok(iced::stream::channel(64, async move |mut output| {
            let mut slots = edge.sessions.lock().await;
            let mut sessions = match take_both(&mut slots) {
                Ok(sessions) => sessions,
                Err(error) => {
                    let _ = output
                        .send(Update::Finished {
                            record: Event::Maintenance {
                                purpose: purpose.to_owned(),
                                action: "connect to both nodes".to_owned(),
                                command: None,
                                changed: false,
                                error: Some(error),
                                took_ms: 0,
                                placements: Vec::new(),
                            },
                            ok: false,
                        })
                        .await;
                    return;
                }
            };
            let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
            let work = manage::maintain(
                &design,
                &mut sessions,
                &actions,
                purpose,
                MAINTENANCE_POLL,
                MAINTENANCE_TIMEOUT,
                move |update| {
                    let _ = sender.send(update);
                },
            );
            let forward = async {
                while let Some(update) = received.recv().await {
                    if let Update::Finished { record, .. } = &update {
                        let _ = journal.write(record);
                    }
                    let _ = output.send(update).await;
                }
            };
            iced::futures::join!(work, forward);
            put_back(&mut slots, sessions);
        }))
    }
}

/// How often a maintenance looks at the cluster, and how long it waits for it to settle.
const MAINTENANCE_POLL: std::time::Duration = std::time::Duration::from_secs(3);
const MAINTENANCE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(900);

/// Both nodes' sessions, taken out of their slots for a preflight, a run or a maintenance.
fn take_both(slots: &mut [Option<Session>; 3]) -> Result<[Session; 2], String> {
    if slots[..2].iter().any(Option::is_none) {
        return Err("connect to both nodes on the Nodes page first".to_owned());
    }
    let [first, second, _] = slots;
    match (first.take(), second.take()) {
        (Some(first), Some(second)) => Ok([first, second]),
        _ => Err("connect to both nodes on the Nodes page first".to_owned()),
    }
}

/// The nodes' sessions back in their slots, after [`take_both`].
fn put_back(slots: &mut [Option<Session>; 3], [first, second]: [Session; 2]) {
    slots[0] = Some(first);
    slots[1] = Some(second);
}

/// Writes the report of a run's journal to `path`.
pub fn write_report(journal: &Path, format: done::ReportFormat, path: &Path) -> Result<(), String> {
    let entries = journal::read(journal)
        .map_err(|error| format!("reading {}: {error}", journal.display()))?;
    let contents = match format {
        done::ReportFormat::Html => report::html(&entries),
        done::ReportFormat::Markdown => report::markdown(&entries),
    };
    std::fs::write(path, contents).map_err(|error| format!("writing {}: {error}", path.display()))
}

/// Asks where to save the setup report.
pub async fn pick_report_path(cluster: &str, format: done::ReportFormat) -> Option<PathBuf> {
    let extension = format.extension();
    pick_save_path(
        "Export the setup report",
        format.label(),
        extension,
        format!("tandem-{cluster}-report.{extension}"),
    )
    .await
}

/// Asks where to export the plan.
pub async fn pick_plan_path(cluster: &str) -> Option<PathBuf> {
    pick_save_path(
        "Export the setup plan",
        "Shell script",
        "sh",
        format!("tandem-{cluster}-plan.sh"),
    )
    .await
}

/// Writes the plan's script (it holds no secret: `tandem plan` prints the same).
pub fn write_plan(script: &str, path: &Path) -> Result<(), String> {
    std::fs::write(path, script).map_err(|error| format!("writing {}: {error}", path.display()))
}

/// Asks where to export the profile.
pub async fn pick_export_path(cluster: &str) -> Option<PathBuf> {
    pick_save_path(
        "Export the profile",
        "Tandem profile",
        "toml",
        format!("{cluster}.toml"),
    )
    .await
}

/// A save dialog; the extension is added when the name chosen has none (the portal's and
/// GTK's filters do not add it).
async fn pick_save_path(
    title: &str,
    filter: &str,
    extension: &str,
    file_name: String,
) -> Option<PathBuf> {
    let chosen = rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter(filter, &[extension])
        .set_file_name(file_name)
        .save_file()
        .await?;
    let mut path = PathBuf::from(chosen);
    if path.extension().is_none() {
        path.set_extension(extension);
    }
    Some(path)
}

pub async fn pick_profile() -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title("Import a Tandem profile")
        .add_filter("Tandem profile", &["toml"])
        .pick_file()
        .await
        .map(PathBuf::from)
}

pub async fn pick_key() -> Option<PathBuf> {
    let mut dialog = rfd::AsyncFileDialog::new().set_title("The SSH private key");
    if let Some(home) = directories::BaseDirs::new() {
        dialog = dialog.set_directory(home.home_dir().join(".ssh"));
    }
    dialog.pick_file().await.map(PathBuf::from)
}

pub async fn pick_iso() -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title("The install ISO to upload to both nodes")
        .add_filter("ISO image", &["iso"])
        .pick_file()
        .await
        .map(PathBuf::from)
}
