//! The wizard's path to real nodes: the pages' buttons, the effects the window would run as
//! tasks (awaited here), and two real OpenSSH servers sandboxed on 127.0.0.1 as the nodes.
//! Nothing on the machine running the tests changes.

mod common;

use common::sshd::{self, Sshd};
use common::wizard::{app_in, click, settle, shows, type_into};
use tandem::gui::{Effect, Message, Page};
use tandem::screens::nodes::{self, Link};
use tandem::screens::welcome;
use tempfile::TempDir;

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
