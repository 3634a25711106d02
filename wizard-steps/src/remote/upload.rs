//! Files to a node: uploaded to a hidden temporary file, checked by sha256, synced and renamed
//! into place, the file it replaces kept under /var/backups/tandem first.

use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::{OutputLine, Session, UploadError, quote};

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadOutcome {
    /// The file already had these contents, mode and owner: nothing was written.
    Unchanged,
    Created,
    /// The file differed; the old one was kept as `backup`.
    Replaced {
        backup: String,
    },
}

impl Session {
    /// Writes `contents` to `path` on the node: nothing when the file is already identical (same
    /// contents, mode and owner); otherwise into a hidden temporary file beside it, checked and
    /// synced to disk, then renamed over the target. A differing old file is either kept in
    /// [`BACKUP_ROOT`] first ([`Existing::Replace`]) or left alone with an error
    /// ([`Existing::Keep`]). `on_progress` receives the bytes sent so far.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload(
        &self,
        contents: Payload<'_>,
        path: &str,
        mode: u32,
        owner: &str,
        existing: Existing,
        on_progress: &mut (dyn FnMut(u64) + Send),
        cancel: &CancellationToken,
    ) -> Result<UploadOutcome, UploadError> {
        let local_error = |error: std::io::Error| UploadError::Remote {
            path: path.to_owned(),
            detail: format!("cannot read the local file: {error}"),
        };
        let size = contents.len().await.map_err(local_error)?;
        let quoted = quote(path);
        let probe = self
            .output(&format!(
                "if [ -e {quoted} ]; then stat -c '%a %U:%G %s' -- {quoted}; else echo absent; fi"
            ))
            .await?;
        let found = match probe.stdout.trim() {
            "absent" => None,
            stat => match stat.rsplit_once(' ') {
                Some((mode_owner, found_size)) => Some((
                    mode_owner.to_owned(),
                    found_size.parse::<u64>().unwrap_or(u64::MAX),
                )),
                None => {
                    return Err(UploadError::Remote {
                        path: path.to_owned(),
                        detail: format!("could not inspect the file: {}", probe.stderr.trim()),
                    });
                }
            },
        };
        let checksum = contents.sha256().await.map_err(local_error)?;
        if let Some((mode_owner, found_size)) = &found {
            let same_contents = *found_size == size && {
                let sum = self
                    .output(&format!("sha256sum < {quoted} | cut -d' ' -f1"))
                    .await?;
                sum.stdout.trim() == checksum
            };
            match existing {
                Existing::Keep if same_contents => return Ok(UploadOutcome::Unchanged),
                Existing::Keep => {
                    return Err(UploadError::Differs {
                        path: path.to_owned(),
                        local: contents.describe(),
                    });
                }
                Existing::Replace
                    if same_contents && *mode_owner == format!("{mode:o} {owner}") =>
                {
                    return Ok(UploadOutcome::Unchanged);
                }
                Existing::Replace => {}
            }
        }
        let (parent, name) = match path.rsplit_once('/') {
            Some(("", name)) => ("/", name),
            Some((parent, name)) => (parent, name),
            None => (".", path),
        };
        // Hidden: a directory some tool sources with `*` (ifupdown's interfaces.d) skips it.
        let temporary = format!("{parent}/.{name}.tandem-new");
        let quoted_temporary = quote(&temporary);
        let write = format!(
            "umask 077 && mkdir -p {parent} && cat > {quoted_temporary}",
            parent = quote(parent)
        );
        let mut discard = |_: OutputLine| {};
        let status = self
            .exec_with_progress(&write, Some(contents), &mut discard, on_progress, cancel)
            .await?;
        if !status.success() {
            return Err(UploadError::Remote {
                path: path.to_owned(),
                detail: format!("writing {temporary} ended with {status}"),
            });
        }
        let backup = found.as_ref().map(|_| backup_path(path));
        let keep_backup = backup
            .as_ref()
            .map(|backup| {
                format!(
                    "install -d -m 700 {root} && mkdir -p -- \"$(dirname -- {backup})\" && cp -p -- {quoted} {backup} && ",
                    root = quote(BACKUP_ROOT),
                    backup = quote(backup)
                )
            })
            .unwrap_or_default();
        // Synced before the rename and the directory after it: a crash leaves the old file or
        // the whole new one, never an empty one.
        let install = format!(
            "set -e; umask 077; [ \"$(sha256sum < {quoted_temporary} | cut -d' ' -f1)\" = {checksum} ] || {{ rm -f -- {quoted_temporary}; echo 'the uploaded copy is incomplete' >&2; exit 3; }}; \
             chown {owner} {quoted_temporary} && chmod {mode:o} {quoted_temporary} && sync -- {quoted_temporary} && {keep_backup}mv -f -- {quoted_temporary} {quoted} && sync -- {parent}",
            owner = quote(owner),
            parent = quote(parent),
        );
        let installed = self.output(&install).await?;
        if !installed.status.success() {
            return Err(UploadError::Remote {
                path: path.to_owned(),
                detail: format!(
                    "installing the file ended with {}: {}",
                    installed.status,
                    installed.stderr.trim()
                ),
            });
        }
        Ok(match backup {
            Some(backup) => UploadOutcome::Replaced { backup },
            None => UploadOutcome::Created,
        })
    }
}

/// What an upload sends: bytes in memory, or a local file read in chunks (an install ISO).
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    Bytes(&'a [u8]),
    File(&'a std::path::Path),
}

pub(super) const CHUNK: usize = 256 * 1024;

impl Payload<'_> {
    pub async fn sha256(&self) -> std::io::Result<String> {
        match self {
            Payload::Bytes(bytes) => Ok(format!("{:x}", Sha256::digest(bytes))),
            Payload::File(path) => {
                let path = path.to_path_buf();
                tokio::task::spawn_blocking(move || {
                    let mut file = std::fs::File::open(path)?;
                    let mut hasher = Sha256::new();
                    std::io::copy(&mut file, &mut hasher)?;
                    Ok(format!("{:x}", hasher.finalize()))
                })
                .await
                .map_err(std::io::Error::other)?
            }
        }
    }

    /// The payload's size in bytes.
    pub async fn len(&self) -> std::io::Result<u64> {
        match self {
            Payload::Bytes(bytes) => Ok(bytes.len() as u64),
            Payload::File(path) => Ok(tokio::fs::metadata(path).await?.len()),
        }
    }

    /// The payload for a person: the local file's path, or "Tandem's rendered contents".
    pub fn describe(&self) -> String {
        match self {
            Payload::Bytes(_) => "the contents Tandem would write".to_owned(),
            Payload::File(path) => format!("{} on this workstation", path.display()),
        }
    }

    pub(super) async fn chunks(&self) -> std::io::Result<Chunks<'_>> {
        Ok(match self {
            Payload::Bytes(bytes) => Chunks::Bytes(bytes.chunks(CHUNK)),
            Payload::File(path) => Chunks::File(tokio::fs::File::open(path).await?),
        })
    }
}

pub(super) enum Chunks<'a> {
    Bytes(std::slice::Chunks<'a, u8>),
    File(tokio::fs::File),
}

impl Chunks<'_> {
    /// The next chunk; empty at the end.
    pub(super) async fn next(&mut self) -> std::io::Result<Vec<u8>> {
        match self {
            Chunks::Bytes(chunks) => Ok(chunks.next().map(<[u8]>::to_vec).unwrap_or_default()),
            Chunks::File(file) => {
                use tokio::io::AsyncReadExt;
                let mut buffer = vec![0; CHUNK];
                let mut filled = 0;
                while filled < CHUNK {
                    let read = file.read(&mut buffer[filled..]).await?;
                    if read == 0 {
                        break;
                    }
                    filled += read;
                }
                buffer.truncate(filled);
                Ok(buffer)
            }
        }
    }
}

/// What an upload does when the node already has a different file at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Replace it, keeping the old one in [`BACKUP_ROOT`] (Tandem's own rendered files).
    Replace,
    /// Leave it and fail ([`UploadError::Differs`]): files the user owns, such as install ISOs.
    Keep,
}

/// Where a file Tandem changes on a node is kept first: `/var/backups/tandem/<path>.<time>`,
/// outside every directory a tool reads configuration from (ifupdown sources everything in
/// interfaces.d; a backup there would be a second stanza at the next boot).
pub const BACKUP_ROOT: &str = "/var/backups/tandem";

/// The backup of `path` made now: `/var/backups/tandem/etc/x.conf.20261203-081500` (UTC).
pub fn backup_path(path: &str) -> String {
    backup_path_at(path, &crate::utc::stamp(crate::utc::now_ms()))
}

/// The backup of `path` with a given time stamp (the shell's `$(date -u +%Y%m%d-%H%M%S)`).
pub fn backup_path_at(path: &str, stamp: &str) -> String {
    format!("{BACKUP_ROOT}/{}.{stamp}", path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests;
