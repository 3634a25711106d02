//! Every run's events, one JSON object per line, in Tandem's data directory. The report is
//! made from a journal; a run that stopped is resumed by running again (the checks skip what
//! is done), and its journal says how far it got.

use std::fs;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;

use crate::design::Design;
use crate::remote::Session;
use crate::run::{Event, ProfileSummary, Runner, Summary};
use crate::utc;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    #[serde(flatten)]
    pub event: Event,
}

/// `~/.local/share/tandem/runs`.
pub fn runs_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "tandem").map(|dirs| dirs.data_dir().join("runs"))
}

/// Appends events to a new journal file.
#[derive(Debug)]
pub struct Writer {
    path: PathBuf,
    file: fs::File,
}

impl Writer {
    /// A new journal `<dir>/<cluster>-<UTC time>.jsonl`, readable by its owner only.
    pub fn create(dir: &Path, cluster: &str) -> std::io::Result<Writer> {
        fs::create_dir_all(dir)?;
        let stamp = utc::stamp(utc::now_ms());
        let mut path = dir.join(format!("{cluster}-{stamp}.jsonl"));
        let mut counter = 1;
        while path.exists() {
            counter += 1;
            path = dir.join(format!("{cluster}-{stamp}-{counter}.jsonl"));
        }
        let mut options = fs::OpenOptions::new();
        options.create_new(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path)?;
        Ok(Writer { path, file })
    }

    /// The journal that day-2 actions on `cluster` go into: its newest journal in `dir`,
    /// appended to (so that the setup report lists them after the run), or a new one that
    /// starts with `started` when the cluster has none.
    pub fn for_maintenance(dir: &Path, cluster: &str, started: &Event) -> std::io::Result<Writer> {
        if let Some(path) = latest(dir, Some(cluster)) {
            let torn = ends_torn(&path)?;
            let mut file = fs::OpenOptions::new().append(true).open(&path)?;
            if torn {
                // A run killed mid-write: end its torn line so that ours stand on their own.
                file.write_all(b"\n")?;
            }
            return Ok(Writer { path, file });
        }
        let mut writer = Writer::create(dir, cluster)?;
        writer.write(started)?;
        Ok(writer)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one event and flushes it, so a crash loses nothing that was reported.
    pub fn write(&mut self, event: &Event) -> std::io::Result<()> {
        let entry = Entry {
            at_ms: utc::now_ms(),
            event: event.clone(),
        };
        let mut line = serde_json::to_string(&entry).map_err(std::io::Error::other)?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.flush()
    }
}

/// Whether the file's last line has no newline (its writer was killed mid-line); read from its
/// last byte only, however long the journal.
fn ends_torn(path: &Path) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = fs::File::open(path)?;
    if file.seek(SeekFrom::End(0))? == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// The one journaled run the wizard and the CLI share: a new journal that opens with what the
/// run is for; every event after that (the preflight, then the runner's) is written before it
/// is handed on to whoever shows it, so that the journal is never behind the screen.
#[derive(Debug)]
pub struct JournaledRun {
    writer: Writer,
    /// What the run is for: already in the journal, handed on with the first event recorded.
    opening: Option<Event>,
    /// Events that could not be written (the run goes on; the caller says so at the end).
    lost: usize,
}

impl JournaledRun {
    /// A new journal in `dir` for the design's cluster, holding what the run is for (secrets
    /// masked) from the start, so that a run that stops before its first step still says it.
    pub fn create(dir: &Path, design: &Design) -> std::io::Result<JournaledRun> {
        let mut writer = Writer::create(dir, &design.cluster.name)?;
        let opening = Event::RunStarted {
            summary: ProfileSummary::new(design),
        };
        writer.write(&opening)?;
        Ok(JournaledRun {
            writer,
            opening: Some(opening),
            lost: 0,
        })
    }

    pub fn path(&self) -> &Path {
        self.writer.path()
    }

    /// How many events could not be written.
    pub fn lost(&self) -> usize {
        self.lost
    }

    /// Journals an event from outside the runner (the preflight) and hands it on to `shown`.
    pub fn record(&mut self, event: Event, shown: &UnboundedSender<Event>) {
        // Nobody left to show them (the window closed): the journal still has them.
        if let Some(opening) = self.opening.take() {
            let _ = shown.send(opening);
        }
        if self.writer.write(&event).is_err() {
            self.lost += 1;
        }
        let _ = shown.send(event);
    }

    /// Runs the runner that `runner` makes around the event channel it is given, journaling
    /// each event and handing it on to `shown` as it comes; returns the run's summary.
    pub async fn run<'a>(
        &mut self,
        runner: impl FnOnce(UnboundedSender<Event>) -> Runner<'a>,
        sessions: &mut [Session; 2],
        shown: &UnboundedSender<Event>,
    ) -> Summary {
        let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
        let runner = runner(sender);
        let run = async move { runner.run(sessions).await };
        let forward = async {
            while let Some(event) = received.recv().await {
                self.record(event, shown);
            }
        };
        let (summary, ()) = tokio::join!(run, forward);
        summary
    }
}

/// Reads a journal. A line that is not an event is left out — a torn line (a crash
/// mid-write, possibly followed by day-2 actions) or one this build cannot read — so that one
/// bad line never costs the whole report; a file with no event at all is an error.
pub fn read(path: &Path) -> std::io::Result<Vec<Entry>> {
    let file = fs::File::open(path)?;
    let mut entries = Vec::new();
    let mut first_error = None;
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(&line) {
            Ok(entry) => entries.push(entry),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) if entries.is_empty() => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} is not a Tandem run journal: {error}", path.display()),
        )),
        _ => Ok(entries),
    }
}

/// Whether `file_name` is a journal of `cluster`: `<cluster>-<YYYYMMDD>-<HHMMSS>[-<n>].jsonl`,
/// exactly (cluster "lab" must not take "lab-2"'s journals).
fn is_journal_of(file_name: &str, cluster: &str) -> bool {
    let Some(rest) = file_name
        .strip_prefix(cluster)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.strip_suffix(".jsonl"))
    else {
        return false;
    };
    let digits = |text: &str, count: usize| {
        text.len() == count && text.bytes().all(|byte| byte.is_ascii_digit())
    };
    let mut parts = rest.split('-');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(date), Some(time), counter, None) => {
            digits(date, 8)
                && digits(time, 6)
                && counter
                    .is_none_or(|counter| !counter.is_empty() && digits(counter, counter.len()))
        }
        _ => false,
    }
}

/// The newest journal in `dir` (of one cluster, when named).
pub fn latest(dir: &Path, cluster: Option<&str>) -> Option<PathBuf> {
    let mut journals: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "jsonl")
        })
        .filter(|path| {
            cluster.is_none_or(|cluster| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| is_journal_of(name, cluster))
            })
        })
        .collect();
    journals.sort_by_key(|path| fs::metadata(path).and_then(|meta| meta.modified()).ok());
    journals.pop()
}

#[cfg(test)]
mod tests;
