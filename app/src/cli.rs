//! The CLI verbs. Each one loads the profile, calls the library and prints; no logic here that
//! the GUI would need too.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use wizard_steps::profile::store;
use wizard_steps::render::{DrbdGeneration, Platform};
use wizard_steps::{Rendered, render, validate};

use crate::apply;
use crate::maintain::Request;
use wizard_steps::manage::DrillKind;

/// Exit code of `validate` and `render` when the profile has problems.
const PROFILE_INVALID: u8 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "tandem",
    version,
    about = "Two Debian servers into a high-availability Xen + DRBD + Pacemaker cluster, over SSH",
    long_about = "Two Debian servers into a high-availability Xen + DRBD + Pacemaker cluster, over SSH.\n\nWithout a command, tandem opens the setup wizard."
)]
pub struct Cli {
    /// Without a command, the wizard opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a profile; lists every problem with its field and fix (exit code 1 when any).
    Validate {
        /// The cluster profile (TOML).
        profile: PathBuf,
    },
    /// Print the setup plan as a script per node: every check, command and file, without
    /// connecting (the nodes are assumed fresh; `apply` re-plans from their real state).
    Plan {
        /// The cluster profile (TOML).
        profile: PathBuf,
        /// The DRBD module the nodes run: Debian's own 8.4, or LINBIT's 9.
        #[arg(long, value_enum, default_value_t = DrbdArg::V84)]
        drbd: DrbdArg,
    },
    /// Set the cluster up over SSH: preflight (read-only), then every step that is not done
    /// yet, with progress. Running it again resumes or, on a finished cluster, changes nothing.
    Apply {
        /// The cluster profile (TOML).
        profile: PathBuf,
        #[command(flatten)]
        access: AccessArgs,
        /// Confirm a destructive step (by its id, as the plan and the refusal print it).
        #[arg(long = "confirm-destructive", value_name = "STEP")]
        confirm_destructive: Vec<String>,
        /// Show every command's output.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Show where each VM runs, the DRBD resources and the nodes (exit code 1 when not as
    /// designed).
    Status {
        /// The cluster profile (TOML).
        profile: PathBuf,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Put a node in standby: its VMs move to the other node (refused when that node cannot
    /// take them). Waits until the cluster has settled.
    Standby {
        /// The cluster profile (TOML).
        profile: PathBuf,
        /// The node, by its hostname in the profile.
        node: String,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Bring a node in standby back: VMs return per the failback policy, after the resync.
    Online {
        /// The cluster profile (TOML).
        profile: PathBuf,
        /// The node, by its hostname in the profile.
        node: String,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Move one VM to a node and keep it there until `tandem unmove` (live when live migration
    /// is on).
    Move {
        /// The cluster profile (TOML).
        profile: PathBuf,
        /// The VM, by its name in the profile.
        vm: String,
        /// The node, by its hostname in the profile.
        node: String,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Let a moved VM go: it goes where the failback policy puts it.
    Unmove {
        /// The cluster profile (TOML).
        profile: PathBuf,
        /// The VM, by its name in the profile.
        vm: String,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Clear failed actions (of one resource, or all) so that Pacemaker tries again.
    Cleanup {
        /// The cluster profile (TOML).
        profile: PathBuf,
        /// A Pacemaker resource id as `tandem status` shows it (default: all).
        resource: Option<String>,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Failover drill: node1 in standby (every VM must run on node2), back online (VMs return
    /// per the failback policy), then the same for node2. The result goes into the setup
    /// report.
    Drill {
        /// The cluster profile (TOML).
        profile: PathBuf,
        /// Hard mode: reset the node at once, without shutting down (its VMs crash and restart
        /// on the other node), and wait for it to boot and rejoin. Confirmed at the terminal
        /// or with --confirm-destructive crash@NODE.
        #[arg(long, conflicts_with = "fence")]
        hard: bool,
        /// Fence mode: the cluster fences the node on purpose, through the fence device that
        /// would fence it in a real failure (its BMC, or SBD), and Tandem waits for it to boot
        /// and rejoin. Confirmed at the terminal or with --confirm-destructive fence@NODE.
        #[arg(long)]
        fence: bool,
        /// Drill only this node (by its hostname in the profile).
        #[arg(long, value_name = "NODE")]
        node: Option<String>,
        /// Confirm a node's reset: crash@NODE (hard mode) or fence@NODE (fence mode).
        #[arg(long = "confirm-destructive", value_name = "STEP")]
        confirm_destructive: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Split-brain recovery: finds DRBD resources in split brain, shows what each node knows
    /// about its data, and recovers one, discarding the changes of the node you name (the
    /// seed's nine steps, journaled; the stop and the discard are confirmed).
    SplitBrain {
        /// The cluster profile (TOML).
        profile: PathBuf,
        /// The VM whose DRBD resource to recover (needed when several are split).
        #[arg(long)]
        resource: Option<String>,
        /// The node whose changes since the split are discarded (asked when not given).
        #[arg(long, value_name = "NODE")]
        discard: Option<String>,
        /// Confirm a destructive step (by its id, as the refusal prints it).
        #[arg(long = "confirm-destructive", value_name = "STEP")]
        confirm_destructive: Vec<String>,
        #[command(flatten)]
        access: AccessArgs,
    },
    /// Write the setup report of a run (the newest when RUN is not given).
    Report {
        /// A run journal (.jsonl) from the data directory.
        run: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
        format: ReportFormat,
        #[arg(long)]
        out: PathBuf,
    },
    /// Open the wizard with a saved profile (`tandem` alone opens it on the Welcome page).
    Open {
        /// The cluster profile (TOML).
        profile: PathBuf,
    },
    /// Render every node file and the Pacemaker configuration into a directory:
    /// OUT/<node>/etc/... for each node, and OUT/cluster.crm.
    Render {
        /// The cluster profile (TOML).
        profile: PathBuf,
        /// Directory to write into (created when missing).
        #[arg(long)]
        out: PathBuf,
        /// The DRBD module the nodes run: Debian's own 8.4, or LINBIT's 9.
        #[arg(long, value_enum, default_value_t = DrbdArg::V84)]
        drbd: DrbdArg,
    },
}

#[derive(Debug, clap::Args)]
pub struct AccessArgs {
    /// Trust this host key fingerprint (SHA256:...) when a node presents it for the first time.
    #[arg(long = "accept-host-key", value_name = "FINGERPRINT")]
    accept_host_key: Vec<String>,
    /// Tandem's own known_hosts file (default: in its data directory).
    #[arg(long, value_name = "FILE", hide = true)]
    known_hosts: Option<PathBuf>,
    /// Where run journals go (default: in the data directory).
    #[arg(long, value_name = "DIR", hide = true)]
    runs_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct WaitArgs {
    /// How long to wait, per action, for the cluster to settle (seconds).
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    timeout: u64,
}

impl AccessArgs {
    fn decisions(self) -> apply::Decisions {
        apply::Decisions {
            accepted_host_keys: self.accept_host_key,
            known_hosts: self.known_hosts,
            runs_dir: self.runs_dir,
            ..apply::Decisions::default()
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Html,
    Md,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DrbdArg {
    #[value(name = "8.4")]
    V84,
    #[value(name = "9")]
    V9,
}

impl From<DrbdArg> for DrbdGeneration {
    fn from(arg: DrbdArg) -> DrbdGeneration {
        match arg {
            DrbdArg::V84 => DrbdGeneration::V84,
            DrbdArg::V9 => DrbdGeneration::V9,
        }
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let Some(command) = cli.command else {
        return Ok(ExitCode::SUCCESS);
    };
    match command {
        Command::Validate { profile } => {
            let Some(design) = load_design(&profile)? else {
                return Ok(ExitCode::from(PROFILE_INVALID));
            };
            println!(
                "{}: valid — cluster \"{}\" on {} and {}, {} VM(s)",
                profile.display(),
                design.cluster.name,
                design.nodes[0].hostname,
                design.nodes[1].hostname,
                design.vms.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Apply {
            profile,
            access,
            confirm_destructive,
            verbose,
        } => {
            let Some(design) = load_design(&profile)? else {
                return Ok(ExitCode::from(PROFILE_INVALID));
            };
            let decisions = apply::Decisions {
                confirmed_destructive: confirm_destructive,
                verbose,
                ..access.decisions()
            };
            runtime()?.block_on(apply::apply(&design, &decisions))
        }
        Command::Status { profile, access } => {
            let Some(design) = load_design(&profile)? else {
                return Ok(ExitCode::from(PROFILE_INVALID));
            };
            runtime()?.block_on(apply::status(&design, &access.decisions()))
        }
        Command::Standby {
            profile,
            node,
            wait,
            access,
        } => maintain(
            &profile,
            access.decisions(),
            wait,
            Request::Standby { node },
        ),
        Command::Online {
            profile,
            node,
            wait,
            access,
        } => maintain(&profile, access.decisions(), wait, Request::Online { node }),
        Command::Move {
            profile,
            vm,
            node,
            wait,
            access,
        } => maintain(
            &profile,
            access.decisions(),
            wait,
            Request::Move { vm, node },
        ),
        Command::Unmove {
            profile,
            vm,
            wait,
            access,
        } => maintain(&profile, access.decisions(), wait, Request::Unmove { vm }),
        Command::Cleanup {
            profile,
            resource,
            wait,
            access,
        } => maintain(
            &profile,
            access.decisions(),
            wait,
            Request::Cleanup { resource },
        ),
        Command::Drill {
            profile,
            hard,
            fence,
            node,
            confirm_destructive,
            wait,
            access,
        } => maintain(
            &profile,
            apply::Decisions {
                confirmed_destructive: confirm_destructive,
                ..access.decisions()
            },
            wait,
            Request::Drill {
                kind: match (hard, fence) {
                    (true, _) => DrillKind::Hard,
                    (_, true) => DrillKind::Fence,
                    _ => DrillKind::Standby,
                },
                node,
            },
        ),
        Command::SplitBrain {
            profile,
            resource,
            discard,
            confirm_destructive,
            access,
        } => {
            let Some(design) = load_design(&profile)? else {
                return Ok(ExitCode::from(PROFILE_INVALID));
            };
            let decisions = apply::Decisions {
                confirmed_destructive: confirm_destructive,
                ..access.decisions()
            };
            runtime()?.block_on(crate::recover::split_brain(
                &design,
                &decisions,
                &crate::recover::Choice { resource, discard },
            ))
        }
        Command::Report { run, format, out } => {
            apply::report(run.as_deref(), matches!(format, ReportFormat::Html), &out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { profile, drbd } => {
            let Some(design) = load_design(&profile)? else {
                return Ok(ExitCode::from(PROFILE_INVALID));
            };
            let facts = wizard_steps::facts::NodeFacts::assumed(drbd.into());
            print!("{}", wizard_steps::plan::plan(&design, &facts).script());
            Ok(ExitCode::SUCCESS)
        }
        Command::Open { profile } => {
            // Said on the terminal it was typed in, not in a window.
            store::load(&profile)?;
            if let Some(why) = crate::gui::no_display() {
                anyhow::bail!(why);
            }
            crate::gui::run(Some(profile))
                .map(|()| ExitCode::SUCCESS)
                .map_err(|error| anyhow::anyhow!("the window could not open: {error}"))
        }
        Command::Render { profile, out, drbd } => {
            let Some(design) = load_design(&profile)? else {
                return Ok(ExitCode::from(PROFILE_INVALID));
            };
            let platform = Platform {
                drbd: drbd.into(),
                ..Platform::for_design(&design)
            };
            let rendered = render(&design, platform);
            let written = write_rendered(&rendered, &out)?;
            println!(
                "rendered for {} into {}: {written} files",
                rendered.target,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Loads and validates a profile; prints the problems and returns None when it has any.
fn load_design(path: &Path) -> Result<Option<wizard_steps::Design>> {
    let profile = store::load(path)?;
    match validate(&profile) {
        Ok(design) => Ok(Some(design)),
        Err(problems) => {
            let mut stderr = std::io::stderr().lock();
            writeln!(
                stderr,
                "{}: {} problem(s):",
                path.display(),
                problems.0.len()
            )?;
            for problem in &problems.0 {
                writeln!(
                    stderr,
                    "  {}: {}\n    fix: {}",
                    problem.field, problem.message, problem.fix
                )?;
            }
            Ok(None)
        }
    }
}

fn write_rendered(rendered: &Rendered, out: &Path) -> Result<usize> {
    let mut written = 0;
    for node in &rendered.nodes {
        for file in &node.files {
            let relative = file.path.trim_start_matches('/');
            let path = out.join(&node.hostname).join(relative);
            write_file(&path, &file.contents, file.mode)?;
            written += 1;
        }
    }
    write_file(&out.join("cluster.crm"), &rendered.cluster_crm, 0o644)?;
    Ok(written + 1)
}

/// Each file with its final mode from the start (security.md finding 13).
fn write_file(path: &Path, contents: &str, mode: u32) -> Result<()> {
    wizard_steps::profile::store::write_atomically(path, contents.as_bytes(), mode)
        .with_context(|| format!("writing {}", path.display()))
}

/// A day-2 request against the cluster of `profile`.
fn maintain(
    profile: &Path,
    decisions: apply::Decisions,
    wait: WaitArgs,
    request: Request,
) -> Result<ExitCode> {
    let Some(design) = load_design(profile)? else {
        return Ok(ExitCode::from(PROFILE_INVALID));
    };
    let timeout = crate::maintain::timeout(wait.timeout)?;
    runtime()?.block_on(crate::maintain::maintain(
        &design, &decisions, &request, timeout,
    ))
}
