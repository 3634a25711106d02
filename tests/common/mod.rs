//! Shared by the integration tests: run the `tandem` binary as a user does, find the real
//! Debian tools, and run them with readable failures.
#![allow(dead_code)] // each test target uses its own part of this module

pub mod keyboard;
pub mod sshd;
pub mod tools;
pub mod wizard;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("app/ has a parent")
        .to_path_buf()
}

/// An example profile shipped in resources/profiles/.
pub fn example_profile(name: &str) -> PathBuf {
    repo_root()
        .join("resources/profiles")
        .join(format!("{name}.toml"))
}

/// A profile kept for the tests in tests/profiles/.
pub fn test_profile(name: &str) -> PathBuf {
    repo_root()
        .join("tests/profiles")
        .join(format!("{name}.toml"))
}

/// Every profile the real-tool tests check: the two examples, the eight-VM test profile, the
/// live-migration one, and the hostile one (metacharacters in every field that allows them).
pub fn all_profiles() -> [PathBuf; 5] {
    [
        example_profile("seed"),
        example_profile("lab"),
        test_profile("eight-vms"),
        test_profile("live-migration"),
        test_profile("hostile"),
    ]
}

/// A profile file as the administrator wrote it.
/// The testbed's profile text (tests/testbed/testbed.toml.in, filled in or not) made unsafe, as
/// the seed is: no fencing, the risk acknowledged, and no quorum device.
pub fn testbed_without_fencing(text: &str) -> String {
    let (before, fencing) = text
        .split_once("[cluster.fencing]")
        .expect("the testbed's fencing section");
    let (_, nodes) = fencing
        .split_once("[[nodes]]")
        .expect("the testbed's nodes after its fencing and quorum device");
    format!(
        "{before}[cluster.fencing]\nmethod = \"none\"\nacknowledge_split_brain_risk = true\n\n[[nodes]]{nodes}"
    )
}

/// The testbed's profile with SBD fencing instead of IPMI: the disk both testbed nodes share,
/// and Linux's software watchdog (the VMs have no hardware one). The quorum device stays.
pub fn testbed_with_sbd(text: &str) -> String {
    let ipmi = "[cluster.fencing]\nmethod = \"ipmi\"\n";
    assert!(text.contains(ipmi), "the testbed's fencing section: {text}");
    text.replace(
        ipmi,
        "[cluster.fencing]\nmethod = \"sbd\"\ndevice = \"/dev/disk/by-id/virtio-tandem-sbd\"\nsoftdog = true\n",
    )
}

pub fn load(profile: &Path) -> wizard_steps::Profile {
    wizard_steps::profile::store::load(profile)
        .unwrap_or_else(|error| panic!("{} does not load: {error}", profile.display()))
}

/// A profile loaded and validated by the library: the expected values for a rendered file.
pub fn design(profile: &Path) -> wizard_steps::Design {
    let loaded = load(profile);
    wizard_steps::validate(&loaded)
        .unwrap_or_else(|problems| panic!("{} is not valid:\n{problems}", profile.display()))
}

/// The `tandem` binary built for this test run.
pub fn tandem() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
}

/// Runs `tandem render PROFILE --out DIR [extra...]` and returns the directory.
pub fn render(profile: &Path, extra: &[&str]) -> TempDir {
    let out = TempDir::new().expect("temporary directory");
    let output = tandem()
        .arg("render")
        .arg(profile)
        .arg("--out")
        .arg(out.path())
        .args(extra)
        .output()
        .expect("tandem runs");
    assert_success(&output, &format!("tandem render {}", profile.display()));
    out
}

/// The hostnames of the nodes in a rendered directory (its sub-directories), sorted.
pub fn rendered_nodes(dir: &Path) -> Vec<String> {
    let mut nodes: Vec<String> = std::fs::read_dir(dir)
        .expect("rendered directory")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    nodes.sort();
    nodes
}

/// The path of a real Debian tool; fails the test with the fix when it is missing.
pub fn require_tool(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!(
        "`{name}` is not installed: these tests check the rendered files with the real Debian tools. \
         Run the README's test command (tests/run), which installs them."
    )
}

pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|error| panic!("could not run {command:?}: {error}"))
}

/// Fails with the command's whole output when it did not exit 0.
pub fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed with {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Removes terminal colour sequences (crmsh colours its messages even into a pipe).
pub fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}
