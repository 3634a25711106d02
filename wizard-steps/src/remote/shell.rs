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
