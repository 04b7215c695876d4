//! Markdown tables and the cells the measurements put in them.

use crate::units::{self, opt};

/// Escapes a table cell: a `|` would end it, a newline the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Appends a table and a blank line.
pub fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    out.push_str(&line(header.iter().map(|h| cell(h)).collect()));
    out.push_str(&line(header.iter().map(|_| "---".to_string()).collect()));
    for r in rows {
        out.push_str(&line(r.iter().map(|c| cell(c)).collect()));
    }
    out.push('\n');
}

/// A duration in ns as µs, without unit, or `—`.
pub fn n_us(v: Option<u64>) -> String {
    opt(v, |ns| units::us_num(ns as f64))
}

/// A count with separators, or `—`.
pub fn n_int(v: Option<u64>) -> String {
    opt(v, units::int)
}

/// A number with one decimal, or `—`.
pub fn n_ms(v: Option<f64>) -> String {
    opt(v, units::dec1)
}

/// `1 run`, `2 runs`.
pub fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_escape_cells() {
        let mut out = String::new();
        table(
            &mut out,
            &["A", "B"],
            &[vec!["x|y".to_string(), "1\n2".to_string()]],
        );
        assert_eq!(out, "| A | B |\n| --- | --- |\n| x\\|y | 1 2 |\n\n");
    }
}
