//! The `tandem validate` and `tandem render` verbs as a user runs them, and the golden files of
//! the seed profile (reviewed by hand once; `TANDEM_UPDATE_GOLDEN=1 cargo test --test cli`
//! rewrites them, and `git diff` then shows what a change did to the node files).

use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

fn golden_dir() -> PathBuf {
    common::repo_root().join("tests/golden/seed")
}

/// Every file below `root`, as paths relative to it, sorted.
fn files_below(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, found: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, root, found);
            } else {
                found.push(path.strip_prefix(root).expect("below root").to_path_buf());
            }
        }
    }
    let mut found = Vec::new();
    walk(root, root, &mut found);
    found.sort();
    found
}

#[test]
fn seed_profile_renders_exactly_the_golden_files() {
    let rendered = common::render(&common::example_profile("seed"), &[]);
    let golden = golden_dir();
    if std::env::var_os("TANDEM_UPDATE_GOLDEN").is_some() {
        let _ = fs::remove_dir_all(&golden);
        for relative in files_below(rendered.path()) {
            let target = golden.join(&relative);
            fs::create_dir_all(target.parent().expect("parent")).expect("create golden dir");
            fs::copy(rendered.path().join(&relative), target).expect("copy golden file");
        }
    }
    let rendered_files = files_below(rendered.path());
    assert_eq!(
        rendered_files,
        files_below(&golden),
        "the set of rendered files changed"
    );
    for relative in rendered_files {
        let expected = fs::read_to_string(golden.join(&relative)).expect("golden file");
        let actual = fs::read_to_string(rendered.path().join(&relative)).expect("rendered file");
        assert_eq!(
            actual,
            expected,
            "{} differs from its golden file; if the change is intended, run with TANDEM_UPDATE_GOLDEN=1 and review the diff",
            relative.display()
        );
    }
}

#[test]
fn render_writes_each_node_tree_and_keeps_vnc_passwords_private() {
    let rendered = common::render(&common::example_profile("seed"), &[]);
    assert_eq!(common::rendered_nodes(rendered.path()), ["node1", "node2"]);
    let mode = |relative: &str| {
        fs::metadata(rendered.path().join(relative))
            .unwrap_or_else(|error| panic!("{relative}: {error}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("node1/etc/xen/Win2012.cfg"), 0o600);
    assert_eq!(mode("node2/etc/drbd.d/Win2012-2.res"), 0o644);
    assert!(rendered.path().join("cluster.crm").is_file());
}

/// security.md finding 13: the domain config was written under the umask and chmodded after,
/// and `tandem plan` printed the VNC password.
#[test]
fn the_vnc_password_is_never_readable_by_others_nor_printed() {
    let out = TempDir::new().expect("temporary directory");
    let config = out.path().join("node1/etc/xen/Win2012.cfg");
    fs::create_dir_all(config.parent().expect("parent")).expect("mkdir");
    fs::write(&config, "an older render\n").expect("write");
    fs::set_permissions(&config, fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut old = fs::File::open(&config).expect("open");
    let output = common::tandem()
        .arg("render")
        .arg(common::example_profile("seed"))
        .arg("--out")
        .arg(out.path())
        .output()
        .expect("tandem runs");
    common::assert_success(&output, "tandem render");
    assert_eq!(
        fs::metadata(&config).expect("meta").permissions().mode() & 0o777,
        0o600
    );
    assert!(
        fs::read_to_string(&config)
            .expect("read")
            .contains("vncpasswd = \"passw0rd\"")
    );
    // The password went into a new file (0600 from its creation), not into the old 0644 one.
    let mut held = String::new();
    std::io::Read::read_to_string(&mut old, &mut held).expect("read");
    assert_eq!(held, "an older render\n");

    let plan = common::tandem()
        .arg("plan")
        .arg(common::example_profile("seed"))
        .output()
        .expect("tandem runs");
    common::assert_success(&plan, "tandem plan");
    let script = String::from_utf8_lossy(&plan.stdout);
    assert!(
        !script.contains("passw0rd"),
        "the plan prints the VNC password"
    );
    assert!(script.contains("vncpasswd = \"********\""), "{script}");
}

#[test]
fn validate_accepts_every_example_profile() {
    for profile in [
        common::example_profile("seed"),
        common::example_profile("lab"),
        common::test_profile("eight-vms"),
    ] {
        let output = common::run(common::tandem().arg("validate").arg(&profile));
        common::assert_success(&output, &format!("tandem validate {}", profile.display()));
        assert!(String::from_utf8_lossy(&output.stdout).contains("valid"));
    }
}

/// A copy of the seed profile with some text replaced, in a directory of its own.
fn edited_seed(replacements: &[(&str, &str)]) -> (TempDir, PathBuf) {
    let mut text = fs::read_to_string(common::example_profile("seed")).expect("seed profile");
    for (from, to) in replacements {
        assert!(text.contains(from), "the seed profile has no `{from}`");
        text = text.replacen(from, to, 1);
    }
    let dir = TempDir::new().expect("temporary directory");
    let path = dir.path().join("edited.toml");
    fs::write(&path, text).expect("write the profile");
    (dir, path)
}

#[test]
fn validate_lists_every_problem_with_field_and_fix_and_exits_1() {
    let (_dir, profile) = edited_seed(&[
        ("\nmemory_mib = 2048", "\nmemory_mib = 0"),
        ("home = \"node2\"", "home = \"node3\""),
        (
            "address = \"192.168.1.2/24\"",
            "address = \"192.168.1.300/24\"",
        ),
    ]);
    let output = common::run(common::tandem().arg("validate").arg(&profile));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for field in ["vms[0].memory_mib", "vms[1].home", "nodes[1].lan.address"] {
        assert!(stderr.contains(field), "`{field}` missing from:\n{stderr}");
    }
    assert!(stderr.contains("3 problem(s)"), "{stderr}");
    assert!(
        stderr.matches("fix:").count() >= 3,
        "every problem has a fix:\n{stderr}"
    );
}

#[test]
fn an_unknown_key_is_refused_with_its_name() {
    let (_dir, profile) = edited_seed(&[("vcpus = 1", "vcpus = 1\ncpus = 2")]);
    let output = common::run(common::tandem().arg("validate").arg(&profile));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cpus"), "{stderr}");
}

#[test]
fn render_of_an_invalid_profile_writes_nothing() {
    let (dir, profile) = edited_seed(&[("drbd_port = 7800", "drbd_port = 7900")]);
    let out = dir.path().join("out");
    let output = common::run(
        common::tandem()
            .arg("render")
            .arg(&profile)
            .arg("--out")
            .arg(&out),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("vms[1].drbd_port"));
    assert!(!out.exists(), "render wrote files for an invalid profile");
}

/// A day-2 verb names what it acts on by the profile's names; a wrong name is an error naming
/// the field and the choices, and an unconfirmed reset (the hard drill) is refused, before any
/// connection (the seed's nodes do not exist).
#[test]
fn maintenance_verbs_refuse_unknown_names_before_connecting() {
    let seed = common::example_profile("seed");
    for (args, expected) in [
        (
            vec!["standby", "node3"],
            "no node \"node3\" in the profile: name one of node1, node2 (nodes[].hostname)",
        ),
        (vec!["online", "NODE1"], "no node \"NODE1\" in the profile"),
        (
            vec!["move", "Win2013", "node2"],
            "no VM \"Win2013\" in the profile: name one of Win2012, Win2012-2 (vms[].name)",
        ),
        (
            vec!["move", "Win2012", "node9"],
            "no node \"node9\" in the profile",
        ),
        (vec!["unmove", "nope"], "no VM \"nope\" in the profile"),
        (
            vec!["drill", "--node", "node3"],
            "no node \"node3\" in the profile",
        ),
        (
            vec!["drill", "--hard", "--node", "node2"],
            "not confirmed: crash node2 (reset without shutting down: its VMs restart on node1). Nothing was changed. Confirm with --confirm-destructive crash@node2",
        ),
        (
            vec!["drill", "--hard", "--confirm-destructive", "crash@node1"],
            "Confirm with --confirm-destructive crash@node2",
        ),
        (
            vec!["drill", "--fence"],
            "--fence: the cluster has no fencing (cluster.fencing = none)",
        ),
        (vec!["drill", "--fence", "--hard"], "cannot be used with"),
    ] {
        let verb = args[0];
        let output = common::run(
            common::tandem()
                .arg(verb)
                .arg(&seed)
                .args(&args[1..])
                .stdin(std::process::Stdio::null()),
        );
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("connect"),
            "{args:?} tried to connect: {stderr}"
        );
    }
    let output = common::run(
        common::tandem()
            .arg("split-brain")
            .arg(&seed)
            .args(["--discard", "node9"])
            .stdin(std::process::Stdio::null()),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("--discard node9: no such node in the profile (nodes[].hostname)"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // With fencing (the lab: IPMI), each fence is confirmed.
    let output = common::run(
        common::tandem()
            .arg("drill")
            .arg(common::example_profile("lab"))
            .args(["--fence", "--node", "lab2"])
            .stdin(std::process::Stdio::null()),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(
            "not confirmed: fence lab2 through the cluster (its BMC power-cycles it: its VMs \
             restart on lab1). Nothing was changed. Confirm with --confirm-destructive fence@lab2"
        ),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = common::run(
        common::tandem()
            .args(["drill"])
            .arg(&seed)
            .args(["--timeout", "1"]),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--timeout 1 is shorter"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The testbed's profile as `tests/testbed/testbed up` fills it in, and the end-to-end test's
/// variants of it (no fencing; SBD on the disk both nodes share instead of IPMI): each one
/// validates and renders, so that the end-to-end run does not find out after 40 minutes.
#[test]
fn the_testbeds_profile_and_the_end_to_end_variants_render() {
    let template = fs::read_to_string(common::repo_root().join("tests/testbed/testbed.toml.in"))
        .expect("the testbed's profile template");
    let filled = [
        ("@PORT1@", "2201"),
        ("@PORT2@", "2202"),
        ("@PORTQ@", "2203"),
        ("@QNETD@", "10.0.2.100"),
        ("@KEY@", "/root/.ssh/id_ed25519"),
        ("@DEBIAN@", "13"),
    ]
    .iter()
    .fold(template, |text, (placeholder, value)| {
        text.replace(placeholder, value)
    });
    assert!(!filled.contains('@'), "{filled}");
    let dir = TempDir::new().expect("temporary directory");
    for (name, text) in [
        ("safe", filled.clone()),
        ("unsafe", common::testbed_without_fencing(&filled)),
        ("sbd", common::testbed_with_sbd(&filled)),
    ] {
        let profile = dir.path().join(format!("{name}.toml"));
        fs::write(&profile, text).expect("write the profile");
        let out = common::render(&profile, &[]);
        let sbd = fs::read_to_string(out.path().join("node1/etc/default/sbd"));
        assert_eq!(
            sbd.is_ok_and(|sbd| sbd.contains("SBD_DEVICE=\"/dev/disk/by-id/virtio-tandem-sbd\"")),
            name == "sbd",
            "{name}"
        );
    }
}
