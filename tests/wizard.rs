//! The wizard's path to real nodes: the pages' buttons, the effects the window would run as
//! tasks (awaited here), and two real OpenSSH servers sandboxed on 127.0.0.1 as the nodes.
//! Nothing on the machine running the tests changes.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::sshd::{self, Sshd};
use iced_test::selector::id;
use tandem::gui::edge::{Edge, Places};
use tandem::gui::{App, Effect, Message, Page};
use tandem::screens::nodes::{self, Link};
use tandem::screens::welcome;
use tempfile::TempDir;
use wizard_steps::remote::HostKeyTrust;

fn app_in(dir: &Path) -> (App, Arc<Edge>) {
    let edge = Arc::new(Edge::new(Places {
        trust: HostKeyTrust {
            pinned: dir.join("known_hosts"),
            user_known_hosts: None,
            accept: None,
        },
        profiles: Some(dir.join("profiles")),
        recent: Some(dir.join("recent")),
        runs: Some(dir.join("runs")),
    }));
    (App::with_edge(edge.clone()), edge)
}

/// Handles a message, then performs each effect as the window's tasks would, feeding back the
/// message each one ends with, until nothing is left to do.
async fn settle(app: &mut App, edge: &Arc<Edge>, message: Message) {
    let mut pending = vec![message];
    while let Some(message) = pending.pop() {
        for effect in app.handle(message) {
            if let Some(next) = effect.perform(edge.clone()).await {
                pending.push(next);
            }
        }
    }
}

/// Clicks what the window shows now and settles every message the click produced.
async fn click(app: &mut App, edge: &Arc<Edge>, target: &str) {
    let messages: Vec<Message> = {
        let mut ui = window(app);
        ui.click(target)
            .unwrap_or_else(|error| panic!("{target}: {error}"));
        ui.into_messages().collect()
    };
    for message in messages {
        settle(app, edge, message).await;
    }
}

/// The window, tall enough to show both nodes without scrolling.
fn window(app: &App) -> iced_test::Simulator<'_, Message> {
    iced_test::Simulator::with_size(iced::Settings::default(), (1024.0, 2400.0), app.view())
}

fn shows(app: &App, text: &str) -> bool {
    window(app).find(text).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_confirms_the_host_key_asks_for_sudo_and_shows_the_node() {
    let servers = [Sshd::start(), Sshd::start()];
    let dir = TempDir::new().expect("temporary directory");
    let profile = sshd::seed_profile_for(&servers, dir.path());
    let (mut app, edge) = app_in(dir.path());
    settle(
        &mut app,
        &edge,
        Message::Welcome(welcome::Message::OpenPressed(profile)),
    )
    .await;
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

        let typed: Vec<Message> = {
            let mut ui = window(&app);
            ui.click(id(format!("node{index}-secret")))
                .expect("the password field");
            ui.typewrite(sshd::PASSWORD);
            ui.into_messages().collect()
        };
        for message in typed {
            settle(&mut app, &edge, message).await;
        }
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
    let pinned = std::fs::read_to_string(dir.path().join("known_hosts")).expect("pinned keys");
    assert_eq!(
        pinned
            .lines()
            .filter(|line| !line.trim().is_empty())
            .count(),
        2,
        "{pinned}"
    );

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
