use super::*;

#[test]
fn the_recent_list_is_newest_first_without_duplicates_or_missing_files() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let list = dir.path().join("config/recent");
    assert!(recent(&list).is_empty());
    let mut profiles = Vec::new();
    for index in 0..(RECENT_LIMIT + 2) {
        let path = dir.path().join(format!("p{index}.toml"));
        fs::write(&path, "").expect("profile");
        profiles.push(fs::canonicalize(&path).expect("canonical"));
    }
    for profile in &profiles {
        remember(&list, profile).expect("remembered");
    }
    remember(&list, &profiles[RECENT_LIMIT + 1]).expect("remembered again");
    let listed = recent(&list);
    assert_eq!(listed.len(), RECENT_LIMIT);
    assert_eq!(listed[0], profiles[RECENT_LIMIT + 1]);
    assert_eq!(listed[1], profiles[RECENT_LIMIT]);
    fs::remove_file(&profiles[RECENT_LIMIT]).expect("removed");
    let listed = recent(&list);
    assert!(!listed.contains(&profiles[RECENT_LIMIT]), "{listed:?}");
    assert_eq!(listed[0], profiles[RECENT_LIMIT + 1]);
}
