//! `tandem apply` and `tandem status`: connect to both nodes (asking what only a person can
//! answer), read their facts, plan, confirm what is destructive, run, journal.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;
use wizard_steps::Design;
use wizard_steps::access::{self, AccessError, Credentials};
use wizard_steps::cluster_state::placements;
use wizard_steps::design::NodeDesign;
use wizard_steps::facts;
use wizard_steps::journal::{self, JournaledRun};
use wizard_steps::manage::{self, Status};
use wizard_steps::plan::{Operation, Plan};
use wizard_steps::profile::SshAccess;
use wizard_steps::protection::{DeviceVote, fence_devices};
use wizard_steps::remote::{HostKeyTrust, Secret, Session};
use wizard_steps::run::{Event, Runner, Secrets};

use crate::terminal::{self, Printer};

/// What the administrator decided ahead of time (for headless runs).
#[derive(Debug, Default, Clone)]
pub struct Decisions {
    /// Host key fingerprints confirmed with `--accept-host-key`.
    pub accepted_host_keys: Vec<String>,
    /// Destructive step ids confirmed with `--confirm-destructive`.
    pub confirmed_destructive: Vec<String>,
    /// Tandem's own known_hosts file (tests point it elsewhere).
    pub known_hosts: Option<PathBuf>,
    /// Where journals go (default: the data directory).
    pub runs_dir: Option<PathBuf>,
    pub verbose: bool,
}

pub async fn apply(design: &Design, decisions: &Decisions) -> Result<ExitCode> {
    let mut sessions = connect_both(design, decisions).await?;
    let quorum_device = connect_quorum_device(design, decisions).await?;
    let mut journaled = open_journal(design, decisions)?;
    let shown = Shown::start(decisions.verbose);

    println!("== Preflight (read-only)");
    let access::Preflight { findings, plan, .. } = access::preflight(design, &sessions)
        .await
        .context("reading the nodes' facts")?;
    terminal::print_findings(&findings);
    journaled.record(
        Event::Preflight {
            findings: findings.clone(),
        },
        shown.events(),
    );
    let blocking = facts::blocking(&findings).len();
    let exit = if blocking > 0 {
        println!("\n{blocking} preflight problem(s): nothing was changed. Fix them and run again.");
        ExitCode::from(1)
    } else {
        execute(
            &mut journaled,
            &plan,
            design,
            &mut sessions,
            quorum_device.as_ref(),
            decisions,
            shown.events(),
        )
        .await?
    };
    shown.finish().await;
    say_where(&journaled);
    for session in sessions.into_iter().chain(quorum_device) {
        session.close().await;
    }
    Ok(exit)
}

/// A new journal for the design's cluster, in the data directory or where the tests say.
pub fn open_journal(design: &Design, decisions: &Decisions) -> Result<JournaledRun> {
    let runs_dir = match &decisions.runs_dir {
        Some(dir) => dir.clone(),
        None => journal::runs_dir().context("no data directory for the run journal")?,
    };
    JournaledRun::create(&runs_dir, design)
        .with_context(|| format!("creating a journal in {}", runs_dir.display()))
}

/// Confirms the plan's destructive steps, asks its secrets, and runs it journaled, its events
/// shown as they come (Ctrl-C cancels).
pub async fn execute(
    journaled: &mut JournaledRun,
    plan: &Plan,
    design: &Design,
    sessions: &mut [Session; 2],
    quorum_device: Option<&Session>,
    decisions: &Decisions,
    shown: &UnboundedSender<Event>,
) -> Result<ExitCode> {
    if let Err(refusal) = confirm_destructive(plan, decisions) {
        println!("\n{refusal}");
        return Ok(ExitCode::from(1));
    }
    for step in plan.disruptive_steps() {
        println!(
            "\nDISRUPTIVE: {}\n  (step {})",
            step.disruptive.as_deref().unwrap_or_default(),
            step.id
        );
    }
    let secrets = ask_secrets(plan)?;
    let cancel = CancellationToken::new();
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ntandem: cancelling (the running command is stopped on the node)...");
            on_interrupt.cancel();
        }
    });
    let summary = journaled
        .run(
            |events| Runner {
                plan,
                design,
                secrets: &secrets,
                events,
                cancel,
                poll_interval: std::time::Duration::from_secs(2),
                quorum_device,
            },
            sessions,
            shown,
        )
        .await;
    Ok(if summary.succeeded() {
        ExitCode::SUCCESS
    } else if summary.cancelled {
        ExitCode::from(130)
    } else {
        ExitCode::from(1)
    })
}

/// The terminal's side of a run: its events printed as they come, on a task of their own.
#[derive(Debug)]
pub struct Shown {
    events: UnboundedSender<Event>,
    printer: tokio::task::JoinHandle<()>,
}

impl Shown {
    pub fn start(verbose: bool) -> Shown {
        let (events, mut received) = tokio::sync::mpsc::unbounded_channel::<Event>();
        let printer = tokio::spawn(async move {
            let mut printer = Printer::new(verbose);
            while let Some(event) = received.recv().await {
                printer.show(&event);
            }
        });
        Shown { events, printer }
    }

    pub fn events(&self) -> &UnboundedSender<Event> {
        &self.events
    }

    /// Waits until every event is printed.
    pub async fn finish(self) {
        drop(self.events);
        let _ = self.printer.await;
    }
}

/// Says where the journal is (and whether some of the run could not be written to it).
pub fn say_where(journaled: &JournaledRun) {
    if journaled.lost() > 0 {
        eprintln!(
            "tandem: {} event(s) could not be written to the journal",
            journaled.lost()
        );
    }
    println!("journal: {}", journaled.path().display());
}

/// Every destructive step must be confirmed, by flag or at the terminal.
fn confirm_destructive(plan: &Plan, decisions: &Decisions) -> Result<(), String> {
    confirm_each(
        plan.destructive_steps().into_iter().map(|step| {
            (
                step.id.clone(),
                step.destructive.clone().unwrap_or_default(),
            )
        }),
        "Destroy this data?",
        decisions,
    )
}

/// Each `(id, what it destroys)` must be confirmed, with `--confirm-destructive ID` or by
/// answering `question` at the terminal; the first refusal says how to confirm it.
pub fn confirm_each(
    destructive: impl IntoIterator<Item = (String, String)>,
    question: &str,
    decisions: &Decisions,
) -> Result<(), String> {
    for (id, what) in destructive {
        if decisions.confirmed_destructive.contains(&id) {
            continue;
        }
        println!("\nDESTRUCTIVE: {what}\n  (step {id})");
        if !terminal::confirm(question) {
            return Err(format!(
                "not confirmed: {what}. Nothing was changed. Confirm with --confirm-destructive {id}"
            ));
        }
    }
    Ok(())
}

fn ask_secrets(plan: &Plan) -> Result<Secrets> {
    let mut secrets = Secrets::new();
    for (_, step) in plan.steps() {
        if let Operation::Secret { secret, .. } = &step.operation {
            if secrets.contains_key(secret) {
                continue;
            }
            let wizard_steps::plan::SecretName::BmcPassword(node) = secret;
            let value = terminal::secret(
                &format!("{secret}"),
                &terminal::env_name("BMC_PASSWORD", node),
            )
            .ok_or_else(|| {
                anyhow!(
                    "{secret} is needed: run on a terminal, or set {}",
                    terminal::env_name("BMC_PASSWORD", node)
                )
            })?;
            if let Err(broken) = wizard_steps::validate::kinds::bmc_password(value.expose()) {
                bail!(
                    "{secret}: {}. Nothing was changed; {}",
                    broken.message,
                    broken.allowed
                );
            }
            secrets.insert(secret.clone(), value);
        }
    }
    Ok(secrets)
}

pub async fn connect_both(design: &Design, decisions: &Decisions) -> Result<[Session; 2]> {
    let mut sessions = Vec::new();
    for node in &design.nodes {
        sessions.push(connect(node, decisions).await?);
    }
    sessions.try_into().map_err(|_| anyhow!("two nodes"))
}

/// Connects to the quorum device's machine, when the design has one (qnetd runs there).
pub async fn connect_quorum_device(
    design: &Design,
    decisions: &Decisions,
) -> Result<Option<Session>> {
    match &design.cluster.quorum_device {
        Some(device) => Ok(Some(
            connect_to(QUORUM_DEVICE, &device.ssh, decisions).await?,
        )),
        None => Ok(None),
    }
}

/// How prompts and secret variables name the quorum device's machine.
const QUORUM_DEVICE: &str = "qnetd";

async fn connect(node: &NodeDesign, decisions: &Decisions) -> Result<Session> {
    connect_to(&node.hostname, &node.ssh, decisions).await
}

/// Connects to one machine (a node, or the quorum device's): confirms an unknown host key,
/// asks for passwords and passphrases as it turns out to need them.
async fn connect_to(name: &str, ssh: &SshAccess, decisions: &Decisions) -> Result<Session> {
    let target = access::endpoint(ssh);
    let mut trust = HostKeyTrust::standard();
    if let Some(file) = &decisions.known_hosts {
        trust.pinned = file.clone();
    }
    let mut credentials = Credentials::default();
    loop {
        match access::connect(ssh, &credentials, trust.clone()).await {
            Ok(session) => return Ok(session),
            Err(error) => match error.unknown_fingerprint().map(str::to_owned) {
                Some(fingerprint)
                    if decisions.accepted_host_keys.contains(&fingerprint)
                        || terminal::confirm(&format!(
                            "{}: the host key of {}:{} is {fingerprint}. Check it on the node (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub). Trust it?",
                            name, target.host, target.port
                        )) =>
                {
                    trust = trust.accepting(fingerprint);
                }
                Some(fingerprint) => bail!(
                    "{}: unknown host key {fingerprint} at {}:{}. Nothing was changed. Check it on the node and run again with --accept-host-key {fingerprint}",
                    name,
                    target.host,
                    target.port
                ),
                None => match error {
                    AccessError::PasswordNeeded => {
                        credentials.password = Some(ask(
                            name,
                            &format!("SSH password for {target}"),
                            "SSH_PASSWORD",
                        )?);
                    }
                    AccessError::PassphraseNeeded { path } if credentials.passphrase.is_none() => {
                        credentials.passphrase = Some(ask(
                            name,
                            &format!("passphrase for {path}"),
                            "KEY_PASSPHRASE",
                        )?);
                    }
                    AccessError::SudoPasswordNeeded => {
                        credentials.sudo_password = Some(ask(
                            name,
                            &format!("sudo password for {target}"),
                            "SUDO_PASSWORD",
                        )?);
                    }
                    other => bail!("{}: {other}", name),
                },
            },
        }
    }
}

/// A secret from the terminal, or from TANDEM_<WHAT>_<NODE> when there is no terminal.
fn ask(name: &str, prompt: &str, what: &str) -> Result<Secret> {
    let variable = terminal::env_name(what, name);
    terminal::secret(prompt, &variable)
        .ok_or_else(|| anyhow!("{name}: {prompt} is needed: run on a terminal, or set {variable}"))
}

/// `tandem status`: where each VM runs, each DRBD resource, nodes and failed actions.
pub async fn status(design: &Design, decisions: &Decisions) -> Result<ExitCode> {
    // Status matters most when a node is down: read what the other one says.
    let mut sessions: [Option<Session>; 2] = [None, None];
    let mut unreachable = Vec::new();
    for (slot, node) in sessions.iter_mut().zip(&design.nodes) {
        match connect(node, decisions).await {
            Ok(session) => *slot = Some(session),
            Err(error) => unreachable.push(format!("{}: {error:#}", node.hostname)),
        }
    }
    if sessions.iter().all(Option::is_none) {
        bail!("neither node answers:\n  {}", unreachable.join("\n  "));
    }
    let nodes = design.hostnames();
    let Status {
        cluster: state,
        drbd,
        votes,
    } = manage::status_reachable(design, [sessions[0].as_ref(), sessions[1].as_ref()])
        .await
        .context("reading the cluster state")?;
    // The cluster's view is the first node's there is a session to.
    let asked = &nodes[sessions.iter().position(Option::is_some).unwrap_or(0)];
    for session in sessions.into_iter().flatten() {
        session.close().await;
    }
    println!("Cluster \"{}\"", design.cluster.name);
    for problem in &unreachable {
        println!("  UNREACHABLE {problem}");
    }
    if state.nodes.is_empty() {
        println!("  the cluster does not answer on {asked} (are corosync and pacemaker running?)");
    }
    for node in &state.nodes {
        // An offline node stands out in a terminal full of lower-case lines.
        let mode = match node.condition() {
            "offline" => "OFFLINE",
            condition => condition,
        };
        println!("  node {:<12} {mode}", node.name);
    }
    let mut healthy = unreachable.is_empty()
        && state.nodes.len() == 2
        && state.nodes.iter().all(|node| node.online);
    for device in fence_devices(design, &state) {
        healthy &= device.healthy();
        println!("  fence {}", device.describe());
    }
    for vote in &votes {
        healthy &= vote.as_ref().is_ok_and(DeviceVote::healthy);
        match vote {
            Ok(vote) => println!("  qdevice {}", vote.describe()),
            Err(node) => println!("  qdevice {node}: corosync gives no quorum information"),
        }
    }
    for (placement, vm) in placements(design, &state).iter().zip(&design.vms) {
        let at_home = placement.at_home(vm.console_ip.is_some());
        healthy &= at_home;
        println!(
            "  vm   {:<12} on {:<10} (home {}){}",
            placement.vm,
            placement.running_on.as_deref().unwrap_or("-"),
            placement.home,
            if at_home { "" } else { "  << not at home" }
        );
    }
    for node in &drbd {
        for resource in &node.resources {
            let sync = resource
                .sync_percent
                .map_or(String::new(), |percent| format!(" sync {percent:.1}%"));
            println!(
                "  drbd {:<12} {:<8} {}/{} {} {}/{}{sync}",
                resource.name,
                node.node,
                resource.role,
                resource.peer_role,
                resource.connection,
                resource.disk,
                resource.peer_disk
            );
        }
    }
    for failure in &state.failures {
        healthy = false;
        println!(
            "  FAILED {} {} on {}: {}",
            failure.resource, failure.task, failure.node, failure.reason
        );
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `tandem report`: a journal (the newest when none is named) as Markdown or HTML.
pub fn report(run: Option<&Path>, html: bool, out: &Path) -> Result<()> {
    let path = match run {
        Some(path) => path.to_path_buf(),
        None => {
            let dir = journal::runs_dir().context("no data directory")?;
            journal::latest(&dir, None)
                .with_context(|| format!("no run journal in {}", dir.display()))?
        }
    };
    let entries = journal::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let text = if html {
        wizard_steps::report::html(&entries)
    } else {
        wizard_steps::report::markdown(&entries)
    };
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    println!("report of {} written to {}", path.display(), out.display());
    Ok(())
}
