//! Every rendered DRBD configuration, parsed by the real `drbdadm` from each node's point of view,
//! with the in-kernel 8.4 module's grammar and (for the DRBD 9 variant) the 9.x grammar, by
//! Debian 12's drbd-utils and Debian 13's.

use crate::common;
use crate::common::tools::Tools;

use std::fs;
use std::path::Path;

const DRBD_84: &str = "8.4.11";
const DRBD_9: &str = "9.2.0";

/// The main file drbdadm reads; the includes resolve from its own folder (the node's root).
const MAIN_FILE: &str =
    "include \"etc/drbd.d/global_common.conf\";\ninclude \"etc/drbd.d/*.res\";\n";

struct DrbdadmRun {
    status_ok: bool,
    stdout: String,
    /// stderr lines other than drbdadm's own banner for `__DRBD_NODE__`.
    unexpected_stderr: Vec<String>,
}

/// `drbdadm -d up all` as `node` with the given module version: prints the drbdsetup commands
/// it would run, changes nothing.
fn drbdadm_up_all(tools: &Tools, node_root: &Path, node: &str, version: &str) -> DrbdadmRun {
    let main = node_root.join("drbd-main.conf");
    fs::write(&main, MAIN_FILE).expect("write the main file");
    let output = common::run(
        tools
            .command("drbdadm")
            .args(["-c"])
            .arg(&main)
            .args(["-d", "up", "all"])
            .env("__DRBD_NODE__", node)
            .env("DRBD_DRIVER_VERSION_OVERRIDE", version),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let banner = [
        "found __DRBD_NODE__ in environment".to_owned(),
        format!("PRETENDING that I am >>{node}<<"),
    ];
    DrbdadmRun {
        status_ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        unexpected_stderr: stderr
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !banner.iter().any(|allowed| allowed == line))
            .map(str::to_owned)
            .collect(),
    }
}

fn assert_accepted(run: &DrbdadmRun, what: &str) {
    assert!(
        run.status_ok && run.unexpected_stderr.is_empty(),
        "drbdadm rejected or warned about {what}:\n{}\n--- stdout\n{}",
        run.unexpected_stderr.join("\n"),
        run.stdout
    );
}

/// Checks the 8.4 rendering of a profile on both nodes, and that drbdadm would set up each VM's
/// resource with the profile's minor, disk and addresses, seen from that node.
fn check_drbd84(profile: &Path) {
    for tools in Tools::every_release() {
        check_drbd84_with(&tools, profile);
    }
}

fn check_drbd84_with(tools: &Tools, profile: &Path) {
    let profile = tools.profile(profile);
    let design = common::design(&profile);
    let rendered = common::render(&profile, &[]);
    for (index, node) in design.nodes.iter().enumerate() {
        let peer = &design.nodes[1 - index];
        let run = drbdadm_up_all(
            tools,
            &rendered.path().join(&node.hostname),
            &node.hostname,
            DRBD_84,
        );
        assert_accepted(
            &run,
            &format!("{} as {} ({tools})", profile.display(), node.hostname),
        );
        for vm in &design.vms {
            let attach = format!(
                "drbdsetup-84 attach {minor} {disk} {disk} internal",
                minor = vm.drbd_minor,
                disk = vm.backing_disk
            );
            let connect = format!(
                "drbdsetup-84 connect {name} ipv4:{local}:{port} ipv4:{peer}:{port} --protocol=C",
                name = vm.name,
                local = node.replication_address,
                peer = peer.replication_address,
                port = vm.drbd_port
            );
            for expected in [&attach, &connect] {
                assert!(
                    run.stdout.contains(expected.as_str()),
                    "{} ({tools}): expected `{expected}` in\n{}",
                    node.hostname,
                    run.stdout
                );
            }
            assert!(
                run.stdout.contains("--fencing=resource")
                    && run.stdout.contains("--after-sb-2pri=disconnect"),
                "fencing and split-brain policies missing:\n{}",
                run.stdout
            );
        }
    }
}

#[test]
fn seed_profile_parses_as_drbd_84_on_both_nodes() {
    check_drbd84(&common::example_profile("seed"));
}

#[test]
fn lab_profile_with_a_separate_replication_link_parses_as_drbd_84() {
    check_drbd84(&common::example_profile("lab"));
}

#[test]
fn eight_vm_profile_parses_as_drbd_84_with_distinct_minors_and_ports() {
    check_drbd84(&common::test_profile("eight-vms"));
}

/// Volume group and volume names with '+', '.', '-' and '_', hostnames with dots: drbdadm reads
/// the disk and the peers exactly as the profile has them.
#[test]
fn the_hostile_profile_parses_as_drbd_84_with_its_names_intact() {
    check_drbd84(&common::test_profile("hostile"));
}

#[test]
fn drbd_9_variant_parses_with_node_ids_and_is_refused_by_the_84_grammar() {
    for tools in Tools::every_release() {
        drbd_9_variant_with(&tools);
    }
}

fn drbd_9_variant_with(tools: &Tools) {
    let profile = tools.profile(&common::example_profile("seed"));
    let design = common::design(&profile);
    let rendered = common::render(&profile, &["--drbd", "9"]);
    for (index, node) in design.nodes.iter().enumerate() {
        let root = rendered.path().join(&node.hostname);
        let run = drbdadm_up_all(tools, &root, &node.hostname, DRBD_9);
        assert_accepted(
            &run,
            &format!("the DRBD 9 rendering as {} ({tools})", node.hostname),
        );
        let peer = &design.nodes[1 - index];
        for vm in &design.vms {
            let peer_line = format!(
                "drbdsetup new-peer {} {} --_name={}",
                vm.name,
                1 - index,
                peer.hostname
            );
            assert!(
                run.stdout.contains(&peer_line),
                "expected `{peer_line}` in\n{}",
                run.stdout
            );
        }
        // The 8.4 grammar has no `fencing` in `net`: the variants are really different.
        assert!(!drbdadm_up_all(tools, &root, &node.hostname, DRBD_84).status_ok);
    }
}

#[test]
fn a_port_clash_between_two_resources_is_caught_by_drbdadm() {
    let profile = common::example_profile("seed");
    let rendered = common::render(&profile, &[]);
    let root = rendered.path().join("node1");
    let original =
        fs::read_to_string(root.join("etc/drbd.d/Win2012.res")).expect("rendered resource");
    let clash = original
        .replace("resource Win2012 {", "resource Clash {")
        .replace("/dev/drbd1;", "/dev/drbd9;")
        .replace("/dev/virtuals/Win2012;", "/dev/virtuals/Clash;");
    fs::write(root.join("etc/drbd.d/Clash.res"), clash).expect("write the clashing resource");
    for tools in Tools::every_release() {
        let run = drbdadm_up_all(&tools, &root, "node1", DRBD_84);
        assert!(
            !run.status_ok,
            "{tools}: drbdadm accepted two resources on one port:\n{}",
            run.stdout
        );
    }
}

/// Every `drbdadm ...` the plan runs, as (arguments, the step it comes from).
fn planned_drbdadm_calls(plan: &wizard_steps::plan::Plan) -> Vec<(String, String)> {
    let mut calls = Vec::new();
    for (_, step) in plan.steps() {
        for text in step.operation.shell_commands() {
            for part in text.split("drbdadm ").skip(1) {
                let arguments: String = part
                    .chars()
                    .take_while(|c| !matches!(c, ';' | '&' | '|' | '>' | ')'))
                    .collect();
                // "drbdadm cstate vm 2>/dev/null": the 2 belongs to the redirection.
                let arguments = arguments
                    .trim()
                    .trim_end_matches(" 2")
                    .trim_end_matches(" 1");
                // The volume probe is a shell function: its resource is the step's VM.
                let resource = step
                    .id
                    .split_once(':')
                    .and_then(|(_, rest)| rest.split('@').next())
                    .unwrap_or_default();
                let arguments = arguments.replace("\"$res\"", resource);
                calls.push((arguments, step.id.clone()));
            }
        }
    }
    calls
}

/// The plan's DRBD commands, each dry-run (`-d`) by the real drbdadm against the rendered
/// configuration: a typo in a command or an option the module's version lacks fails here.
fn check_planned_commands(drbd: &str, module: &str) {
    let facts = wizard_steps::facts::NodeFacts {
        drbd_module: Some(module.to_owned()),
        ..Default::default()
    };
    check_commands_of(
        |design| wizard_steps::plan::plan(design, &[facts.clone(), facts.clone()]),
        drbd,
        module,
    );
}

/// Each `drbdadm` call of the plan `plan_for` makes of the seed profile, for each release,
/// dry-run by that release's drbdadm.
fn check_commands_of(
    plan_for: impl Fn(&wizard_steps::Design) -> wizard_steps::plan::Plan,
    drbd: &str,
    module: &str,
) {
    for tools in Tools::every_release() {
        let profile = tools.profile(&common::example_profile("seed"));
        let plan = plan_for(&common::design(&profile));
        check_commands_with(&tools, &profile, &plan, drbd, module);
    }
}

fn check_commands_with(
    tools: &Tools,
    profile: &Path,
    plan: &wizard_steps::plan::Plan,
    drbd: &str,
    module: &str,
) {
    let rendered = common::render(profile, &["--drbd", drbd]);
    let root = rendered.path().join("node1");
    fs::write(root.join("drbd-main.conf"), MAIN_FILE).expect("main file");
    let calls = planned_drbdadm_calls(plan);
    assert!(calls.len() >= 10, "{calls:?}");
    for (arguments, step) in calls {
        let output = common::run(
            tools
                .command("drbdadm")
                .arg("-c")
                .arg(root.join("drbd-main.conf"))
                .arg("-d")
                .args(arguments.split_whitespace())
                .env("__DRBD_NODE__", "node1")
                .env("DRBD_DRIVER_VERSION_OVERRIDE", module),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        // `adjust` compares the configuration with the running kernel, so it first checks that
        // the node's address is on this host: having parsed the files and the resource that
        // far is all a workstation can check.
        let adjust_on_another_host = arguments.split_whitespace().any(|word| word == "adjust")
            && stderr.contains("not found on this host");
        assert!(
            output.status.success() || adjust_on_another_host,
            "{tools}, step {step}: `drbdadm {arguments}` is refused: {stderr}"
        );
    }
}

#[test]
fn the_plans_drbd_commands_are_accepted_by_drbdadm_84() {
    check_planned_commands("8.4", DRBD_84);
}

#[test]
fn the_plans_drbd_commands_are_accepted_by_drbdadm_9() {
    check_planned_commands("9", DRBD_9);
}

/// The split-brain recovery's DRBD commands (up, disconnect, secondary, connect with and without
/// --discard-my-data, cstate, role, dstate, down), dry-run by the real drbdadm.
#[test]
fn the_split_brain_recoverys_drbd_commands_are_accepted_by_drbdadm() {
    use wizard_steps::cluster_state::{DrbdResource, NodeDrbd};
    use wizard_steps::render::DrbdGeneration;
    use wizard_steps::split_brain::{detect, recovery_plan};
    let standalone = |node: &str| NodeDrbd {
        node: node.to_owned(),
        resources: vec![DrbdResource {
            name: "Win2012".into(),
            role: "Primary".into(),
            peer_role: "Unknown".into(),
            connection: "StandAlone".into(),
            disk: "UpToDate".into(),
            peer_disk: "DUnknown".into(),
            sync_percent: None,
        }],
    };
    for (drbd, module, generation) in [
        ("8.4", DRBD_84, DrbdGeneration::V84),
        ("9", DRBD_9, DrbdGeneration::V9),
    ] {
        check_commands_of(
            |design| {
                let splits = detect(design, &[standalone("node1"), standalone("node2")]);
                recovery_plan(design, &splits[0], 1, generation)
            },
            drbd,
            module,
        );
    }
}

/// DRBD's fence-peer handler as Tandem installs it, made by the plan's own command from each
/// release's real crm-fence-peer scripts (8.4's and 9's), asked what a peer's node state means.
/// The state is the one Pacemaker 3 recorded on the testbed for node2 once node1 had fenced it
/// (`in_ccm="0" crmd="0" expected="down"`): Pacemaker considers it cleanly down, so the handler
/// must not wait for a fencing; the distribution's own script waits (it expects "false" and
/// "offline"), which is the 90 s freeze the fix removes. Debian 12's words read the same
/// before and after.
#[test]
fn the_fence_peer_handler_sees_a_fenced_pacemaker_3_peer_as_down() {
    use wizard_steps::plan::fence_peer_handler_from;
    let fenced_pacemaker_3 = r#"<node_state id="2" uname="node2" in_ccm="0" crmd="0" crm-debug-origin="send_stonith_update" join="down" expected="down"/>"#;
    let fenced_pacemaker_2 = r#"<node_state id="2" uname="node2" in_ccm="false" crmd="offline" crm-debug-origin="send_stonith_update" join="down" expected="down"/>"#;
    let lost_pacemaker_3 = r#"<node_state id="2" uname="node2" in_ccm="0" crmd="0" crm-debug-origin="do_state_transition" join="down" expected="member"/>"#;
    for tools in Tools::every_release() {
        for script in ["crm-fence-peer.sh", "crm-fence-peer.9.sh"] {
            let source = tools.file(&format!("/usr/lib/drbd/{script}"));
            let source = source.to_string_lossy();
            let dir = tempfile::TempDir::new().expect("temporary directory");
            let derived = dir.path().join(script);
            let made = common::run(std::process::Command::new("sh").args([
                "-c",
                &format!(
                    "{} > '{}'",
                    fence_peer_handler_from(&format!("'{source}'")),
                    derived.display()
                ),
            ]));
            common::assert_success(&made, &format!("deriving {script} ({})", tools.release));
            // The script's own function, run on a node state as the script reads it.
            let verdict = |script: &str, state: &str| {
                let output = common::run(std::process::Command::new("bash").args([
                    "-c",
                    &format!(
                        "eval \"$(sed -n '/^guess_if_pacemaker_will_fence()/,/^}}/p' '{script}')\"; \
                         stonith_enabled=true; startup_fencing=true; node_state='{state}'; \
                         guess_if_pacemaker_will_fence; echo \"$will_fence $in_ccm $crmd\""
                    ),
                ]));
                common::assert_success(&output, "the handler's function");
                String::from_utf8_lossy(&output.stdout).trim().to_owned()
            };
            let derived = derived.to_string_lossy();
            let what = format!("{script} of {}", tools.release);
            // (handler, node state, what it concludes: will_fence in_ccm crmd)
            let expected = [
                (&*derived, fenced_pacemaker_3, "false false offline"),
                (&*source, fenced_pacemaker_3, "true 0 0"),
                (&*derived, fenced_pacemaker_2, "false false offline"),
                (&*source, fenced_pacemaker_2, "false false offline"),
                // Lost but not fenced yet: the handler waits for the fencing.
                (&*derived, lost_pacemaker_3, "true false offline"),
            ];
            for (handler, state, concluded) in expected {
                assert_eq!(
                    verdict(handler, state),
                    concluded,
                    "{what}: {handler} on {state}"
                );
            }
        }
    }
}
