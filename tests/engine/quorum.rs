//! The quorum device's certificate exchange, carried out by the runner over real SSH between
//! three sshd sandboxes standing in for the two nodes and the qnetd machine (each with an
//! /etc/corosync of its own), with the real corosync-qnetd-certutil and
//! corosync-qdevice-net-certutil: both nodes end up trusting qnetd's CA and holding a cluster
//! certificate it signed; a second run changes nothing; a new qnetd CA (the machine replaced)
//! makes the next run sign again, keeping the old database in /var/backups/tandem.

use crate::common;

use common::sshd::{self, Sshd};
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use wizard_steps::facts::NodeFacts;
use wizard_steps::plan::{Phase, PhaseKind, Plan, plan};
use wizard_steps::remote::{Auth, ConnectOptions, Endpoint, HostKeyTrust, Secret, Session, Sudo};
use wizard_steps::run::{Runner, Secrets, Summary};

/// The nodes' certificate database, as corosync-qdevice reads it.
const NODE_DB: &str = "/etc/corosync/qdevice/net/nssdb";

async fn root_session(server: &Sshd, trust_dir: &TempDir) -> Session {
    Session::connect(
        Endpoint {
            host: "127.0.0.1".into(),
            port: server.port,
            user: sshd::USER.into(),
        },
        Auth::KeyFile {
            path: server.client_key(),
            passphrase: None,
        },
        HostKeyTrust {
            pinned: trust_dir.path().join("known_hosts"),
            user_known_hosts: None,
            accept: Some(server.host_fingerprint()),
        },
        ConnectOptions {
            sudo: Some(Sudo::Password(Secret::new(sshd::PASSWORD))),
            ..ConnectOptions::default()
        },
    )
    .await
    .expect("connects")
}

/// The lab's plan, reduced to the exchange step (qnetd's own installation and service need a
/// real machine: the testbed).
fn exchange_plan() -> Plan {
    let design = common::design(&common::example_profile("lab"));
    let full = plan(&design, &<[NodeFacts; 2]>::default());
    let step = full
        .steps()
        .map(|(_, step)| step)
        .find(|step| step.id == "qdevice-certificates")
        .expect("the lab's plan exchanges the quorum device's certificates")
        .clone();
    Plan {
        phases: vec![Phase {
            kind: PhaseKind::QuorumDevice,
            title: "Quorum device".into(),
            one_node_at_a_time: false,
            steps: vec![step],
        }],
        ..full
    }
}

async fn run(plan: &Plan, nodes: &mut [Session; 2], qnetd: &Session) -> Summary {
    let design = common::design(&common::example_profile("lab"));
    let (events, mut received) = mpsc::unbounded_channel();
    let runner = Runner {
        plan,
        design: &design,
        secrets: &Secrets::new(),
        events,
        cancel: CancellationToken::new(),
        poll_interval: std::time::Duration::from_millis(100),
        quorum_device: Some(qnetd),
    };
    let summary = runner.run(nodes).await;
    drop(runner);
    let mut failures = Vec::new();
    while let Some(event) = received.recv().await {
        if let wizard_steps::run::Event::StepFailed {
            message,
            output_tail,
            ..
        } = event
        {
            failures.push(format!("{message}\n{}", output_tail.join("\n")));
        }
    }
    assert!(failures.is_empty(), "the exchange failed: {failures:#?}");
    summary
}

async fn output(session: &Session, command: &str) -> String {
    let output = session.output(command).await.expect("runs");
    assert!(
        output.status.success(),
        "{command}: {}{}",
        output.stdout,
        output.stderr
    );
    output.stdout
}

#[tokio::test]
async fn the_runner_gives_both_nodes_a_certificate_signed_by_qnetd() {
    for tool in [
        "corosync-qnetd-certutil",
        "corosync-qdevice-net-certutil",
        "certutil",
    ] {
        common::require_tool(tool);
    }
    let private = ["/etc/corosync"];
    let servers = [
        Sshd::start_with_private(&private),
        Sshd::start_with_private(&private),
    ];
    let qnetd_server = Sshd::start_with_private(&private);
    let trust = TempDir::new().expect("temporary directory");
    let mut nodes = [
        root_session(&servers[0], &trust).await,
        root_session(&servers[1], &trust).await,
    ];
    let qnetd = root_session(&qnetd_server, &trust).await;
    // What the plan's qnetd-ready step does after installing corosync-qnetd: its CA.
    output(&qnetd, "corosync-qnetd-certutil -i >/dev/null").await;
    let plan = exchange_plan();

    let first = run(&plan, &mut nodes, &qnetd).await;
    assert_eq!((first.changed, first.failed), (1, 0), "{first:?}");
    let ca = output(&qnetd, "cat /etc/corosync/qnetd/nssdb/qnetd-cacert.crt").await;
    for node in &nodes {
        // The node's client certificate is valid for TLS client use, by the CA it trusts...
        let verified = output(
            node,
            &format!("certutil -V -u C -n 'Cluster Cert' -d {NODE_DB}"),
        )
        .await;
        assert!(verified.contains("certificate is valid"), "{verified}");
        // ... which is qnetd's, and the certificate names the cluster.
        let trusted = output(node, &format!("certutil -L -d {NODE_DB} -n 'QNet CA' -a")).await;
        // qnetd's export has a text dump of the certificate before its PEM block.
        let body = |text: &str| -> String {
            text.lines()
                .skip_while(|line| !line.starts_with("-----BEGIN"))
                .filter(|line| !line.starts_with("-----"))
                .collect::<String>()
        };
        assert_eq!(body(&trusted), body(&ca));
        let subject = output(node, &format!("certutil -L -d {NODE_DB} -n 'Cluster Cert'")).await;
        assert!(subject.contains("CN=lab"), "{subject}");
    }

    let again = run(&plan, &mut nodes, &qnetd).await;
    assert_eq!((again.changed, again.already_done), (0, 1), "{again:?}");

    // The qnetd machine is replaced: a new CA. The next run signs anew; the nodes' old
    // databases are kept.
    output(
        &qnetd,
        "rm -rf /etc/corosync/qnetd/nssdb && corosync-qnetd-certutil -i >/dev/null",
    )
    .await;
    let replaced = run(&plan, &mut nodes, &qnetd).await;
    assert_eq!(replaced.changed, 1, "{replaced:?}");
    for server in &servers {
        let kept: Vec<String> =
            std::fs::read_dir(server.backups().join("tandem/etc/corosync/qdevice/net"))
                .expect("the nodes' old databases are kept")
                .map(|entry| {
                    entry
                        .expect("an entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
        assert!(
            kept.iter().any(|name| name.starts_with("nssdb.")),
            "{kept:?}"
        );
    }
    for session in nodes.into_iter().chain([qnetd]) {
        session.close().await;
    }
}
