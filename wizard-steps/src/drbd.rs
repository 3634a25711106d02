//! DRBD state parsers: `/proc/drbd` (DRBD 8.3/8.4), `drbdsetup status --verbose --statistics`
//! and `drbdsetup events2 --now --statistics` (DRBD 9, and 8.4 through drbd-utils'
//! compatibility layer), and a sync-rate estimator for the outputs that carry no speed.
//! Pure: text in, plain data out.

use std::collections::BTreeMap;

/// One DRBD resource (volume 0) as one node sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceState {
    /// Known from drbdsetup; /proc/drbd only has minors.
    pub name: Option<String>,
    pub minor: Option<u32>,
    /// Connection state (`Connected`, `WFConnection`, `StandAlone`, ...). For /proc/drbd, which
    /// folds replication into it, `SyncSource`/`SyncTarget` appear here too.
    pub connection: String,
    /// Replication state from drbdsetup (`Established`, `SyncSource`, `SyncTarget`, ...).
    pub replication: Option<String>,
    pub role: String,
    pub peer_role: String,
    pub disk: String,
    pub peer_disk: String,
    /// Size of the device in KiB, when the output says.
    pub size_kib: Option<u64>,
    /// KiB still out of sync with the peer.
    pub out_of_sync_kib: Option<u64>,
    /// Progress of a running resync or verify.
    pub sync: Option<SyncProgress>,
}

impl ResourceState {
    /// Connected, both disks UpToDate, nothing to sync.
    pub fn is_healthy(&self) -> bool {
        self.connection == "Connected"
            && self.disk == "UpToDate"
            && self.peer_disk == "UpToDate"
            && self.out_of_sync_kib.unwrap_or(0) == 0
    }

    pub fn is_syncing(&self) -> bool {
        let state = self.replication.as_deref().unwrap_or(&self.connection);
        state.starts_with("Sync") || state.starts_with("Verify") || state.starts_with("PausedSync")
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncProgress {
    /// 0 to 100.
    pub percent: f64,
    /// KiB/s, when known (only /proc/drbd prints it; see [`SyncRate`] otherwise).
    pub speed_kib_per_sec: Option<u64>,
    /// Seconds left, when known.
    pub eta_secs: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Parses `/proc/drbd`.
pub fn parse_proc_drbd(text: &str) -> Result<Vec<ResourceState>, ParseError> {
    let mut resources: Vec<ResourceState> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let error = |message: String| ParseError {
            line: index + 1,
            message,
        };
        let trimmed = line.trim();
        if let Some((minor, rest)) = trimmed
            .split_once(':')
            .filter(|(minor, _)| !minor.is_empty() && minor.chars().all(|c| c.is_ascii_digit()))
        {
            let fields = key_values(rest);
            let pair = |key: &str| -> (String, String) {
                let value = fields.get(key).cloned().unwrap_or_default();
                match value.split_once('/') {
                    Some((local, peer)) => (local.to_owned(), peer.to_owned()),
                    None => (value, String::new()),
                }
            };
            let (role, peer_role) = pair("ro");
            let (disk, peer_disk) = pair("ds");
            resources.push(ResourceState {
                minor: Some(
                    minor
                        .parse()
                        .map_err(|_| error(format!("bad minor {minor}")))?,
                ),
                connection: fields.get("cs").cloned().unwrap_or_default(),
                role,
                peer_role,
                disk,
                peer_disk,
                ..ResourceState::default()
            });
            continue;
        }
        let Some(current) = resources.last_mut() else {
            continue;
        };
        if let Some(oos) = key_values(trimmed).get("oos") {
            current.out_of_sync_kib =
                Some(parse_number(oos).ok_or_else(|| error(format!("bad oos {oos}")))?);
        } else if let Some(rest) = after_any(trimmed, &["sync'ed:", "verified:"]) {
            // "  7.9% (4716/5116)M" or " 36.0% (168632/262100)K"
            let (percent, amounts) = rest
                .trim()
                .split_once('%')
                .ok_or_else(|| error("no percentage".into()))?;
            let percent =
                parse_percent(percent).ok_or_else(|| error(format!("bad percentage {percent}")))?;
            if let Some(total) = amounts
                .trim()
                .strip_prefix('(')
                .and_then(|inner| inner.split_once(')'))
                .and_then(|(fraction, unit)| Some((fraction.split_once('/')?.1, unit)))
                .and_then(|(total, unit)| parse_number(total)?.checked_mul(unit_kib(unit.trim())?))
            {
                current.size_kib = Some(total);
            }
            current
                .sync
                .get_or_insert_with(SyncProgress::default)
                .percent = percent;
        } else if let Some(rest) = trimmed.strip_prefix("finish:") {
            // "finish: 0:01:10 speed: 68,608 (68,608) K/sec" (8.4 may add "want: N")
            let mut words = rest.split_whitespace();
            let eta = words.next().and_then(parse_clock);
            let speed = words
                .skip_while(|word| *word != "speed:")
                .nth(1)
                .and_then(parse_number);
            let sync = current.sync.get_or_insert_with(SyncProgress::default);
            sync.eta_secs = eta;
            sync.speed_kib_per_sec = speed;
        }
    }
    Ok(resources)
}

/// Parses `drbdsetup status --verbose --statistics` (all resources).
pub fn parse_status(text: &str) -> Result<Vec<ResourceState>, ParseError> {
    let mut resources: Vec<ResourceState> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields = key_values(line);
        if !line.starts_with(' ') {
            let name = line.split_whitespace().next().unwrap_or_default();
            resources.push(ResourceState {
                name: Some(name.to_owned()),
                role: fields.get("role").cloned().unwrap_or_default(),
                ..ResourceState::default()
            });
            continue;
        }
        let current = resources.last_mut().ok_or(ParseError {
            line: index + 1,
            message: "an indented line before any resource".to_owned(),
        })?;
        apply_fields(current, &fields);
    }
    // DRBD 8.4 prints no peer line for a resource that is up but StandAlone (after a split
    // brain, or `drbdadm disconnect`): its disk line and nothing else.
    for resource in &mut resources {
        if resource.connection.is_empty() && !resource.disk.is_empty() {
            resource.connection = "StandAlone".to_owned();
        }
    }
    Ok(resources)
}

/// Parses the lines of `drbdsetup events2 [--now] --statistics` into the state they describe.
pub fn parse_events2(text: &str) -> Result<Vec<ResourceState>, ParseError> {
    let mut state = Events2::default();
    for (index, line) in text.lines().enumerate() {
        state.apply(line).map_err(|message| ParseError {
            line: index + 1,
            message,
        })?;
    }
    Ok(state.resources())
}

/// The state built from an `events2` stream, one line at a time (for a live monitor).
#[derive(Debug, Default, Clone)]
pub struct Events2 {
    by_name: BTreeMap<String, ResourceState>,
}

impl Events2 {
    /// Applies one line; `exists -` and unknown object kinds are ignored.
    pub fn apply(&mut self, line: &str) -> Result<(), String> {
        let mut words = line.split_whitespace();
        let (Some(action), Some(object)) = (words.next(), words.next()) else {
            return Ok(());
        };
        if object == "-" || !matches!(object, "resource" | "connection" | "device" | "peer-device")
        {
            return Ok(());
        }
        let fields = key_values(line);
        let name = fields
            .get("name")
            .ok_or_else(|| format!("`{action} {object}` without a name"))?
            .clone();
        if action == "destroy" && object == "resource" {
            self.by_name.remove(&name);
            return Ok(());
        }
        let resource = self
            .by_name
            .entry(name.clone())
            .or_insert_with(|| ResourceState {
                name: Some(name),
                ..ResourceState::default()
            });
        if object == "resource" {
            if let Some(role) = fields.get("role") {
                resource.role = role.clone();
            }
        } else {
            apply_fields(resource, &fields);
        }
        if let (Some(size), Some(oos)) = (resource.size_kib, resource.out_of_sync_kib) {
            if resource.is_syncing() && size > 0 {
                let percent = 100.0 * (size.saturating_sub(oos)) as f64 / size as f64;
                resource
                    .sync
                    .get_or_insert_with(SyncProgress::default)
                    .percent = percent;
            } else if !resource.is_syncing() {
                resource.sync = None;
            }
        }
        Ok(())
    }

    pub fn resources(&self) -> Vec<ResourceState> {
        self.by_name.values().cloned().collect()
    }
}

/// The fields drbdsetup prints for devices, connections and peer devices, in either output.
fn apply_fields(resource: &mut ResourceState, fields: &BTreeMap<String, String>) {
    for (key, value) in fields {
        match key.as_str() {
            "minor" => resource.minor = value.parse().ok(),
            "disk" => resource.disk = value.clone(),
            "size" => resource.size_kib = value.parse().ok(),
            "connection" => resource.connection = value.clone(),
            "replication" => resource.replication = Some(value.clone()),
            "peer-disk" => resource.peer_disk = value.clone(),
            "out-of-sync" => resource.out_of_sync_kib = value.parse().ok(),
            "done" => {
                resource
                    .sync
                    .get_or_insert_with(SyncProgress::default)
                    .percent = parse_percent(value).unwrap_or(0.0);
            }
            _ => {}
        }
    }
    // On a connection line, `role` is the peer's role.
    if fields.contains_key("connection")
        && let Some(role) = fields.get("role")
    {
        resource.peer_role = role.clone();
    }
}

/// Speed and time left of a resync from successive out-of-sync samples, for outputs that do not
/// print them (drbdsetup). Smooths the speed so one slow sample does not swing the estimate.
#[derive(Debug, Clone, Default)]
pub struct SyncRate {
    last: Option<(f64, u64)>,
    speed: Option<f64>,
}

impl SyncRate {
    /// Feeds a sample taken at `at_secs` (any monotonic clock, in seconds); returns the
    /// estimated speed in KiB/s and seconds left, once two samples show progress.
    pub fn sample(&mut self, at_secs: f64, out_of_sync_kib: u64) -> (Option<u64>, Option<u64>) {
        if let Some((then, before)) = self.last {
            let elapsed = at_secs - then;
            if elapsed > 0.0 && before >= out_of_sync_kib {
                let current = (before - out_of_sync_kib) as f64 / elapsed;
                self.speed = Some(match self.speed {
                    Some(previous) => 0.3 * current + 0.7 * previous,
                    None => current,
                });
            }
        }
        self.last = Some((at_secs, out_of_sync_kib));
        match self.speed {
            Some(speed) if speed > 0.0 => (
                Some(speed.round() as u64),
                Some((out_of_sync_kib as f64 / speed).ceil() as u64),
            ),
            Some(_) => (Some(0), None),
            None => (None, None),
        }
    }
}

/// `key:value` words of a line; words without a colon are skipped.
fn key_values(line: &str) -> BTreeMap<String, String> {
    line.split_whitespace()
        .filter_map(|word| word.split_once(':'))
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

fn after_any<'a>(line: &'a str, markers: &[&str]) -> Option<&'a str> {
    markers
        .iter()
        .find_map(|marker| line.find(marker).map(|at| &line[at + marker.len()..]))
}

/// "68,608" → 68608.
fn parse_number(text: &str) -> Option<u64> {
    text.replace(',', "").parse().ok()
}

fn unit_kib(unit: &str) -> Option<u64> {
    match unit {
        "K" => Some(1),
        "M" => Some(1024),
        "G" => Some(1024 * 1024),
        _ => None,
    }
}

/// "0:01:10" → 70 (None when garbled or absurdly large).
fn parse_clock(text: &str) -> Option<u64> {
    text.split(':').try_fold(0u64, |total, part| {
        total
            .checked_mul(60)?
            .checked_add(part.parse::<u64>().ok()?)
    })
}

/// "7.9" → 7.9: a finite percentage, clamped to 0..=100 (a garbled "nan" or "inf" is none:
/// it could not be written to the journal as a number).
fn parse_percent(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|percent| percent.is_finite())
        .map(|percent| percent.clamp(0.0, 100.0))
}

#[cfg(test)]
mod tests;
