//! Escaping of kernel-provided strings (process and zone names, anything read from `/proc`), so
//! that no name can forge a log line or a field.
//!
//! One rule for every format and sink ([`escape_bytes`]): `\` becomes `\\`; newline, carriage
//! return and tab become `\n`, `\r`, `\t`; every byte of another control character (C0, DEL,
//! C1), of a line or paragraph separator (U+2028, U+2029) or of a bidirectional override
//! (U+202A–U+202E, U+2066–U+2069), and every byte that is not valid UTF-8, becomes `\xHH`. The
//! result is printable, and reads back to the original bytes by C's escape rules. Each format
//! then adds its own quoting on top: JSON and logfmt escape `"` and `\` in their values, text
//! quotes a name that is not a plain word ([`text_name`]), and the compact lists also escape
//! spaces and colons ([`compact_name`]).

use oom_guard_core::abi;
use std::fmt::Write as _;

/// Whether `c` is written as `\xHH` bytes: a control character, a line or paragraph separator,
/// or a bidirectional override.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Appends `bytes` as `\xHH` each.
fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        // Writing to a `String` cannot fail.
        let _ = write!(out, "\\x{b:02x}");
    }
}

/// Appends the valid UTF-8 `s`, escaped.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => push_hex(out, c.encode_utf8(&mut [0; 4]).as_bytes()),
            c => out.push(c),
        }
    }
}

/// The printable, escaped text of `bytes` (the rule in the module's documentation).
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        push_escaped(&mut out, chunk.valid());
        push_hex(&mut out, chunk.invalid());
    }
    out
}

/// The escaped text of a NUL-padded name field (a process or zone name).
pub fn name_text(field: &[u8]) -> String {
    escape_bytes(abi::name_bytes(field))
}

/// A name for human text: bare if it is a plain word (no space, quote, backslash, bracket,
/// parenthesis, comma, semicolon or `=`), else in double quotes with `"` escaped too, so a list
/// of names can be split (`memhog`, `"Web Content"`, `"a\"b\n"`).
pub fn text_name(field: &[u8]) -> String {
    text_word(&name_text(field))
}

/// An already escaped name ([`escape_bytes`]) for human text, bare or quoted as [`text_name`]
/// does.
pub fn text_word(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.chars().any(|c| {
            c.is_whitespace() || matches!(c, '"' | '\\' | '(' | ')' | '[' | ']' | ',' | ';' | '=')
        });
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\\\""))
    }
}

/// A name inside a compact list (`PID:COMM:…`, `NODE/NAME:…`, space-separated): escaped, with
/// spaces and colons also as `\x20` and `\x3a`, so entries split on spaces and fields on `:`.
pub fn compact_name(field: &[u8]) -> String {
    name_text(field).replace(' ', "\\x20").replace(':', "\\x3a")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_invalid_bytes_become_escapes() {
        assert_eq!(escape_bytes(b"memhog"), "memhog");
        assert_eq!(
            escape_bytes(b"a\"b\\c=d\n[ 1.0] x"),
            r#"a"b\\c=d\n[ 1.0] x"#
        );
        assert_eq!(escape_bytes(b"\x1b[0m\x7f\r\t"), r"\x1b[0m\x7f\r\t");
        assert_eq!(
            escape_bytes("\u{85}é\u{2028}\u{202e}".as_bytes()),
            r"\xc2\x85é\xe2\x80\xa8\xe2\x80\xae"
        );
        assert_eq!(escape_bytes(b"\xff\xc3"), r"\xff\xc3");
        assert_eq!(name_text(b"DMA32\0\0\0"), "DMA32");
    }

    #[test]
    fn text_and_compact_names() {
        assert_eq!(text_name(b"memhog\0"), "memhog");
        assert_eq!(text_name(b"kworker/0:1"), "kworker/0:1");
        assert_eq!(text_name(b"Web Content"), "\"Web Content\"");
        assert_eq!(text_name(b"a\"b\n"), r#""a\"b\n""#);
        assert_eq!(text_name(b""), "\"\"");
        assert_eq!(compact_name(b"Web Content"), r"Web\x20Content");
        assert_eq!(compact_name(b"kworker/0:1"), r"kworker/0\x3a1");
    }
}
