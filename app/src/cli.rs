//! The CLI verbs. Each one loads the profile, calls the library and prints; no logic here that
//! the GUI would need too.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use wizard_steps::profile::store;
use wizard_steps::render::{DrbdGeneration, Target};
use wizard_steps::{Rendered, render, validate};

/// Exit code of `validate` and `render` when the profile has problems.
const PROFILE_INVALID: u8 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "tandem",
    version,
    about = "Two Debian servers into a high-availability Xen + DRBD + Pacemaker cluster, over SSH"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DrbdArg {
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
    match cli.command {
        Command::Validate { profile } => {
            let Some(design) = load_design(&profile)? else {
                return Ok(ExitCode::from(PROFILE_INVALID));
            };
            println!(
                "{}: valid — cluster \"{}\" on {} and {}, {} VM(s)",
                profile.display(),
                design.profile.cluster.name,
                design.nodes[0].hostname,
                design.nodes[1].hostname,
                design.vms.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { profile, drbd } => {
            let Some(design) = load_design(&profile)? else {
                return Ok(ExitCode::from(PROFILE_INVALID));
            };
            let facts = assumed_facts(drbd.into());
            print!("{}", wizard_steps::plan::plan(&design, &facts).script());
            Ok(ExitCode::SUCCESS)
        }
        Command::Render { profile, out, drbd } => {
            let Some(design) = load_design(&profile)? else {
                return Ok(ExitCode::from(PROFILE_INVALID));
            };
            let target = Target {
                drbd: drbd.into(),
                ..Target::for_design(&design)
            };
            let rendered = render(&design, target);
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

/// Facts for a dry run: nodes that have nothing yet, with the chosen DRBD module.
fn assumed_facts(drbd: DrbdGeneration) -> [wizard_steps::facts::NodeFacts; 2] {
    let module = match drbd {
        DrbdGeneration::V84 => "8.4.11",
        DrbdGeneration::V9 => "9.2.0",
    };
    let facts = wizard_steps::facts::NodeFacts {
        drbd_module: Some(module.to_owned()),
        ..Default::default()
    };
    [facts.clone(), facts]
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

fn write_file(path: &Path, contents: &str, mode: u32) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    set_mode(path, mode).with_context(|| format!("setting the mode of {}", path.display()))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}
