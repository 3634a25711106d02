//! Live migration's trust between the nodes, by the real tools: the forced command that is all
//! the peer's migration key may run (run by /bin/sh with a stand-in `xl` that records what it
//! got), and root's SSH client settings as OpenSSH itself evaluates them (`ssh -G`, which
//! resolves the configuration without connecting).

use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;
use wizard_steps::render::{Platform, paths, render};

fn rendered(path: &str, node: usize) -> String {
    let design = common::design(&common::test_profile("live-migration"));
    let rendered = render(&design, Platform::for_design(&design));
    rendered.nodes[node]
        .file(path)
        .unwrap_or_else(|| panic!("{path} is rendered"))
        .contents
        .clone()
}

/// Runs the forced command as sshd would for a client that asked to run `requested`; whether it
/// let the command through, and the arguments the stand-in `xl` received.
fn forced_command(dir: &Path, requested: Option<&str>) -> (bool, Option<String>) {
    let received = dir.join("xl-received");
    let _ = fs::remove_file(&received);
    let mut command = Command::new("/bin/sh");
    command.arg(dir.join("tandem-migrate-receive")).env(
        "PATH",
        format!(
            "{}:{}",
            dir.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    match requested {
        Some(requested) => command.env("SSH_ORIGINAL_COMMAND", requested),
        None => command.env_remove("SSH_ORIGINAL_COMMAND"),
    };
    let output = common::run(&mut command);
    (output.status.success(), fs::read_to_string(&received).ok())
}

#[test]
fn the_peers_migration_key_can_only_receive_a_migration() {
    let dir = TempDir::new().expect("temporary directory");
    fs::write(
        dir.path().join("tandem-migrate-receive"),
        rendered(paths::MIGRATE_RECEIVE, 0),
    )
    .expect("write the forced command");
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).expect("bin");
    let xl = bin.join("xl");
    fs::write(
        &xl,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" > {}\n",
            dir.path().join("xl-received").display()
        ),
    )
    .expect("the stand-in xl");
    fs::set_permissions(&xl, fs::Permissions::from_mode(0o755)).expect("chmod");

    // What `xl migrate` runs on the receiving side, with the flags it may add.
    for (requested, arguments) in [
        ("xl migrate-receive", "migrate-receive"),
        ("xl migrate-receive -e", "migrate-receive -e"),
        (
            "xl -vv migrate-receive -e -d -p",
            "-vv migrate-receive -e -d -p",
        ),
    ] {
        assert_eq!(
            forced_command(dir.path(), Some(requested)),
            (true, Some(format!("{arguments}\n"))),
            "{requested}"
        );
    }
    // The link check.
    assert_eq!(forced_command(dir.path(), Some("true")), (true, None));
    // Everything else, including a login and tricks with the shell.
    for requested in [
        None,
        Some(""),
        Some("sh"),
        Some("xl destroy vm1"),
        Some("xl create /etc/xen/vm1.cfg"),
        Some("xl migrate-receive; touch /tmp/owned"),
        Some("xl migrate-receive $(touch /tmp/owned)"),
        Some("xl migrate-receive *"),
        Some("xl migrate-receive migrate-receive"),
        Some("true; xl destroy vm1"),
        Some("/usr/sbin/xl migrate-receive"),
    ] {
        assert_eq!(
            forced_command(dir.path(), requested),
            (false, None),
            "{requested:?} was let through"
        );
    }
}

#[test]
fn root_reaches_the_peer_over_the_private_link_with_the_pinned_key_only() {
    common::require_tool("ssh");
    let dir = TempDir::new().expect("temporary directory");
    let config = dir.path().join("tandem-migration.conf");
    fs::write(&config, rendered(paths::MIGRATION_SSH_CONFIG, 0)).expect("write the settings");
    let evaluated = |host: &str| -> String {
        let output = common::run(
            Command::new("ssh")
                .arg("-G")
                .arg("-F")
                .arg(&config)
                .arg(host),
        );
        common::assert_success(&output, "ssh -G");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let setting = |text: &str, key: &str| -> Option<String> {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{key} ")))
            .map(str::to_owned)
    };

    let to_peer = evaluated("lab2");
    // The settings are root's alone: for another user they must not apply (root's key file
    // is unreadable to them, and their own known_hosts must stay theirs).
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    if root {
        assert_eq!(
            setting(&to_peer, "hostname").as_deref(),
            Some("172.16.99.2")
        );
        assert_eq!(setting(&to_peer, "user").as_deref(), Some("root"));
        assert_eq!(
            setting(&to_peer, "identityfile").as_deref(),
            Some(paths::MIGRATION_KEY)
        );
        assert_eq!(setting(&to_peer, "identitiesonly").as_deref(), Some("yes"));
        assert_eq!(
            setting(&to_peer, "userknownhostsfile").as_deref(),
            Some(paths::MIGRATION_KNOWN_HOSTS)
        );
        assert_eq!(
            setting(&to_peer, "stricthostkeychecking").as_deref(),
            Some("true")
        );
        assert_eq!(setting(&to_peer, "batchmode").as_deref(), Some("yes"));
    } else {
        assert_eq!(setting(&to_peer, "hostname").as_deref(), Some("lab2"));
    }
    // Other hosts are left alone.
    let elsewhere = evaluated("example.org");
    assert_eq!(
        setting(&elsewhere, "hostname").as_deref(),
        Some("example.org")
    );
    assert_ne!(
        setting(&elsewhere, "identityfile").as_deref(),
        Some(paths::MIGRATION_KEY)
    );
}
