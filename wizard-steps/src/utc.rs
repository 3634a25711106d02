//! Times as Tandem writes them: milliseconds since the Unix epoch in journals, UTC in file
//! names (journals, backups) and for people (the report), without a time zone database.

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

/// "20261125-033600" (UTC) for file names.
pub fn stamp(at_ms: u64) -> String {
    let (date, time) = parts(at_ms);
    format!(
        "{}{:02}{:02}-{:02}{:02}{:02}",
        date.0, date.1, date.2, time.0, time.1, time.2
    )
}

/// "2026-11-25 03:36:00 UTC" for people.
pub fn text(at_ms: u64) -> String {
    let (date, time) = parts(at_ms);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        date.0, date.1, date.2, time.0, time.1, time.2
    )
}

fn parts(at_ms: u64) -> ((i64, u32, u32), (u64, u64, u64)) {
    let seconds = at_ms / 1000;
    let days = (seconds / 86_400) as i64;
    let in_day = seconds % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        (year, month, day),
        (in_day / 3600, in_day % 3600 / 60, in_day % 60),
    )
}

#[cfg(test)]
mod tests;
