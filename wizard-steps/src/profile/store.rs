//! Profiles on disk: the user's config directory, atomic writes, owner-only permissions.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Profile, ProfileError};

/// Where saved profiles live: `$XDG_CONFIG_HOME/tandem/profiles` (usually
/// `~/.config/tandem/profiles`).
pub fn profiles_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "tandem").map(|dirs| dirs.config_dir().join("profiles"))
}

/// The file a profile is saved to in [`profiles_dir`]: named after its cluster.
pub fn default_path(profile: &Profile) -> Option<PathBuf> {
    profiles_dir().map(|dir| dir.join(format!("{}.toml", profile.cluster.name)))
}

/// The list of recently opened or saved profiles: `$XDG_CONFIG_HOME/tandem/recent`, one path a
/// line, newest first.
pub fn recent_file() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "tandem").map(|dirs| dirs.config_dir().join("recent"))
}

/// How many profiles the recent list keeps.
pub const RECENT_LIMIT: usize = 8;

/// The recent profiles that still exist, newest first.
pub fn recent(list: &Path) -> Vec<PathBuf> {
    fs::read_to_string(list)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(PathBuf::from)
        .filter(|path| path.is_file())
        .take(RECENT_LIMIT)
        .collect()
}

/// Puts `profile` at the top of the recent list (once), keeping at most [`RECENT_LIMIT`].
pub fn remember(list: &Path, profile: &Path) -> std::io::Result<()> {
    let profile = fs::canonicalize(profile).unwrap_or_else(|_| profile.to_path_buf());
    let mut paths = vec![profile.clone()];
    paths.extend(recent(list).into_iter().filter(|known| *known != profile));
    paths.truncate(RECENT_LIMIT);
    let text: String = paths
        .iter()
        .map(|path| format!("{}\n", path.display()))
        .collect();
    write_atomically(list, text.as_bytes(), 0o600)
}

pub fn load(path: &Path) -> Result<Profile, ProfileError> {
    let text = fs::read_to_string(path).map_err(|source| io_error(path, source))?;
    Profile::from_toml(&text, &path.display().to_string())
}

/// Writes the profile so that a crash leaves either the old or the new file, never half of one,
/// and so that only its owner can read it (it names hosts, users and BMCs).
pub fn save(profile: &Profile, path: &Path) -> Result<(), ProfileError> {
    let text = profile.to_toml()?;
    write_atomically(path, text.as_bytes(), 0o600).map_err(|source| io_error(path, source))
}

/// Writes a file on this workstation so that a crash leaves either the old or the new file,
/// never half of one, and so that it has `mode` from its first byte (a VNC password in a
/// rendered domain config is never readable by others, not even for a moment).
pub fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path names no file"))?;
    let temporary = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut file = create_with_mode(&temporary, mode)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(unix)]
fn create_with_mode(path: &Path, mode: u32) -> std::io::Result<fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode & 0o600)
        .open(path)?;
    // Created readable by its owner only whatever the umask; the rest of `mode` (a world-
    // readable config) once it is ours.
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    Ok(file)
}

#[cfg(not(unix))]
fn create_with_mode(path: &Path, _mode: u32) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

fn io_error(path: &Path, source: std::io::Error) -> ProfileError {
    ProfileError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests;
