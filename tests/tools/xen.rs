use crate::common;
use crate::common::tools::Tools;

// The rendered Xen domain configs (/etc/xen/<vm>.cfg on each node), read by Xen's own config
// parser: libxlutil, the library `xl create` parses with, from Debian's libxen-dev (Xen 4.17 of
// Debian 12 and 4.20 of Debian 13: the helper is built and run with each release's).
//
// `xl` cannot parse a file without a running hypervisor, so tests/xen/xl_config_check.c does
// the parsing part of `xl create` (xlu_cfg_readfile, xlu_disk_parse for every disk, xl's vif
// option rules) and prints what it read as `key=value` lines. It is compiled here, at test time,
// with the system C compiler; the values it reports are then compared with the profile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;
use wizard_steps::Design;
use wizard_steps::profile::{Boot, DebianRelease, Vm};
use wizard_steps::validate::VmDesign;

const HELPER_SOURCE: &str = "tests/xen/xl_config_check.c";

/// The C helper, built into its own temporary directory (removed with it).
struct XlConfigCheck {
    _dir: TempDir,
    tools: Tools,
    binary: PathBuf,
}

impl XlConfigCheck {
    fn build(tools: &Tools) -> XlConfigCheck {
        let dir = TempDir::new().expect("temporary directory");
        let binary = dir.path().join("xl_config_check");
        let source = common::repo_root().join(HELPER_SOURCE);
        let compiler = match tools.release {
            DebianRelease::Bookworm => std::env::var("CC").unwrap_or_else(|_| "cc".to_owned()),
            DebianRelease::Trixie => "cc".to_owned(),
        };
        let mut command = tools.command(&compiler);
        command
            .args(["-std=gnu11", "-Wall", "-o"])
            .arg(&binary)
            .arg(&source)
            .args(xen_flags(tools));
        let output = command.output().unwrap_or_else(|error| {
            panic!(
                "could not run the C compiler `{compiler}` ({error}): tests/tools/xen.rs builds {HELPER_SOURCE} \
                 against Xen's libxlutil. Install a C compiler (apt-get install gcc) and Debian's libxen-dev."
            )
        });
        assert!(
            output.status.success(),
            "could not build {HELPER_SOURCE} with {command:?}: it needs Xen's libxlutil and libxenlight \
             headers and libraries from Debian's libxen-dev (apt-get install libxen-dev; /usr/include/libxlutil.h).\n\
             --- compiler output\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        XlConfigCheck {
            _dir: dir,
            tools: tools.clone(),
            binary,
        }
    }

    fn run(&self, config: &Path) -> Output {
        common::run(
            self.tools
                .command(&self.binary.to_string_lossy())
                .arg(config),
        )
    }

    /// Parses a config that must be accepted, and returns what libxlutil read from it.
    fn parse(&self, config: &Path) -> Parsed {
        let output = self.run(config);
        common::assert_success(
            &output,
            &format!(
                "libxlutil's parse of {}\n{}",
                config.display(),
                read(config)
            ),
        );
        Parsed::new(config, &String::from_utf8_lossy(&output.stdout))
    }

    /// Runs the helper on a config that must be refused; returns its error output.
    fn reject(&self, config: &Path) -> String {
        let output = self.run(config);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(1),
            "the broken config {} was not refused:\n{}\n--- stdout\n{}\n--- stderr\n{stderr}",
            config.display(),
            read(config),
            String::from_utf8_lossy(&output.stdout),
        );
        stderr
    }
}

/// Compiler and linker flags for libxlutil and libxenlight: pkg-config's, or the plain libraries.
fn xen_flags(tools: &Tools) -> Vec<String> {
    let from_pkg_config = tools
        .command("pkg-config")
        .args(["--cflags", "--libs", "xlutil", "xenlight"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| {
            String::from_utf8_lossy(&output.stdout)
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        });
    from_pkg_config.unwrap_or_else(|| {
        assert!(
            tools.file("/usr/include/libxlutil.h").exists(),
            "Xen's libxlutil headers are missing (no /usr/include/libxlutil.h, and pkg-config knows no \
             xlutil): install Debian's libxen-dev (apt-get install libxen-dev)"
        );
        vec!["-lxlutil".to_owned(), "-lxenlight".to_owned()]
    })
}

/// The `key=value` lines the helper printed for one file.
struct Parsed {
    file: PathBuf,
    values: BTreeMap<String, String>,
}

impl Parsed {
    fn new(file: &Path, stdout: &str) -> Parsed {
        let values = stdout
            .lines()
            .map(|line| {
                let (key, value) = line.split_once('=').unwrap_or_else(|| {
                    panic!("xl_config_check printed a line without '=': {line:?}")
                });
                (key.to_owned(), value.to_owned())
            })
            .collect();
        Parsed {
            file: file.to_path_buf(),
            values,
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Asserts that libxlutil read `key` with the value `expected`.
    fn expect(&self, key: &str, expected: &str) {
        assert_eq!(
            self.get(key),
            Some(expected),
            "{}: libxlutil read {key} as {:?}, the profile says {expected:?}\n{}",
            self.file.display(),
            self.get(key),
            read(&self.file)
        );
    }

    /// Asserts that the file does not set `key`.
    fn expect_absent(&self, key: &str, why: &str) {
        assert_eq!(
            self.get(key),
            None,
            "{}: sets {key} although {why}\n{}",
            self.file.display(),
            read(&self.file)
        );
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// Checks what libxlutil read from one VM's config against the profile.
fn check_vm(design: &Design, vm: &VmDesign, settings: &Vm, parsed: &Parsed) {
    parsed.expect("name", &vm.name);
    parsed.expect("memory", &settings.memory_mib.to_string());
    parsed.expect("vcpus", &settings.vcpus.to_string());

    // One NIC, with the VM's own MAC, on the profile's bridge.
    parsed.expect("vif.count", "1");
    parsed.expect("vif0.mac", &vm.mac);
    parsed.expect("vif0.bridge", &design.network.bridge);

    // The first disk is the VM's DRBD device, read-write, raw.
    parsed.expect("disk0.target", &format!("/dev/drbd{}", vm.drbd_minor));
    parsed.expect("disk0.format", "raw");
    parsed.expect("disk0.readwrite", "1");
    parsed.expect("disk0.cdrom", "0");

    match &settings.boot {
        Boot::Hvm {
            iso, vnc_password, ..
        } => {
            parsed.expect("type", "hvm");
            parsed.expect("disk.count", "2");
            // `boot = "c"` boots the first IDE disk: the DRBD device must be it.
            parsed.expect("disk0.vdev", "hda");
            // The install ISO: a read-only CD-ROM.
            parsed.expect("disk1.target", iso);
            parsed.expect("disk1.format", "raw");
            parsed.expect("disk1.cdrom", "1");
            parsed.expect("disk1.readwrite", "0");
            parsed.expect("boot", "cd");
            parsed.expect("vnc", "1");
            let listen = vm
                .console_ip
                .map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string());
            parsed.expect("vnclisten", &listen);
            match vnc_password {
                Some(password) => parsed.expect("vncpasswd", password),
                None => parsed.expect_absent("vncpasswd", "the profile sets no VNC password"),
            }
            parsed.expect_absent("kernel", "the VM is an HVM guest");
        }
        Boot::Pv {
            kernel,
            ramdisk,
            extra,
        } => {
            parsed.expect("type", "pv");
            parsed.expect("disk.count", "1");
            parsed.expect("disk0.vdev", "xvda");
            parsed.expect("kernel", kernel);
            match ramdisk {
                Some(ramdisk) => parsed.expect("ramdisk", ramdisk),
                None => parsed.expect_absent("ramdisk", "the profile sets no ramdisk"),
            }
            match extra {
                Some(extra) => parsed.expect("extra", extra),
                None => parsed.expect_absent("extra", "the profile sets no kernel arguments"),
            }
            for key in ["boot", "vnc", "vnclisten", "vncpasswd"] {
                parsed.expect_absent(key, "the VM is a PV guest");
            }
        }
    }
}

/// The .cfg files of a node's /etc/xen, by name.
fn domain_configs(xen_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(xen_dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", xen_dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".cfg"))
        .collect();
    names.sort();
    names
}

/// Renders a profile for each release and checks every node's copy of every VM's config with
/// that release's libxlutil.
fn check_profile(profile: &Path) {
    for tools in Tools::every_release() {
        check_profile_with(&tools, &tools.profile(profile));
    }
}

fn check_profile_with(tools: &Tools, profile: &Path) {
    let written = common::load(profile);
    let design = common::design(profile);
    let helper = XlConfigCheck::build(tools);
    let rendered = common::render(profile, &[]);
    let nodes = common::rendered_nodes(rendered.path());
    let mut hostnames: Vec<String> = design
        .nodes
        .iter()
        .map(|node| node.hostname.clone())
        .collect();
    hostnames.sort();
    assert_eq!(
        nodes,
        hostnames,
        "rendered node directories of {}",
        profile.display()
    );

    let mut expected_files: Vec<String> = design
        .vms
        .iter()
        .map(|vm| format!("{}.cfg", vm.name))
        .collect();
    expected_files.sort();
    for node in &nodes {
        assert_eq!(
            domain_configs(&rendered.path().join(node).join("etc/xen")),
            expected_files,
            "the domain configs in {node}'s /etc/xen"
        );
    }

    for vm in &design.vms {
        let settings = written
            .vms
            .iter()
            .find(|settings| settings.name == vm.name)
            .expect("each VM design comes from a profile VM");
        let mut copies = Vec::new();
        for node in &nodes {
            let file = rendered
                .path()
                .join(node)
                .join("etc/xen")
                .join(format!("{}.cfg", vm.name));
            let parsed = helper.parse(&file);
            check_vm(&design, vm, settings, &parsed);
            copies.push((node, read(&file), parsed));
        }
        let [
            (first_node, first_text, first),
            (second_node, second_text, second),
        ] = copies.as_slice()
        else {
            panic!("expected two nodes, found {nodes:?}");
        };
        assert_eq!(
            first.get("vif0.mac"),
            second.get("vif0.mac"),
            "VM {} has another MAC on {second_node} than on {first_node}",
            vm.name
        );
        assert_eq!(
            first_text, second_text,
            "the config of VM {} differs between {first_node} and {second_node}",
            vm.name
        );
    }
}

#[test]
fn seed_domain_configs_are_read_by_libxlutil_as_the_profile_says() {
    check_profile(&common::example_profile("seed"));
}

#[test]
fn lab_domain_configs_are_read_by_libxlutil_as_the_profile_says() {
    check_profile(&common::example_profile("lab"));
}

#[test]
fn eight_vm_domain_configs_are_read_by_libxlutil_as_the_profile_says() {
    check_profile(&common::test_profile("eight-vms"));
}

/// Kernel arguments full of shell and xl metacharacters, a VNC password of them, paths with
/// '+': libxlutil reads every value exactly as the profile has it (no extra vif or disk field).
#[test]
fn hostile_domain_configs_are_read_by_libxlutil_as_the_profile_says() {
    check_profile(&common::test_profile("hostile"));
}

/// The check can fail: broken variants of a rendered config are refused by libxlutil or by the
/// helper's own rules, each with its reason.
#[test]
fn broken_domain_configs_are_refused() {
    for tools in Tools::every_release() {
        broken_configs_with(&XlConfigCheck::build(&tools));
    }
}

fn broken_configs_with(helper: &XlConfigCheck) {
    let rendered = common::render(&common::example_profile("seed"), &[]);
    let original = read(&rendered.path().join("node1/etc/xen/Win2012.cfg"));
    helper.parse(&rendered.path().join("node1/etc/xen/Win2012.cfg"));
    let scratch = TempDir::new().expect("temporary directory");

    let cases: [(&str, &str, &str, &str); 5] = [
        (
            "unterminated string",
            "name = \"Win2012\"",
            "name = \"Win2012",
            "config parsing error",
        ),
        (
            "unknown disk parameter",
            "access=rw, target=",
            "access=rw, bogus=1, target=",
            "unknown parameter",
        ),
        (
            "missing memory",
            "memory = 2048",
            "# no memory",
            "`memory` is missing",
        ),
        (
            "unknown vif option",
            ",bridge=br0",
            ",bridg=br0",
            "does not know the vif option",
        ),
        // libxlutil reads `memory = "2048"` as 2048 too, but not a word.
        (
            "memory not a number",
            "memory = 2048",
            "memory = \"2G\"",
            "`memory` is not a number",
        ),
    ];
    for (what, from, to, reason) in cases {
        assert!(
            original.contains(from),
            "the rendered Win2012.cfg no longer contains {from:?}"
        );
        let file = scratch
            .path()
            .join(format!("{}.cfg", what.replace(' ', "-")));
        std::fs::write(&file, original.replacen(from, to, 1)).expect("write the broken config");
        let stderr = helper.reject(&file);
        assert!(
            stderr.contains(reason),
            "{what} ({}): the refusal does not say {reason:?}:\n{stderr}",
            helper.tools
        );
    }
}

/// The comparison with the profile can fail too: a config libxlutil accepts, but with another
/// MAC and bridge than the profile's, does not pass `check_vm`.
#[test]
fn a_config_that_disagrees_with_the_profile_is_caught() {
    let profile = common::example_profile("seed");
    let design = common::design(&profile);
    let vm = &design.vms[0];
    let written = common::load(&profile);
    let settings = &written.vms[0];
    let helper = XlConfigCheck::build(&Tools::trixie());
    let rendered = common::render(&profile, &[]);
    let original = read(
        &rendered
            .path()
            .join("node1/etc/xen")
            .join(format!("{}.cfg", vm.name)),
    );
    let scratch = TempDir::new().expect("temporary directory");

    for (from, to) in [
        (vm.mac.as_str(), "00:16:3e:00:00:01"),
        ("bridge=br0", "bridge=br1"),
    ] {
        assert!(
            original.contains(from),
            "the rendered config no longer contains {from:?}"
        );
        let file = scratch.path().join("changed.cfg");
        std::fs::write(&file, original.replacen(from, to, 1)).expect("write the changed config");
        let parsed = helper.parse(&file);
        let caught = std::panic::catch_unwind(|| check_vm(&design, vm, settings, &parsed));
        assert!(
            caught.is_err(),
            "check_vm accepted a config with {to:?} instead of {from:?}"
        );
    }
}
