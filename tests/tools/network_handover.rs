//! The plan's hand-over of the LAN NIC to the bridge, run for real by `sh` on copies of typical
//! Debian interfaces files (never the machine's own) and checked with ifupdown's `ifquery`, with
//! each release's shell, awk, sed and ifupdown.

use crate::common;
use crate::common::tools::Tools;

use std::fs;
use std::path::Path;

use tempfile::TempDir;
use wizard_steps::plan::{hand_over_script, nic_stanza_check};

const INSTALLER_STATIC: &str = "# The loopback network interface
source /etc/network/interfaces.d/*

auto lo eth0
iface lo inet loopback

# The primary network interface
allow-hotplug eth0
iface eth0 inet static
\taddress 192.168.1.1/24
\tgateway 192.168.1.254
\tdns-nameservers 192.168.1.254

auto eth1
iface eth1 inet dhcp
";

const NO_SOURCE_LINE: &str = "auto lo
iface lo inet loopback

allow-hotplug enp1s0
iface enp1s0 inet dhcp
";

/// Runs the hand-over on a copy of `original` and returns (new file, backup).
fn hand_over(tools: &Tools, original: &str, nic: &str) -> (TempDir, String, String) {
    let dir = TempDir::new().expect("temporary directory");
    let file = dir.path().join("interfaces");
    let backup = dir.path().join("tandem/interfaces.before-bridge");
    fs::write(&file, original).expect("write");
    let script = hand_over_script(
        nic,
        file.to_str().expect("utf-8"),
        backup.to_str().expect("utf-8"),
    );
    let output = common::run(tools.command("sh").arg("-c").arg(&script));
    common::assert_success(&output, &format!("the hand-over script ({tools})"));
    let new = fs::read_to_string(&file).expect("read");
    let kept = fs::read_to_string(&backup).expect("backup");
    (dir, new, kept)
}

/// The interfaces ifquery sees in a file (sourced files are not followed: the path is absolute).
fn ifquery_list(tools: &Tools, file: &Path) -> Vec<String> {
    let output = common::run(
        tools
            .command("ifquery")
            .args(["--list", "--allow", "auto", "-i"])
            .arg(file),
    );
    common::assert_success(&output, "ifquery --list");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn ifquery_knows(tools: &Tools, file: &Path, interface: &str) -> bool {
    common::run(tools.command("ifquery").arg("-i").arg(file).arg(interface))
        .status
        .success()
}

#[test]
fn the_nic_stanza_and_its_options_are_commented_out_and_the_rest_kept() {
    for tools in &Tools::every_release() {
        let (dir, new, backup) = hand_over(tools, INSTALLER_STATIC, "eth0");
        assert_eq!(backup, INSTALLER_STATIC, "the original is kept once");
        let file = dir.path().join("interfaces");
        assert!(
            !ifquery_knows(tools, &file, "eth0"),
            "eth0 still configured:\n{new}"
        );
        assert!(ifquery_knows(tools, &file, "eth1"), "eth1 lost:\n{new}");
        assert!(ifquery_knows(tools, &file, "lo"), "lo lost:\n{new}");
        assert_eq!(ifquery_list(tools, &file), ["lo", "eth1"], "{new}");
        // The option lines went with their stanza instead of sliding onto the previous one.
        assert!(
            new.contains("# tandem: eth0 joins the bridge: \taddress 192.168.1.1/24"),
            "{new}"
        );
        let output = common::run(tools.command("ifquery").arg("-i").arg(&file).arg("lo"));
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("address"),
            "options moved to lo:\n{new}"
        );
    }
}

#[test]
fn interfaces_d_gets_sourced_when_the_file_does_not_yet() {
    for tools in &Tools::every_release() {
        let (_dir, new, _) = hand_over(tools, NO_SOURCE_LINE, "enp1s0");
        assert!(
            new.ends_with("source /etc/network/interfaces.d/*\n"),
            "{new}"
        );
        assert!(
            !new.lines().any(|line| line.starts_with("iface enp1s0")),
            "{new}"
        );
    }
}

#[test]
fn running_it_twice_changes_nothing_more_and_keeps_the_first_backup() {
    for tools in &Tools::every_release() {
        let (dir, first, _) = hand_over(tools, INSTALLER_STATIC, "eth0");
        let file = dir.path().join("interfaces");
        let backup = dir.path().join("tandem/interfaces.before-bridge");
        let script = hand_over_script(
            "eth0",
            file.to_str().expect("utf-8"),
            backup.to_str().expect("utf-8"),
        );
        common::assert_success(
            &common::run(tools.command("sh").arg("-c").arg(&script)),
            "second run",
        );
        assert_eq!(fs::read_to_string(&file).expect("read"), first);
        assert_eq!(fs::read_to_string(&backup).expect("read"), INSTALLER_STATIC);
    }
}

/// The check that tells the hand-over is done, run by `sh` like the runner does: it sees the
/// NIC's own stanza before and none after, and never matches another NIC whose name merely
/// contains this one's (the NIC is compared as a word in awk, never used as a pattern).
#[test]
fn the_done_check_sees_exactly_the_nics_own_stanza() {
    for tools in &Tools::every_release() {
        let still_brought_up = |file: &Path, nic: &str| {
            let check = nic_stanza_check(nic, file.to_str().expect("utf-8"));
            common::run(tools.command("sh").arg("-c").arg(&check))
                .status
                .success()
        };
        let dir = TempDir::new().expect("temporary directory");
        let original = dir.path().join("original");
        fs::write(&original, INSTALLER_STATIC).expect("write");
        assert!(still_brought_up(&original, "eth0"));
        assert!(still_brought_up(&original, "eth1"));
        assert!(
            !still_brought_up(&original, "eth"),
            "a prefix is not the NIC"
        );
        assert!(!still_brought_up(&original, "th0"));
        let (dir, new, _) = hand_over(tools, INSTALLER_STATIC, "eth0");
        let file = dir.path().join("interfaces");
        assert!(!still_brought_up(&file, "eth0"), "{new}");
        assert!(still_brought_up(&file, "eth1"), "{new}");
    }
}
