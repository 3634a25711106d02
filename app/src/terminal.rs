//! The terminal face of the CLI: prompts, and run events as lines and progress bars.

use std::io::{IsTerminal, Write};

use wizard_steps::facts::{Finding, Severity};
use wizard_steps::run::{Event, Outcome};

/// Whether a person can answer prompts.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks a yes/no question on the terminal; no answer (or no terminal) is no.
pub fn confirm(question: &str) -> bool {
    if !interactive() {
        return false;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok()
        && matches!(answer.trim(), "y" | "Y" | "yes" | "YES")
}

/// Asks for one of `choices` on the terminal; None without a terminal or for another answer.
pub fn choose(question: &str, choices: &[&str]) -> Option<String> {
    if !interactive() {
        return None;
    }
    eprint!("{question} [{}] ", choices.join("/"));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).ok()?;
    let answer = answer.trim();
    choices
        .iter()
        .find(|choice| **choice == answer)
        .map(|choice| (*choice).to_owned())
}

/// Asks for a secret without echoing it; from the environment variable `env` when there is no
/// terminal (for headless runs).
pub fn secret(prompt: &str, env: &str) -> Option<wizard_steps::remote::Secret> {
    if let Ok(value) = std::env::var(env) {
        return Some(wizard_steps::remote::Secret::new(value));
    }
    if !interactive() {
        return None;
    }
    rpassword::prompt_password(format!("{prompt}: "))
        .ok()
        .map(wizard_steps::remote::Secret::new)
}

/// The environment variable for a per-node secret, e.g. `TANDEM_SUDO_PASSWORD_NODE1`.
pub fn env_name(kind: &str, node: &str) -> String {
    let node: String = node
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("TANDEM_{kind}_{node}")
}

pub fn print_findings(findings: &[Finding]) {
    for finding in findings {
        let mark = match finding.severity {
            Severity::Ok => "  ok ",
            Severity::Warning => "  !! ",
            Severity::Error => "  XX ",
        };
        println!(
            "{mark}{:<8} {:<24} {}",
            finding.node, finding.check, finding.detail
        );
        if finding.severity != Severity::Ok && !finding.fix.is_empty() {
            println!("       {:<8} {:<24} fix: {}", "", "", finding.fix);
        }
    }
}

/// Prints run events: one line per step, command output only when verbose or when a step
/// fails, and a progress bar that redraws in place on a terminal.
#[derive(Debug)]
pub struct Printer {
    verbose: bool,
    tty: bool,
    /// A progress line is on screen and must be ended before other output.
    progress_open: bool,
    last_reported: Option<(String, u64)>,
}

impl Printer {
    pub fn new(verbose: bool) -> Printer {
        Printer {
            verbose,
            tty: std::io::stdout().is_terminal(),
            progress_open: false,
            last_reported: None,
        }
    }

    fn end_progress(&mut self) {
        if self.progress_open {
            println!();
            self.progress_open = false;
        }
    }

    pub fn show(&mut self, event: &Event) {
        match event {
            Event::PhaseStarted { title, .. } => {
                self.end_progress();
                println!("\n== {title}");
            }
            Event::StepStarted { node, title, .. } if self.verbose => {
                self.end_progress();
                println!("   [{node}] {title} ...");
            }
            Event::Output { node, line, .. } if self.verbose => {
                self.end_progress();
                println!("      {node}| {line}");
            }
            Event::Progress {
                node,
                label,
                percent,
                speed_kib_per_sec,
                eta_secs,
                ..
            } => self.progress(node, label, *percent, *speed_kib_per_sec, *eta_secs),
            Event::StepFinished {
                node,
                outcome,
                detail,
                duration_ms,
                step,
            } => {
                self.end_progress();
                let mark = match outcome {
                    Outcome::AlreadyDone => "skip",
                    Outcome::Changed => "done",
                    Outcome::Passed => " ok ",
                };
                println!(
                    "  [{mark}] {node:<8} {step} — {detail} ({:.1} s)",
                    *duration_ms as f64 / 1000.0
                );
            }
            Event::StepFailed {
                node,
                step,
                message,
                command,
                status,
                output_tail,
                ..
            } => {
                self.end_progress();
                println!("  [FAIL] {node:<8} {step} — {message}");
                if let Some(command) = command {
                    println!("         command: {command}");
                }
                if let Some(status) = status {
                    println!("         {status}");
                }
                for line in output_tail {
                    println!("         | {line}");
                }
            }
            Event::Finished { summary } => {
                self.end_progress();
                println!(
                    "\n{} changed, {} already done, {} checks passed, {} failed{} in {:.1} s",
                    summary.changed,
                    summary.already_done,
                    summary.passed,
                    summary.failed,
                    if summary.cancelled {
                        " (cancelled)"
                    } else {
                        ""
                    },
                    summary.duration_ms as f64 / 1000.0
                );
            }
            _ => {}
        }
    }

    fn progress(
        &mut self,
        node: &str,
        label: &str,
        percent: f64,
        speed: Option<u64>,
        eta: Option<u64>,
    ) {
        let width = 30;
        let filled = ((percent / 100.0) * width as f64)
            .round()
            .clamp(0.0, width as f64) as usize;
        let bar = format!("{}{}", "#".repeat(filled), ".".repeat(width - filled));
        let speed = speed.map_or(String::new(), |kib| {
            format!(" {:.1} MiB/s", kib as f64 / 1024.0)
        });
        let eta = eta.map_or(String::new(), |seconds| {
            format!(
                " ETA {}:{:02}:{:02}",
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            )
        });
        let line = format!("  [{bar}] {percent:5.1}% {node} {label}{speed}{eta}");
        if self.tty {
            print!("\r{line}\x1b[K");
            let _ = std::io::stdout().flush();
            self.progress_open = true;
        } else {
            // Without a terminal, a line every 10 %.
            let decile = (percent / 10.0) as u64;
            let key = format!("{node}/{label}");
            if self.last_reported.as_ref() != Some(&(key.clone(), decile)) {
                self.last_reported = Some((key, decile));
                println!("{line}");
            }
        }
    }
}
