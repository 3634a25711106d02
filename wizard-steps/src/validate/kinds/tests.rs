use super::*;

#[test]
fn interface_names_are_plain_and_short() {
    for good in ["eth0", "enp1s0", "br0", "bond0.100", "wlx00_1-a", "a"] {
        assert_eq!(interface_name(good), Ok(()), "{good}");
    }
    for (bad, says) in [
        ("", "empty"),
        ("';id;'", "contains '''"),
        ("$(id)", "contains '$'"),
        ("b,script=x", "contains ','"),
        ("br\"0", "contains '\"'"),
        ("-a", "starts with '-'"),
        ("enp1s0 br0", "a space"),
        ("abcdefghijklmnop", "longer"),
        ("..", "not a name"),
        ("eth0:1", "contains ':'"),
    ] {
        let broken = interface_name(bad).expect_err(bad);
        assert!(broken.message.contains(says), "{bad}: {broken:?}");
        assert!(broken.allowed.contains("shell commands"), "{broken:?}");
    }
}

#[test]
fn bmc_users_and_passwords_are_what_ipmi_takes() {
    assert_eq!(bmc_user("ADMIN"), Ok(()));
    assert_eq!(bmc_user("root@bmc=1;x"), Ok(()));
    assert_eq!(bmc_password("S3cr3t!$%&()*+,-./:"), Ok(()));
    for bad in [
        "",
        "ADMIN USER",
        "admin\nprimitive evil",
        "a\"b",
        "a'b",
        "a\\b",
        "a#b",
        "seventeen-chars-x",
        "ünï",
    ] {
        assert!(bmc_user(bad).is_err(), "{bad:?}");
    }
    assert!(bmc_password("twenty-one-characters").is_err());
    assert!(bmc_password("pass word").is_err());
}

#[test]
fn node_paths_need_no_quoting() {
    for good in [
        "/var/lib/tandem/iso/debian-13.0.0+amd64.iso",
        "/boot/vmlinuz",
        "/a",
    ] {
        assert_eq!(node_path(good), Ok(()), "{good}");
    }
    for bad in [
        "relative/path",
        "/",
        "/etc//passwd",
        "/iso/",
        "/a/../etc/shadow",
        "/a/./b",
        "/a b",
        "/a,b",
        "/a=b",
        "/$(id)",
        "/a;b",
        "/a'b",
        "/a\"b",
        "/a`b",
        "/a\nb",
    ] {
        assert!(node_path(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn isos_end_in_iso() {
    assert_eq!(iso_path("/home/WindowsServer2012_RU_STD_TRIAL.ISO"), Ok(()));
    assert!(iso_path("/etc/passwd").is_err());
    assert!(iso_path("/iso/.iso").is_err());
    assert_eq!(iso_source("/home/me/Debian 12 netinst.iso"), Ok(()));
    assert!(iso_source("~/.ssh/id_ed25519").is_err());
    assert!(iso_source(" ").is_err());
}

#[test]
fn config_text_stays_inside_its_quotes() {
    assert_eq!(
        config_text("console=hvc0 root=/dev/xvda1 $(x);|&*#", 100),
        Ok(())
    );
    for bad in ["a\"b", "a'b", "a\\b", "a\nb", "a\u{7}b"] {
        assert!(config_text(bad, 100).is_err(), "{bad:?}");
    }
    assert!(config_text("abcd", 3).is_err());
    assert_eq!(vnc_password("passw0rd"), Ok(()));
    assert!(vnc_password("").is_err());
    assert!(vnc_password("nine-char").is_err());
    assert!(vnc_password("pa\"ss").is_err());
}
