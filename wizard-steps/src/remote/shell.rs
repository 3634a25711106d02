//! Quoting for POSIX sh: the engine builds command lines from profile values.

/// Quotes a word for `sh`: safe words stay as they are, others go in single quotes.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | ':' | ',' | '+' | '=' | '@' | '%')
        });
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests;

/// Shell that opens a TCP connection to `host` port `port` from the machine it runs on, giving
/// up after `seconds` (bash's /dev/tcp: no netcat needed). It exits 0 when something listens,
/// and its error output tells a refusal from silence.
pub fn tcp_probe(host: &str, port: u16, seconds: u32) -> String {
    format!(
        "timeout {seconds} bash -c 'exec 3<>/dev/tcp/'{}'/{port}'",
        quote(host)
    )
}
