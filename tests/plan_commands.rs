//! Every shell command in the plans of the example profiles is valid POSIX shell for Debian's
//! /bin/sh (dash), checked with `sh -n` (parse only, nothing runs).

mod common;

use std::process::Command;

use wizard_steps::facts::NodeFacts;
use wizard_steps::plan::plan;

#[test]
fn every_planned_command_parses_as_posix_shell() {
    let shell = if std::path::Path::new("/bin/dash").exists() {
        "/bin/dash"
    } else {
        "/bin/sh"
    };
    let mut checked = 0;
    for profile in common::all_profiles() {
        let design = common::design(&profile);
        for module in ["8.4.11", "9.2.0"] {
            let facts = NodeFacts {
                drbd_module: Some(module.into()),
                ..Default::default()
            };
            let plan = plan(&design, &[facts.clone(), facts]);
            for (_, step) in plan.steps() {
                for command in step.operation.shell_commands() {
                    let output = common::run(Command::new(shell).args(["-n", "-c", command]));
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
    assert!(checked > 200, "only {checked} commands checked");
}
