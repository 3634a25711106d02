//! Fencing as the plan checks it before the cluster relies on it: the plan's own "the BMC
//! answers" command, run with the release's real fence_ipmilan against OpenIPMI's BMC simulator
//! (ipmi_sim), both inside a network namespace of their own where the BMC has the profile's
//! address. The right password passes; a wrong password, or no BMC at that address, fails.

use crate::common;
use crate::common::tools::Tools;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;
use wizard_steps::facts::NodeFacts;
use wizard_steps::plan::{Operation, plan};
use wizard_steps::render::paths;

/// The lab's BMC of lab1 as the simulator plays it: the profile's address, IPMI's port, the
/// profile's user, lanplus with cipher suite 3 (which the lab names).
const BMC_ADDRESS: &str = "10.10.1.11";
const BMC_USER: &str = "fence";
const BMC_PASSWORD: &str = "s3cret-1";

fn simulator_config(dir: &Path) {
    let lan = format!(
        r#"name "lab1-bmc"
set_working_mc 0x20
  startlan 1
    addr {BMC_ADDRESS} 623
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  startcmd "/bin/true"
  startnow false
user 1 true  ""  "test"  user  10  none md2 md5 straight
user 2 true  "{BMC_USER}"  "{BMC_PASSWORD}"  admin  10  none md2 md5 straight
"#
    );
    fs::write(dir.join("lan.conf"), lan).expect("write lan.conf");
    fs::write(
        dir.join("cmds"),
        "mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n",
    )
    .expect("write the emulator commands");
    fs::create_dir_all(dir.join("state")).expect("the simulator's state directory");
}

/// Runs `inner` in a network namespace of its own, where the loopback interface also has the
/// BMC's address and (with `bmc`) the simulator answers on it.
fn with_bmc(inner: &Command, dir: &Path, bmc: bool) -> Output {
    const OUTER: &str = r#"dir=$1; bmc=$2; address=$3; shift 3
ip link set lo up && ip addr add "$address/32" dev lo || exit 125
sim=""
if [ "$bmc" = yes ]; then
  ipmi_sim -c "$dir/lan.conf" -f "$dir/cmds" -s "$dir/state" -n >"$dir/sim.log" 2>&1 &
  sim=$!
  sleep 1
fi
"$@"; rc=$?
[ -n "$sim" ] && kill "$sim"
exit $rc"#;
    let mut command = Command::new(common::require_tool("unshare"));
    command
        .args(["--net", "--", "/bin/sh", "-c", OUTER, "sh"])
        .arg(dir)
        .arg(if bmc { "yes" } else { "no" })
        .arg(BMC_ADDRESS)
        .arg(inner.get_program())
        .args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    common::run(&mut command)
}

/// The plan's check on lab2 that lab1's BMC answers, reading the password from `secret`
/// instead of the node's secret file.
fn bmc_check(tools: &Tools, secret: &Path) -> String {
    let profile = tools.profile(&common::example_profile("lab"));
    let design = common::design(&profile);
    let facts: [NodeFacts; 2] = Default::default();
    let plan = plan(&design, &facts);
    let (_, step) = plan
        .steps()
        .find(|(_, step)| step.id == "bmc-answers:lab1@lab2")
        .expect("the plan checks lab1's BMC from lab2");
    let Operation::Require { check, .. } = &step.operation else {
        panic!("a requirement: {step:?}");
    };
    let file = paths::fence_secret("lab1");
    assert!(check.contains(&file), "{check}");
    assert!(check.contains("--cipher=3"), "{check}");
    check.replace(&file, &secret.display().to_string())
}

#[test]
fn the_plan_checks_the_bmc_with_the_profiles_settings_and_the_real_agent() {
    common::require_tool("ipmi_sim");
    for tools in &Tools::every_release() {
        let dir = TempDir::new().expect("temporary directory");
        simulator_config(dir.path());
        let secret = dir.path().join("lab1.secret");
        let check = bmc_check(tools, &secret);
        let run = |password: &str, bmc: bool| {
            fs::write(&secret, format!("{password}\n")).expect("write the secret");
            let mut inner = tools.command("sh");
            inner.arg("-c").arg(&check);
            with_bmc(&inner, dir.path(), bmc)
        };
        let answered = run(BMC_PASSWORD, true);
        assert!(
            answered.status.success(),
            "{tools}: the BMC did not answer the plan's check:\n{check}\n{}\n{}\nsimulator: {}",
            String::from_utf8_lossy(&answered.stdout),
            String::from_utf8_lossy(&answered.stderr),
            fs::read_to_string(dir.path().join("sim.log")).unwrap_or_default()
        );
        for (password, bmc, what) in [
            ("wrong-password", true, "a wrong password"),
            (BMC_PASSWORD, false, "no BMC at the address"),
        ] {
            let output = run(password, bmc);
            assert_eq!(
                output.status.code(),
                Some(1),
                "{tools}: the plan's check passed (or could not run) with {what}:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

/// The preflight's presence ping, as lab2 runs it for lab1's BMC (the one it fences lab1
/// with), inside each release's tools: the simulator answers it, and without the simulator the
/// address is silent. No password and no IPMI client are needed for it.
#[test]
fn the_preflight_pings_the_bmc_each_node_fences_with() {
    common::require_tool("ipmi_sim");
    let lab = common::design(&common::example_profile("lab"));
    let script = wizard_steps::facts::gather_script(&lab, 1);
    for tools in &Tools::every_release() {
        let dir = TempDir::new().expect("temporary directory");
        simulator_config(dir.path());
        for (bmc, answers) in [(true, true), (false, false)] {
            let mut inner = tools.command("sh");
            inner.arg("-c").arg(&script);
            let output = with_bmc(&inner, dir.path(), bmc);
            let facts = wizard_steps::facts::parse(&String::from_utf8_lossy(&output.stdout));
            assert_eq!(
                facts.peer_bmc_answers,
                Some(answers),
                "{tools}, simulator running: {bmc}\n{}\nsimulator: {}",
                String::from_utf8_lossy(&output.stderr),
                fs::read_to_string(dir.path().join("sim.log")).unwrap_or_default()
            );
        }
    }
}
