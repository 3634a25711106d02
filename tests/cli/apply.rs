//! `tandem apply` as a user runs it, against two sandboxed sshd "nodes": an unknown host key
//! stops it before anything happens, a confirmed one is pinned, sudo's password comes from the
//! environment, and the read-only preflight refuses nodes that do not match the profile —
//! nothing is changed, and the journal becomes a report that says why. (A full apply runs
//! against real nodes: the testbed.)

use crate::common;

use std::fs;
use std::path::Path;

use common::sshd::{self, Sshd};
use tempfile::TempDir;

/// `tandem VERB PROFILE` on the sandboxes: known_hosts in `dir`, the sudo passwords from the
/// environment, the `accept`ed host keys, no terminal.
fn tandem(verb: &str, profile: &Path, dir: &Path, accept: &[String]) -> std::process::Command {
    let mut command = common::tandem();
    command
        .arg(verb)
        .arg(profile)
        .arg("--known-hosts")
        .arg(dir.join("known_hosts"))
        .env("TANDEM_SUDO_PASSWORD_NODE1", sshd::PASSWORD)
        .env("TANDEM_SUDO_PASSWORD_NODE2", sshd::PASSWORD)
        .stdin(std::process::Stdio::null());
    for fingerprint in accept {
        command.arg("--accept-host-key").arg(fingerprint);
    }
    command
}

fn apply(profile: &Path, dir: &Path, accept: &[String]) -> std::process::Output {
    common::run(
        tandem("apply", profile, dir, accept)
            .arg("--runs-dir")
            .arg(dir.join("runs")),
    )
}

#[test]
fn apply_refuses_unknown_host_keys_then_preflight_stops_a_mismatched_node_without_changes() {
    let servers = [Sshd::start(), Sshd::start()];
    let dir = TempDir::new().expect("temporary directory");
    let profile = sshd::seed_profile_for(&servers, dir.path());

    let refused = apply(&profile, dir.path(), &[]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!(
            "--accept-host-key {}",
            servers[0].host_fingerprint()
        )),
        "{stderr}"
    );
    assert!(
        !dir.path().join("known_hosts").exists(),
        "nothing pinned without confirmation"
    );

    let accept: Vec<String> = servers.iter().map(Sshd::host_fingerprint).collect();
    let stopped = apply(&profile, dir.path(), &accept);
    let stdout = String::from_utf8_lossy(&stopped.stdout);
    assert_eq!(
        stopped.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    assert!(stdout.contains("== Preflight (read-only)"), "{stdout}");
    assert!(
        stdout.contains("XX node1    hostname"),
        "the sandbox is not node1:\n{stdout}"
    );
    assert!(stdout.contains("volume group"), "{stdout}");
    assert!(stdout.contains("nothing was changed"), "{stdout}");
    assert!(!stdout.contains("== Packages"), "no phase ran:\n{stdout}");
    let (pinned, known_hosts) = sshd::pinned_keys(dir.path());
    assert_eq!(pinned, 2, "{known_hosts}");

    // The journal of the stopped run becomes a report with the preflight table.
    let report = dir.path().join("report.md");
    let journal = fs::read_dir(dir.path().join("runs"))
        .expect("runs")
        .next()
        .expect("a journal")
        .expect("entry")
        .path();
    let output = common::run(
        common::tandem()
            .arg("report")
            .arg(&journal)
            .args(["--format", "md", "--out"])
            .arg(&report),
    );
    common::assert_success(&output, "tandem report");
    let markdown = fs::read_to_string(&report).expect("report");
    assert!(markdown.contains("## Preflight"), "{markdown}");
    assert!(
        markdown.contains("| node1 | hostname | ERROR |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("Unfinished"),
        "no step ran, so no final event:\n{markdown}"
    );
}

fn status(profile: &Path, dir: &Path, accept: &[String]) -> std::process::Output {
    common::run(&mut tandem("status", profile, dir, accept))
}

/// Status matters most when a node is down: `tandem status` says which node does not answer
/// and reads the cluster from the other; with neither, it fails saying so.
#[test]
fn status_reads_the_node_that_answers_and_names_the_one_that_does_not() {
    let servers = [Sshd::start(), Sshd::start()];
    let dir = TempDir::new().expect("temporary directory");
    let profile = sshd::seed_profile_for(&servers, dir.path());
    let accept: Vec<String> = servers.iter().map(Sshd::host_fingerprint).collect();
    let [up, down] = servers;
    drop(down);

    let output = status(&profile, dir.path(), &accept);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("Cluster \"seed\"\n"), "{stdout}");
    assert!(stdout.contains("\n  UNREACHABLE node2: "), "{stdout}");
    assert!(!stdout.contains("UNREACHABLE node1"), "{stdout}");
    // The sandbox is no cluster node: node1 answered, Pacemaker on it did not.
    assert!(
        stdout.contains("the cluster does not answer on node1"),
        "{stdout}"
    );

    drop(up);
    let output = status(&profile, dir.path(), &accept);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("neither node answers"), "{stderr}");
    assert!(
        stderr.contains("node1: ") && stderr.contains("node2: "),
        "{stderr}"
    );
}
