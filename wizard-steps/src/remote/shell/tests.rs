use super::quote;

#[test]
fn quoting() {
    assert_eq!(quote("/etc/drbd.d/vm1.res"), "/etc/drbd.d/vm1.res");
    assert_eq!(quote(""), "''");
    assert_eq!(quote("a b"), "'a b'");
    assert_eq!(quote("it's"), r"'it'\''s'");
    assert_eq!(quote("$(reboot)"), "'$(reboot)'");
}
