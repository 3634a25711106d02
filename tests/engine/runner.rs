//! The runner against two real sshd "nodes" (each with a private home of its own): events in
//! order, barriers between phases, a re-run that changes nothing, a failure that stops the run
//! with the command and its output, a cancel that a second run resumes from, one shared key on
//! both nodes, and a journal that becomes a report. The steps are synthetic and touch only the
//! sandboxes' homes: the real setup commands run against real nodes (the testbed).

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::sshd::{self, Sshd};
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wizard_steps::facts::NodeFacts;
use wizard_steps::journal;
use wizard_steps::plan::{Operation, Phase, PhaseKind, Plan, Scope, SecretName, Step};
use wizard_steps::remote::{Auth, ConnectOptions, Endpoint, HostKeyTrust, Secret, Session};
use wizard_steps::report;
use wizard_steps::run::{Event, Outcome, Runner, Secrets, Summary};

const NODES: [&str; 2] = ["alpha", "beta"];

struct Cluster {
    servers: [Sshd; 2],
    _trust_dir: TempDir,
}

impl Cluster {
    fn start() -> Cluster {
        Cluster {
            servers: [Sshd::start_private(), Sshd::start_private()],
            _trust_dir: TempDir::new().expect("temporary directory"),
        }
    }

    async fn sessions(&self) -> [Session; 2] {
        self.sessions_with(ConnectOptions::default()).await
    }

    /// Sessions that run commands as root through sudo, as on a node reached as a user.
    async fn root_sessions(&self) -> [Session; 2] {
        self.sessions_with(ConnectOptions {
            sudo: Some(wizard_steps::remote::Sudo::Password(Secret::new(
                sshd::PASSWORD,
            ))),
            ..ConnectOptions::default()
        })
        .await
    }

    async fn sessions_with(&self, options: ConnectOptions) -> [Session; 2] {
        let mut sessions = Vec::new();
        for server in &self.servers {
            let trust = HostKeyTrust {
                pinned: self._trust_dir.path().join("known_hosts"),
                user_known_hosts: None,
                accept: Some(server.host_fingerprint()),
            };
            let session = Session::connect(
                Endpoint {
                    host: "127.0.0.1".into(),
                    port: server.port,
                    user: sshd::USER.into(),
                },
                Auth::KeyFile {
                    path: server.client_key(),
                    passphrase: None,
                },
                trust,
                options.clone(),
            )
            .await
            .expect("connects");
            sessions.push(session);
        }
        sessions.try_into().expect("two sessions")
    }

    fn home(&self, node: usize) -> String {
        self.servers[node].home().display().to_string()
    }
}

fn step(id: &str, scope: Scope, operation: Operation) -> Step {
    let node = match scope {
        Scope::Node(index) => NODES[index],
        Scope::Cluster => "both",
        Scope::QuorumDevice => "qnetd",
    };
    Step {
        id: format!("{id}@{node}"),
        scope,
        title: id.replace('-', " "),
        operation,
        destructive: None,
        disruptive: None,
    }
}

fn command(check: &str, apply: &str) -> Operation {
    Operation::Command {
        check: Some(check.into()),
        apply: apply.into(),
        verify: Some(check.into()),
    }
}

/// Two phases on both nodes, a one-at-a-time phase, and a final phase.
fn plan(cluster: &Cluster, failing_on_beta: bool) -> Plan {
    let mut first = Vec::new();
    for (node, name) in NODES.iter().enumerate() {
        let home = cluster.home(node);
        first.push(step(
            "mark",
            Scope::Node(node),
            command(
                &format!("[ -e {home}/marked ]"),
                &format!("echo working; echo note >&2; touch {home}/marked"),
            ),
        ));
        first.push(step(
            "conf",
            Scope::Node(node),
            Operation::File {
                path: format!("{home}/etc/app.conf"),
                contents: format!("node = {name}\n"),
                mode: 0o644,
                owner: format!("{0}:{0}", sshd::USER),
                then: Some(format!("echo reloaded >> {home}/reloads")),
            },
        ));
    }
    let mut sequential = Vec::new();
    for node in 0..2 {
        let home = cluster.home(node);
        let apply = if failing_on_beta && node == 1 {
            "echo 'disk full' >&2; exit 3".to_owned()
        } else {
            format!("date +%s%N > {home}/ordered")
        };
        sequential.push(step(
            "ordered",
            Scope::Node(node),
            command(&format!("[ -e {home}/ordered ]"), &apply),
        ));
    }
    let last = (0..2)
        .map(|node| {
            step(
                "present",
                Scope::Node(node),
                Operation::Require {
                    check: format!("[ -e {}/marked ]", cluster.home(node)),
                    failure: "the mark is gone".into(),
                },
            )
        })
        .collect();
    Plan {
        cluster: "test".into(),
        nodes: [NODES[0].into(), NODES[1].into()],
        target: "test nodes".into(),
        quorum_device: None,
        phases: vec![
            Phase {
                kind: PhaseKind::Packages,
                title: "First".into(),
                one_node_at_a_time: false,
                steps: first,
            },
            Phase {
                kind: PhaseKind::Bridge,
                title: "One at a time".into(),
                one_node_at_a_time: true,
                steps: sequential,
            },
            Phase {
                kind: PhaseKind::Verify,
                title: "Last".into(),
                one_node_at_a_time: false,
                steps: last,
            },
        ],
    }
}

async fn run(
    plan: &Plan,
    sessions: &mut [Session; 2],
    secrets: &Secrets,
    cancel: CancellationToken,
) -> (Summary, Vec<Event>) {
    let design = common::design(&common::example_profile("seed"));
    let (events, mut received) = mpsc::unbounded_channel();
    let runner = Runner {
        plan,
        design: &design,
        secrets,
        events,
        cancel,
        poll_interval: Duration::from_millis(100),
        quorum_device: None,
    };
    let summary = runner.run(sessions).await;
    drop(runner);
    let mut all = Vec::new();
    while let Some(event) = received.recv().await {
        all.push(event);
    }
    (summary, all)
}

/// A run without secrets, not cancelled.
async fn run_plan(plan: &Plan, sessions: &mut [Session; 2]) -> (Summary, Vec<Event>) {
    run(plan, sessions, &Secrets::new(), CancellationToken::new()).await
}

async fn read(session: &Session, path: &str) -> String {
    session
        .output(&format!("cat {path}"))
        .await
        .expect("cat")
        .stdout
}

fn outcomes(events: &[Event]) -> BTreeMap<String, Outcome> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::StepFinished { step, outcome, .. } => Some((step.clone(), *outcome)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_plan_runs_with_events_and_a_second_run_changes_nothing() {
    let cluster = Cluster::start();
    let mut sessions = cluster.sessions().await;
    let plan = plan(&cluster, false);
    let (summary, events) = run_plan(&plan, &mut sessions).await;
    assert!(summary.succeeded(), "{summary:?}\n{events:#?}");
    assert_eq!(summary.changed, 6);
    assert_eq!(summary.passed, 2);
    assert!(matches!(events.first(), Some(Event::PlanReady { steps, .. }) if steps.len() == 8));
    assert!(matches!(events.last(), Some(Event::Finished { .. })));
    // Output lines stream as events, tagged with their step and node.
    assert!(events.iter().any(|event| matches!(event,
        Event::Output { step, node, line, stderr: false } if step == "mark@alpha" && node == "alpha" && line == "working")));
    assert!(
        events.iter().any(
            |event| matches!(event, Event::Output { line, stderr: true, .. } if line == "note")
        )
    );
    assert!(events.iter().any(
        |event| matches!(event, Event::FileWritten { node, changed: true, .. } if node == "beta")
    ));
    // Each node got its own file, and the reload ran once.
    assert_eq!(
        read(&sessions[1], &format!("{}/etc/app.conf", cluster.home(1))).await,
        "node = beta\n"
    );
    assert_eq!(
        read(&sessions[0], &format!("{}/reloads", cluster.home(0))).await,
        "reloaded\n"
    );
    // A phase is a barrier: every step of the first phase finished before the second began.
    let position = |wanted: &dyn Fn(&Event) -> bool| events.iter().position(wanted).expect("event");
    let last_of_first = events
        .iter()
        .rposition(|event| matches!(event, Event::StepFinished { step, .. } if step.starts_with("conf@") || step.starts_with("mark@")))
        .expect("first phase steps");
    let second_phase = position(
        &|event| matches!(event, Event::PhaseStarted { title, .. } if title == "One at a time"),
    );
    assert!(last_of_first < second_phase);
    // One at a time: alpha's step finished before beta's started.
    let alpha_done = position(
        &|event| matches!(event, Event::StepFinished { step, .. } if step == "ordered@alpha"),
    );
    let beta_started = position(
        &|event| matches!(event, Event::StepStarted { step, .. } if step == "ordered@beta"),
    );
    assert!(alpha_done < beta_started);

    let (again, events) = run_plan(&plan, &mut sessions).await;
    assert!(again.succeeded());
    assert_eq!(
        again.changed,
        0,
        "a re-run changes nothing: {:#?}",
        outcomes(&events)
    );
    assert_eq!(again.already_done, 6);
    assert_eq!(
        read(&sessions[0], &format!("{}/reloads", cluster.home(0))).await,
        "reloaded\n",
        "no second reload"
    );
    assert!(again.commands.iter().all(|count| *count > 0));
}

#[tokio::test]
async fn a_failure_stops_the_run_with_the_command_and_its_output() {
    let cluster = Cluster::start();
    let mut sessions = cluster.sessions().await;
    let plan = plan(&cluster, true);
    let (summary, events) = run_plan(&plan, &mut sessions).await;
    assert_eq!(summary.failed, 1);
    assert!(!summary.succeeded());
    let failure = events
        .iter()
        .find_map(|event| match event {
            Event::StepFailed {
                step,
                command,
                status,
                output_tail,
                ..
            } => Some((
                step.clone(),
                command.clone(),
                status.clone(),
                output_tail.clone(),
            )),
            _ => None,
        })
        .expect("a failure event");
    assert_eq!(failure.0, "ordered@beta");
    assert_eq!(failure.1.as_deref(), Some("echo 'disk full' >&2; exit 3"));
    assert_eq!(failure.2.as_deref(), Some("exit status 3"));
    assert_eq!(failure.3, ["disk full"]);
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::PhaseStarted { title, .. } if title == "Last")),
        "no phase runs after a failed one"
    );
}

#[tokio::test]
async fn a_cancelled_run_stops_and_a_new_run_resumes() {
    let cluster = Cluster::start();
    let mut sessions = cluster.sessions().await;
    let mut plan = plan(&cluster, false);
    let gate = format!("{}/gate", cluster.home(1));
    plan.phases[1].steps[1] = step(
        "waiting",
        Scope::Node(1),
        Operation::WaitUntil {
            condition: format!("[ -e {gate} ]"),
            timeout_secs: 600,
        },
    );
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    let design = common::design(&common::example_profile("seed"));
    let (events, mut received) = mpsc::unbounded_channel();
    let secrets = Secrets::new();
    let runner = Runner {
        plan: &plan,
        design: &design,
        secrets: &secrets,
        events,
        cancel: cancel.clone(),
        poll_interval: Duration::from_millis(100),
        quorum_device: None,
    };
    let watcher = async move {
        let mut seen = Vec::new();
        while let Some(event) = received.recv().await {
            if matches!(&event, Event::StepStarted { step, .. } if step == "waiting@beta") {
                canceller.cancel();
            }
            seen.push(event);
        }
        seen
    };
    let (summary, seen) = tokio::join!(
        async {
            let summary = runner.run(&mut sessions).await;
            drop(runner);
            summary
        },
        watcher
    );
    assert!(summary.cancelled, "{summary:?}");
    assert!(
        seen.iter().any(
            |event| matches!(event, Event::StepFailed { message, .. } if message == "cancelled")
        )
    );
    assert!(
        !seen
            .iter()
            .any(|event| matches!(event, Event::PhaseStarted { title, .. } if title == "Last"))
    );

    // The gate opens; a new run skips what was done and finishes.
    sessions[1]
        .output(&format!("touch {gate}"))
        .await
        .expect("touch");
    let (resumed, events) = run_plan(&plan, &mut sessions).await;
    assert!(resumed.succeeded(), "{resumed:?}");
    assert_eq!(resumed.changed, 0, "{:#?}", outcomes(&events));
    assert_eq!(
        outcomes(&events).get("waiting@beta"),
        Some(&Outcome::AlreadyDone)
    );
}

#[tokio::test]
async fn one_shared_key_and_the_given_secrets_land_on_both_nodes() {
    let cluster = Cluster::start();
    let mut sessions = cluster.root_sessions().await;
    let plan_for = |home: &str| Plan {
        cluster: "test".into(),
        nodes: [NODES[0].into(), NODES[1].into()],
        target: "test nodes".into(),
        quorum_device: None,
        phases: vec![Phase {
            kind: PhaseKind::Corosync,
            title: "Keys".into(),
            one_node_at_a_time: false,
            steps: vec![
                Step {
                    id: "shared-key".into(),
                    scope: Scope::Cluster,
                    title: "shared key".into(),
                    operation: Operation::SharedKey {
                        path: format!("{home}/authkey"),
                        bytes: 256,
                        then: None,
                    },
                    destructive: None,
                    disruptive: None,
                },
                Step {
                    id: "secret".into(),
                    scope: Scope::Cluster,
                    title: "secret".into(),
                    operation: Operation::Secret {
                        path: format!("{home}/fence.secret"),
                        secret: SecretName::BmcPassword("alpha".into()),
                    },
                    destructive: None,
                    disruptive: None,
                },
            ],
        }],
    };
    // The two sandboxes' homes differ in path; give both the same path by using node 0's home
    // on both (each server has a private tmpfs there).
    let home0 = cluster.home(0);
    for session in &sessions {
        session
            .output(&format!("mkdir -p {home0}"))
            .await
            .expect("mkdir");
    }
    let plan = plan_for(&home0);
    let mut secrets = Secrets::new();
    secrets.insert(
        SecretName::BmcPassword("alpha".into()),
        Secret::new("ipmi-pass"),
    );
    let (summary, events) = run(&plan, &mut sessions, &secrets, CancellationToken::new()).await;
    assert!(summary.succeeded(), "{events:#?}");
    let sums: Vec<String> = futures_sums(&sessions, &format!("{home0}/authkey")).await;
    assert_eq!(sums[0], sums[1], "the same key on both nodes");
    assert_eq!(
        read(&sessions[1], &format!("{home0}/fence.secret")).await,
        "ipmi-pass\n"
    );
    assert_eq!(
        read(&sessions[1], &format!("-- {home0}/fence.secret | wc -c"))
            .await
            .trim(),
        "9",
        "exactly the secret"
    );
    let journal_text = format!("{events:?}");
    assert!(
        !journal_text.contains("ipmi-pass"),
        "a secret reached the events"
    );

    let (again, _) = run(&plan, &mut sessions, &secrets, CancellationToken::new()).await;
    assert_eq!(again.changed, 0);
    assert_eq!(
        futures_sums(&sessions, &format!("{home0}/authkey")).await,
        sums,
        "the key is kept"
    );

    // A node that lost its key (reinstalled) gets the other node's, which a running cluster
    // uses: the node that has it is not touched.
    sessions[1]
        .output(&format!("rm -f {home0}/authkey"))
        .await
        .expect("rm");
    let (copied, events) = run(&plan, &mut sessions, &secrets, CancellationToken::new()).await;
    assert!(copied.succeeded(), "{events:#?}");
    assert_eq!(
        futures_sums(&sessions, &format!("{home0}/authkey")).await,
        sums,
        "node alpha's key, now on both"
    );
    assert!(events.iter().any(|event| matches!(event,
        Event::StepFinished { detail, .. } if detail.contains("the key of alpha") && detail.contains("copied to beta"))));
    assert!(
        events.iter().all(|event| !matches!(event,
            Event::FileWritten { node, changed: true, .. } if node == "alpha")),
        "{events:#?}"
    );

    let (missing, events) = run_plan(&plan, &mut sessions).await;
    assert_eq!(missing.failed, 1);
    assert!(
        events.iter().any(|event| matches!(event,
        Event::StepFailed { message, .. } if message == "the BMC password of alpha was not given"))
    );
}

async fn futures_sums(sessions: &[Session; 2], path: &str) -> Vec<String> {
    let mut sums = Vec::new();
    for session in sessions {
        let output = session
            .output(&format!("sha256sum < {path}"))
            .await
            .expect("sha256sum");
        assert!(output.status.success(), "{output:?}");
        sums.push(output.stdout);
    }
    sums
}

#[tokio::test]
async fn the_journal_of_a_failed_run_becomes_a_report() {
    let cluster = Cluster::start();
    let mut sessions = cluster.sessions().await;
    let plan = plan(&cluster, true);
    let (_, events) = run_plan(&plan, &mut sessions).await;
    let dir = TempDir::new().expect("temporary directory");
    let mut writer = journal::Writer::create(dir.path(), "test").expect("journal");
    let design = common::design(&common::example_profile("seed"));
    writer
        .write(&Event::RunStarted {
            summary: wizard_steps::run::ProfileSummary::new(&design),
        })
        .expect("write");
    for event in &events {
        writer.write(event).expect("write");
    }
    let entries = journal::read(writer.path()).expect("read");
    assert_eq!(entries.len(), events.len() + 1);
    let markdown = report::markdown(&entries);
    for expected in [
        "# Tandem setup report: cluster \"seed\"",
        "FAILED: 1 step(s) failed",
        "| First | alpha | mark | changed |",
        "### Failed: ordered on beta (ordered@beta)",
        "echo 'disk full' >&2; exit 3",
        "disk full",
        "/etc/app.conf",
        "| Win2012 | node1 | 2048 |",
    ] {
        assert!(
            markdown.contains(expected),
            "missing `{expected}` in:\n{markdown}"
        );
    }
    assert!(!markdown.contains("passw0rd"), "the VNC password is masked");
    let html = report::html(&entries);
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<style>"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "self-contained"
    );
    assert!(html.contains("<tr class=\"bad\">"));
    assert!(
        html.contains("echo &#x27;disk full&#x27;") || html.contains("echo 'disk full' &gt;&amp;2"),
        "{html}"
    );
}

/// "type base64" of the public key in `path` (without its comment).
async fn public_key(session: &Session, path: &str) -> String {
    let text = read(session, path).await;
    let mut words = text.split_whitespace();
    format!(
        "{} {}",
        words.next().expect("a key type"),
        words.next().expect("a key")
    )
}

/// A step of a real plan with every node path moved under `root` (the sandboxes are no real
/// nodes: their /etc, /root and /usr are the workstation's).
fn sandboxed(step: &Step, root: &str) -> Step {
    let text = serde_json::to_string(step).expect("a step serializes");
    let moved = text
        .replace("/etc/", &format!("{root}/etc/"))
        .replace("/root/.ssh", &format!("{root}/root/.ssh"))
        .replace("/usr/local/sbin/", &format!("{root}/usr/local/sbin/"));
    serde_json::from_str(&moved).expect("and comes back")
}

/// The steps of `profile`'s plan (for nodes with `facts`) whose ids start with one of `ids`,
/// sandboxed under `root`, in their phases, as a plan for the two sandboxes.
fn sandboxed_plan(
    profile: &std::path::Path,
    facts: &[NodeFacts; 2],
    ids: &[&str],
    root: &str,
) -> Plan {
    let design = common::design(profile);
    let full = wizard_steps::plan::plan(&design, facts);
    let phases = full
        .phases
        .iter()
        .map(|phase| Phase {
            steps: phase
                .steps
                .iter()
                .filter(|step| ids.iter().any(|id| step.id.starts_with(id)))
                .map(|step| sandboxed(step, root))
                .collect(),
            ..phase.clone()
        })
        .filter(|phase| !phase.steps.is_empty())
        .collect();
    Plan {
        cluster: "lab".into(),
        nodes: [NODES[0].into(), NODES[1].into()],
        target: "test nodes".into(),
        quorum_device: None,
        phases,
    }
}

#[tokio::test]
async fn each_node_trusts_the_others_migration_key_and_keeps_the_administrators_keys() {
    let cluster = Cluster::start();
    let mut sessions = cluster.root_sessions().await;
    let root = format!("{}/fs", cluster.home(0));
    let admin_key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAdminAdminAdminAdminAdminAdminAdminAdmin admin@desk";
    for session in &sessions {
        let output = session
            .output(&format!(
                "mkdir -p {root}/etc/ssh {root}/root/.ssh && ssh-keygen -q -t ed25519 -N '' -f {root}/etc/ssh/ssh_host_ed25519_key"
            ))
            .await
            .expect("a host key");
        assert!(output.status.success(), "{output:?}");
    }
    let authorized = format!("{root}/root/.ssh/authorized_keys");
    sessions[1]
        .output(&format!("printf '%s\\n' '{admin_key}' > {authorized}"))
        .await
        .expect("the administrator's key");
    let plan = sandboxed_plan(
        &common::test_profile("live-migration"),
        &Default::default(),
        &["migration-key@", "migration-trust"],
        &root,
    );
    assert_eq!(plan.steps().count(), 3, "two keys and the exchange");

    let (summary, events) = run_plan(&plan, &mut sessions).await;
    assert!(summary.succeeded(), "{events:#?}");
    assert_eq!(summary.changed, 3, "{:#?}", outcomes(&events));
    let in_root = |file: &str| format!("{root}/{file}");
    let migration_key = "etc/tandem/migration/id_ed25519.pub";
    let host_key = "etc/ssh/ssh_host_ed25519_key.pub";
    // alpha (lab1) lets in beta's (lab2's) migration key, restricted; and pins beta's host key.
    assert_eq!(
        read(&sessions[0], &authorized).await,
        format!(
            "from=\"172.16.99.2\",restrict,command=\"{root}/usr/local/sbin/tandem-migrate-receive\" {} tandem-migration@lab2.lab\n",
            public_key(&sessions[1], &in_root(migration_key)).await
        )
    );
    assert_eq!(
        read(
            &sessions[0],
            &format!("{root}/etc/tandem/migration/known_hosts")
        )
        .await,
        format!(
            "lab2,172.16.99.2 {}\n",
            public_key(&sessions[1], &in_root(host_key)).await
        )
    );
    // beta keeps the administrator's key, and the file as it was is backed up.
    let beta_before = read(&sessions[1], &authorized).await;
    assert_eq!(
        beta_before,
        format!(
            "{admin_key}\nfrom=\"172.16.99.1\",restrict,command=\"{root}/usr/local/sbin/tandem-migrate-receive\" {} tandem-migration@lab1.lab\n",
            public_key(&sessions[0], &in_root(migration_key)).await
        )
    );
    assert_eq!(
        read(&sessions[1], &format!("/var/backups/tandem{authorized}.*")).await,
        format!("{admin_key}\n")
    );

    let (again, events) = run_plan(&plan, &mut sessions).await;
    assert!(again.succeeded(), "{events:#?}");
    assert_eq!(again.changed, 0, "{:#?}", outcomes(&events));

    // alpha's key made anew (a rebuilt node): beta's entry is replaced, not added to.
    let old_alpha = public_key(&sessions[0], &in_root(migration_key)).await;
    sessions[0]
        .output(&format!("rm {root}/etc/tandem/migration/id_ed25519"))
        .await
        .expect("rm");
    let (renewed, events) = run_plan(&plan, &mut sessions).await;
    assert!(renewed.succeeded(), "{events:#?}");
    let new_alpha = public_key(&sessions[0], &in_root(migration_key)).await;
    assert_ne!(new_alpha, old_alpha);
    let beta_after = read(&sessions[1], &authorized).await;
    assert!(
        beta_after.starts_with(&format!("{admin_key}\n")),
        "{beta_after}"
    );
    assert!(beta_after.contains(&new_alpha), "{beta_after}");
    assert!(!beta_after.contains(&old_alpha), "{beta_after}");
    assert_eq!(beta_after.matches("tandem-migration@lab1.lab").count(), 1);

    // Live migration switched off (the lab profile without it): the access is taken back on
    // both nodes, the administrator's key stays.
    for session in &sessions {
        session
            .output(&format!(
                "mkdir -p {root}/etc/ssh/ssh_config.d {root}/usr/local/sbin && touch {root}/etc/ssh/ssh_config.d/tandem-migration.conf {root}/usr/local/sbin/tandem-migrate-receive"
            ))
            .await
            .expect("the rendered files");
    }
    let had_it = NodeFacts {
        migration_access: true,
        ..NodeFacts::default()
    };
    let off = sandboxed_plan(
        &common::example_profile("lab"),
        &[had_it.clone(), had_it],
        &["migration-access-removed@"],
        &root,
    );
    assert_eq!(off.steps().count(), 2);
    let (switched_off, events) = run_plan(&off, &mut sessions).await;
    assert!(switched_off.succeeded(), "{events:#?}");
    assert_eq!(switched_off.changed, 2, "{:#?}", outcomes(&events));
    assert_eq!(read(&sessions[0], &authorized).await, "");
    assert_eq!(
        read(&sessions[1], &authorized).await,
        format!("{admin_key}\n")
    );
    for session in &sessions {
        let left = session
            .output(&format!(
                "ls -d {root}/etc/tandem/migration {root}/etc/ssh/ssh_config.d/tandem-migration.conf {root}/usr/local/sbin/tandem-migrate-receive 2>/dev/null"
            ))
            .await
            .expect("ls");
        assert_eq!(left.stdout, "", "left behind");
    }
}
