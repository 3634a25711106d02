//! Running commands on a node: streamed line by line, with sudo when the login is not root, and
//! cancellation that stops the command's whole process group on the node.

use std::fmt;

use russh::ChannelMsg;
use tokio_util::sync::CancellationToken;

use super::{ExecError, Payload, Session, Sudo, quote};

/// One line a command printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputLine {
    Stdout(String),
    Stderr(String),
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitStatus {
    pub code: Option<u32>,
    pub signal: Option<String>,
}

impl ExitStatus {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.signal) {
            (Some(code), _) => write!(f, "exit status {code}"),
            (None, Some(signal)) => write!(f, "killed by signal {signal}"),
            (None, None) => f.write_str("no exit status"),
        }
    }
}

/// A finished command's whole output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Marks the first line of every command: the process group to stop on cancel.
pub(super) const PGID_MARKER: &str = "\u{1e}tandem-pgid ";

impl Session {
    /// Runs a command (as root: through sudo when the user is not root), feeding `stdin` to it,
    /// and hands each output line to `on_line` as it arrives. When `cancel` fires, the command's
    /// whole process group is stopped on the node.
    pub async fn exec(
        &self,
        command: &str,
        stdin: Option<&[u8]>,
        on_line: &mut (dyn FnMut(OutputLine) + Send),
        cancel: &CancellationToken,
    ) -> Result<ExitStatus, ExecError> {
        let payload = stdin.map(Payload::Bytes);
        self.exec_with_progress(command, payload, on_line, &mut |_| {}, cancel)
            .await
    }

    pub(super) async fn exec_with_progress(
        &self,
        command: &str,
        stdin: Option<Payload<'_>>,
        on_line: &mut (dyn FnMut(OutputLine) + Send),
        on_sent: &mut (dyn FnMut(u64) + Send),
        cancel: &CancellationToken,
    ) -> Result<ExitStatus, ExecError> {
        let connection = |error: russh::Error| ExecError::Connection(error.to_string());
        self.commands
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(connection)?;
        channel
            .exec(true, self.wrap(command))
            .await
            .map_err(connection)?;
        if let Some(Sudo::Password(password)) = &self.spec.options.sudo {
            let line = format!("{}\n", password.expose());
            channel
                .data_bytes(line.into_bytes())
                .await
                .map_err(connection)?;
        }
        if let Some(stdin) = stdin {
            let mut chunks = stdin
                .chunks()
                .await
                .map_err(|error| ExecError::Local(error.to_string()))?;
            let mut sent = 0u64;
            loop {
                let chunk = chunks
                    .next()
                    .await
                    .map_err(|error| ExecError::Local(error.to_string()))?;
                if chunk.is_empty() {
                    break;
                }
                let length = chunk.len() as u64;
                tokio::select! {
                    result = channel.data_bytes(chunk) => result.map_err(connection)?,
                    () = cancel.cancelled() => {
                        let _ = channel.close().await;
                        return Err(ExecError::Cancelled);
                    }
                }
                sent += length;
                on_sent(sent);
            }
        }
        channel.eof().await.map_err(connection)?;

        let mut stdout = LineBuffer::default();
        let mut stderr = LineBuffer::default();
        let mut process_group: Option<u32> = None;
        let mut status = ExitStatus {
            code: None,
            signal: None,
        };
        let mut sudo_refusal = None;
        let emit_stdout = |line: String,
                           process_group: &mut Option<u32>,
                           on_line: &mut (dyn FnMut(OutputLine) + Send)| {
            if process_group.is_none()
                && let Some(pgid) = line.strip_prefix(PGID_MARKER)
            {
                *process_group = pgid.trim().parse().ok();
                return;
            }
            on_line(OutputLine::Stdout(line));
        };
        loop {
            let message = tokio::select! {
                message = channel.wait() => message,
                () = cancel.cancelled() => {
                    if let Some(pgid) = process_group {
                        Box::pin(self.stop_process_group(pgid)).await;
                    }
                    let _ = channel.close().await;
                    return Err(ExecError::Cancelled);
                }
            };
            match message {
                Some(ChannelMsg::Data { data }) => {
                    for line in stdout.push(&data) {
                        emit_stdout(line, &mut process_group, on_line);
                    }
                }
                Some(ChannelMsg::ExtendedData { data, ext: 1 }) => {
                    for line in stderr.push(&data) {
                        if is_sudo_refusal(&line) {
                            sudo_refusal = Some(line.clone());
                        }
                        on_line(OutputLine::Stderr(line));
                    }
                }
                Some(ChannelMsg::ExitStatus { exit_status }) => status.code = Some(exit_status),
                Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                    status.signal = Some(format!("{signal_name:?}"))
                }
                Some(_) => {}
                None => break,
            }
        }
        if let Some(line) = stdout.finish() {
            emit_stdout(line, &mut process_group, on_line);
        }
        if let Some(line) = stderr.finish() {
            on_line(OutputLine::Stderr(line));
        }
        match sudo_refusal {
            Some(refusal) if status.code == Some(1) => Err(ExecError::Sudo(refusal)),
            _ => Ok(status),
        }
    }

    /// Runs a command to its end and collects its output.
    pub async fn output(&self, command: &str) -> Result<CommandOutput, ExecError> {
        self.output_with_stdin(command, None).await
    }

    pub(super) async fn output_with_stdin(
        &self,
        command: &str,
        stdin: Option<&[u8]>,
    ) -> Result<CommandOutput, ExecError> {
        let mut stdout = String::new();
        let mut stderr = String::new();
        let status = self
            .exec(
                command,
                stdin,
                &mut |line| match line {
                    OutputLine::Stdout(line) => {
                        stdout.push_str(&line);
                        stdout.push('\n');
                    }
                    OutputLine::Stderr(line) => {
                        stderr.push_str(&line);
                        stderr.push('\n');
                    }
                },
                &CancellationToken::new(),
            )
            .await?;
        Ok(CommandOutput {
            status,
            stdout,
            stderr,
        })
    }

    /// The remote command line: print the process group, then run the command with `sh`, as
    /// root (through sudo when the user is not root). sshd starts each command in a new session,
    /// so the login shell's PID is the process group of everything the command starts.
    pub(super) fn wrap(&self, command: &str) -> String {
        let run = match &self.spec.options.sudo {
            None => format!("sh -c {}", quote(command)),
            Some(Sudo::NoPassword) => format!("sudo -n -- sh -c {}", quote(command)),
            // -k: always ask, so the password line is always consumed by sudo, never by the command.
            Some(Sudo::Password(_)) => format!("sudo -k -S -p '' -- sh -c {}", quote(command)),
        };
        format!(
            "printf '{}%s\\n' \"$$\"; {run}",
            PGID_MARKER.replace('\u{1e}', "\\036")
        )
    }

    pub(super) async fn stop_process_group(&self, pgid: u32) {
        // No `--`: dash's kill does not take it.
        let stop = format!(
            "kill -TERM -{pgid} 2>/dev/null; sleep 2; kill -KILL -{pgid} 2>/dev/null; true"
        );
        let _ = self.output(&stop).await;
    }
}

/// Splits a byte stream into lines (lossy UTF-8, trailing CR removed).
#[derive(Default)]
pub(super) struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    fn push(&mut self, data: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(data);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            lines.push(to_line(&line[..line.len() - 1]));
        }
        lines
    }

    fn finish(&mut self) -> Option<String> {
        (!self.pending.is_empty()).then(|| to_line(&std::mem::take(&mut self.pending)))
    }
}

pub(super) fn to_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.strip_suffix('\r').unwrap_or(&text).to_owned()
}

pub(super) fn is_sudo_refusal(line: &str) -> bool {
    line.starts_with("sudo: ")
        && (line.contains("incorrect password")
            || line.contains("a password is required")
            || line.contains("is not in the sudoers file")
            || line.contains("not allowed to execute"))
}

#[cfg(test)]
mod tests;
