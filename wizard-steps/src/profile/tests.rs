use super::*;

const SEED: &str = include_str!("../../../resources/profiles/seed.toml");
const LAB: &str = include_str!("../../../resources/profiles/lab.toml");

/// A key no part of the profile has.
const UNKNOWN: &str = "surprise_key";

fn seed() -> Profile {
    Profile::from_toml(SEED, "seed").expect("the seed profile parses")
}

fn lab() -> Profile {
    Profile::from_toml(LAB, "lab").expect("the lab profile parses")
}

fn table<'a>(parent: &'a mut toml::Table, key: &str) -> &'a mut toml::Table {
    parent
        .get_mut(key)
        .and_then(toml::Value::as_table_mut)
        .unwrap_or_else(|| panic!("no table `{key}`"))
}

fn item<'a>(parent: &'a mut toml::Table, key: &str, index: usize) -> &'a mut toml::Table {
    parent
        .get_mut(key)
        .and_then(toml::Value::as_array_mut)
        .and_then(|array| array.get_mut(index))
        .and_then(toml::Value::as_table_mut)
        .unwrap_or_else(|| panic!("no table `{key}[{index}]`"))
}

/// The profile `text` with `edit` applied to its TOML document, written back out.
fn edited(text: &str, edit: impl FnOnce(&mut toml::Table)) -> String {
    let mut document: toml::Table = toml::from_str(text).expect("valid TOML");
    edit(&mut document);
    toml::to_string(&document).expect("TOML serialises")
}

/// Adds [`UNKNOWN`] to the table `locate` picks, and checks that the loader names it.
#[track_caller]
fn assert_unknown_key_rejected(
    text: &str,
    place: &str,
    locate: impl FnOnce(&mut toml::Table) -> &mut toml::Table,
) {
    // Rewritten without the extra key, the document still loads: only the key is wrong.
    Profile::from_toml(&edited(text, |_| {}), "rewritten").expect("the rewritten profile loads");
    let text = edited(text, |document| {
        locate(document).insert(UNKNOWN.to_owned(), toml::Value::Integer(1));
    });
    match Profile::from_toml(&text, "edited.toml") {
        Err(ProfileError::Parse { path, message }) => {
            assert_eq!(path, "edited.toml");
            assert!(
                message.contains(UNKNOWN),
                "the error for an unknown key in {place} does not name it: {message}"
            );
        }
        Err(other) => panic!("an unknown key in {place} gave another error: {other}"),
        Ok(_) => panic!("an unknown key in {place} was accepted:\n{text}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Unknown keys
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_top_level_key_is_rejected() {
    assert_unknown_key_rejected(SEED, "the top level", |document| document);
}

#[test]
fn unknown_cluster_key_is_rejected() {
    assert_unknown_key_rejected(SEED, "[cluster]", |document| table(document, "cluster"));
}

#[test]
fn unknown_cluster_drbd_key_is_rejected() {
    assert_unknown_key_rejected(SEED, "[cluster.drbd]", |document| {
        table(table(document, "cluster"), "drbd")
    });
}

#[test]
fn unknown_node_key_is_rejected() {
    for index in [0, 1] {
        assert_unknown_key_rejected(SEED, "[[nodes]]", |document| item(document, "nodes", index));
    }
}

#[test]
fn unknown_node_ssh_key_is_rejected() {
    assert_unknown_key_rejected(SEED, "nodes.ssh", |document| {
        table(item(document, "nodes", 0), "ssh")
    });
}

#[test]
fn unknown_ssh_auth_key_is_rejected_for_key_file() {
    assert_unknown_key_rejected(LAB, "the key-file auth table", |document| {
        table(table(item(document, "nodes", 1), "ssh"), "auth")
    });
}

#[test]
fn unknown_ssh_auth_key_is_rejected_for_agent() {
    assert_unknown_key_rejected(SEED, "the agent auth table", |document| {
        table(table(item(document, "nodes", 0), "ssh"), "auth")
    });
}

#[test]
fn unknown_ssh_auth_key_is_rejected_for_password() {
    let text = edited(SEED, |document| {
        let auth = table(table(item(document, "nodes", 0), "ssh"), "auth");
        auth.insert("method".to_owned(), "password".into());
    });
    assert_unknown_key_rejected(&text, "the password auth table", |document| {
        table(table(item(document, "nodes", 0), "ssh"), "auth")
    });
}

#[test]
fn unknown_node_lan_key_is_rejected() {
    assert_unknown_key_rejected(SEED, "nodes.lan", |document| {
        table(item(document, "nodes", 1), "lan")
    });
}

#[test]
fn unknown_node_bmc_key_is_rejected() {
    assert_unknown_key_rejected(LAB, "nodes.bmc", |document| {
        table(item(document, "nodes", 0), "bmc")
    });
}

#[test]
fn unknown_network_key_is_rejected() {
    assert_unknown_key_rejected(SEED, "[network]", |document| table(document, "network"));
}

#[test]
fn unknown_storage_keys_are_rejected() {
    assert_unknown_key_rejected(SEED, "[storage]", |document| table(document, "storage"));
    assert_unknown_key_rejected(SEED, "[[storage.volumes]]", |document| {
        item(table(document, "storage"), "volumes", 1)
    });
}

#[test]
fn unknown_vm_key_is_rejected() {
    assert_unknown_key_rejected(SEED, "[[vms]]", |document| item(document, "vms", 0));
}

#[test]
fn unknown_hvm_boot_key_is_rejected() {
    assert_unknown_key_rejected(SEED, "vms.boot (hvm)", |document| {
        table(item(document, "vms", 1), "boot")
    });
}

#[test]
fn unknown_pv_boot_key_is_rejected() {
    assert_unknown_key_rejected(LAB, "vms.boot (pv)", |document| {
        table(item(document, "vms", 0), "boot")
    });
}

#[test]
fn a_boot_key_of_the_other_boot_type_is_rejected() {
    // `kernel` belongs to PV boot only: an HVM VM with it is a mistake to name.
    let text = edited(SEED, |document| {
        table(item(document, "vms", 0), "boot").insert("kernel".to_owned(), "/boot/vmlinuz".into());
    });
    let error = Profile::from_toml(&text, "seed").expect_err("kernel is not an HVM key");
    assert!(error.to_string().contains("kernel"), "{error}");
}

#[test]
fn unknown_failback_key_is_rejected_for_a_window() {
    let text = edited(SEED, |document| {
        let failback = table(table(document, "cluster"), "failback");
        failback.insert("policy".to_owned(), "window".into());
        failback.insert("start_hour".to_owned(), 22.into());
        failback.insert("end_hour".to_owned(), 6.into());
    });
    assert_unknown_key_rejected(&text, "cluster.failback (window)", |document| {
        table(table(document, "cluster"), "failback")
    });
}

#[test]
fn unknown_failback_key_is_rejected_for_return_home() {
    assert_unknown_key_rejected(SEED, "cluster.failback (return-home)", |document| {
        table(table(document, "cluster"), "failback")
    });
}

#[test]
fn unknown_failback_key_is_rejected_for_stay() {
    assert_unknown_key_rejected(LAB, "cluster.failback (stay)", |document| {
        table(table(document, "cluster"), "failback")
    });
}

#[test]
fn unknown_fencing_key_is_rejected_for_none() {
    assert_unknown_key_rejected(SEED, "cluster.fencing (none)", |document| {
        table(table(document, "cluster"), "fencing")
    });
}

#[test]
fn unknown_fencing_key_is_rejected_for_ipmi() {
    assert_unknown_key_rejected(LAB, "cluster.fencing (ipmi)", |document| {
        table(table(document, "cluster"), "fencing")
    });
}

#[test]
fn unknown_enum_values_are_rejected() {
    for (edit, value) in [
        (
            Box::new(|document: &mut toml::Table| {
                table(table(document, "cluster"), "failback")
                    .insert("policy".to_owned(), "later".into());
            }) as Box<dyn Fn(&mut toml::Table)>,
            "later",
        ),
        (
            Box::new(|document: &mut toml::Table| {
                table(table(document, "cluster"), "fencing")
                    .insert("method".to_owned(), "stonith".into());
            }),
            "stonith",
        ),
        (
            Box::new(|document: &mut toml::Table| {
                table(table(document, "cluster"), "drbd").insert("protocol".to_owned(), "D".into());
            }),
            "D",
        ),
        (
            Box::new(|document: &mut toml::Table| {
                table(table(document, "cluster"), "drbd")
                    .insert("verify_alg".to_owned(), "md4".into());
            }),
            "md4",
        ),
        (
            Box::new(|document: &mut toml::Table| {
                table(item(document, "vms", 0), "boot").insert("type".to_owned(), "pvh".into());
            }),
            "pvh",
        ),
    ] {
        let text = edited(SEED, |document| edit(document));
        let error = Profile::from_toml(&text, "seed").expect_err(value);
        assert!(
            matches!(error, ProfileError::Parse { .. }),
            "{value}: {error}"
        );
        assert!(error.to_string().contains(value), "{value}: {error}");
    }
}

// ---------------------------------------------------------------------------------------------
// Version and Debian release
// ---------------------------------------------------------------------------------------------

#[test]
fn another_version_is_rejected() {
    for version in [0, 2, 99] {
        let text = edited(SEED, |document| {
            document.insert("version".to_owned(), toml::Value::Integer(version));
        });
        match Profile::from_toml(&text, "future.toml") {
            Err(error @ ProfileError::Version { .. }) => {
                let ProfileError::Version { path, found } = &error else {
                    unreachable!()
                };
                assert_eq!(path, "future.toml");
                assert_eq!(i64::from(*found), version);
                let message = error.to_string();
                assert!(
                    message.contains(&format!("profile version {version} is not supported")),
                    "{message}"
                );
                assert!(message.starts_with("future.toml: "), "{message}");
            }
            other => panic!("version {version}: expected ProfileError::Version, got {other:?}"),
        }
    }
}

#[test]
fn a_missing_version_is_a_parse_error() {
    let text = edited(SEED, |document| {
        document.remove("version");
    });
    let error = Profile::from_toml(&text, "seed").expect_err("version is required");
    assert!(matches!(error, ProfileError::Parse { .. }), "{error}");
    assert!(error.to_string().contains("version"), "{error}");
}

#[test]
fn debian_11_is_rejected() {
    let text = edited(SEED, |document| {
        table(document, "cluster").insert("debian".to_owned(), toml::Value::Integer(11));
    });
    match Profile::from_toml(&text, "seed") {
        Err(ProfileError::Parse { message, .. }) => {
            assert!(message.contains("Debian 11 is not supported"), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn debian_releases_are_numbers() {
    assert_eq!(seed().cluster.debian, DebianRelease::Bookworm);
    let text = edited(SEED, |document| {
        table(document, "cluster").insert("debian".to_owned(), toml::Value::Integer(13));
    });
    let profile = Profile::from_toml(&text, "seed").expect("Debian 13 is supported");
    assert_eq!(profile.cluster.debian, DebianRelease::Trixie);
    assert_eq!(profile.cluster.debian.to_string(), "Debian 13 (trixie)");
    assert!(
        profile
            .to_toml()
            .expect("serialises")
            .contains("debian = 13")
    );
    for release in DebianRelease::ALL {
        assert_eq!(DebianRelease::try_from(release.number()), Ok(release));
        assert_eq!(u8::from(release), release.number());
    }
    for number in [0, 11, 14, 255] {
        assert!(DebianRelease::try_from(number).is_err(), "{number}");
    }
}

// ---------------------------------------------------------------------------------------------
// Serialisation and the store
// ---------------------------------------------------------------------------------------------

#[test]
fn serialised_profiles_parse_back_equal() {
    for profile in [seed(), lab()] {
        let text = profile.to_toml().expect("serialises");
        let again = Profile::from_toml(&text, "serialised").expect("parses back");
        assert_eq!(again, profile, "serialised as:\n{text}");
        // And serialising is stable.
        assert_eq!(again.to_toml().expect("serialises"), text);
    }
}

#[test]
fn serialised_profile_keeps_every_optional_field() {
    let mut profile = seed();
    profile.cluster.failback = Failback::Window {
        start_hour: 22,
        end_hour: 6,
    };
    profile.cluster.drbd.verify_alg = VerifyAlg::Crc32c;
    profile.nodes[0].ssh.auth = SshAuth::KeyFile {
        path: "~/.ssh/id_ed25519".to_owned(),
    };
    profile.nodes[1].ssh.auth = SshAuth::Password {};
    profile.nodes[1].lan.gateway = Some("192.168.1.254".to_owned());
    profile.nodes[1].bmc = Some(Bmc {
        address: "bmc2".to_owned(),
        user: "fence".to_owned(),
        lanplus: false,
        cipher: None,
    });
    profile.vms[0].mac = Some("00:16:3e:00:00:01".to_owned());
    profile.vms[0].keep_data_on = Some("node1".to_owned());
    profile.vms[1].boot = Boot::Pv {
        kernel: "/boot/vmlinuz".to_owned(),
        ramdisk: None,
        extra: Some("console=hvc0".to_owned()),
    };
    let text = profile.to_toml().expect("serialises");
    assert_eq!(
        Profile::from_toml(&text, "serialised").expect("parses back"),
        profile
    );
}

#[test]
fn save_and_load_round_trip() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let path = dir.path().join("seed.toml");
    let profile = seed();
    store::save(&profile, &path).expect("saves");
    assert_eq!(store::load(&path).expect("loads"), profile);
}

#[test]
fn save_creates_missing_directories() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let path = dir.path().join("config").join("tandem").join("lab.toml");
    store::save(&lab(), &path).expect("saves");
    assert_eq!(store::load(&path).expect("loads"), lab());
}

#[cfg(unix)]
#[test]
fn saved_profile_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let path = dir.path().join("seed.toml");
    store::save(&seed(), &path).expect("saves");
    let mode = std::fs::metadata(&path)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
}

#[cfg(unix)]
#[test]
fn saving_over_a_profile_replaces_it_atomically() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let path = dir.path().join("seed.toml");
    // An older, world-readable file with other contents.
    std::fs::write(&path, "old contents that are not a profile\n".repeat(100)).expect("writes");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let old_inode = std::fs::metadata(&path).expect("metadata").ino();
    // Held open, the old file keeps its inode (the number cannot be reused) and its contents.
    let mut old_file = std::fs::File::open(&path).expect("opens the old file");

    let mut profile = seed();
    store::save(&profile, &path).expect("saves over the old file");
    profile.cluster.name = "renamed".to_owned();
    profile.vms[0].memory_mib = 4096;
    store::save(&profile, &path).expect("saves again");

    assert_eq!(store::load(&path).expect("loads"), profile);
    let metadata = std::fs::metadata(&path).expect("metadata");
    // A new file was renamed into place rather than the old one rewritten.
    assert_ne!(metadata.ino(), old_inode);
    let mut old_contents = String::new();
    std::io::Read::read_to_string(&mut old_file, &mut old_contents).expect("reads the old file");
    assert!(
        old_contents.starts_with("old contents"),
        "the old file was rewritten in place"
    );
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    let entries: Vec<String> = std::fs::read_dir(dir.path())
        .expect("lists")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(entries, ["seed.toml"], "a temporary file was left behind");
}

#[test]
fn loading_reports_the_path() {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let missing = dir.path().join("missing.toml");
    match store::load(&missing) {
        Err(error @ ProfileError::Io { .. }) => {
            assert!(error.to_string().contains("missing.toml"), "{error}");
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "version = 1\n[cluster\n").expect("writes");
    match store::load(&broken) {
        Err(ProfileError::Parse { path, .. }) => assert!(path.ends_with("broken.toml"), "{path}"),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn default_path_is_named_after_the_cluster() {
    if let Some(path) = store::default_path(&seed()) {
        assert_eq!(
            path.file_name().and_then(|name| name.to_str()),
            Some("seed.toml")
        );
        assert!(
            path.ends_with("tandem/profiles/seed.toml"),
            "{}",
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------------------------

const MINIMAL: &str = r#"
version = 1

[cluster]
name = "mini"
debian = 13
fencing = { method = "none", acknowledge_split_brain_risk = true }

[[nodes]]
hostname = "a"
replication_address = "10.0.0.1"
ssh = { host = "10.0.0.1" }
lan = { nic = "eth0", address = "10.0.0.1/24" }

[[nodes]]
hostname = "b"
replication_address = "10.0.0.2"
ssh = { host = "10.0.0.2" }
lan = { nic = "eth0", address = "10.0.0.2/24" }

[storage]
volume_group = "vg"
volumes = [{ name = "disk", size = "10G" }]

[[vms]]
name = "vm"
home = "a"
memory_mib = 512
volume = "disk"
boot = { type = "pv", kernel = "/boot/vmlinuz" }
"#;

#[test]
fn a_minimal_profile_gets_the_defaults() {
    let profile = Profile::from_toml(MINIMAL, "minimal").expect("the minimal profile parses");
    assert_eq!(profile.network.bridge, "br0");
    assert_eq!(profile.network, Network::default());
    assert!(!profile.network.stp);
    assert_eq!(profile.network.forward_delay, 0);

    let cluster = &profile.cluster;
    assert!(cluster.corosync_crypto);
    assert!(!cluster.live_migration);
    assert_eq!(cluster.failback, Failback::ReturnHome {});
    assert_eq!(cluster.drbd.protocol, DrbdProtocol::C);
    assert_eq!(cluster.drbd.resync_rate, "100M");
    assert_eq!(cluster.drbd.verify_alg, VerifyAlg::Md5);
    assert!(cluster.drbd.skip_initial_sync_when_blank);
    assert_eq!(cluster.drbd, DrbdOptions::default());

    for node in &profile.nodes {
        assert_eq!(node.ssh.port, 22);
        assert_eq!(node.ssh.user, "root");
        assert_eq!(node.ssh.auth, SshAuth::Agent {});
        assert!(!node.ssh.sudo);
        assert_eq!(node.dom0_memory_mib, 2048);
        assert_eq!(node.lan.gateway, None);
        assert_eq!(node.bmc, None);
    }

    assert!(profile.storage.volumes[0].create);
    let vm = &profile.vms[0];
    assert_eq!(vm.vcpus, 1);
    assert_eq!(vm.drbd_minor, None);
    assert_eq!(vm.drbd_port, None);
    assert_eq!(vm.console_ip, None);
    assert_eq!(vm.mac, None);
    assert_eq!(vm.keep_data_on, None);
    assert_eq!(
        vm.boot,
        Boot::Pv {
            kernel: "/boot/vmlinuz".to_owned(),
            ramdisk: None,
            extra: None,
        }
    );

    // The defaults make a valid cluster, and they survive a round trip.
    crate::validate(&profile).expect("the minimal profile validates");
    let text = profile.to_toml().expect("serialises");
    assert_eq!(
        Profile::from_toml(&text, "serialised").expect("parses"),
        profile
    );
}

#[test]
fn bmc_uses_lanplus_by_default() {
    let bmc = lab().nodes[0].bmc.clone().expect("the lab has BMCs");
    assert!(bmc.lanplus);
    assert_eq!(bmc.user, "fence");
}

#[test]
fn required_fields_are_required() {
    for (place, remove) in [
        (
            "cluster.name",
            Box::new(|document: &mut toml::Table| {
                table(document, "cluster").remove("name");
            }) as Box<dyn Fn(&mut toml::Table)>,
        ),
        (
            "cluster.fencing",
            Box::new(|document: &mut toml::Table| {
                table(document, "cluster").remove("fencing");
            }),
        ),
        (
            "nodes.hostname",
            Box::new(|document: &mut toml::Table| {
                item(document, "nodes", 0).remove("hostname");
            }),
        ),
        (
            "vms.memory_mib",
            Box::new(|document: &mut toml::Table| {
                item(document, "vms", 0).remove("memory_mib");
            }),
        ),
        (
            "storage",
            Box::new(|document: &mut toml::Table| {
                document.remove("storage");
            }),
        ),
    ] {
        let text = edited(SEED, |document| remove(document));
        let field = place.rsplit('.').next().unwrap_or(place);
        match Profile::from_toml(&text, "seed") {
            Err(ProfileError::Parse { message, .. }) => {
                assert!(message.contains(field), "{place}: {message}");
            }
            other => panic!("{place}: expected a parse error, got {other:?}"),
        }
    }
}

#[test]
fn lookups_by_name() {
    let profile = seed();
    assert_eq!(
        profile
            .node("node2")
            .map(|node| node.replication_address.as_str()),
        Some("192.168.1.2")
    );
    assert!(profile.node("node3").is_none());
    assert_eq!(
        profile
            .volume("Win2012-2")
            .map(|volume| volume.size.as_str()),
        Some("40G")
    );
    assert!(profile.volume("win2012").is_none());
}
