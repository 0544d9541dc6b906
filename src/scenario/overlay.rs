//! Overlays: small files that patch a base scenario with only the keys they change.
//!
//! Rules (docs/SCENARIOS.md has the user's version):
//! - tables merge key by key; a value replaces the base value and must carry provenance
//!   (`key = { value = .., source = "P14", note = ".." }`);
//! - a list of named tables (`[[channels]]`, `[[calendar]]`, `[[sides.us.factions]]`) is patched
//!   item by item, matched on `name`; patching a name the base does not have is an error;
//! - new list items go under `add`, e.g. `[[add.channels]]`, and carry item-level provenance;
//! - items are removed under `remove`, e.g. `[[remove.calendar]] name = "busan_summit"`, with a
//!   source and a note saying why; removing a name the base does not have is an error;
//! - `[overlay]` holds the overlay's own name and description; `[meta]` cannot be patched.
//!
//! Keys that the scenario schema does not know are reported by the schema reader afterwards,
//! pointing at the overlay's file and line, with a "did you mean" hint.

use super::diag::closest;
use super::read::Cx;
use super::tree::{Entry, Node, Origin, Table, Value};

/// The overlay's own description (its `[overlay]` table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlayInfo {
    /// Arm name used in outputs.
    pub name: String,
    /// One line on what the intervention is.
    pub description: String,
}

/// Lists of tables whose items are addressed by `name`.
pub const NAMED_LISTS: [&str; 4] = [
    "channels",
    "calendar",
    "sides.us.factions",
    "sides.cn.factions",
];

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn item_name(n: &Node) -> Option<&str> {
    match &n.value {
        Value::Table(t) => match t.get("name").map(|v| &v.value) {
            Some(Value::Str(s)) => Some(s.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// Applies `overlay` onto `base` (both roots of parsed files). Returns the overlay's info;
/// problems go to `cx`. `fallback_name` names the arm when `[overlay] name` is absent.
pub fn apply(base: &mut Node, overlay: &Node, cx: &mut Cx, fallback_name: &str) -> OverlayInfo {
    let mut info = OverlayInfo {
        name: fallback_name.to_string(),
        description: String::new(),
    };
    let Value::Table(patch) = &overlay.value else {
        cx.error(Some(overlay.origin), "", "an overlay must be a TOML table");
        return info;
    };
    let Value::Table(base_t) = &mut base.value else {
        return info;
    };
    for e in &patch.entries {
        match e.key.as_str() {
            "overlay" => info = read_info(&e.node, cx, fallback_name),
            "meta" => cx.error(
                Some(e.key_origin),
                "meta",
                "an overlay cannot change [meta] (name, start, horizon); change the base scenario or use --weeks",
            ),
            "add" => add_items(base_t, &e.node, "", cx),
            "remove" => remove_items(base_t, &e.node, "", cx),
            _ => merge_entry(base_t, e, "", cx),
        }
    }
    info
}

fn read_info(node: &Node, cx: &mut Cx, fallback: &str) -> OverlayInfo {
    let mut info = OverlayInfo {
        name: fallback.to_string(),
        description: String::new(),
    };
    let Value::Table(t) = &node.value else {
        cx.error(
            Some(node.origin),
            "overlay",
            "expected a table with name and description",
        );
        return info;
    };
    for e in &t.entries {
        match (e.key.as_str(), &e.node.value) {
            ("name", Value::Str(s)) if valid_arm_name(s) => info.name = s.clone(),
            ("name", _) => cx.error(
                Some(e.node.origin),
                "overlay.name",
                "expected a name of letters, digits, '_' or '-' (it names an output folder)",
            ),
            ("description", Value::Str(s)) => info.description = s.clone(),
            ("description", other) => cx.error(
                Some(e.node.origin),
                "overlay.description",
                format!("expected a string, found {}", other.type_name()),
            ),
            // Resolved before merging (see `scenario::overlay_chain`).
            ("includes", _) => {}
            (k, _) => cx.error(
                Some(e.key_origin),
                &join("overlay", k),
                super::diag::unknown_key_message(k, "key", &["description", "includes", "name"]),
            ),
        }
    }
    info
}

/// True if `s` can name an arm (and its output folder).
pub fn valid_arm_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_param_table(n: &Node) -> bool {
    matches!(&n.value, Value::Table(t) if t.get("value").is_some())
}

fn has_source(n: &Node) -> bool {
    matches!(&n.value, Value::Table(t) if t.get("source").is_some())
}

fn merge_entry(base: &mut Table, e: &Entry, path: &str, cx: &mut Cx) {
    let p = join(path, &e.key);
    let Some(existing) = base.get_mut(&e.key) else {
        // Not in the base file: maybe a parameter left at its default. The schema reader decides
        // whether the key exists at all.
        check_provenance(&e.node, &p, cx);
        base.set(&e.key, e.key_origin, e.node.clone());
        return;
    };
    let base_is_param = is_param_table(existing);
    match (&mut existing.value, &e.node.value) {
        (Value::Table(bt), Value::Table(pt)) if !base_is_param && !is_param_table(&e.node) => {
            for pe in &pt.entries {
                merge_entry(bt, pe, &p, cx);
            }
        }
        (Value::Array(items), Value::Array(patches)) if NAMED_LISTS.contains(&p.as_str()) => {
            for patch in patches {
                patch_item(items, patch, &p, cx);
            }
        }
        _ => {
            check_provenance(&e.node, &p, cx);
            *existing = e.node.clone();
        }
    }
}

fn check_provenance(node: &Node, path: &str, cx: &mut Cx) {
    match &node.value {
        Value::Table(t) if t.get("value").is_some() => {
            if !has_source(node) {
                let id = cx.source_example();
                cx.provenance_error(Some(node.origin), path, format!("an overlay change needs a source: add source = \"{id}\" (the claim it encodes) and a note"));
            }
        }
        Value::Table(t) => {
            for e in &t.entries {
                check_provenance(&e.node, &join(path, &e.key), cx);
            }
        }
        _ => {
            let id = cx.source_example();
            cx.provenance_error(
                Some(node.origin),
                path,
                format!("an overlay change needs provenance: write {} = {{ value = {}, source = \"{id}\", note = \"...\" }}", path.rsplit('.').next().unwrap_or(path), node.value.display()),
            )
        }
    }
}

fn patch_item(items: &mut [Node], patch: &Node, path: &str, cx: &mut Cx) {
    let Some(name) = item_name(patch) else {
        cx.error(Some(patch.origin), path, format!("a patch of [[{path}]] needs the name of the item it changes (name = \"...\"); to add an item use [[add.{path}]]"));
        return;
    };
    let names: Vec<String> = items
        .iter()
        .filter_map(|n| item_name(n).map(str::to_string))
        .collect();
    let Some(target) = items.iter_mut().find(|n| item_name(n) == Some(name)) else {
        let hint = closest(name, names.iter().map(String::as_str))
            .map(|c| format!(" (did you mean '{c}'?)"))
            .unwrap_or_default();
        cx.error(
            Some(patch.origin),
            &join(path, name),
            format!("the base has no item named '{name}' in [[{path}]]{hint}; existing: {}; to add a new one use [[add.{path}]]", if names.is_empty() { "none".into() } else { names.join(", ") }),
        );
        return;
    };
    let (Value::Table(tt), Value::Table(pt)) = (&mut target.value, &patch.value) else {
        return;
    };
    let item_path = join(path, name);
    let item_source = pt.get("source").is_some();
    for pe in &pt.entries {
        if pe.key == "name" {
            continue;
        }
        if item_source && !matches!(pe.node.value, Value::Table(_)) {
            // Item-level provenance covers plain values of this patch.
            tt.set(&pe.key, pe.key_origin, pe.node.clone());
        } else {
            merge_entry(tt, pe, &item_path, cx);
        }
    }
}

fn add_items(base: &mut Table, add: &Node, path: &str, cx: &mut Cx) {
    let Value::Table(t) = &add.value else {
        cx.error(
            Some(add.origin),
            &join("add", path),
            "expected tables such as [[add.channels]]",
        );
        return;
    };
    for e in &t.entries {
        let p = join(path, &e.key);
        match &e.node.value {
            Value::Array(new_items) if NAMED_LISTS.contains(&p.as_str()) => {
                let Some(target) = ensure_array(base, &p, e.key_origin) else {
                    continue;
                };
                for it in new_items {
                    let name = item_name(it).map(str::to_string);
                    match name {
                        None => cx.error(Some(it.origin), &join("add", &p), "an added item needs a name"),
                        Some(n) if target.iter().any(|x| item_name(x) == Some(n.as_str())) => cx.error(
                            Some(it.origin),
                            &join(&p, &n),
                            format!("[[add.{p}]] item '{n}' already exists in the base; patch it with [[{p}]] name = \"{n}\" instead"),
                        ),
                        Some(n) => {
                            if !has_source(it) {
                                let id = cx.source_example();
                                cx.error(Some(it.origin), &join(&p, &n), format!("an added item needs provenance: give it source = \"{id}\" (a claim id) and a note"));
                            }
                            target.push(it.clone());
                        }
                    }
                }
            }
            Value::Table(_) if NAMED_LISTS.iter().any(|l| l.starts_with(&format!("{p}."))) => {
                let Some(sub) = descend(base, &e.key, e.key_origin) else {
                    cx.error(
                        Some(e.key_origin),
                        &join("add", &p),
                        "cannot add items here: the base has a value, not a table",
                    );
                    continue;
                };
                add_items(sub, &e.node, &p, cx);
            }
            _ => {
                let valid = list_names("add");
                let hint = closest(&format!("add.{p}"), valid.iter().map(String::as_str))
                    .map(|c| format!(" (did you mean [[{c}]]?)"))
                    .unwrap_or_default();
                cx.error(
                    Some(e.key_origin),
                    &join("add", &p),
                    format!(
                        "items can only be added to the lists {}{hint}",
                        valid.join(", ")
                    ),
                );
            }
        }
    }
}

/// The named lists items can be added to or removed from, as `[[VERB.list]]`.
fn list_names(verb: &str) -> Vec<String> {
    NAMED_LISTS.iter().map(|l| format!("{verb}.{l}")).collect()
}

fn remove_items(base: &mut Table, rm: &Node, path: &str, cx: &mut Cx) {
    let Value::Table(t) = &rm.value else {
        cx.error(
            Some(rm.origin),
            &join("remove", path),
            "expected tables such as [[remove.calendar]]",
        );
        return;
    };
    for e in &t.entries {
        let p = join(path, &e.key);
        match &e.node.value {
            Value::Array(gone) if NAMED_LISTS.contains(&p.as_str()) => {
                let Some(Value::Array(items)) = base.get_mut(&e.key).map(|n| &mut n.value) else {
                    cx.error(
                        Some(e.key_origin),
                        &join("remove", &p),
                        format!("the base has no [[{p}]] items to remove"),
                    );
                    continue;
                };
                for it in gone {
                    remove_one(items, it, &p, cx);
                }
            }
            Value::Table(_) if NAMED_LISTS.iter().any(|l| l.starts_with(&format!("{p}."))) => {
                match base.get_mut(&e.key).map(|n| &mut n.value) {
                    Some(Value::Table(sub)) => remove_items(sub, &e.node, &p, cx),
                    _ => cx.error(
                        Some(e.key_origin),
                        &join("remove", &p),
                        format!("the base has no [{p}] to remove items from"),
                    ),
                }
            }
            _ => {
                let valid = list_names("remove");
                let hint = closest(&format!("remove.{p}"), valid.iter().map(String::as_str))
                    .map(|c| format!(" (did you mean [[{c}]]?)"))
                    .unwrap_or_default();
                cx.error(
                    Some(e.key_origin),
                    &join("remove", &p),
                    format!(
                        "items can only be removed from the lists {}{hint}",
                        valid.join(", ")
                    ),
                );
            }
        }
    }
}

/// Removes the item `it` names from `items`: a removal holds the item's name and its provenance
/// (why it is removed), nothing else.
fn remove_one(items: &mut Vec<Node>, it: &Node, path: &str, cx: &mut Cx) {
    let Some(name) = item_name(it).map(str::to_string) else {
        cx.error(
            Some(it.origin),
            &join("remove", path),
            format!(
                "a [[remove.{path}]] item needs the name of the item it removes (name = \"...\")"
            ),
        );
        return;
    };
    if let Value::Table(t) = &it.value {
        for e in &t.entries {
            if !matches!(e.key.as_str(), "name" | "source" | "note") {
                cx.error(
                    Some(e.key_origin),
                    &join(&join("remove", path), &e.key),
                    format!("a removal names the item and says why (name, source, note); to change '{name}' instead, patch it with [[{path}]] name = \"{name}\""),
                );
            }
        }
    }
    if !has_source(it) {
        let id = cx.source_example();
        cx.error(
            Some(it.origin),
            &join(path, &name),
            format!("a removal needs provenance: give it source = \"{id}\" (a claim id) and a note saying why"),
        );
    }
    match items
        .iter()
        .position(|x| item_name(x) == Some(name.as_str()))
    {
        Some(i) => {
            items.remove(i);
        }
        None => {
            let names: Vec<&str> = items.iter().filter_map(item_name).collect();
            let hint = closest(&name, names.iter().copied())
                .map(|c| format!(" (did you mean '{c}'?)"))
                .unwrap_or_default();
            cx.error(
                Some(it.origin),
                &join(path, &name),
                format!(
                    "the base has no item named '{name}' in [[{path}]] to remove{hint}; existing: {}",
                    if names.is_empty() { "none".into() } else { names.join(", ") }
                ),
            );
        }
    }
}

fn descend<'t>(base: &'t mut Table, key: &str, origin: Origin) -> Option<&'t mut Table> {
    if base.get(key).is_none() {
        base.set(
            key,
            origin,
            Node {
                value: Value::Table(Table::default()),
                origin,
            },
        );
    }
    match base.get_mut(key).map(|n| &mut n.value) {
        Some(Value::Table(t)) => Some(t),
        _ => None,
    }
}

fn ensure_array<'t>(base: &'t mut Table, path: &str, origin: Origin) -> Option<&'t mut Vec<Node>> {
    let key = path.rsplit('.').next().unwrap_or(path);
    if !matches!(base.get(key).map(|n| &n.value), Some(Value::Array(_))) {
        base.set(
            key,
            origin,
            Node {
                value: Value::Array(Vec::new()),
                origin,
            },
        );
    }
    match base.get_mut(key).map(|n| &mut n.value) {
        Some(Value::Array(a)) => Some(a),
        _ => None,
    }
}
