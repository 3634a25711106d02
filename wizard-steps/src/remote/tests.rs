use super::*;

#[test]
fn secrets_never_show_in_debug_output() {
    let auth = Auth::Password(Secret::new("hunter2"));
    assert!(!format!("{auth:?}").contains("hunter2"));
}
