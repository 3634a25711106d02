//! End to end on real Debian nodes: the two-VM testbed (tests/testbed/testbed) boots two
//! Debian machines under qemu (Debian 13 by default, Debian 12 in the full run;
//! TANDEM_E2E_RELEASE=trixie|bookworm chooses). The wizard, from empty (in the full run `tandem
//! apply`, interrupted once in the DRBD phase and run again) — the same binary and engine a user
//! runs — turns them into a Xen + DRBD + Pacemaker cluster; then `tandem drill --hard` resets
//! node1 without shutdown, the test checks that node2 runs both VMs with the data intact, that
//! node1 reboots, rejoins and takes vm1 back with its data. On that cluster it then runs the
//! wizard (a run that changes nothing but the failed actions the crash left) and the day-2
//! operations: the Manage page's move and let-go, a VM added and retired (beside a DRBD fence
//! constraint), and a real split brain provoked and recovered. With TANDEM_E2E=full it also runs
//! the standby drill, and switches live migration on, migrates vm1 to node2 and back, and
//! switches it off again: under TCG these take another 10 to 20 minutes, which CI's 90 minutes on
//! a slow day do not have (BENCHMARKS.md has the figures of both runs).
//!
//! It needs root, qemu and debootstrap, and minutes: tests/run runs it on its own (with its
//! figures printed) when the machine can, and says loudly when it cannot.

// Test helpers fail the test by panicking, inside and outside #[test] functions alike.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use wizard_steps::cluster_state::{ClusterState, parse_crm_mon};
use wizard_steps::journal;
use wizard_steps::protection::fence_devices;
use wizard_steps::run::Event;

struct Testbed {
    state: TempDir,
}

/// The testbed's third machine (the quorum device's: corosync-qnetd), as its script numbers it.
const QNETD: usize = 3;
/// The password of the testbed BMCs' fencing user (tests/testbed/testbed).
const BMC_PASSWORD: &str = "testbed-bmc";

impl Testbed {
    fn script() -> PathBuf {
        common::repo_root().join("tests/testbed/testbed")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(Self::script());
        command
            .args(args)
            .env("TANDEM_TESTBED_STATE", self.state.path().join("testbed"));
        command
    }

    /// Both nodes up, running `release` (a Debian codename).
    fn up(release: &str) -> Testbed {
        let testbed = Testbed {
            state: TempDir::new().expect("temporary directory"),
        };
        let started = Instant::now();
        let status = testbed
            .command(&["up"])
            .env("TANDEM_TESTBED_RELEASE", release)
            .status()
            .expect("the testbed script runs");
        assert!(status.success(), "tests/testbed/testbed up failed");
        // The script records both: the image build (once per recipe) and the boot itself.
        let figure = |file: &Path| {
            std::fs::read_to_string(file)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let image = PathBuf::from(figure(&testbed.dir().join("image")));
        println!(
            "FIGURE testbed_up_s {} ({release}; image build {} s when not cached, boot to SSH {} s)",
            started.elapsed().as_secs(),
            figure(&image.join("build-seconds")),
            figure(&testbed.dir().join("boot-seconds"))
        );
        testbed
    }

    fn dir(&self) -> PathBuf {
        self.state.path().join("testbed")
    }

    /// The testbed's profile made unsafe, as the seed is: no fencing (the risk acknowledged)
    /// and no quorum device. The full run builds that cluster, where a split brain can happen.
    fn without_fencing(&self) {
        let text = std::fs::read_to_string(self.profile()).expect("the testbed's profile");
        std::fs::write(self.safe_profile(), &text).expect("keep the safe profile");
        std::fs::write(self.profile(), common::testbed_without_fencing(&text))
            .expect("write the profile");
    }

    /// The testbed's profile as `up` wrote it (IPMI fencing, the quorum device), kept aside by
    /// [`Testbed::without_fencing`].
    fn safe_profile(&self) -> PathBuf {
        self.dir().join("testbed-safe.toml")
    }

    fn profile(&self) -> PathBuf {
        self.dir().join("testbed.toml")
    }

    fn fingerprint(&self, node: usize) -> String {
        std::fs::read_to_string(self.dir().join(format!("node{node}.fingerprint")))
            .expect("fingerprint")
            .trim()
            .to_owned()
    }

    /// A command on a node, as root; its stdout, or None when it failed (node down).
    fn ssh(&self, node: usize, command: &str) -> Option<String> {
        let output = self
            .command(&["ssh", &format!("node{node}"), command])
            .stdin(Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    fn cluster(&self, node: usize) -> Option<ClusterState> {
        parse_crm_mon(&self.ssh(node, "crm_mon -1 --output-as=xml")?).ok()
    }

    /// `tandem apply` with the confirmations of vm2's destructive steps (its volume holds a
    /// disk on both nodes: node1's is kept and copied over node2's).
    fn apply_command(&self) -> Command {
        let mut confirmations = Vec::new();
        for step in VM2_DESTRUCTIVE {
            confirmations.extend(["--confirm-destructive", step]);
        }
        self.tandem("apply", &confirmations)
    }

    /// `tandem VERB PROFILE ARGS...` with the testbed's host keys, known_hosts and journals.
    fn tandem(&self, verb: &str, args: &[&str]) -> Command {
        self.tandem_with(verb, &self.profile(), args)
    }

    /// The same with another profile of the testbed's cluster.
    fn tandem_with(&self, verb: &str, profile: &Path, args: &[&str]) -> Command {
        let mut command = common::tandem();
        command
            .arg(verb)
            .arg(profile)
            .args(args)
            .args([
                "--accept-host-key",
                &self.fingerprint(1),
                "--accept-host-key",
                &self.fingerprint(2),
                "--accept-host-key",
                &self.fingerprint(QNETD),
            ])
            // The BMC passwords, as a headless run takes them (the terminal would ask).
            .env("TANDEM_BMC_PASSWORD_NODE1", BMC_PASSWORD)
            .env("TANDEM_BMC_PASSWORD_NODE2", BMC_PASSWORD)
            .arg("--known-hosts")
            .arg(self.state.path().join("known_hosts"))
            .arg("--runs-dir")
            .arg(self.runs())
            .stdin(Stdio::null());
        command
    }

    fn runs(&self) -> PathBuf {
        self.state.path().join("runs")
    }

    /// Runs `tandem apply` to its end; its output and how long it took.
    fn apply(&self) -> (bool, String, Duration) {
        let started = Instant::now();
        let output = self.apply_command().output().expect("tandem runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        println!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
        (output.status.success(), stdout, started.elapsed())
    }

    /// Runs `tandem apply` and kills it (SIGKILL) in the DRBD phases: when the resources are
    /// being brought up, after their metadata was created and before the initial sync.
    fn apply_killed_in_drbd_phase(&self) {
        let mut child = self
            .apply_command()
            .stdout(Stdio::piped())
            .spawn()
            .expect("tandem runs");
        let stdout = child.stdout.take().expect("stdout");
        let mut killed = false;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            println!("{line}");
            if line.starts_with("== DRBD up and connected") {
                std::thread::sleep(Duration::from_secs(1));
                child.kill().expect("kill tandem");
                killed = true;
                break;
            }
        }
        let status = child.wait().expect("wait");
        assert!(
            killed,
            "the first apply ended ({status}) before the DRBD sync phase"
        );
        println!("-- tandem apply killed in the DRBD phase");
    }

    fn wait_until(&self, what: &str, timeout: Duration, condition: impl Fn() -> bool) -> Duration {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if condition() {
                return started.elapsed();
            }
            std::thread::sleep(Duration::from_secs(2));
        }
        // What the nodes say, to tell a slow machine from a wrong cluster.
        for node in [1, 2] {
            println!(
                "--- node{node}:\n{}",
                self.ssh(
                    node,
                    "crm_mon -1 2>&1 | tail -n 25; drbdadm status 2>&1; xl list 2>&1"
                )
                .unwrap_or_else(|| "(no answer)".to_owned())
            );
        }
        panic!("{what}: not so after {} s", timeout.as_secs());
    }
}

impl Drop for Testbed {
    fn drop(&mut self) {
        let _ = self.command(&["down"]).status();
    }
}

/// Every VM's domain, console IP and Promoted DRBD resource on `node`.
fn all_on(state: &ClusterState, vms: &[&str], node: &str) -> bool {
    vms.iter().all(|vm| {
        state.nodes_in_role(&format!("vm_{vm}"), "Started") == [node]
            && state.nodes_in_role(&format!("ip_{vm}"), "Started") == [node]
            && state.nodes_in_role(&format!("drbd_{vm}"), "Promoted") == [node]
    })
}

fn drbd_healthy(testbed: &Testbed, node: usize) -> bool {
    testbed.ssh(node, "cat /proc/drbd").is_some_and(|text| {
        let resources = wizard_steps::drbd::parse_proc_drbd(&text).unwrap_or_default();
        resources.len() == 2 && resources.iter().all(|resource| resource.is_healthy())
    })
}

/// The sha256 of 8 MiB at 100 MiB into vm1's replicated volume (minor 1), read on `node`.
fn region_checksum(testbed: &Testbed, node: usize) -> Option<String> {
    testbed
        .ssh(
            node,
            "dd if=/dev/drbd1 bs=1M skip=100 count=8 iflag=direct status=none | sha256sum",
        )
        .map(|text| {
            text.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
}

/// The private link's raw TCP throughput node1 → node2 (256 MiB through netcat), in MiB/s: the
/// yardstick for DRBD's sync speed.
fn link_throughput(testbed: &Testbed) -> f64 {
    let listener = testbed
        .command(&["ssh", "node2", "timeout 120 nc -l 5001 > /dev/null"])
        .stdin(Stdio::null())
        .spawn()
        .expect("listener");
    std::thread::sleep(Duration::from_secs(2));
    let nanos = testbed
        .ssh(
            1,
            "start=$(date +%s%N); dd if=/dev/zero bs=1M count=256 status=none | nc -N 10.99.0.2 5001; echo $(( $(date +%s%N) - start ))",
        )
        .and_then(|text| text.trim().parse::<f64>().ok())
        .expect("timed transfer");
    let mut listener = listener;
    let _ = listener.wait();
    256.0 / (nanos / 1e9)
}

/// Per-phase durations and the sync throughput from the journals (for BENCHMARKS.md).
fn print_phase_figures(runs: &Path) {
    for entry in std::fs::read_dir(runs).into_iter().flatten().flatten() {
        let entries = journal::read(&entry.path()).unwrap_or_default();
        let mut phase: Option<(String, u64)> = None;
        for item in &entries {
            if let Event::PhaseStarted { title, .. } = &item.event {
                if let Some((name, start)) = phase.take() {
                    println!("FIGURE phase {name}: {} s", (item.at_ms - start) / 1000);
                }
                phase = Some((title.clone(), item.at_ms));
            }
            if let Event::Progress {
                label,
                percent,
                speed_kib_per_sec: Some(speed),
                ..
            } = &item.event
                && *percent > 50.0
                && *percent < 100.0
            {
                println!(
                    "FIGURE sync {label} at {percent:.0}%: {:.1} MiB/s",
                    *speed as f64 / 1024.0
                );
            }
            if let Event::Finished { summary } = &item.event {
                println!(
                    "FIGURE run {}: {} changed, {} ms, SSH commands per node {:?}",
                    entry.file_name().to_string_lossy(),
                    summary.changed,
                    summary.duration_ms,
                    summary.commands
                );
            }
        }
    }
}

/// With TANDEM_E2E_KEEP_JOURNALS=DIR, the run journals are copied there: recordings of a real
/// run, which the wizard's Run page tests replay (tests/recordings/).
fn keep_journals(runs: &Path) {
    let Some(keep) = std::env::var_os("TANDEM_E2E_KEEP_JOURNALS") else {
        return;
    };
    std::fs::create_dir_all(&keep).expect("journal directory");
    for entry in std::fs::read_dir(runs).into_iter().flatten().flatten() {
        std::fs::copy(entry.path(), Path::new(&keep).join(entry.file_name()))
            .expect("copy journal");
    }
}

fn sync_reached_100(runs: &Path) -> bool {
    std::fs::read_dir(runs)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|entry| journal::read(&entry.path()).unwrap_or_default())
        .any(|entry| matches!(entry.event, Event::Progress { percent, ref label, .. } if percent >= 100.0 && label.starts_with("vm")))
}

#[test]
fn end_to_end_testbed_cluster_fails_over_and_back() {
    let full = match std::env::var("TANDEM_E2E").as_deref() {
        Ok("skip") => {
            println!("END-TO-END TEST SKIPPED (TANDEM_E2E=skip)");
            return;
        }
        Ok("full") => true,
        _ => {
            println!(
                "END-TO-END: leaves out the standby drill and live migration (TANDEM_E2E=full \
                 runs them too)"
            );
            false
        }
    };
    // The user's default is today's Debian (13); the full run builds Debian 12, still supported.
    let release = std::env::var("TANDEM_E2E_RELEASE")
        .unwrap_or_else(|_| if full { "bookworm" } else { "trixie" }.to_owned());
    println!("END-TO-END on Debian {release}");
    let testbed = Testbed::up(&release);
    println!("FIGURE link_raw_mib_s {:.1}", link_throughput(&testbed));

    // The default: the cluster built the way a new user builds it, from an empty wizard, with
    // IPMI fencing and the quorum device. The full run builds the seed's unsafe configuration
    // (no fencing, no tie-breaker, where a split brain can happen and is recovered) from the
    // command line instead, over volumes that already hold disks (a partition table as every
    // Windows disk has, different ones on each node: the first apply stops before anything
    // changes, the profile then says whose data to keep, and the overwrite must be confirmed),
    // with a run interrupted in the DRBD phase and resumed.
    let (runs, wizard_dir, kept) = if full {
        testbed.without_fencing();
        let kept = windows_disks_are_kept_only_as_the_profile_says(&testbed);
        testbed.apply_killed_in_drbd_phase();
        let (ok, stdout, took) = testbed.apply();
        assert!(ok, "tandem apply failed:\n{stdout}");
        println!("FIGURE apply_resumed_s {}", took.as_secs());
        (
            testbed.runs(),
            testbed.state.path().join("wizard"),
            Some(kept),
        )
    } else {
        let wizard_dir = wizard_builds_the_cluster_from_an_empty_wizard(&testbed);
        (wizard_dir.join("runs"), wizard_dir, None)
    };
    print_phase_figures(&runs);
    keep_journals(&runs);

    // The nodes themselves: the release's own Xen, kernel (with its DRBD 8.4 module) and
    // Pacemaker.
    for node in [1, 2] {
        assert_eq!(
            node_stack(&testbed, node),
            expected_stack(&release),
            "node{node} does not run Debian {release}'s stack"
        );
    }
    for node in [1, 2] {
        let packages = testbed
            .ssh(node, "dpkg-query -W -f='${Status}\\n' xen-system-amd64 drbd-utils corosync pacemaker crmsh")
            .expect("dpkg-query");
        assert_eq!(
            packages.matches("install ok installed").count(),
            5,
            "node{node}: {packages}"
        );
        assert!(
            drbd_healthy(&testbed, node),
            "node{node}: DRBD not Connected UpToDate/UpToDate"
        );
    }
    assert!(
        sync_reached_100(&runs),
        "no sync progress event reached 100 %"
    );
    // node1's disk on both nodes, byte for byte.
    for node in [1, 2].into_iter().filter(|_| kept.is_some()) {
        assert_eq!(
            disk_checksum(&testbed, node),
            kept.clone(),
            "node{node}'s vm2 volume is not node1's disk"
        );
    }
    let state = testbed.cluster(1).expect("crm_mon on node1");
    assert!(state.online("node1") && state.online("node2"), "{state:?}");
    assert!(
        all_on(&state, &["vm1"], "node1") && all_on(&state, &["vm2"], "node2"),
        "{state:?}"
    );
    assert!(testbed.ssh(1, "xl list").expect("xl list").contains("vm1"));
    assert!(testbed.ssh(2, "xl list").expect("xl list").contains("vm2"));

    // Data written on node1 through vm1's DRBD device.
    let written = testbed
        .ssh(
            1,
            "dd if=/dev/urandom of=/root/pattern bs=1M count=8 status=none && dd if=/root/pattern of=/dev/drbd1 bs=1M seek=100 oflag=direct status=none && sync && sha256sum < /root/pattern",
        )
        .expect("write the pattern");
    let checksum = written
        .split_whitespace()
        .next()
        .expect("checksum")
        .to_owned();
    assert_eq!(
        region_checksum(&testbed, 1).as_deref(),
        Some(checksum.as_str())
    );

    // The drill on node1. The default cluster has fencing: node2 fences node1 through node1's
    // BMC on purpose (`drill --fence`), as it would after a real failure. The full run's has
    // none: node1 resets itself without shutting down, as if its plug were pulled (`--hard`).
    // Either way node2 takes vm1 over with its data; node1 boots, rejoins, DRBD resyncs and vm1
    // returns home (the profile's failback policy).
    let (mode, how) = if full {
        ("--hard", "crash")
    } else {
        ("--fence", "fence")
    };
    let boot_id = "cat /proc/sys/kernel/random/boot_id";
    let first_boot = testbed.ssh(1, boot_id).expect("node1's boot id");
    let bmc_events =
        || std::fs::read_to_string(testbed.dir().join("node1.events")).unwrap_or_default();
    let bmc_events_before = bmc_events();
    let confirmation = format!("{how}@node1");
    let drill = testbed
        .tandem(
            "drill",
            &[
                mode,
                "--node",
                "node1",
                "--confirm-destructive",
                &confirmation,
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tandem drill runs");
    let failover = testbed.wait_until("node2 runs both VMs", Duration::from_secs(300), || {
        testbed
            .cluster(2)
            .is_some_and(|state| all_on(&state, &["vm1", "vm2"], "node2"))
    });
    println!("FIGURE failover_s {} (drill {mode})", failover.as_secs());
    assert!(testbed.ssh(2, "xl list").expect("xl list").contains("vm1"));
    assert_eq!(
        region_checksum(&testbed, 2).as_deref(),
        Some(checksum.as_str())
    );
    let back = Instant::now();
    let output = drill.wait_with_output().expect("tandem drill ends");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the drill failed:\n{stdout}");
    println!(
        "FIGURE failback_s {} (drill {mode})",
        back.elapsed().as_secs()
    );
    print_drill_steps(&stdout, &format!("drill {mode} step"));
    assert_ne!(
        testbed.ssh(1, boot_id),
        Some(first_boot),
        "node1 did not reboot"
    );
    if !full {
        // The fence went through node1's BMC, on node2's request.
        let since = bmc_events();
        let new = since.strip_prefix(bmc_events_before.as_str()).unwrap_or("");
        assert!(
            new.contains("powered off") && new.contains("powered on by its BMC"),
            "node1's BMC did not power-cycle it: {new:?}"
        );
        let history = fence_history(&testbed, 2);
        assert!(
            history.contains("reboot of node1 successful"),
            "Pacemaker's fencing history on node2: {history}"
        );
    }
    let state = testbed.cluster(1).expect("crm_mon on node1");
    assert!(
        all_on(&state, &["vm1"], "node1") && all_on(&state, &["vm2"], "node2"),
        "after the drill: {state:?}"
    );
    assert!(drbd_healthy(&testbed, 1) && drbd_healthy(&testbed, 2));
    assert_eq!(
        region_checksum(&testbed, 1).as_deref(),
        Some(checksum.as_str())
    );
    let drill_rows = drill_report_rows(&testbed);
    assert_eq!(drill_rows.len(), 2, "{drill_rows:?}");
    assert!(
        drill_rows[0].contains(&format!("{how} node1")) && drill_rows[1].contains("wait for node1"),
        "{drill_rows:?}"
    );
    assert!(
        drill_rows.iter().all(|row| row.contains("| done |")),
        "{drill_rows:?}"
    );

    // The profile the wizard saved (the reference one when the command line built the cluster),
    // opened again: a run changes nothing.
    let saved = wizard_dir.join("profiles").join("testbed.toml");
    let reopened = if saved.is_file() {
        saved
    } else {
        testbed.profile()
    };
    wizard_run_on_the_converged_cluster(&testbed, &reopened, &wizard_dir);
    a_corosync_change_reaches_the_running_cluster_without_moving_a_vm(&testbed);
    if full {
        drill_on_the_converged_cluster(&testbed);
    }
    manage_page_moves_a_vm_and_lets_it_go(&testbed);
    a_vm_is_added_and_removed_without_touching_the_others(&testbed);
    if full {
        // Without fencing or a tie-breaker, the same cut makes a split brain: recovered here.
        split_brain_is_provoked_and_recovered(&testbed);
        vm1_migrates_live_and_back(&testbed);
        sbd_and_the_quorum_device_join_the_running_cluster(&testbed);
        a_partition_fences_one_node_and_loses_nothing(&testbed, Fenced::ByItsWatchdog);
    } else {
        a_partition_fences_one_node_and_loses_nothing(&testbed, Fenced::ByItsBmc);
    }
}

/// What a node runs, as (Xen major.minor, kernel major.minor, DRBD module major.minor, Pacemaker
/// major.minor), read on the node.
fn node_stack(testbed: &Testbed, node: usize) -> [String; 4] {
    let read = |command: &str| {
        testbed
            .ssh(node, command)
            .unwrap_or_else(|| panic!("node{node}: {command}"))
            .trim()
            .to_owned()
    };
    let xen = read(
        "xl info | awk '$1 == \"xen_major\" { major = $3 } $1 == \"xen_minor\" { minor = $3 } \
         END { print major \".\" minor }'",
    );
    let kernel = read("uname -r | cut -d. -f1,2");
    let drbd = read("sed -n 's/^version: \\([0-9]*\\.[0-9]*\\).*/\\1/p' /proc/drbd");
    let pacemaker =
        read("pacemakerd --version | sed -n 's/^Pacemaker \\([0-9]*\\.[0-9]*\\).*/\\1/p'");
    [xen, kernel, drbd, pacemaker]
}

/// The stack of each Debian release the testbed builds.
fn expected_stack(release: &str) -> [String; 4] {
    let stack = match release {
        "trixie" => ["4.20", "6.12", "8.4", "3.0"],
        "bookworm" => ["4.17", "6.1", "8.4", "2.1"],
        other => panic!("no stack known for Debian {other}"),
    };
    stack.map(str::to_owned)
}

/// The destructive steps of vm2's setup over the two disks, confirmed by the e2e's applies.
const VM2_DESTRUCTIVE: [&str; 3] = [
    "create-md:vm2@node1",
    "create-md:vm2@node2",
    "initial-sync:vm2@node1",
];

/// vm2's data size: the profile's 256 MiB (the volume grows by DRBD's metadata after it).
const VM2_BYTES: u64 = 256 * 1024 * 1024;

/// The sha256 of vm2's data on `node`'s volume (its first 256 MiB), read past the page cache
/// (DRBD writes the volume beneath it: a cached read would show the disk as it was).
fn disk_checksum(testbed: &Testbed, node: usize) -> Option<String> {
    testbed
        .ssh(
            node,
            &format!(
                "dd if=/dev/tandem/vm2 bs=1M count={} iflag=direct status=none | sha256sum",
                VM2_BYTES / (1024 * 1024)
            ),
        )
        .map(|text| {
            text.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
}

/// Puts a whole-disk image on vm2's volume on each node (an MBR with one partition, then 8 MiB
/// of random data: different disks), as a Windows guest's volume holds. A plain apply stops in
/// the preflight without changing anything; with `keep_data_on = "node1"` in the profile, an
/// apply without the confirmations is refused, still changing nothing. Gives the checksum of
/// node1's disk (which both nodes must end up with).
fn windows_disks_are_kept_only_as_the_profile_says(testbed: &Testbed) -> String {
    let mbr = "printf '\\0\\0\\0\\0\\203\\0\\0\\0\\0\\10\\0\\0\\0\\140\\0\\0' | dd of=/dev/tandem/vm2 bs=1 seek=446 conv=notrunc status=none && printf '\\125\\252' | dd of=/dev/tandem/vm2 bs=1 seek=510 conv=notrunc status=none";
    for node in [1, 2] {
        testbed
            .ssh(
                node,
                &format!(
                    "lvcreate --yes -L 256m -n vm2 tandem >/dev/null && dd if=/dev/zero of=/dev/tandem/vm2 bs=1M count=256 status=none && {mbr} && dd if=/dev/urandom of=/dev/tandem/vm2 bs=1M seek=1 count=8 conv=notrunc status=none && sync && wipefs --noheadings --output TYPE /dev/tandem/vm2 | grep -qx dos"
                ),
            )
            .unwrap_or_else(|| panic!("a partitioned disk on node{node}"));
    }
    let before = [1, 2].map(|node| disk_checksum(testbed, node).expect("checksum"));
    assert_ne!(before[0], before[1], "two different disks");
    let unchanged = |what: &str| {
        for (index, node) in [1, 2].into_iter().enumerate() {
            assert_eq!(
                disk_checksum(testbed, node).as_deref(),
                Some(before[index].as_str()),
                "{what}: node{node}'s disk changed"
            );
            assert!(
                testbed
                    .ssh(node, "test ! -e /etc/default/grub.d/tandem-xen.cfg")
                    .is_some(),
                "{what}: node{node} was changed"
            );
        }
    };

    let started = Instant::now();
    let output = testbed.tandem("apply", &[]).output().expect("tandem runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}");
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    for node in ["node1", "node2"] {
        assert!(
            printed_line(
                &stdout,
                &[
                    "XX",
                    node,
                    "existing data",
                    "/dev/tandem/vm2 holds a dos partition table; Tandem initialises no volume that holds data",
                ]
            ),
            "{stdout}"
        );
    }
    assert!(stdout.contains("nothing was changed"), "{stdout}");
    unchanged("the preflight");
    println!(
        "FIGURE data_refused_by_preflight_s {}",
        started.elapsed().as_secs()
    );

    // The administrator keeps node1's disk.
    let text = std::fs::read_to_string(testbed.profile()).expect("the profile");
    let kept = text.replacen(
        "volume = \"vm2\"\n",
        "volume = \"vm2\"\nkeep_data_on = \"node1\"\n",
        1,
    );
    assert_ne!(kept, text);
    std::fs::write(testbed.profile(), kept).expect("write the profile");
    let output = testbed.tandem("apply", &[]).output().expect("tandem runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}");
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        printed_line(
            &stdout,
            &[
                "!!",
                "node2",
                "existing data",
                "/dev/tandem/vm2 holds a dos partition table: it will be OVERWRITTEN with the data of node1"
            ]
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("not confirmed:")
            && stdout.contains("--confirm-destructive create-md:vm2@node1"),
        "{stdout}"
    );
    unchanged("the unconfirmed apply");
    before[0].clone()
}

/// Whether a line the terminal printed (a preflight finding, a step) holds every part, in order.
fn printed_line(stdout: &str, parts: &[&str]) -> bool {
    stdout.lines().any(|line| {
        let mut rest = line;
        parts.iter().all(|part| match rest.find(part) {
            Some(at) => {
                rest = &rest[at + part.len()..];
                true
            }
            None => false,
        })
    })
}

/// The cluster's corosync.conf changes while it runs (a token timeout, as an administrator
/// tunes it): corosync reloads it on both nodes, no VM moves or restarts (same domain ids).
fn a_corosync_change_reaches_the_running_cluster_without_moving_a_vm(testbed: &Testbed) {
    let domains = || {
        [
            domain_id(testbed, 1, "vm1").expect("vm1 runs on node1"),
            domain_id(testbed, 2, "vm2").expect("vm2 runs on node2"),
        ]
    };
    let before = domains();
    let text = std::fs::read_to_string(testbed.profile()).expect("the profile");
    let tuned = text.replacen(
        "corosync_crypto = true\n",
        "corosync_crypto = true\ncorosync_token_ms = 5000\n",
        1,
    );
    assert_ne!(tuned, text);
    std::fs::write(testbed.profile(), tuned).expect("write the profile");
    let started = Instant::now();
    let output = testbed.apply_command().output().expect("tandem runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}");
    // corosync-cfgtool -R reloads every member: node1's reload reaches node2 too, whose step
    // then finds the new token running and is skipped.
    assert!(
        printed_line(&stdout, &["== Corosync runs the new settings"])
            && printed_line(&stdout, &["[done]", "node1", "corosync-reloaded@node1"]),
        "{stdout}"
    );
    assert!(!stdout.contains("corosync-restarted"), "{stdout}");
    assert!(!stdout.contains("DISRUPTIVE"), "{stdout}");
    println!(
        "FIGURE corosync_token_change_s {}",
        started.elapsed().as_secs()
    );
    for node in [1, 2] {
        assert_eq!(
            testbed
                .ssh(node, "corosync-cmapctl -g totem.token")
                .as_deref()
                .map(str::trim),
            Some("totem.token (u32) = 5000"),
            "node{node} runs the new token"
        );
    }
    assert_eq!(domains(), before, "a VM restarted or moved");
    let state = testbed.cluster(1).expect("crm_mon");
    assert!(all_on(&state, &["vm1"], "node1") && all_on(&state, &["vm2"], "node2"));
}

/// What Pacemaker's controller on `node` logged since `since` about `resource`: the results
/// of its operations, e.g. "Result of migrate_from operation for vm_vm1 on node2: ok".
fn operation_results(testbed: &Testbed, node: usize, since: &str, resource: &str) -> String {
    testbed
        .ssh(
            node,
            &format!(
                "journalctl -o cat --since @{since} -u pacemaker | grep 'Result of .* operation for {resource} ' || true"
            ),
        )
        .unwrap_or_default()
}

/// Live migration (experimental): the testbed's profile with `live_migration = true` applied
/// on the running cluster (DRBD dual-primary, migratable VMs, each node's migration key trusted
/// by the other); `tandem move vm1 node2` then moves the running domain with `xl migrate`
/// (Pacemaker's migrate_to and migrate_from, no start on node2), and `tandem unmove vm1`
/// brings it home the same way.
fn vm1_migrates_live_and_back(testbed: &Testbed) {
    let text = std::fs::read_to_string(testbed.profile()).expect("the testbed profile");
    let live = testbed.state.path().join("testbed-live-migration.toml");
    std::fs::write(
        &live,
        text.replacen(
            "corosync_crypto = true\n",
            "corosync_crypto = true\nlive_migration = true\n",
            1,
        ),
    )
    .expect("write the live-migration profile");
    let vm2 = domain_id(testbed, 2, "vm2");
    let stdout = apply_profile(testbed, &live, &[]);
    // The running resources got dual-primary online: `drbdadm adjust` on one node changes the
    // connection's options on both, so the second node may find it done already.
    for vm in ["vm1", "vm2"] {
        assert!(
            ["node1", "node2"]
                .iter()
                .any(|node| stdout.contains(&format!("[done] {node}    drbd-adjusted:{vm}@{node}"))),
            "{vm} was not adjusted:\n{stdout}"
        );
    }
    for node in ["node1", "node2"] {
        let expected = format!("[ ok ] {node}    migration-ssh@{node}");
        assert!(stdout.contains(&expected), "no {expected}:\n{stdout}");
    }

    for (verb, args, from, to) in [
        ("move", &["vm1", "node2"][..], 1, 2),
        ("unmove", &["vm1"][..], 2, 1),
    ] {
        let since = testbed
            .ssh(1, "date +%s")
            .expect("node1's clock")
            .trim()
            .to_owned();
        let (_, took) = tandem_succeeds(testbed, verb, &live, args);
        println!("FIGURE live_{verb}_s {}", took.as_secs());
        assert!(
            testbed.ssh(to, "xl list").expect("xl list").contains("vm1"),
            "vm1 is not running on node{to}"
        );
        assert!(
            !testbed
                .ssh(from, "xl list")
                .expect("xl list")
                .contains("vm1"),
            "vm1 still runs on node{from}"
        );
        let source = operation_results(testbed, from, &since, "vm_vm1");
        let target = operation_results(testbed, to, &since, "vm_vm1");
        println!("-- node{from}:\n{source}-- node{to}:\n{target}");
        assert!(
            source.contains(&format!(
                "Result of migrate_to operation for vm_vm1 on node{from}: ok"
            )),
            "no migrate_to on node{from}:\n{source}"
        );
        assert!(
            target.contains(&format!(
                "Result of migrate_from operation for vm_vm1 on node{to}: ok"
            )),
            "no migrate_from on node{to}:\n{target}"
        );
        assert!(
            !target.contains("Result of start operation"),
            "vm1 was started on node{to} instead of migrated:\n{target}"
        );
    }

    // Switched off again (the testbed's own profile): DRBD drops dual-primary once Pacemaker
    // has demoted one side, and the nodes' root access for migration is taken back.
    let stdout = apply_profile(testbed, &testbed.profile(), &[]);
    for (index, node) in [(1, "node1"), (2, "node2")] {
        for expected in [
            format!("[done] {node}    drbd-single-primary:vm1@{node}"),
            format!("[done] {node}    migration-access-removed@{node}"),
        ] {
            assert!(stdout.contains(&expected), "no {expected}:\n{stdout}");
        }
        let left = testbed
            .ssh(
                index,
                "grep -c tandem-migration /root/.ssh/authorized_keys; ls /etc/tandem/migration 2>&1; true",
            )
            .unwrap_or_default();
        assert!(
            left.starts_with("0\n") && left.contains("No such file"),
            "{node}: {left}"
        );
    }
    assert!(drbd_healthy(testbed, 1) && drbd_healthy(testbed, 2));
    assert_eq!(
        domain_id(testbed, 2, "vm2"),
        vm2,
        "vm2 was restarted by switching live migration on and off"
    );
}

/// Writes 8 MiB of fresh random data at 100 MiB into a DRBD device on a node; its checksum.
fn write_pattern(testbed: &Testbed, node: usize, device: &str) -> String {
    testbed
        .ssh(
            node,
            &format!(
                "dd if=/dev/urandom of=/root/pattern bs=1M count=8 status=none && dd if=/root/pattern of={device} bs=1M seek=100 oflag=direct status=none && sync && sha256sum < /root/pattern"
            ),
        )
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| panic!("writing to {device} on node{node}"))
}

fn device_checksum(testbed: &Testbed, node: usize, device: &str) -> Option<String> {
    testbed
        .ssh(
            node,
            &format!("dd if={device} bs=1M skip=100 count=8 iflag=direct status=none | sha256sum"),
        )
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
}

fn cstate(testbed: &Testbed, node: usize, resource: &str) -> String {
    testbed
        .ssh(
            node,
            &format!("drbdadm cstate {resource} 2>/dev/null || echo down"),
        )
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// A real split brain, as the seed warns it happens without fencing: node2's private link (the
/// cluster's and DRBD's) goes down, node1 takes vm2 over while node2 keeps running it, both
/// write to vm2's disk, the link comes back and DRBD refuses to reconnect. `tandem split-brain
/// --discard node1` then recovers it the seed's way: node2's data wins on both nodes, and vm2
/// runs again with DRBD UpToDate on both.
fn split_brain_is_provoked_and_recovered(testbed: &Testbed) {
    let design = common::design(&testbed.profile());
    let device = format!("/dev/drbd{}", design.vms[1].drbd_minor);
    let started = Instant::now();
    assert!(testbed.ssh(2, "ip link set eth1 down").is_some());
    testbed.wait_until(
        "node1 runs vm2 too, its DRBD Primary there",
        Duration::from_secs(300),
        || {
            testbed
                .cluster(1)
                .is_some_and(|state| all_on(&state, &["vm2"], "node1"))
        },
    );
    let on_node2 = write_pattern(testbed, 2, &device);
    let on_node1 = write_pattern(testbed, 1, &device);
    assert_ne!(on_node1, on_node2);
    // While the partitions merge, Pacemaker must not sort the double VMs out before DRBD meets
    // both Primaries (it would demote one, and DRBD would then resolve the split on its own):
    // maintenance mode in both partitions, as an administrator would set it.
    for node in [1, 2] {
        assert!(
            testbed
                .ssh(node, "crm configure property maintenance-mode=true")
                .is_some()
        );
    }
    assert!(testbed.ssh(2, "ip link set eth1 up").is_some());
    testbed.wait_until(
        "both nodes in the cluster again, vm2's DRBD StandAlone",
        Duration::from_secs(600),
        || {
            testbed
                .cluster(1)
                .is_some_and(|state| state.online("node1") && state.online("node2"))
                && (cstate(testbed, 1, "vm2") == "StandAlone"
                    || cstate(testbed, 2, "vm2") == "StandAlone")
        },
    );
    println!(
        "FIGURE split_brain_provoked_s {}",
        started.elapsed().as_secs()
    );
    // The cluster manages again: it stops the VMs that ran twice; DRBD stays split.
    assert!(
        testbed
            .ssh(
                1,
                "crm configure property maintenance-mode=false && crm_resource --wait --timeout=300s; true"
            )
            .is_some()
    );

    let recovered = Instant::now();
    let output = testbed
        .tandem(
            "split-brain",
            &[
                "--resource",
                "vm2",
                "--discard",
                "node1",
                "--confirm-destructive",
                "split-brain-stop:vm2@node2",
                "--confirm-destructive",
                "split-brain-discard:vm2@node1",
            ],
        )
        .output()
        .expect("tandem split-brain runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the recovery failed:\n{stdout}");
    assert!(stdout.contains("SPLIT BRAIN: vm2"), "{stdout}");
    println!(
        "FIGURE split_brain_recovery_s {}",
        recovered.elapsed().as_secs()
    );
    // The backing volume holds the same data (a Secondary's DRBD device cannot be read).
    let volume = &design.vms[1].backing_disk;
    for node in [1, 2] {
        assert_eq!(
            device_checksum(testbed, node, volume).as_deref(),
            Some(on_node2.as_str()),
            "node{node} does not hold node2's data after the recovery"
        );
    }
    testbed.wait_until(
        "vm2 runs, vm2's DRBD UpToDate on both nodes",
        Duration::from_secs(300),
        || {
            testbed
                .cluster(1)
                .is_some_and(|state| state.vm_node("vm2").is_some())
                && testbed
                    .ssh(1, "drbdadm dstate vm2")
                    .is_some_and(|dstate| dstate.trim() == "UpToDate/UpToDate")
        },
    );
    // Another split resource (vm1 ran on both sides too, unless DRBD resolved it on its own)
    // is the same command's next job.
    if cstate(testbed, 1, "vm1") == "StandAlone" || cstate(testbed, 2, "vm1") == "StandAlone" {
        println!("vm1 is split too: recovering it, keeping node1's data");
        let output = testbed
            .tandem(
                "split-brain",
                &[
                    "--resource",
                    "vm1",
                    "--discard",
                    "node2",
                    "--confirm-destructive",
                    "split-brain-stop:vm1@node1",
                    "--confirm-destructive",
                    "split-brain-discard:vm1@node2",
                ],
            )
            .output()
            .expect("tandem split-brain runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        println!("{stdout}");
        assert!(output.status.success(), "{stdout}");
    }
    let output = testbed
        .tandem("split-brain", &[])
        .output()
        .expect("tandem split-brain runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        stdout.contains("No split brain"),
        "still split after the recovery:\n{stdout}"
    );
}

/// The full run's cluster, built unsafe, made safe while it runs: SBD on the disk both nodes
/// share (with Linux's software watchdog) and the quorum device, added to the profile and
/// applied. SBD starts with a rolling restart (one node at a time, its VMs moved away first),
/// the quorum device joins with a reload (`two_node` goes), and the VMs end at home.
fn sbd_and_the_quorum_device_join_the_running_cluster(testbed: &Testbed) {
    let safe = std::fs::read_to_string(testbed.safe_profile()).expect("the safe profile");
    std::fs::write(testbed.profile(), common::testbed_with_sbd(&safe)).expect("the profile");
    let output = apply_profile(testbed, &testbed.profile(), &[]);
    assert!(
        output.contains("SBD runs on node1") && output.contains("SBD runs on node2"),
        "{output}"
    );
    for node in [1, 2] {
        let sbd = testbed
            .ssh(node, "systemctl is-active sbd corosync-qdevice")
            .unwrap_or_default();
        assert_eq!(sbd.trim(), "active\nactive", "node{node}");
    }
    let slots = testbed
        .ssh(1, &format!("sbd -d {SBD_DISK} list"))
        .unwrap_or_default();
    assert!(
        slots.contains("node1") && slots.contains("node2"),
        "both nodes have a slot on the SBD disk: {slots}"
    );
    let state = testbed.cluster(1).expect("crm_mon on node1");
    assert!(
        all_on(&state, &["vm1"], "node1") && all_on(&state, &["vm2"], "node2"),
        "after SBD joined: {state:?}"
    );
    assert!(drbd_healthy(testbed, 1) && drbd_healthy(testbed, 2));
}

/// The SBD disk as the nodes name it (tests/testbed/testbed attaches it).
const SBD_DISK: &str = "/dev/disk/by-id/virtio-tandem-sbd";

/// How a fenced node goes, as this machine sees it in the node's power events.
#[derive(Debug, Clone, Copy)]
enum Fenced {
    /// IPMI: its BMC powers its qemu off and on.
    ByItsBmc,
    /// SBD: told to die on the shared disk, it resets itself (its qemu restarts after the
    /// guest's reset).
    ByItsWatchdog,
}

impl Fenced {
    /// Whether the events since the cut show the node fenced.
    fn shown_by(self, events: &str) -> bool {
        match self {
            Fenced::ByItsBmc => {
                events.contains("powered off") && events.contains("powered on by its BMC")
            }
            Fenced::ByItsWatchdog => events.contains("exit 0") && events.contains("start xen"),
        }
    }
}

/// The safe configuration's proof: the private link (corosync, DRBD, the LAN) is cut at node2
/// while each node runs its VM and writes to its DRBD volume. The quorum device gives the vote
/// to node1 (the lowest node id), node1 fences node2 (through node2's BMC, or on the SBD disk),
/// and runs both VMs with every acknowledged write; node2 never fences node1. node2 boots
/// again (the cut was a routing rule of its own, gone with the reboot), resyncs without a split
/// brain, and vm2 goes home with its data.
fn a_partition_fences_one_node_and_loses_nothing(testbed: &Testbed, fenced_how: Fenced) {
    let design = common::design(&testbed.profile());
    let device = |vm: usize| format!("/dev/drbd{}", design.vms[vm].drbd_minor);
    let boot_id = "cat /proc/sys/kernel/random/boot_id";
    let boots = [1, 2].map(|node| testbed.ssh(node, boot_id).expect("boot id"));
    // Acknowledged writes before the cut (protocol C: on both nodes' disks), and writers that
    // go on through it, elsewhere on the volumes.
    let on_node1 = write_pattern(testbed, 1, &device(0));
    let on_node2 = write_pattern(testbed, 2, &device(1));
    // (A write of 64 KiB a second: a busier loop starves dom0's one emulated CPU, and
    // Pacemaker's monitors time out.)
    for (node, vm) in [(1, 0), (2, 1)] {
        let writer = format!(
            "nohup sh -c 'while :; do dd if=/dev/urandom of={} bs=64k count=1 seek=2400 oflag=direct status=none; sleep 1; done' >/dev/null 2>&1 &",
            device(vm)
        );
        assert!(testbed.ssh(node, &writer).is_some(), "writer on node{node}");
    }
    // What the BMCs did, as this machine saw it: each node's power events.
    let events = |node: usize| {
        std::fs::read_to_string(testbed.dir().join(format!("node{node}.events")))
            .unwrap_or_default()
    };
    let events_before = [events(1), events(2)];
    let cut = Instant::now();
    // Every packet from node2 to the LAN (node1's corosync and DRBD addresses among them) is
    // dropped; its management NIC (qnetd) and BMC network are left alone.
    assert!(
        testbed
            .ssh(
                2,
                "ip rule add to 10.99.0.0/24 blackhole priority 100 && echo cut"
            )
            .is_some_and(|out| out.trim() == "cut"),
        "the cut at node2"
    );
    let fenced = testbed.wait_until(
        &format!("node2 fenced ({fenced_how:?})"),
        Duration::from_secs(300),
        || {
            let since = events(2);
            let new = since.strip_prefix(events_before[1].as_str()).unwrap_or("");
            fenced_how.shown_by(new)
        },
    );
    println!(
        "FIGURE partition_fence_s {} (cut to node2 fenced, {fenced_how:?})",
        fenced.as_secs()
    );
    testbed.wait_until("node1 runs both VMs", Duration::from_secs(300), || {
        testbed
            .cluster(1)
            .is_some_and(|state| all_on(&state, &["vm1", "vm2"], "node1"))
    });
    println!(
        "FIGURE partition_survivor_runs_all_s {} (cut to both VMs on node1, {fenced_how:?})",
        cut.elapsed().as_secs()
    );
    assert_eq!(
        testbed.ssh(1, boot_id).as_deref(),
        Some(boots[0].as_str()),
        "node1 must not be fenced"
    );
    assert_eq!(events(1), events_before[0], "node1 must not be fenced");
    let history = fence_history(testbed, 1);
    assert!(
        history.contains("reboot of node2 successful: delegate=node1"),
        "Pacemaker's fencing history on node1: {history}"
    );
    for (vm, written) in [(0, &on_node1), (1, &on_node2)] {
        assert_eq!(
            device_checksum(testbed, 1, &device(vm)).as_deref(),
            Some(written.as_str()),
            "{}'s acknowledged write is not on node1",
            design.vms[vm].name
        );
    }

    // node2 comes back on its own, resyncs from node1 and takes vm2 home.
    let back = Instant::now();
    testbed.wait_until(
        "node2 back: both VMs home, DRBD UpToDate on both",
        Duration::from_secs(900),
        || {
            testbed.cluster(1).is_some_and(|state| {
                state.online("node2")
                    && all_on(&state, &["vm1"], "node1")
                    && all_on(&state, &["vm2"], "node2")
            }) && drbd_healthy(testbed, 1)
                && drbd_healthy(testbed, 2)
        },
    );
    println!(
        "FIGURE partition_failback_s {} (node2 fenced to both VMs home, {fenced_how:?})",
        back.elapsed().as_secs()
    );
    assert_ne!(
        testbed.ssh(2, boot_id),
        Some(boots[1].clone()),
        "node2 rebooted"
    );
    for node in [1, 2] {
        let log = testbed
            .ssh(node, "dmesg | grep -i 'split-brain' || true")
            .unwrap_or_default();
        assert!(log.trim().is_empty(), "node{node}: {log}");
    }
    assert_eq!(
        device_checksum(testbed, 2, &device(1)).as_deref(),
        Some(on_node2.as_str()),
        "vm2's data on node2 after the failback"
    );
    // (The bracket keeps pkill from matching the shell that runs it.)
    assert!(testbed.ssh(1, "pkill -f 'of=/dev/dr[b]d' ; true").is_some());
    // Day 2 sees the protection whole again: both fence devices and the device's vote. (The
    // status may also list monitors that timed out on the loaded machine meanwhile.)
    let output = testbed
        .tandem("status", &[])
        .output()
        .expect("tandem status");
    let status = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{status}");
    let devices = fence_devices(&design, &ClusterState::default());
    assert!(!devices.is_empty());
    for device in devices {
        assert!(
            status.contains(&format!("fence {}", device.id)) && !status.contains("NOT RUNNING"),
            "{status}"
        );
    }
    for node in ["node1", "node2"] {
        assert!(
            status.contains(&format!("qdevice {node} counts its vote, quorate")),
            "{status}"
        );
    }
}

/// Pacemaker's fencing history as `node` knows it, every event.
fn fence_history(testbed: &Testbed, node: usize) -> String {
    testbed
        .ssh(node, "stonith_admin --history '*' --verbose 2>&1 || true")
        .unwrap_or_default()
}

/// The Xen domain id of a VM on a node: it changes when the domain is restarted.
fn domain_id(testbed: &Testbed, node: usize, vm: &str) -> Option<String> {
    testbed
        .ssh(node, &format!("xl domid {vm}"))
        .map(|id| id.trim().to_owned())
}

/// Runs `tandem apply` with a profile (and extra arguments); its output.
fn apply_profile(testbed: &Testbed, profile: &Path, args: &[&str]) -> String {
    let (stdout, took) = tandem_succeeds(testbed, "apply", profile, args);
    println!("FIGURE apply {} s", took.as_secs());
    stdout
}

/// Runs `tandem VERB PROFILE ARGS...` on the testbed, which must succeed; its output (printed
/// too) and how long it took.
fn tandem_succeeds(
    testbed: &Testbed,
    verb: &str,
    profile: &Path,
    args: &[&str],
) -> (String, Duration) {
    let started = Instant::now();
    let output = testbed
        .tandem_with(verb, profile, args)
        .output()
        .expect("tandem runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "tandem {verb} failed:\n{stdout}");
    (stdout, started.elapsed())
}

/// Breaks (`add`) or restores (`del`) the DRBD connection on `port` at node2: every packet
/// node2 would send from or to that port goes to a blackhole route (a policy rule; no firewall
/// needed on the node), so that resource's replication times out while corosync and the other
/// resources keep talking.
fn drbd_link_blackhole(testbed: &Testbed, action: &str, port: u16) {
    // Protocol 6 (TCP) by number: the nodes have no /etc/protocols (netbase), and Debian 12's
    // ip cannot resolve the name without it.
    let command = format!(
        "ip rule {action} ipproto 6 dport {port} blackhole && \
         ip rule {action} ipproto 6 sport {port} blackhole && echo {action}ed"
    );
    assert_eq!(
        testbed.ssh(2, &command).as_deref().map(str::trim),
        Some(format!("{action}ed").as_str()),
        "ip rule {action} for DRBD's port {port} at node2"
    );
}

/// The fence handlers' location constraints in the CIB (as node1 sees it), as XML.
fn fence_constraints(testbed: &Testbed) -> String {
    testbed
        .ssh(
            1,
            "cibadmin -Q -o constraints | grep -A3 'drbd-fence-by-handler' || true",
        )
        .unwrap_or_default()
}

/// Cuts `vm`'s replication link (its DRBD `port`) at node2 and waits until DRBD's fence handler
/// on node1, where `vm` is Primary, has put its constraint in the CIB, saying `role="Promoted"`.
fn cut_until_fenced(testbed: &Testbed, vm: &str, port: u16) {
    let cut = Instant::now();
    drbd_link_blackhole(testbed, "add", port);
    let id = format!("drbd-fence-by-handler-{vm}");
    testbed.wait_until(
        &format!("DRBD's fence handler constrains {vm}"),
        Duration::from_secs(180),
        || fence_constraints(testbed).contains(&id),
    );
    println!(
        "FIGURE fence_constraint_placed_s {} ({vm})",
        cut.elapsed().as_secs()
    );
    let constraints = fence_constraints(testbed);
    assert!(
        constraints.contains(r#"role="Promoted""#) && !constraints.contains("Master"),
        "the handler's constraint: {constraints}"
    );
}

/// A third VM added to the profile: `apply` creates only its volume, DRBD resource, domain
/// config and Pacemaker resources, and vm1 and vm2 keep running (same domain ids). It is added
/// beside the DRBD fence handler's constraint for vm1 (its replication link cut, and restored
/// while the run goes on). Removed again (with the confirmation), it is stopped and taken off the
/// nodes; its volume stays. The removal runs beside the handler's constraint for vm3 (its link
/// cut, as after a link failure that has not resynced), and takes that constraint with it.
fn a_vm_is_added_and_removed_without_touching_the_others(testbed: &Testbed) {
    let running = || {
        [
            domain_id(testbed, 1, "vm1").expect("vm1 runs on node1"),
            domain_id(testbed, 2, "vm2").expect("vm2 runs on node2"),
        ]
    };
    let before = running();
    let since = testbed
        .ssh(1, "date +%s")
        .expect("node1's clock")
        .trim()
        .to_owned();
    let unchanged = |when: &str| {
        let now = running();
        if now != before {
            pacemaker_story(testbed, &since);
            panic!("vm1 or vm2 was restarted {when}: domain ids {before:?} became {now:?}");
        }
    };
    let text = std::fs::read_to_string(testbed.profile()).expect("the testbed profile");
    let third_vm = text
        .split("\n[[vms]]")
        .nth(1)
        .expect("vm1's block")
        .replace("\"vm1\"", "\"vm3\"")
        .replace("10.99.0.11", "10.99.0.13");
    let with_vm3 = text.replacen(
        "\n[[vms]]",
        "\n[[storage.volumes]]\nname = \"vm3\"\nsize = \"256M\"\n\n[[vms]]",
        1,
    ) + "\n[[vms]]"
        + &third_vm;
    let plus = testbed.state.path().join("testbed-plus-vm3.toml");
    std::fs::write(&plus, with_vm3).expect("write the bigger profile");

    // vm3 is added beside a fence constraint: vm1's replication link is cut first, and DRBD's
    // fence handler on node1 (vm1's Primary) constrains vm1. The link comes back while the run
    // goes on, as after a short outage: the run waits for vm1's resync, after which the handler
    // lifts the constraint.
    let bigger = common::design(&plus);
    let drbd_port = |name: &str| {
        bigger
            .vms
            .iter()
            .find(|vm| vm.name == name)
            .unwrap_or_else(|| panic!("{name} in the bigger profile"))
            .drbd_port
    };
    cut_until_fenced(testbed, "vm1", drbd_port("vm1"));
    let stdout = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_secs(30));
            let constraints = fence_constraints(testbed);
            assert!(
                constraints.contains("drbd-fence-by-handler-vm1"),
                "vm1's fence constraint was gone before its link came back: {constraints}"
            );
            drbd_link_blackhole(testbed, "del", drbd_port("vm1"));
        });
        apply_profile(testbed, &plus, &[])
    });
    testbed.wait_until(
        "DRBD's unfence handler lifts vm1's constraint after the resync",
        Duration::from_secs(120),
        || !fence_constraints(testbed).contains("drbd-fence-by-handler-vm1"),
    );
    let changed: Vec<&str> = stdout
        .lines()
        .filter(|line| line.trim_start().starts_with("[done]"))
        .collect();
    assert!(
        changed.iter().all(|line| line.contains("vm3")
            || line.contains("/etc/tandem/cluster.crm")
            || line.contains("crm-load")
            || line.contains("failures-cleared")),
        "adding vm3 changed more than vm3's things:\n{}",
        changed.join("\n")
    );
    assert!(changed.iter().any(|line| line.contains("drbd-up:vm3")));
    let state = testbed.cluster(1).expect("crm_mon");
    assert!(all_on(&state, &["vm3"], "node1"), "{state:?}");
    unchanged("by adding vm3");

    // vm3's replication link breaks: DRBD's fence handler on node1, where vm3 is Primary, puts
    // its constraint in the CIB (Pacemaker 3 and crmsh 5 refuse every change beside one that
    // says Master; Tandem's handler says Promoted).
    let vm3_port = drbd_port("vm3");
    cut_until_fenced(testbed, "vm3", vm3_port);

    // And out again, beside that constraint: the original profile, with the retirement
    // confirmed.
    let stdout = apply_profile(
        testbed,
        &testbed.profile(),
        &["--confirm-destructive", "retire-resources:vm3@node1"],
    );
    assert!(stdout.contains("retire-resources:vm3@node1"), "{stdout}");
    let constraints = fence_constraints(testbed);
    assert!(
        !constraints.contains("vm3"),
        "vm3's fence constraint outlived vm3: {constraints}"
    );
    drbd_link_blackhole(testbed, "del", vm3_port);
    let state = testbed.cluster(1).expect("crm_mon");
    assert!(
        state
            .instances
            .iter()
            .all(|instance| !instance.resource.ends_with("vm3")),
        "{state:?}"
    );
    for node in [1, 2] {
        assert!(
            !testbed
                .ssh(node, "xl list")
                .expect("xl list")
                .contains("vm3"),
            "node{node} still runs vm3"
        );
        assert_eq!(
            testbed
                .ssh(
                    node,
                    "drbdsetup status vm3 >/dev/null 2>&1 && echo up || echo down"
                )
                .as_deref()
                .map(str::trim),
            Some("down")
        );
        assert!(
            testbed
                .ssh(node, "lvs --noheadings -o lv_name tandem")
                .expect("lvs")
                .contains("vm3"),
            "node{node}: vm3's volume was not kept"
        );
        assert!(
            testbed
                .ssh(node, "ls /var/backups/tandem/etc/drbd.d")
                .expect("the backups")
                .contains("vm3.res."),
            "node{node}: vm3's DRBD file was not kept in /var/backups/tandem"
        );
    }
    unchanged("by removing vm3");
}

/// What Pacemaker did since `since` (seconds since the epoch) on both nodes: fail counts,
/// and the scheduler's and controller's lines about the VMs, to tell a restart the apply caused
/// from a monitor that timed out on a loaded machine.
fn pacemaker_story(testbed: &Testbed, since: &str) {
    for node in [1, 2] {
        println!(
            "--- node{node} since @{since}:\n{}",
            testbed
                .ssh(
                    node,
                    &format!(
                        "crm_mon -1 --failcounts 2>&1 | tail -n 30; \
                         journalctl -o short-precise --since @{since} -u pacemaker -u corosync 2>&1 \
                         | grep -E 'vm[0-9]|Initiating|Transition|error|warning|timed out' | tail -n 150"
                    )
                )
                .unwrap_or_else(|| "(no answer)".to_owned())
        );
    }
}

/// The GUI's Manage page on the testbed: Welcome → Manage cluster, both host keys confirmed,
/// the cluster read; "Move vm2 to node1" runs until the cluster settles with vm2 on node1, and
/// "Let vm2 go" sends it home.
fn manage_page_moves_a_vm_and_lets_it_go(testbed: &Testbed) {
    use common::wizard::{app_in, click, settle, shows};
    use tandem::gui::Message;
    use tandem::screens::welcome;
    use wizard_steps::pages::Page;

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let dir = testbed.state.path().join("manage");
        let (mut app, edge) = app_in(&dir);
        settle(
            &mut app,
            &edge,
            Message::Welcome(welcome::Message::ManagePressed(testbed.profile())),
        )
        .await;
        assert_eq!(app.page, Page::Manage);
        for index in 0..2 {
            trust_the_testbeds_key(testbed, &mut app, &edge, index).await;
        }
        assert!(shows(&app, "vm1: runs on node1 (home: node1)"));
        assert!(shows(&app, "vm2: runs on node2 (home: node2)"));

        let started = Instant::now();
        click(&mut app, &edge, "Move vm2 to node1").await;
        let last = app.manage.log.last().expect("the move's result").clone();
        assert!(last.ok, "{}", last.text);
        println!("FIGURE gui_move_s {}", started.elapsed().as_secs());
        assert!(shows(
            &app,
            "vm2: runs on node1 (home: node2) — not at home"
        ));
        let state = testbed.cluster(1).expect("crm_mon");
        assert!(all_on(&state, &["vm1", "vm2"], "node1"), "{state:?}");

        let started = Instant::now();
        click(&mut app, &edge, "Let vm2 go").await;
        let last = app.manage.log.last().expect("the release's result").clone();
        assert!(last.ok, "{}", last.text);
        println!("FIGURE gui_let_go_s {}", started.elapsed().as_secs());
        assert!(shows(&app, "vm2: runs on node2 (home: node2)"));
    });
}

/// `tandem drill`: node1 in standby (both VMs on node2), back online (vm1 returns home after
/// the resync), the same for node2; then the setup report lists the four steps.
fn drill_on_the_converged_cluster(testbed: &Testbed) {
    let started = Instant::now();
    let output = testbed
        .tandem("drill", &[])
        .output()
        .expect("tandem drill runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the drill failed:\n{stdout}");
    println!("FIGURE drill_s {}", started.elapsed().as_secs());
    print_drill_steps(&stdout, "drill step");
    let state = testbed.cluster(1).expect("crm_mon on node1");
    assert!(
        all_on(&state, &["vm1"], "node1") && all_on(&state, &["vm2"], "node2"),
        "after the drill: {state:?}"
    );
    assert!(drbd_healthy(testbed, 1) && drbd_healthy(testbed, 2));

    // The same journal has the hard drill's rows before these.
    let drill_rows = drill_report_rows(testbed);
    let standby_rows: Vec<&String> = drill_rows
        .iter()
        .filter(|row| row.contains(" in standby ") || row.contains(" back online "))
        .collect();
    assert_eq!(standby_rows.len(), 4, "{drill_rows:?}");
    assert!(
        standby_rows.iter().all(|row| row.contains("| done |")),
        "{drill_rows:?}"
    );
}

/// The figure of each step `tandem drill` lists after "Failover drill passed:".
fn print_drill_steps(stdout: &str, label: &str) {
    for line in stdout
        .lines()
        .skip_while(|line| !line.starts_with("Failover drill passed"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
    {
        println!("FIGURE {label} {}", line.trim());
    }
}

/// The drill rows of the setup report of the cluster's newest journal, as `tandem report`
/// writes them.
fn drill_report_rows(testbed: &Testbed) -> Vec<String> {
    let report = testbed.state.path().join("report.md");
    let output = common::tandem()
        .arg("report")
        .args(["--format", "md", "--out"])
        .arg(&report)
        .arg(journal::latest(&testbed.runs(), None).expect("the cluster's journal"))
        .output()
        .expect("tandem report");
    common::assert_success(&output, "tandem report");
    std::fs::read_to_string(&report)
        .expect("the report")
        .lines()
        .filter(|line| line.contains("| drill |"))
        .map(str::to_owned)
        .collect()
}

/// The wizard shows node `index`'s unknown host key (or the quorum device machine's, the
/// testbed's third): it is the testbed's, the administrator trusts it, and it is connected.
async fn trust_the_testbeds_key(
    testbed: &Testbed,
    app: &mut tandem::gui::App,
    edge: &std::sync::Arc<tandem::gui::edge::Edge>,
    index: usize,
) {
    use tandem::gui::Message;
    use tandem::screens::nodes;
    assert_eq!(
        app.nodes.link(index),
        &nodes::Link::ConfirmHostKey {
            fingerprint: testbed.fingerprint(index + 1)
        }
    );
    common::wizard::settle(
        app,
        edge,
        Message::Nodes(nodes::Message::TrustPressed(index)),
    )
    .await;
    assert_eq!(app.nodes.link(index), &nodes::Link::Connected);
}

/// What the Review page asks before a run of the testbed's cluster: the quorum device's machine
/// connected (its host key trusted the first time) and each BMC's password typed.
async fn what_the_review_page_asks(
    testbed: &Testbed,
    app: &mut tandem::gui::App,
    edge: &std::sync::Arc<tandem::gui::edge::Edge>,
) {
    use common::wizard::{click, type_into};
    use tandem::screens::nodes;
    assert_eq!(app.page, wizard_steps::pages::Page::Review);
    if app.profile.cluster.quorum_device.is_some() {
        click(app, edge, "Connect").await;
        if matches!(
            app.nodes.link(nodes::QUORUM_DEVICE),
            nodes::Link::ConfirmHostKey { .. }
        ) {
            trust_the_testbeds_key(testbed, app, edge, nodes::QUORUM_DEVICE).await;
        }
        assert_eq!(
            app.nodes.link(nodes::QUORUM_DEVICE),
            &nodes::Link::Connected
        );
    }
    // The BMC passwords, asked only when the profile fences through the BMCs (the full run's
    // unsafe profile keeps the BMC entries it does not use).
    let fences_with_bmcs = matches!(
        app.profile.cluster.fencing,
        wizard_steps::profile::Fencing::Ipmi {}
    );
    let hostnames: Vec<String> = app
        .profile
        .nodes
        .iter()
        .filter(|node| fences_with_bmcs && node.bmc.is_some())
        .map(|node| node.hostname.clone())
        .collect();
    for hostname in hostnames {
        type_into(app, edge, &format!("bmc-password-{hostname}"), BMC_PASSWORD).await;
    }
}

/// The wizard's own path to the same cluster: open the profile, connect to both nodes
/// (confirming their host keys), review the preflight and the plan, start, follow the run's
/// events on the Run page, and read the cluster on the Done page. On a converged cluster it
/// changes nothing but the failed actions it clears.
fn wizard_run_on_the_converged_cluster(testbed: &Testbed, profile: &Path, dir: &Path) {
    use common::wizard::{app_in, settle, shows};
    use tandem::gui::Message;
    use tandem::screens::nodes;
    use tandem::screens::welcome;
    use wizard_steps::pages::Page;
    use wizard_steps::run::board::StepState;

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (mut app, edge) = app_in(dir);
        settle(
            &mut app,
            &edge,
            Message::Welcome(welcome::Message::OpenPressed(profile.to_path_buf())),
        )
        .await;
        for index in 0..2 {
            settle(
                &mut app,
                &edge,
                Message::Nodes(nodes::Message::ConnectPressed(index)),
            )
            .await;
            // Confirmed already when the wizard built the cluster: pinned since.
            if matches!(app.nodes.link(index), nodes::Link::ConfirmHostKey { .. }) {
                trust_the_testbeds_key(testbed, &mut app, &edge, index).await;
            }
            assert_eq!(app.nodes.link(index), &nodes::Link::Connected);
        }
        let started = Instant::now();
        while app.page != Page::Review {
            let before = app.page;
            settle(&mut app, &edge, Message::NextPressed).await;
            assert_ne!(app.page, before, "Next blocked: {}", app.blocked_reason());
        }
        what_the_review_page_asks(testbed, &mut app, &edge).await;
        assert!(app.review.can_start(), "{}", app.review.blocked_reason());
        settle(&mut app, &edge, Message::NextPressed).await;
        assert_eq!(app.page, Page::Done, "{}", app.run.blocked_reason());
        let summary = app.run.board.summary.clone().expect("the run's summary");
        assert!(summary.succeeded(), "{summary:?}");
        // Pacemaker may keep failed actions from the hard drill (a monitor that timed out while
        // node1 was lost, more often on a loaded machine): the run clears them, and changes
        // nothing else.
        let changed: Vec<&str> = app
            .run
            .board
            .steps
            .iter()
            .filter(|step| step.state == StepState::Changed)
            .map(|step| step.id.as_str())
            .collect();
        assert!(
            changed.iter().all(|id| id.starts_with("failures-cleared@")),
            "the wizard's run on a converged cluster changed {changed:?}"
        );
        let (state, _) = app.run.board.cluster.clone().expect("the verified cluster");
        assert!(all_on(&state, &["vm1"], "node1") && all_on(&state, &["vm2"], "node2"));
        assert!(shows(&app, "vm1"), "the Done page names the VMs");
        println!(
            "FIGURE wizard_converged_run_s {} (connect, preflight, run)",
            started.elapsed().as_secs()
        );
    });
}

/// The path every new user takes, on the testbed's fresh nodes: New cluster in an empty wizard,
/// every value typed (or picked from what the connected nodes report: the Debian release, the
/// hostnames, the NIC and its address, the volume group), both host keys confirmed, two VMs
/// each given a new volume on the VMs page (resized on Storage), Review's preflight, the run
/// followed to Done, the profile saved. The cluster must be the testbed's reference one: the
/// saved profile's design equals its design. Returns where the wizard keeps its files.
fn wizard_builds_the_cluster_from_an_empty_wizard(testbed: &Testbed) -> PathBuf {
    use common::wizard::{app_in, click, settle, type_into};
    use tandem::gui::Message;
    use tandem::screens::{cluster, network, nodes, storage, vms};
    use wizard_steps::pages::Page;
    use wizard_steps::profile::{Boot, SshAuth};

    let reference = common::load(&testbed.profile());
    let dir = testbed.state.path().join("wizard");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (mut app, edge) = app_in(&dir);
        let started = Instant::now();
        click(&mut app, &edge, "New cluster").await;
        type_into(&mut app, &edge, "cluster-name", &reference.cluster.name).await;
        for (index, node) in reference.nodes.iter().enumerate() {
            let ssh = &node.ssh;
            type_into(&mut app, &edge, &format!("node{index}-host"), &ssh.host).await;
            // The port field holds 22: replaced, as a select-all and type would.
            let port = ssh.port.to_string();
            settle(
                &mut app,
                &edge,
                Message::Nodes(nodes::Message::PortChanged(index, port)),
            )
            .await;
            let SshAuth::KeyFile { path } = &ssh.auth else {
                panic!("the testbed signs in with a key file");
            };
            settle(
                &mut app,
                &edge,
                Message::Nodes(nodes::Message::AuthChanged(index, nodes::AuthKind::KeyFile)),
            )
            .await;
            // The field offers ~/.ssh/id_ed25519: replaced by the testbed's key.
            settle(
                &mut app,
                &edge,
                Message::Nodes(nodes::Message::KeyPathChanged(index, path.clone())),
            )
            .await;
            settle(
                &mut app,
                &edge,
                Message::Nodes(nodes::Message::ConnectPressed(index)),
            )
            .await;
            trust_the_testbeds_key(testbed, &mut app, &edge, index).await;
            assert_eq!(
                app.profile.nodes[index].hostname, node.hostname,
                "taken from the node"
            );
        }
        assert_eq!(
            app.profile.cluster.debian, reference.cluster.debian,
            "read from the nodes"
        );
        next(&mut app, &edge, Page::Nodes).await;

        for (index, node) in reference.nodes.iter().enumerate() {
            // Picked from the NICs the node reported; its address comes with it.
            let nic = node.lan.nic.clone();
            settle(
                &mut app,
                &edge,
                Message::Network(network::Message::NicPicked(index, nic)),
            )
            .await;
            assert_eq!(app.profile.nodes[index].lan.address, node.lan.address);
            settle(
                &mut app,
                &edge,
                Message::Network(network::Message::ReplicationFromLan(index)),
            )
            .await;
        }
        next(&mut app, &edge, Page::Network).await;

        let group = reference.storage.volume_group.clone();
        settle(
            &mut app,
            &edge,
            Message::Storage(storage::Message::GroupPicked(group)),
        )
        .await;
        next(&mut app, &edge, Page::Storage).await;

        for (index, node) in reference.nodes.iter().enumerate() {
            let memory = node.dom0_memory_mib.to_string();
            let number = vms::Number::Dom0(index);
            settle(
                &mut app,
                &edge,
                Message::Vms(vms::Message::NumberChanged(number, memory)),
            )
            .await;
        }
        for (index, vm) in reference.vms.iter().enumerate() {
            click(&mut app, &edge, "Add VM").await;
            let added = &app.profile.vms[index];
            assert_eq!(
                (added.name.as_str(), added.home.as_str()),
                (vm.name.as_str(), vm.home.as_str())
            );
            assert_eq!(added.volume, vm.volume, "a new volume of its own");
            let memory = vm.memory_mib.to_string();
            let number = vms::Number::Memory(index);
            settle(
                &mut app,
                &edge,
                Message::Vms(vms::Message::NumberChanged(number, memory)),
            )
            .await;
            settle(
                &mut app,
                &edge,
                Message::Vms(vms::Message::BootPicked(index, vms::BootKind::Pv)),
            )
            .await;
            let Boot::Pv {
                kernel,
                ramdisk,
                extra,
            } = &vm.boot
            else {
                panic!("the testbed's VMs boot PV");
            };
            type_into(&mut app, &edge, &format!("vm-kernel-{index}"), kernel).await;
            type_into(
                &mut app,
                &edge,
                &format!("vm-ramdisk-{index}"),
                ramdisk.as_deref().unwrap_or_default(),
            )
            .await;
            type_into(
                &mut app,
                &edge,
                &format!("vm-extra-{index}"),
                extra.as_deref().unwrap_or_default(),
            )
            .await;
            let console = vm.console_ip.as_deref().unwrap_or_default();
            type_into(&mut app, &edge, &format!("vm-console-{index}"), console).await;
        }
        // The new volumes are 20G: back on Storage, they get the testbed's small size.
        settle(&mut app, &edge, Message::PageSelected(Page::Storage)).await;
        for (index, volume) in reference.storage.volumes.iter().enumerate() {
            assert_eq!(app.profile.storage.volumes[index].name, volume.name);
            let size = volume.size.clone();
            settle(
                &mut app,
                &edge,
                Message::Storage(storage::Message::VolumeSizeChanged(index, size)),
            )
            .await;
        }
        next(&mut app, &edge, Page::Storage).await;
        next(&mut app, &edge, Page::Vms).await;

        // The safe configuration: each node fenced through its BMC, and the third machine as
        // the tie-breaker.
        click(
            &mut app,
            &edge,
            "IPMI: the surviving node powers the other off through its BMC (fence_ipmilan)",
        )
        .await;
        for (index, node) in reference.nodes.iter().enumerate() {
            let bmc = node.bmc.as_ref().expect("the testbed's nodes have BMCs");
            type_into(
                &mut app,
                &edge,
                &format!("bmc-address-{index}"),
                &bmc.address,
            )
            .await;
            type_into(&mut app, &edge, &format!("bmc-user-{index}"), &bmc.user).await;
            let cipher = bmc.cipher.expect("the testbed names the cipher suite");
            type_into(
                &mut app,
                &edge,
                &format!("bmc-cipher-{index}"),
                &cipher.to_string(),
            )
            .await;
        }
        let device = reference
            .cluster
            .quorum_device
            .as_ref()
            .expect("the testbed's quorum device");
        click(
            &mut app,
            &edge,
            "A quorum device: corosync-qnetd on a third machine",
        )
        .await;
        type_into(&mut app, &edge, "quorum-address", &device.address).await;
        type_into(&mut app, &edge, "quorum-ssh-host", &device.ssh.host).await;
        // The port field holds 22: replaced, as a select-all and type would.
        settle(
            &mut app,
            &edge,
            Message::Cluster(cluster::Message::QuorumSshPortChanged(
                device.ssh.port.to_string(),
            )),
        )
        .await;
        assert_eq!(
            app.profile
                .cluster
                .quorum_device
                .as_ref()
                .map(|made| &made.ssh),
            Some(&device.ssh),
            "signs in as on node 1"
        );
        let rate = reference.cluster.drbd.resync_rate.clone();
        settle(
            &mut app,
            &edge,
            Message::Cluster(cluster::Message::ResyncRateChanged(rate)),
        )
        .await;
        let skip = reference.cluster.drbd.skip_initial_sync_when_blank;
        settle(
            &mut app,
            &edge,
            Message::Cluster(cluster::Message::SkipInitialSyncToggled(skip)),
        )
        .await;
        next(&mut app, &edge, Page::Cluster).await;

        assert_eq!(app.page, Page::Review);
        what_the_review_page_asks(testbed, &mut app, &edge).await;
        assert!(app.review.can_start(), "{}", app.review.blocked_reason());
        let screenshots = ReadmeScreenshots::asked();
        screenshots.shoot(&app, "7-review");
        // Enter: Start setup (the button is at the foot of a long page). The Run page is shown
        // while a volume syncs, or else half way through the steps.
        let mut run_shot = None;
        common::wizard::settle_watching(&mut app, &edge, Message::NextPressed, &mut |app| {
            let board = &app.run.board;
            let syncing = board
                .bars
                .iter()
                .any(|bar| (20.0..=80.0).contains(&bar.percent));
            let finished = board
                .steps
                .iter()
                .filter(|step| step.duration_ms.is_some())
                .count();
            let half_way = finished * 2 >= board.steps.len() && !board.steps.is_empty();
            if app.page == Page::Run
                && (syncing || (half_way && run_shot.is_none()))
                && run_shot != Some(true)
            {
                screenshots.shoot(app, "8-run");
                run_shot = Some(syncing);
            }
        })
        .await;
        assert_eq!(app.page, Page::Done, "{}", app.run.blocked_reason());
        screenshots.shoot(&app, "9-done");
        let summary = app.run.board.summary.clone().expect("the run's summary");
        assert!(summary.succeeded(), "{summary:?}");
        println!(
            "FIGURE wizard_build_s {} (empty wizard to Done: {} changed)",
            started.elapsed().as_secs(),
            summary.changed
        );
        let (state, _) = app.run.board.cluster.clone().expect("the verified cluster");
        assert!(all_on(&state, &["vm1"], "node1") && all_on(&state, &["vm2"], "node2"));

        click(&mut app, &edge, "Save profile •").await;
        assert!(!app.unsaved(), "{:?}", app.profile_path);
        let saved = app.profile_path.clone().expect("saved");
        assert_eq!(saved, dir.join("profiles").join("testbed.toml"));
        assert_eq!(
            common::design(&saved),
            common::design(&testbed.profile()),
            "the wizard's cluster is not the reference profile's"
        );
    });
    dir
}

/// With `TANDEM_SCREENSHOTS=<folder>`, the wizard's Review, Run and Done pages of this real run
/// are drawn into that folder (README's screenshots: resources/screenshots/).
struct ReadmeScreenshots(Option<PathBuf>);

impl ReadmeScreenshots {
    fn asked() -> Self {
        ReadmeScreenshots(std::env::var_os("TANDEM_SCREENSHOTS").map(PathBuf::from))
    }

    /// The page as the window draws it at its opening size, in the light theme.
    fn shoot(&self, app: &tandem::gui::App, name: &str) {
        if let Some(folder) = &self.0 {
            let path = folder.join(format!("{name}.png"));
            common::wizard::png(app, (1024.0, 768.0), &iced::Theme::Light, &path);
            println!("screenshot: {}", path.display());
        }
    }
}

/// Presses Next on `page`, which must let the administrator go on.
async fn next(
    app: &mut tandem::gui::App,
    edge: &std::sync::Arc<tandem::gui::edge::Edge>,
    page: wizard_steps::pages::Page,
) {
    assert_eq!(app.page, page);
    assert!(
        app.can_continue(),
        "{page:?}: {}\n{}",
        app.blocked_reason(),
        app.problems
    );
    common::wizard::settle(app, edge, tandem::gui::Message::NextPressed).await;
    assert_ne!(app.page, page);
}
