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

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Markdown's `**bold**` and `` `code` `` as HTML, everything else escaped.
fn inline(t: &str) -> String {
    let mut out = String::new();
    let e = esc(t);
    let mut bold = false;
    let mut code = false;
    let mut rest = e.as_str();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("**") {
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
    s.push_str(
        "<style>\nbody{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n\
table{border-collapse:collapse;margin:1em 0;font-size:0.92em}\nth,td{border:1px solid #ccc;padding:4px 8px;text-align:right}\n\
th:first-child,td:first-child{text-align:left}\nth{background:#f3f3f3}\nimg{max-width:100%;border:1px solid #ddd}\ncode{background:#f3f3f3;padding:0 3px}\n</style>\n</head>\n<body>\n",
    );
    for b in blocks {
        match b {
            Block::Heading(l, t) => s.push_str(&format!("<h{l}>{}</h{l}>\n", inline(t))),
            Block::Para(t) => {
                s.push_str(&format!("<p>{}</p>\n", inline(t).replace('\n', "<br>\n")))
            }
            Block::Table(h, rows) | Block::TextTable(h, rows) => {
                s.push_str("<table>\n<tr>");
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
                s.push_str("</table>\n");
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
    }
}
