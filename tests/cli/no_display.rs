//! `tandem` where no window can open (an SSH login, a console): it says so and points to the
//! headless commands instead of panicking; `tandem open` with a missing profile says that first.

use crate::common;

fn without_display(args: &[&str]) -> std::process::Output {
    common::run(
        common::tandem()
            .args(args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY"),
    )
}

#[test]
fn the_wizard_without_a_display_says_so_and_points_to_the_headless_commands() {
    let output = without_display(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no display"), "{stderr}");
    assert!(stderr.contains("tandem --help"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn open_names_a_missing_profile_on_the_terminal() {
    let output = without_display(&["open", "/nonexistent/cluster.toml"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/nonexistent/cluster.toml"), "{stderr}");
    assert!(
        !stderr.contains("no display"),
        "the file comes first: {stderr}"
    );

    let seed = common::example_profile("seed");
    let output = without_display(&["open", seed.to_str().expect("path")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no display"), "{stderr}");
}
