//! Existing data on a volume, as the nodes' own tools see it: the read-only probe Tandem's
//! preflight and its metadata step run (`facts::VOLUME_PROBE`) is run by dash on disk images
//! made with the real tools (a partition table as every Windows disk has, ext4, swap, DRBD
//! metadata from drbdmeta, stray bytes at either end), and the metadata step's own guard is
//! run against them with a fake `drbdadm` that records whether it was reached.

use crate::common;

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;
use wizard_steps::facts::{NodeFacts, VOLUME_PROBE, VolumeContent};
use wizard_steps::plan::{Operation, plan};

const MIB: u64 = 1024 * 1024;

/// A 16 MiB image of zeros.
fn image(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    fs::File::create(&path)
        .and_then(|file| file.set_len(16 * MIB))
        .expect("image");
    path
}

fn write_at(path: &Path, offset: u64, bytes: &[u8]) {
    let mut file = fs::OpenOptions::new().write(true).open(path).expect("open");
    file.seek(SeekFrom::Start(offset)).expect("seek");
    file.write_all(bytes).expect("write");
}

/// An MBR with one Linux partition: what a whole-disk guest image starts with.
fn mbr(path: &Path) {
    let mut sector = [0u8; 512];
    let entry: [u8; 16] = [
        0x00, 0, 0, 0, 0x83, 0, 0, 0, // status, CHS start, type, CHS end
        0x00, 0x08, 0, 0, // first LBA 2048
        0x00, 0x60, 0, 0, // 24576 sectors
    ];
    sector[446..462].copy_from_slice(&entry);
    sector[510] = 0x55;
    sector[511] = 0xaa;
    write_at(path, 0, &sector);
}

fn tool(command: &mut Command, what: &str) {
    let output = common::run(command);
    common::assert_success(&output, what);
}

/// The probe's words for `device`, run by dash as the nodes run it.
fn probe(device: &Path) -> String {
    let script = format!("{VOLUME_PROBE}volume_probe {}", device.display());
    let output = common::run(Command::new("/bin/sh").args(["-c", &script]));
    common::assert_success(&output, "the volume probe");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn content(device: &Path) -> VolumeContent {
    VolumeContent::from_probe(&probe(device))
}

#[test]
fn the_probe_tells_blank_from_every_kind_of_existing_data() {
    let dir = TempDir::new().expect("temporary directory");

    let blank = image(dir.path(), "blank.img");
    assert_eq!(probe(&blank), "blank");
    assert_eq!(content(&blank), VolumeContent::Blank);

    // security.md finding 3: no filesystem signature, only a partition table.
    let partitioned = image(dir.path(), "windows-disk.img");
    mbr(&partitioned);
    assert_eq!(
        content(&partitioned),
        VolumeContent::Data(vec!["a dos partition table".into()]),
        "{}",
        probe(&partitioned)
    );

    let ext4 = image(dir.path(), "ext4.img");
    tool(
        Command::new(common::require_tool("mkfs.ext4"))
            .args(["-q", "-F"])
            .arg(&ext4),
        "mkfs.ext4",
    );
    assert!(
        content(&ext4).describe().contains("a filesystem (ext4)"),
        "{}",
        probe(&ext4)
    );

    let swap = image(dir.path(), "swap.img");
    tool(
        Command::new(common::require_tool("mkswap")).arg(&swap),
        "mkswap",
    );
    assert!(
        content(&swap).describe().contains("swap space"),
        "{}",
        probe(&swap)
    );

    // Bytes no tool recognises, at either end.
    let head = image(dir.path(), "head.img");
    write_at(&head, 4096, b"a database page");
    assert_eq!(probe(&head), "data-at-start");
    let tail = image(dir.path(), "tail.img");
    write_at(
        &tail,
        16 * MIB - 100,
        b"the end of a guest's last partition",
    );
    assert_eq!(probe(&tail), "data-at-end");
    assert_eq!(
        content(&tail),
        VolumeContent::Data(vec!["non-zero data in its last MiB".into()])
    );

    // DRBD metadata that no resource on this machine accounts for.
    let drbd = image(dir.path(), "drbd.img");
    tool(
        Command::new(common::require_tool("drbdmeta"))
            .args(["--force", "0", "v08"])
            .arg(&drbd)
            .args(["internal", "create-md"]),
        "drbdmeta create-md",
    );
    assert_eq!(
        content(&drbd),
        VolumeContent::Data(vec!["DRBD metadata of unknown origin".into()]),
        "{}",
        probe(&drbd)
    );
    // A partition table under DRBD metadata is still the partition table's data.
    mbr(&drbd);
    assert!(
        content(&drbd).describe().contains("a dos partition table"),
        "{}",
        probe(&drbd)
    );
}

/// The seed's create-md step for Win2012 on node1 (no keep_data_on), aimed at `device`.
fn create_md_command(device: &Path) -> String {
    let design = common::design(&common::example_profile("seed"));
    let facts = NodeFacts {
        drbd_module: Some("8.4.11".into()),
        ..NodeFacts::default()
    };
    let plan = plan(&design, &[facts.clone(), facts]);
    let step = plan
        .steps()
        .map(|(_, step)| step)
        .find(|step| step.id == "create-md:Win2012@node1")
        .expect("the metadata step");
    match &step.operation {
        Operation::Command { apply, .. } => {
            apply.replace("/dev/virtuals/Win2012", &device.display().to_string())
        }
        other => panic!("{other:?}"),
    }
}

/// Runs the metadata step with a fake `drbdadm` that leaves a mark; whether it ran, and the
/// step's stderr.
fn run_create_md(device: &Path) -> (bool, bool, String) {
    let dir = TempDir::new().expect("temporary directory");
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).expect("bin");
    let mark = dir.path().join("create-md-ran");
    let drbdadm = bin.join("drbdadm");
    fs::write(
        &drbdadm,
        format!("#!/bin/sh\necho \"$@\" > '{}'\n", mark.display()),
    )
    .expect("fake drbdadm");
    fs::set_permissions(&drbdadm, fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = common::run(
        Command::new("/bin/sh")
            .args(["-c", &create_md_command(device)])
            .env("PATH", path),
    );
    (
        output.status.success(),
        mark.exists(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_metadata_step_itself_refuses_a_volume_that_holds_data() {
    let dir = TempDir::new().expect("temporary directory");
    let partitioned = image(dir.path(), "windows-disk.img");
    mbr(&partitioned);
    let (succeeded, ran, stderr) = run_create_md(&partitioned);
    assert!(!succeeded && !ran, "create-md ran over a partitioned disk");
    assert!(
        stderr.contains("holds data (signature:dos data-at-start)")
            && stderr.contains("does not overwrite data"),
        "{stderr}"
    );
    let before = fs::read(&partitioned).expect("read");
    assert_eq!(&before[510..512], &[0x55, 0xaa], "untouched");

    let blank = image(dir.path(), "blank.img");
    let (succeeded, ran, stderr) = run_create_md(&blank);
    assert!(succeeded && ran, "{stderr}");
}
