use super::*;

#[test]
fn backups_mirror_the_path_under_var_backups_tandem() {
    assert_eq!(
        backup_path_at("/etc/network/interfaces.d/tandem-br0", "20261203-081500"),
        "/var/backups/tandem/etc/network/interfaces.d/tandem-br0.20261203-081500"
    );
    assert!(
        backup_path("/etc/corosync/corosync.conf")
            .starts_with("/var/backups/tandem/etc/corosync/corosync.conf.20")
    );
}
