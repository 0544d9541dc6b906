//! Reading a claim registry file (`[registry]` and `[[claims]]`, see `claims.rs`) into a
//! [`Registry`], with every problem reported through the scenario reader's context.

use std::sync::Arc;

use super::claims::{Claim, MAX_CLAIMS, Registry};
use super::read::{Cx, Obj, PROVENANCE_TAGS};
use super::tree::Node;

/// Whether `id` is a well-formed claim id: a letter, then up to 15 letters, digits, `_` or `-`.
fn well_formed(id: &str) -> bool {
    let mut c = id.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && id.len() <= 16
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == '-')
}

/// Reads a registry file's root; every problem goes to `cx` (with the registry file's lines).
pub fn read(root: &Node, cx: &mut Cx) -> Arc<Registry> {
    let mut top = Obj::new(cx, root, "");
    let mut r = top.table(cx, "registry");
    let title = r.string(cx, "title", true).unwrap_or_default();
    let document = r.string(cx, "document", false).unwrap_or_default();
    let author = r.string(cx, "author", false);
    let reading = r
        .string(cx, "reading", false)
        .unwrap_or_else(|| format!("the reading of {title}"));
    r.finish(cx);
    let origin = top.origin();
    let items = top.tables(cx, "claims");
    if items.is_empty() {
        cx.error(
            origin,
            "claims",
            "a registry lists at least one claim: [[claims]] with id and title",
        );
    }
    if items.len() > MAX_CLAIMS {
        cx.error(
            origin,
            "claims",
            format!("{} claims: at most {MAX_CLAIMS}", items.len()),
        );
    }
    let mut claims: Vec<Claim> = Vec::new();
    for mut it in items.into_iter().take(MAX_CLAIMS) {
        let at = it.origin();
        let id = it.string(cx, "id", true).unwrap_or_default();
        let title = it.string(cx, "title", true).unwrap_or_default();
        let cites = it.string(cx, "cites", false).unwrap_or_default();
        let path = format!("claims.{id}");
        if !id.is_empty() && !well_formed(&id) {
            cx.error(
                at,
                &path,
                format!("'{id}' is not a claim id: a letter, then up to 15 letters, digits, '_' or '-' (e.g. P4, E2)"),
            );
        } else if PROVENANCE_TAGS.contains(&id.as_str()) {
            cx.error(
                at,
                &path,
                format!("'{id}' is a provenance tag, not a claim id; choose another id"),
            );
        } else if claims.iter().any(|c| c.id == id) {
            cx.error(at, &path, format!("claim id '{id}' is listed twice"));
        }
        it.finish(cx);
        claims.push(Claim { id, title, cites });
    }
    top.finish(cx);
    Arc::new(Registry {
        title,
        document,
        author,
        reading,
        claims,
    })
}
