//! report.md and report.html: one document model, two renderers. The Markdown opens well on
//! GitHub, the HTML in any browser (charts are linked files beside it).

/// A block of the report.
#[derive(Clone, Debug)]
pub enum Block {
    /// Heading of a level (1-3).
    Heading(u8, String),
    /// A paragraph (may contain **bold** in Markdown; rendered as plain text in HTML).
    Para(String),
    /// A table of numbers (first column left-aligned, others right): header and rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// A table of text (every column left-aligned): header and rows.
    TextTable(Vec<String>, Vec<Vec<String>>),
    /// An image: file and alternative text.
    Image(String, String),
    /// A bullet list.
    List(Vec<String>),
}

/// Renders Markdown.
pub fn markdown(blocks: &[Block]) -> String {
    let mut s = String::new();
    for b in blocks {
        match b {
            Block::Heading(l, t) => s.push_str(&format!("{} {t}\n\n", "#".repeat(*l as usize))),
            // A single newline inside a paragraph is a line break (Markdown needs two spaces).
            Block::Para(t) => s.push_str(&format!("{}\n\n", t.replace('\n', "  \n"))),
            Block::Table(h, rows) => {
                s.push_str(&crate::report::table::render(h, rows));
                s.push('\n');
            }
            Block::TextTable(h, rows) => {
                s.push_str(&crate::report::table::render_text(h, rows));
                s.push('\n');
            }
            Block::Image(src, alt) => s.push_str(&format!("![{alt}]({src})\n\n")),
            Block::List(items) => {
                for i in items {
                    s.push_str(&format!("- {i}\n"));
                }
                s.push('\n');
            }
        }
    }
    s
}

/// Characters that Markdown (and GitHub's tables and HTML passthrough) would read as markup
/// inside a line (with `[` and `]` escaped, parentheses cannot form a link).
const MARKUP: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '>', '|', '&'];

/// Text from an input (a scenario's or overlay's description) made literal for both renderers:
/// every Markdown markup character gets a backslash, newlines become spaces, so `<script>` shows
/// as text, a `|` cannot break a table and `[x](javascript:...)` is no link. [`inline`] reads the
/// backslashes back for HTML.
pub fn plain(t: &str) -> String {
    let mut out = String::with_capacity(t.len() + 8);
    for c in t.chars() {
        if MARKUP.contains(&c) {
            out.push('\\');
            out.push(c);
        } else if c == '\n' || c == '\r' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A Markdown link `[text](target)` at the start of `rest` (already escaped): (text, target,
/// the rest after it). Targets are the report's own relative file names.
fn link(rest: &str) -> Option<(&str, &str, &str)> {
    let r = rest.strip_prefix('[')?;
    let (text, r) = r.split_once("](")?;
    let (target, r) = r.split_once(')')?;
    // Only the report's own files and web pages: no javascript:, data: or other schemes.
    let safe =
        !target.contains(':') || target.starts_with("https://") || target.starts_with("http://");
    (!text.contains('[') && !target.contains(' ') && safe).then_some((text, target, r))
}

/// Markdown's `**bold**`, `` `code` `` and `[links](file)` as HTML, everything else escaped.
fn inline(t: &str) -> String {
    let mut out = String::new();
    let e = esc(t);
    let mut bold = false;
    let mut code = false;
    let mut rest = e.as_str();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('\\').filter(|r| !r.is_empty()) {
            // A backslash escape (see `plain`): the next character, or escaped entity, as text.
            let n = if r.starts_with('&') {
                r.find(';').map_or(1, |i| i + 1)
            } else {
                r.chars().next().map_or(1, char::len_utf8)
            };
            out.push_str(&r[..n]);
            rest = &r[n..];
        } else if let Some((text, target, r)) = link(rest).filter(|_| !code) {
            out.push_str(&format!("<a href=\"{target}\">{text}</a>"));
            rest = r;
        } else if let Some(r) = rest.strip_prefix("**") {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = r;
        } else if let Some(r) = rest.strip_prefix('`') {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = r;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if bold {
        out.push_str("</strong>");
    }
    if code {
        out.push_str("</code>");
    }
    out
}

/// Renders a standalone HTML page.
pub fn html(title: &str, blocks: &[Block]) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(&format!("<title>{}</title>\n", esc(title)));
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Readable on a laptop and on a phone: text in a measure of about 75 characters, images
    // scaled to the page, wide tables scrolling inside their own box (never the page).
    s.push_str(
        "<style>\n\
body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.5;font-size:17px}\n\
p,li{max-width:48em}\nh1{font-size:1.6em;line-height:1.25}\nh2{border-bottom:2px solid #ddd;padding-bottom:0.2em;margin-top:1.8em}\n\
.scroll{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}\n\
table{border-collapse:collapse;margin:0.6em 0;font-size:0.85em}\nth,td{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}\n\
th:first-child,td:first-child{text-align:left}\ntable.text td,table.text th{text-align:left}\nth{background:#f3f3f3}\n\
img{max-width:100%;height:auto;border:1px solid #ddd}\ncode{background:#f3f3f3;padding:0 3px;overflow-wrap:anywhere}\na{overflow-wrap:anywhere}\n\
@media (max-width:600px){body{font-size:16px;padding:0 0.6em}h1{font-size:1.3em}}\n</style>\n</head>\n<body>\n",
    );
    for b in blocks {
        match b {
            Block::Heading(l, t) => s.push_str(&format!("<h{l}>{}</h{l}>\n", inline(t))),
            Block::Para(t) => {
                s.push_str(&format!("<p>{}</p>\n", inline(t).replace('\n', "<br>\n")))
            }
            Block::Table(h, rows) | Block::TextTable(h, rows) => {
                let class = if matches!(b, Block::TextTable(..)) {
                    " class=\"text\""
                } else {
                    ""
                };
                s.push_str(&format!("<div class=\"scroll\"><table{class}>\n<tr>"));
                for c in h {
                    s.push_str(&format!("<th>{}</th>", inline(c)));
                }
                s.push_str("</tr>\n");
                for r in rows {
                    s.push_str("<tr>");
                    for c in r {
                        s.push_str(&format!("<td>{}</td>", inline(c)));
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</table></div>\n");
            }
            Block::Image(src, alt) => s.push_str(&format!(
                "<p><img src=\"{}\" alt=\"{}\"></p>\n",
                esc(src),
                esc(alt)
            )),
            Block::List(items) => {
                s.push_str("<ul>\n");
                for i in items {
                    s.push_str(&format!("<li>{}</li>\n", inline(i)));
                }
                s.push_str("</ul>\n");
            }
        }
    }
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_an_input_stays_text_in_both_formats() {
        let evil = "<script>alert(1)</script> | [l](javascript:alert(3)) **b** & `c`";
        let blocks = vec![
            Block::Para(plain(evil)),
            Block::TextTable(
                vec!["a".into(), "b".into()],
                vec![vec![plain(evil), "x".into()]],
            ),
        ];
        let md = markdown(&blocks);
        assert!(
            !md.contains("<script>") && !md.contains(" [l](javascript"),
            "{md}"
        );
        // The table row still has its two cells: the '|' is escaped.
        let row = md
            .lines()
            .find(|l| l.starts_with('|') && l.contains("script"))
            .unwrap_or_default();
        let b = row.as_bytes();
        let unescaped = (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count();
        assert_eq!(unescaped, 3, "two cells: {row}");
        let h = html("t", &blocks);
        assert!(
            !h.contains("<script>") && !h.contains("href=\"javascript"),
            "{h}"
        );
        assert!(
            h.contains(
                "&lt;script&gt;alert(1)&lt;/script&gt; | [l](javascript:alert(3)) **b** &amp; `c`"
            ),
            "{h}"
        );
        // A report's own link still works; a scheme other than http(s) is no link.
        assert!(inline("[a](a.csv)").contains("<a href=\"a.csv\">"));
        assert!(!inline("[a](javascript:x)").contains("<a "));
        assert!(!inline("[a](data:text/html,x)").contains("<a "));
        assert!(inline("[a](https://example.org/x)").contains("<a href"));
    }

    #[test]
    fn renders_both_formats() {
        let b = vec![
            Block::Heading(1, "T <x>".into()),
            Block::Para("**bold** and `code`".into()),
            Block::Table(
                vec!["a".into(), "b".into()],
                vec![vec!["1".into(), "2".into()]],
            ),
        ];
        let m = markdown(&b);
        assert!(m.starts_with("# T <x>\n") && m.contains("| a | b |"));
        let h = html("t", &b);
        assert!(
            h.contains("<h1>T &lt;x&gt;</h1>")
                && h.contains("<strong>bold</strong>")
                && h.contains("<code>code</code>")
                && h.contains("<td>1</td>")
        );
        let l = html(
            "t",
            &[Block::Para("see [a.csv](a.csv) and `[x](y)`".into())],
        );
        assert!(l.contains("<a href=\"a.csv\">a.csv</a>") && l.contains("<code>[x](y)</code>"));
    }
}
