//! Every shell command in the plans of the example profiles (the setup plan and each VM's
//! split-brain recovery) is valid POSIX shell for Debian's /bin/sh (dash), checked with `sh -n`
//! (parse only, nothing runs). One command whose loop matters is also run, against a fake
//! `drbdadm`.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use wizard_steps::facts::NodeFacts;
use wizard_steps::plan::{Operation, Plan, plan};
use wizard_steps::render::DrbdGeneration;
use wizard_steps::split_brain::{Split, recovery_plan};

fn shell() -> &'static str {
    if Path::new("/bin/dash").exists() {
        "/bin/dash"
    } else {
        "/bin/sh"
    }
}

fn split_of(vm: usize, resource: &str) -> Split {
    Split {
        vm,
        resource: resource.to_owned(),
        connections: ["StandAlone".to_owned(), "StandAlone".to_owned()],
    }
}

#[test]
fn every_planned_command_parses_as_posix_shell() {
    let mut checked = 0;
    for profile in common::all_profiles() {
        let design = common::design(&profile);
        let mut plans: Vec<Plan> = Vec::new();
        for module in ["8.4.11", "9.2.0"] {
            let facts = NodeFacts {
                drbd_module: Some(module.into()),
                ..Default::default()
            };
            plans.push(plan(&design, &[facts.clone(), facts]));
        }
        for (index, vm) in design.vms.iter().enumerate() {
            for victim in [0, 1] {
                for drbd in [DrbdGeneration::V84, DrbdGeneration::V9] {
                    plans.push(recovery_plan(
                        &design,
                        &split_of(index, &vm.name),
                        victim,
                        drbd,
                    ));
                }
            }
        }
        for plan in &plans {
            for (_, step) in plan.steps() {
                for command in step.operation.shell_commands() {
                    let output = common::run(Command::new(shell()).args(["-n", "-c", command]));
                    assert!(
                        output.status.success(),
                        "{} ({}): {}\n{command}",
                        step.id,
                        profile.display(),
                        String::from_utf8_lossy(&output.stderr)
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 400, "only {checked} commands checked");
}

/// The split-brain recovery's disconnect on node1 for the seed's first VM.
fn disconnect_command() -> String {
    let design = common::design(&common::example_profile("seed"));
    let plan = recovery_plan(
        &design,
        &split_of(0, &design.vms[0].name),
        1,
        DrbdGeneration::V84,
    );
    let step = plan
        .steps()
        .map(|(_, step)| step)
        .find(|step| step.id.starts_with("split-brain-disconnect:") && step.id.ends_with("@node1"))
        .expect("the disconnect step on node1");
    match &step.operation {
        Operation::Command { apply, .. } => apply.clone(),
        other => panic!("{other:?}"),
    }
}

/// Runs `command` with a fake `drbdadm` whose `disconnect` fails as DRBD does in a transient
/// state (exit 11) `refusals` times, then succeeds and leaves the resource StandAlone, and a
/// `sleep` that returns at once. Gives the output and how often `disconnect` ran.
fn with_fake_drbdadm(command: &str, refusals: u32) -> (Output, u32) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    let state = dir.path().join("cstate");
    let tries = dir.path().join("tries");
    std::fs::write(&state, "WFReportParams\n").expect("cstate");
    std::fs::write(&tries, "0\n").expect("tries");
    let drbdadm = format!(
        "#!/bin/sh\n\
         case \"$1\" in\n\
         cstate) cat '{state}' ;;\n\
         disconnect)\n\
           n=$(($(cat '{tries}') + 1)); echo $n >'{tries}'\n\
           if [ $n -le {refusals} ]; then\n\
             echo 'State change failed: (-18) In transient state, retry after next state change' >&2\n\
             exit 11\n\
           fi\n\
           echo StandAlone >'{state}' ;;\n\
         *) exit 2 ;;\n\
         esac\n",
        state = state.display(),
        tries = tries.display(),
    );
    for (name, script) in [("drbdadm", drbdadm.as_str()), ("sleep", "#!/bin/sh\n")] {
        let path = bin.join(name);
        std::fs::write(&path, script).expect("fake tool");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = common::run(
        Command::new(shell())
            .args(["-c", command])
            .env("PATH", path),
    );
    let tries = std::fs::read_to_string(&tries).expect("tries");
    (output, tries.trim().parse().expect("a count"))
}

#[test]
fn the_split_brain_disconnect_waits_out_drbds_transient_state() {
    let command = disconnect_command();
    let (output, tries) = with_fake_drbdadm(&command, 2);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(tries, 3);

    // A resource that never leaves its transient state: the step gives up and fails.
    let (output, tries) = with_fake_drbdadm(&command, u32::MAX);
    assert!(!output.status.success());
    assert_eq!(tries, 31);
}

/// Runs the rolling restart of node1 (`corosync::rolling_restart`) with fake `systemctl`,
/// `crm_mon`, `crm_attribute`, `crm_resource` and `sleep` that log every call: crm_mon reports
/// the nodes listed in a file as online; a restart of pacemaker puts node1 back in that file
/// when `rejoins`. Gives the log, whether the script succeeded and its stderr.
fn rolling_restart_with(online: &[&str], rejoins: bool) -> (Vec<String>, bool, String, bool) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    let log = dir.path().join("log");
    let members = dir.path().join("online");
    std::fs::write(&members, online.join("\n") + "\n").expect("online");
    let fake = |name: &str, body: &str| {
        let path = bin.join(name);
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\necho \"{name} $*\" >> '{}'\n{body}\n",
                log.display()
            ),
        )
        .expect("fake tool");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    let members_path = members.display().to_string();
    fake(
        "crm_mon",
        &format!(
            "echo '<crm_mon>'; for n in node1 node2; do if grep -qx \"$n\" '{members_path}'; then echo \"<node name=\\\"$n\\\" id=\\\"1\\\" online=\\\"true\\\"/>\"; else echo \"<node name=\\\"$n\\\" id=\\\"1\\\" online=\\\"false\\\"/>\"; fi; done; echo '</crm_mon>'"
        ),
    );
    fake(
        "systemctl",
        &format!(
            "case \"$1 $2\" in\n 'stop pacemaker') grep -vx node1 '{members_path}' > '{members_path}.new'; mv '{members_path}.new' '{members_path}' ;;\n 'start corosync') {} ;;\nesac\nexit 0",
            if rejoins {
                format!("echo node1 >> '{members_path}'")
            } else {
                "true".to_owned()
            }
        ),
    );
    fake("crm_attribute", "exit 0");
    fake("crm_resource", "exit 0");
    fake("sleep", "exit 0");
    // The node's /var/lib/tandem is the test's own directory.
    let script = wizard_steps::corosync::rolling_restart("node1", "node2")
        .replace("/var/lib/tandem", &dir.path().display().to_string());
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = common::run(
        Command::new(shell())
            .args(["-c", &script])
            .env("PATH", path),
    );
    let calls: Vec<String> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.starts_with("crm_mon") && !line.starts_with("sleep"))
        .map(str::to_owned)
        .collect();
    (
        calls,
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        dir.path().join("standby-for-restart").exists(),
    )
}

/// security.md finding 5: the restart that a corosync.conf change needs, run by dash.
#[test]
fn a_rolling_restart_moves_the_nodes_vms_away_and_waits_for_membership() {
    let (calls, ok, stderr, marked) = rolling_restart_with(&["node1", "node2"], true);
    assert!(ok, "{stderr}");
    let expected = [
        "systemctl is-active --quiet corosync",
        "crm_attribute --type nodes --node node1 --name standby --update on",
        "crm_resource --wait --timeout=900s",
        "systemctl stop pacemaker corosync",
        "systemctl start corosync pacemaker",
        "crm_attribute --type nodes --node node1 --name standby --update off",
        "crm_resource --wait --timeout=900s",
    ];
    let relevant: Vec<&str> = calls.iter().map(String::as_str).collect();
    assert_eq!(relevant.len(), expected.len(), "{calls:#?}");
    for (call, wanted) in relevant.iter().zip(expected) {
        assert!(
            call.starts_with(wanted),
            "{call} is not {wanted}: {calls:#?}"
        );
    }
    assert!(!marked, "the mark is gone once the node is back");

    // The other node is down: restarting this one would stop its VMs. Nothing happens.
    let (calls, ok, stderr, _) = rolling_restart_with(&["node1"], true);
    assert!(!ok);
    assert!(stderr.contains("node2 is not online"), "{stderr}");
    assert!(
        calls.iter().all(|call| !call.contains("standby")
            && !call.contains("systemctl stop")
            && !call.contains("systemctl start")),
        "{calls:#?}"
    );

    // This node is not a member (nothing runs on it): it is simply restarted.
    let (calls, ok, stderr, _) = rolling_restart_with(&["node2"], true);
    assert!(ok, "{stderr}");
    assert!(
        calls.iter().all(|call| !call.contains("standby")),
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .any(|call| call == "systemctl stop pacemaker corosync")
    );

    // It does not rejoin: it stays in standby with its VMs on node2, marked for the next run.
    let (calls, ok, stderr, marked) = rolling_restart_with(&["node1", "node2"], false);
    assert!(!ok);
    assert!(stderr.contains("node1 did not rejoin node2"), "{stderr}");
    assert!(
        calls.iter().all(|call| !call.contains("--update off")),
        "{calls:#?}"
    );
    assert!(marked);
}
