//! The open profile's files: opening another one, saving, exporting, and the question asked
//! before anything drops what is not saved. Nothing is lost silently: Save writes only among the
//! saved profiles (a file opened from elsewhere is copied there, never written over), and closing
//! the window, opening another profile or starting a new one asks first while there are unsaved
//! changes.

use std::path::PathBuf;

use wizard_steps::Profile;
use wizard_steps::pages::Page;

use super::edge::SaveTo;
use super::effect::{AfterSave, Effect, Leave, Opened};
use super::{App, Message};
use crate::screens::welcome;

/// What the administrator is asked before something goes ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// Closing while a run is going on stops it on the nodes.
    CloseWhileRunning(iced::window::Id),
    /// Closing while a maintenance is under way stops following it.
    CloseWhileMaintaining(iced::window::Id),
    /// Leaving the profile drops its unsaved changes.
    Unsaved(Leave),
}

/// The administrator's answer to a [`Question`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Not now: nothing happens.
    Cancel,
    /// Go ahead: stop the run, or drop the unsaved changes.
    GoAhead,
    /// Save first, then go ahead.
    SaveFirst,
}

impl App {
    /// Leaves the open profile, after asking when that would drop unsaved changes.
    pub(super) fn leave(&mut self, leave: Leave) -> Vec<Effect> {
        if self.unsaved() {
            self.question = Some(Question::Unsaved(leave));
            Vec::new()
        } else {
            self.go_ahead(leave)
        }
    }

    fn go_ahead(&mut self, leave: Leave) -> Vec<Effect> {
        match leave {
            Leave::Close(id) => {
                self.edge.cancel_run();
                vec![Effect::CloseWindow(id)]
            }
            Leave::Open { path, then } => vec![Effect::LoadProfile { path, then }],
            Leave::NewCluster => {
                self.load(Profile::new_cluster(), None);
                self.go_to(Page::Nodes)
            }
        }
    }

    pub(super) fn answer(&mut self, answer: Answer) -> Vec<Effect> {
        let Some(question) = self.question.take() else {
            return Vec::new();
        };
        match (question, answer) {
            (_, Answer::Cancel) => Vec::new(),
            (
                Question::CloseWhileRunning(id) | Question::CloseWhileMaintaining(id),
                Answer::GoAhead,
            ) => self.go_ahead(Leave::Close(id)),
            (Question::Unsaved(leave), Answer::GoAhead) => self.go_ahead(leave),
            (Question::Unsaved(leave), Answer::SaveFirst) => self.save(AfterSave::Leave(leave)),
            (question, Answer::SaveFirst) => {
                // Only unsaved changes can be saved first.
                self.question = Some(question);
                Vec::new()
            }
        }
    }

    /// Asks for the profile to be written among the saved profiles.
    pub(super) fn save(&mut self, then: AfterSave) -> Vec<Effect> {
        // One write at a time, so that what is marked saved is what the file holds.
        if self.saving {
            return Vec::new();
        }
        self.saving = true;
        vec![Effect::SaveProfile {
            profile: Box::new(self.profile.clone()),
            to: SaveTo::Profiles {
                opened_from: self.profile_path.clone(),
            },
            then,
        }]
    }

    pub(super) fn profile_loaded(
        &mut self,
        path: PathBuf,
        then: Opened,
        result: Result<Profile, String>,
        welcome: welcome::State,
    ) -> Vec<Effect> {
        // Opened meanwhile in another way (a second click, a new cluster): this one is late.
        if self.page != Page::Welcome {
            return Vec::new();
        }
        self.welcome = welcome;
        let profile = match result {
            Ok(profile) => profile,
            Err(error) => {
                self.welcome.error = Some(error);
                return Vec::new();
            }
        };
        self.load(profile, Some(path));
        match then {
            Opened::Edit => self.go_to(Page::Nodes),
            Opened::Manage => self.manage_cluster(),
        }
    }

    pub(super) fn profile_saved(
        &mut self,
        profile: Profile,
        to: SaveTo,
        then: AfterSave,
        result: Result<PathBuf, String>,
        welcome: welcome::State,
    ) -> Vec<Effect> {
        self.saving = false;
        self.welcome = welcome;
        let path = match result {
            Ok(path) => path,
            Err(error) => {
                self.status = Some(match then {
                    AfterSave::Export => format!("Not exported: {error}"),
                    _ => format!("Not saved: {error}"),
                });
                return Vec::new();
            }
        };
        let opened_from = match to {
            SaveTo::Profiles { opened_from } => opened_from,
            SaveTo::File(_) => {
                self.status = Some(format!("Exported to {}", path.display()));
                return Vec::new();
            }
        };
        self.status = Some(match &opened_from {
            Some(opened) if *opened != path => format!(
                "Saved to {} ({} is unchanged)",
                path.display(),
                opened.display()
            ),
            _ => format!("Saved to {}", path.display()),
        });
        // Another profile was opened while this one was written: it is not the one open now.
        if self.profile_path != opened_from {
            return Vec::new();
        }
        // What was written is saved, even if the profile was edited meanwhile.
        let edited_meanwhile = self.profile != profile;
        self.saved = profile;
        self.profile_path = Some(path);
        match then {
            // Edits made while it was written would be lost: ask again.
            AfterSave::Leave(leave) if edited_meanwhile => {
                self.question = Some(Question::Unsaved(leave));
                Vec::new()
            }
            AfterSave::Leave(leave) => self.go_ahead(leave),
            AfterSave::Stay | AfterSave::Export => Vec::new(),
        }
    }

    /// Handles the messages about files and questions.
    pub(super) fn handle_files(&mut self, message: Message) -> Vec<Effect> {
        match message {
            Message::SavePressed => self.save(AfterSave::Stay),
            Message::ExportPressed => vec![Effect::PickExportPath(
                self.profile.cluster.name.trim().to_owned(),
            )],
            Message::ExportChosen(None) => Vec::new(),
            Message::ExportChosen(Some(path)) => vec![Effect::SaveProfile {
                profile: Box::new(self.profile.clone()),
                to: SaveTo::File(path),
                then: AfterSave::Export,
            }],
            Message::ProfileLoaded {
                path,
                then,
                result,
                welcome,
            } => self.profile_loaded(path, then, result.map(|profile| *profile), welcome),
            Message::ProfileSaved {
                profile,
                to,
                then,
                result,
                welcome,
            } => self.profile_saved(*profile, to, then, result, welcome),
            Message::CloseRequested(id) => {
                if self.run.running() {
                    self.question = Some(Question::CloseWhileRunning(id));
                    Vec::new()
                } else if self.manage.busy() {
                    self.question = Some(Question::CloseWhileMaintaining(id));
                    Vec::new()
                } else {
                    self.leave(Leave::Close(id))
                }
            }
            Message::Answered(answer) => self.answer(answer),
            _ => Vec::new(),
        }
    }
}
