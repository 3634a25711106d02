use super::*;

#[test]
fn dates_are_civil_utc() {
    assert_eq!(text(0), "1970-01-01 00:00:00 UTC");
    // Cross-checked with `date -u -d @1795575918`.
    assert_eq!(stamp(1_795_575_918_000), "20261125-030518");
    assert_eq!(text(951_782_400_000), "2000-02-29 00:00:00 UTC");
}
