//! The wizard's path to real nodes: the pages' buttons, the effects the window would run as
//! tasks (awaited here), and two real OpenSSH servers sandboxed on 127.0.0.1 as the nodes.
//! Nothing on the machine running the tests changes.

// Test helpers fail the test by panicking, inside and outside #[test] functions alike.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod keyboard;

use common::sshd::{self, Sshd};
use common::wizard::{app_in, click, settle, settle_files, shows, shows_part, type_into};
use tandem::gui::{App, Effect, Message};
use tandem::screens::nodes::{self, Link};
use tandem::screens::welcome;
use tempfile::TempDir;
use wizard_steps::pages::Page;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_confirms_the_host_key_asks_for_sudo_and_shows_the_node() {
    let servers = [Sshd::start(), Sshd::start()];
    let dir = TempDir::new().expect("temporary directory");
    let (mut app, edge) = open_sandbox_profile(&servers, &dir).await;
    assert_eq!(app.page, Page::Nodes);

    for (index, server) in servers.iter().enumerate() {
        settle(
            &mut app,
            &edge,
            Message::Nodes(nodes::Message::ConnectPressed(index)),
        )
        .await;
        let fingerprint = server.host_fingerprint();
        assert_eq!(
            app.nodes.link(index),
            &Link::ConfirmHostKey {
                fingerprint: fingerprint.clone()
            },
            "an unknown key is shown, never accepted silently"
        );
        assert!(shows(&app, &fingerprint), "the fingerprint is on the page");
        assert!(
            !dir.path().join("known_hosts").exists()
                || !std::fs::read_to_string(dir.path().join("known_hosts"))
                    .unwrap_or_default()
                    .contains(&format!("[127.0.0.1]:{}", server.port)),
            "nothing is pinned before the confirmation"
        );

        click(&mut app, &edge, "Trust this key and connect").await;
        assert_eq!(
            app.nodes.link(index),
            &Link::NeedsSecret(nodes::SecretKind::SudoPassword),
            "the sandbox's sudo wants the password"
        );

        type_into(
            &mut app,
            &edge,
            &format!("node{index}-secret"),
            sshd::PASSWORD,
        )
        .await;
        click(&mut app, &edge, "Connect").await;
        assert_eq!(app.nodes.link(index), &Link::Connected);
        let facts = app.nodes.facts()[index].expect("what the node has");
        assert!(facts.memory_mib > 0, "{facts:?}");
        assert!(
            facts.nics.iter().any(|nic| nic.name == "lo"),
            "{:?}",
            facts.nics
        );
        assert!(shows(&app, "Connected"));
        assert!(
            shows(&app, &facts.hostname),
            "the hostname it reported is shown"
        );
    }
    let (pinned, known_hosts) = sshd::pinned_keys(dir.path());
    assert_eq!(pinned, 2, "{known_hosts}");

    // On to the Review page: its read-only preflight runs over the same sessions, and finds
    // that the sandboxes are not the profile's node1 and node2.
    for _ in 0..5 {
        settle(&mut app, &edge, Message::NextPressed).await;
    }
    assert_eq!(app.page, Page::Review, "{}", app.blocked_reason());
    assert!(
        !app.review.can_start(),
        "a node with the wrong hostname blocks the run"
    );
    assert!(!app.can_continue());
}

/// "Manage cluster" from Welcome reaches both nodes through the same connection flow (host keys
/// confirmed, the sudo password asked), then reads the cluster over the sessions. The sandboxes
/// run no cluster: the page says so instead of showing stale or empty tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manage_cluster_connects_both_nodes_and_reads_the_cluster() {
    let servers = [Sshd::start(), Sshd::start()];
    let dir = TempDir::new().expect("temporary directory");
    let profile = sshd::seed_profile_for(&servers, dir.path());
    let (mut app, edge) = app_in(dir.path());
    settle(
        &mut app,
        &edge,
        Message::Welcome(welcome::Message::ManagePressed(profile)),
    )
    .await;
    assert_eq!(app.page, Page::Manage);
    for (index, server) in servers.iter().enumerate() {
        assert_eq!(
            app.nodes.link(index),
            &Link::ConfirmHostKey {
                fingerprint: server.host_fingerprint()
            }
        );
    }
    for index in 0..2 {
        // The first card still asking is the one clicked.
        click(&mut app, &edge, "Trust this key and connect").await;
        assert_eq!(
            app.nodes.link(index),
            &Link::NeedsSecret(nodes::SecretKind::SudoPassword)
        );
        type_into(
            &mut app,
            &edge,
            &format!("node{index}-secret"),
            sshd::PASSWORD,
        )
        .await;
        click(&mut app, &edge, "Connect").await;
        assert_eq!(app.nodes.link(index), &Link::Connected);
    }
    assert!(app.both_connected());
    let status = app
        .manage
        .status
        .as_ref()
        .expect("the cluster was read once both nodes were connected");
    assert!(status.cluster.nodes.is_empty(), "{status:?}");
    assert!(shows(
        &app,
        "The cluster does not answer: are corosync and pacemaker running on the nodes?"
    ));
    assert!(
        !shows(&app, "Run the failover drill…"),
        "no maintenance without a cluster"
    );
    click(&mut app, &edge, "Refresh").await;
    assert_eq!(app.manage.read_error, None);
}

/// A node that is down is when an administrator opens the page: the other node's view of the
/// cluster is read and shown, and the dead node's card says why it is not connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manage_cluster_reads_the_cluster_from_the_node_that_answers() {
    let servers = [Sshd::start(), Sshd::start()];
    let dir = TempDir::new().expect("temporary directory");
    let profile = sshd::seed_profile_for(&servers, dir.path());
    let [up, down] = servers;
    drop(down);
    let (mut app, edge) = app_in(dir.path());
    settle(
        &mut app,
        &edge,
        Message::Welcome(welcome::Message::ManagePressed(profile)),
    )
    .await;
    assert!(
        matches!(app.nodes.link(1), Link::Failed(_)),
        "{:?}",
        app.nodes.link(1)
    );
    assert_eq!(
        app.nodes.link(0),
        &Link::ConfirmHostKey {
            fingerprint: up.host_fingerprint()
        }
    );
    click(&mut app, &edge, "Trust this key and connect").await;
    type_into(&mut app, &edge, "node0-secret", sshd::PASSWORD).await;
    click(&mut app, &edge, "Connect").await;
    assert_eq!(app.nodes.link(0), &Link::Connected);
    assert!(!app.both_connected());
    let status = app
        .manage
        .status
        .as_ref()
        .expect("the cluster was read from node1");
    assert_eq!(status.drbd.len(), 1, "{status:?}");
    assert_eq!(status.drbd[0].node, "node1");
    assert!(shows(
        &app,
        "Only node1 is connected: this is the cluster as it sees it. Maintenance and split-brain \
         recovery need both nodes: connect to node2 (above)."
    ));
}

/// A profile with a quorum device: the Review page connects to the device's machine through
/// the nodes' flow (its host key confirmed, its sudo password asked), and only then does the
/// plan's qnetd work stop blocking the run. Editing how the machine is reached drops the
/// session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_page_connects_the_quorum_device_machine() {
    use tandem::screens::cluster;
    let servers = [Sshd::start(), Sshd::start()];
    let third = Sshd::start();
    // The administrator's key (node 1's, which the Cluster page offers) is on the machine too.
    let authorized = third.dir().join("authorized_keys");
    let mut keys = std::fs::read_to_string(&authorized).expect("authorized_keys");
    keys.push_str(
        &std::fs::read_to_string(servers[0].client_key().with_extension("pub")).expect("key"),
    );
    std::fs::write(&authorized, keys).expect("authorized_keys");
    let dir = TempDir::new().expect("temporary directory");
    let (mut app, edge) = open_sandbox_profile(&servers, &dir).await;
    for (index, server) in servers.iter().enumerate() {
        connect_sandbox(&mut app, &edge, index, server).await;
    }
    for _ in 0..4 {
        settle(&mut app, &edge, Message::NextPressed).await;
    }
    assert_eq!(app.page, Page::Cluster, "{}", app.blocked_reason());
    for message in [
        cluster::Message::QuorumDeviceToggled(true),
        cluster::Message::QuorumAddressChanged("192.168.1.3".into()),
        cluster::Message::QuorumSshHostChanged("127.0.0.1".into()),
        cluster::Message::QuorumSshPortChanged(third.port.to_string()),
        cluster::Message::QuorumSshUserChanged(sshd::USER.into()),
    ] {
        settle(&mut app, &edge, Message::Cluster(message)).await;
    }
    settle(&mut app, &edge, Message::NextPressed).await;
    assert_eq!(app.page, Page::Review, "{}", app.blocked_reason());
    let not_connected = "the quorum device's machine 127.0.0.1 is not connected";
    assert!(shows_part(&app, "The quorum device's machine ("));
    assert!(shows_part(&app, not_connected));

    click(&mut app, &edge, "Connect").await;
    let fingerprint = third.host_fingerprint();
    assert_eq!(
        app.nodes.link(nodes::QUORUM_DEVICE),
        &Link::ConfirmHostKey {
            fingerprint: fingerprint.clone()
        }
    );
    assert!(shows(&app, "This machine's host key is not known yet:"));
    click(&mut app, &edge, "Trust this key and connect").await;
    assert_eq!(
        app.nodes.link(nodes::QUORUM_DEVICE),
        &Link::NeedsSecret(nodes::SecretKind::SudoPassword)
    );
    type_into(&mut app, &edge, "node2-secret", sshd::PASSWORD).await;
    click(&mut app, &edge, "Connect").await;
    assert_eq!(app.nodes.link(nodes::QUORUM_DEVICE), &Link::Connected);
    let (pinned, known_hosts) = sshd::pinned_keys(dir.path());
    assert_eq!(pinned, 3, "{known_hosts}");
    // Connected, the page has checked again: the machine is no longer in the way.
    assert!(shows(&app, "Connected"));
    assert!(
        !shows_part(&app, not_connected),
        "the check ran again with the quorum device's machine"
    );
    // The node names of the sandboxes still block the run (they are not node1 and node2).
    assert!(!app.review.can_start());

    // How the machine is reached changes: the session no longer counts.
    settle(&mut app, &edge, Message::PageSelected(Page::Cluster)).await;
    let effects = app.handle(Message::Cluster(cluster::Message::QuorumSshUserChanged(
        "root".into(),
    )));
    assert!(
        effects
            .iter()
            .any(|effect| matches!(effect, Effect::Disconnect(nodes::QUORUM_DEVICE))),
        "{effects:?}"
    );
    assert_eq!(app.nodes.link(nodes::QUORUM_DEVICE), &Link::NotConnected);
}

/// The seed profile pointed at the sandboxes, opened from the Welcome page in a wizard that
/// keeps its files in `dir`.
async fn open_sandbox_profile(
    servers: &[Sshd; 2],
    dir: &TempDir,
) -> (App, std::sync::Arc<tandem::gui::edge::Edge>) {
    let profile = sshd::seed_profile_for(servers, dir.path());
    let (mut app, edge) = app_in(dir.path());
    settle(
        &mut app,
        &edge,
        Message::Welcome(welcome::Message::OpenPressed(profile)),
    )
    .await;
    (app, edge)
}

/// Connects to a sandboxed node as the administrator does: Connect, trust the host key, the
/// sudo password.
async fn connect_sandbox(
    app: &mut App,
    edge: &std::sync::Arc<tandem::gui::edge::Edge>,
    index: usize,
    server: &Sshd,
) {
    settle(
        app,
        edge,
        Message::Nodes(nodes::Message::ConnectPressed(index)),
    )
    .await;
    assert_eq!(
        app.nodes.link(index),
        &Link::ConfirmHostKey {
            fingerprint: server.host_fingerprint()
        }
    );
    settle(
        app,
        edge,
        Message::Nodes(nodes::Message::TrustPressed(index)),
    )
    .await;
    type_into(app, edge, &format!("node{index}-secret"), sshd::PASSWORD).await;
    settle(
        app,
        edge,
        Message::Nodes(nodes::Message::SecretSubmitted(index)),
    )
    .await;
    assert_eq!(app.nodes.link(index), &Link::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_host_key_is_refused_with_both_fingerprints() {
    let mut server = Sshd::start();
    let other = Sshd::start();
    let dir = TempDir::new().expect("temporary directory");
    let servers = [Sshd::start(), Sshd::start()];
    let profile = sshd::seed_profile_for(&servers, dir.path());
    drop(servers);
    // Pin the other server's key for this server's address: as if the node was replaced.
    std::fs::write(
        dir.path().join("known_hosts"),
        format!(
            "[127.0.0.1]:{} {}\n",
            server.port,
            other.host_public_key().trim()
        ),
    )
    .expect("known_hosts");
    let (mut app, edge) = app_in(dir.path());
    settle(
        &mut app,
        &edge,
        Message::Welcome(welcome::Message::OpenPressed(profile)),
    )
    .await;
    settle(
        &mut app,
        &edge,
        Message::Nodes(nodes::Message::PortChanged(0, server.port.to_string())),
    )
    .await;
    settle(
        &mut app,
        &edge,
        Message::Nodes(nodes::Message::ConnectPressed(0)),
    )
    .await;
    let Link::Failed(why) = app.nodes.link(0).clone() else {
        panic!("refused: {:?}", app.nodes.link(0));
    };
    assert!(why.contains("CHANGED"), "{why}");
    assert!(why.contains(&server.host_fingerprint()), "{why}");
    assert!(shows(&app, &why), "the refusal is on the page");
    server.stop();
}

#[test]
fn effects_that_need_the_window_have_no_message_of_their_own() {
    let dir = TempDir::new().expect("temporary directory");
    let (_, edge) = app_in(dir.path());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let message = runtime.block_on(Effect::Focus { backwards: false }.perform(edge));
    assert!(message.is_none());
}

/// Every page drawn as the administrator first sees it (the top of the page, in both themes, at
/// 800×600 and 1280×800), compared with the reviewed pixel snapshot in tests/snapshots/ (a SHA-256 of the
/// pixels; tiny-skia draws the same pixels on every machine with the same fonts).
/// `TANDEM_UPDATE_SNAPSHOTS=1` rewrites them and leaves PNGs in target/snapshots/ to look at.
#[test]
fn every_page_looks_as_reviewed() {
    let mut shots = Vec::new();
    every_page(&mut |page, app, _| shoot(&mut shots, page, app));
    let mismatched: Vec<&str> = shots
        .iter()
        .filter(|(name, pixels)| !matches_reviewed(name, pixels))
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(
        mismatched.is_empty(),
        "these pages no longer look as reviewed: {mismatched:?}. Look at them with \
         TANDEM_UPDATE_SNAPSHOTS=1 cargo test --test wizard every_page (PNGs in \
         target/snapshots/) and commit the new tests/snapshots/ when they are right"
    );
}

/// Brings the wizard to each of its pages as the administrator first sees them, the seed
/// cluster's with what its nodes report, and the Run and Done pages replaying a real run on the
/// testbed, and hands each to `visit` with its name.
fn every_page(visit: &mut dyn FnMut(&str, &mut App, &std::sync::Arc<tandem::gui::edge::Edge>)) {
    use tandem::screens::{review, run};
    use wizard_steps::access::Preflight;
    use wizard_steps::facts::{self, LocalFacts};

    // What the gather script finds on a fresh node1 of the seed cluster, and the volume
    // groups the discovery script lists for the Storage page.
    let node1 = format!(
        "{}group=virtuals 200000 119000\n\
         group_volume=virtuals Win2012 40960 \n\
         group_volume=virtuals Win2012-2 40960 \n",
        include_str!("../fixtures/facts/seed-node1.txt")
    );
    let node_facts = [
        facts::parse(&node1),
        facts::parse(
            &node1
                .replace("hostname=node1", "hostname=node2")
                .replace("machine_id=6d2a", "machine_id=71b3")
                .replace("eth0 192.168.1.1/24", "eth0 192.168.1.2/24"),
        ),
    ];
    let dir = TempDir::new().expect("temporary directory");
    let (mut app, edge) = app_in(dir.path());
    visit("welcome", &mut app, &edge);

    let profile = common::example_profile("seed");
    settle_files(
        &mut app,
        &edge,
        Message::Welcome(welcome::Message::OpenPressed(profile)),
    );
    for (index, found) in node_facts.iter().enumerate() {
        // Connect pressed (the connection is left to the test), then the node's answer.
        app.handle(Message::Nodes(nodes::Message::ConnectPressed(index)));
        app.handle(Message::Nodes(nodes::Message::Connected(
            index,
            Box::new(Ok(found.clone())),
        )));
    }
    visit("nodes", &mut app, &edge);
    for page in ["network", "storage", "vms", "cluster"] {
        app.handle(Message::NextPressed);
        assert_eq!(
            app.page.title().to_lowercase(),
            page,
            "{}",
            app.blocked_reason()
        );
        visit(page, &mut app, &edge);
    }
    app.handle(Message::NextPressed);
    assert_eq!(app.page, Page::Review);
    let design = wizard_steps::validate(&app.profile).expect("valid");
    let findings = facts::evaluate(&design, &node_facts, &LocalFacts::default());
    let plan = wizard_steps::plan::plan(&design, &node_facts);
    let checked = review::Checked::new(
        Preflight {
            facts: node_facts.clone(),
            findings,
            plan,
        },
        false,
    );
    app.handle(Message::Review(review::Message::Checked(Ok(checked))));
    visit("review", &mut app, &edge);

    // The Run and Done pages replay the journal of a real run on the testbed, with the
    // testbed's profile open as it was when the run was recorded: without fencing or a quorum
    // device (the recorded cluster has neither).
    let template =
        std::fs::read_to_string(common::repo_root().join("tests/testbed/testbed.toml.in"))
            .expect("the testbed profile");
    let template = common::testbed_without_fencing(&template);
    let testbed = dir.path().join("testbed.toml");
    std::fs::write(
        &testbed,
        template
            .replace("@PORT1@", "2201")
            .replace("@PORT2@", "2202")
            .replace("@PORTQ@", "2203")
            .replace("@QNETD@", "10.0.2.100")
            .replace("@KEY@", "/root/.ssh/id_ed25519")
            .replace("@DEBIAN@", "13"),
    )
    .expect("write the profile");
    // Back to the Welcome page, where a profile is opened.
    settle_files(&mut app, &edge, Message::WelcomePressed);
    settle_files(
        &mut app,
        &edge,
        Message::Welcome(welcome::Message::OpenPressed(testbed)),
    );
    assert!(app.problems.0.is_empty(), "{}", app.problems);
    assert_eq!(
        app.profile.cluster.name, "testbed",
        "the testbed profile is open"
    );
    let recording = common::repo_root().join("tests/recordings/testbed-resumed-run.jsonl");
    let entries = wizard_steps::journal::read(&recording).expect("the recording");
    app.run = run::State::started("/var/lib/tandem/runs/testbed.jsonl".into());
    app.page = Page::Run;
    let middle = entries
        .iter()
        .position(|entry| {
            matches!(&entry.event, wizard_steps::run::Event::Progress { percent, .. } if *percent >= 50.0)
        })
        .expect("a sync half way");
    for (index, entry) in entries.into_iter().enumerate() {
        app.handle(Message::Run(run::Message::Event(Box::new(entry.event))));
        if index == middle {
            visit("run-syncing", &mut app, &edge);
        }
    }
    visit("run-finished", &mut app, &edge);
    app.handle(Message::Run(run::Message::EventsEnded));
    assert_eq!(app.page, Page::Done);
    visit("done", &mut app, &edge);

    // Manage cluster: the seed's cluster as the real crm_mon reports it, vm2's DRBD split.
    settle_files(&mut app, &edge, Message::WelcomePressed);
    settle_files(
        &mut app,
        &edge,
        Message::Welcome(welcome::Message::ManagePressed(common::example_profile(
            "seed",
        ))),
    );
    for (index, found) in node_facts.iter().enumerate() {
        // Manage cluster pressed Connect already: the node's answer.
        app.handle(Message::Nodes(nodes::Message::Connected(
            index,
            Box::new(Ok(found.clone())),
        )));
    }
    let crm_mon = include_str!("../fixtures/crm_mon/seed-at-home.xml");
    let resource =
        |node: &str, name: &str, connection: &str| wizard_steps::cluster_state::NodeDrbd {
            node: node.into(),
            resources: vec![wizard_steps::cluster_state::DrbdResource {
                name: name.into(),
                role: "Primary".into(),
                peer_role: "Unknown".into(),
                connection: connection.into(),
                disk: "UpToDate".into(),
                peer_disk: "DUnknown".into(),
                sync_percent: None,
            }],
        };
    let status = wizard_steps::manage::Status {
        cluster: wizard_steps::cluster_state::parse_crm_mon(crm_mon).expect("crm_mon XML"),
        drbd: vec![
            resource("node1", "Win2012-2", "StandAlone"),
            resource("node2", "Win2012-2", "StandAlone"),
        ],
        votes: Vec::new(),
    };
    app.handle(Message::Manage(tandem::screens::manage::Message::Read(Ok(
        status,
    ))));
    assert_eq!(app.page, Page::Manage);
    visit("manage", &mut app, &edge);
}

/// The page as the administrator first sees it, in both themes, in the smallest window the
/// wizard allows for (800×600) and a common laptop one (1280×800).
fn shoot(shots: &mut Vec<(String, iced_test::simulator::Snapshot)>, page: &str, app: &App) {
    for (theme, theme_name) in [(iced::Theme::Light, "light"), (iced::Theme::Dark, "dark")] {
        for (width, height) in [(800.0, 600.0), (1280.0, 800.0)] {
            let snapshot = iced_test::Simulator::with_size(
                iced::Settings::default(),
                (width, height),
                app.view(),
            )
            .snapshot(&theme)
            .expect("the page draws");
            shots.push((format!("{page}-{theme_name}-{width}x{height}"), snapshot));
        }
    }
}

fn matches_reviewed(name: &str, snapshot: &iced_test::simulator::Snapshot) -> bool {
    let reviewed = common::repo_root().join("tests/snapshots").join(name);
    let hash_file = common::repo_root()
        .join("tests/snapshots")
        .join(format!("{name}-tiny-skia.sha256"));
    if std::env::var_os("TANDEM_UPDATE_SNAPSHOTS").is_some() {
        let _ = std::fs::remove_file(&hash_file);
        let png = common::repo_root().join("target/snapshots").join(name);
        let _ = std::fs::remove_file(png.with_file_name(format!("{name}-tiny-skia.png")));
        snapshot.matches_image(&png).expect("PNG written");
    } else {
        assert!(
            hash_file.is_file(),
            "{} is missing: make it with TANDEM_UPDATE_SNAPSHOTS=1",
            hash_file.display()
        );
    }
    snapshot
        .matches_hash(&reviewed)
        .expect("the snapshot compares")
}
