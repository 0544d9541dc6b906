//! Writes calibrated values into a scenario file, keeping its comments and layout (toml_edit):
//! each value becomes `{ value = .., source = "calibration", note = ".." }`.

use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

fn child<'a>(t: &'a mut Table, key: &str) -> Result<&'a mut Table, String> {
    let item = t.entry(key).or_insert_with(|| {
        let mut nt = Table::new();
        nt.set_implicit(true);
        Item::Table(nt)
    });
    item.as_table_mut()
        .ok_or_else(|| format!("'{key}' is not a table"))
}

/// Sets `path` (dotted, list items by name) to `value` with a calibration note.
fn set(doc: &mut DocumentMut, path: &str, value: f64, note: &str) -> Result<(), String> {
    let segs: Vec<&str> = path.split('.').collect();
    let (last, parents) = segs.split_last().ok_or("empty path")?;
    let mut table: &mut Table = doc.as_table_mut();
    let mut i = 0;
    while i < parents.len() {
        let key = parents[i];
        let is_array = matches!(table.get(key), Some(Item::ArrayOfTables(_)));
        if is_array {
            let name = *parents
                .get(i + 1)
                .ok_or_else(|| format!("'{key}' needs an item name in '{path}'"))?;
            let arr = table
                .get_mut(key)
                .and_then(Item::as_array_of_tables_mut)
                .ok_or_else(|| format!("'{key}' changed shape"))?;
            table = arr
                .iter_mut()
                .find(|t| t.get("name").and_then(Item::as_str) == Some(name))
                .ok_or_else(|| format!("no [[{key}]] item named '{name}'"))?;
            i += 2;
        } else {
            table = child(table, key)?;
            i += 1;
        }
    }
    let mut it = InlineTable::new();
    it.insert("value", Value::from(value));
    it.insert("source", Value::from("calibration"));
    it.insert("note", Value::from(note));
    table.insert(last, Item::Value(Value::InlineTable(it)));
    Ok(())
}

/// The scenario text with every `(path, value, note)` written in, and a header comment.
pub fn calibrated(
    text: &str,
    updates: &[(String, f64, String)],
    header: &str,
) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("cannot edit the scenario: {e}"))?;
    for (path, value, note) in updates {
        set(&mut doc, path, *value, note)?;
    }
    let mut out = String::new();
    for line in header.lines() {
        out.push_str(&format!("# {line}\n"));
    }
    out.push_str(&doc.to_string());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_values_and_keeps_the_rest() {
        let text = "# keep me\n[meta]\nname = \"x\"\n\n[[channels]]\nname = \"official\"\nauthority = 0.4 # why\n";
        let out = calibrated(
            text,
            &[
                (
                    "channels.official.authority".into(),
                    0.7,
                    "posterior median".into(),
                ),
                ("behaviour.negotiation.logit_base".into(), -1.25, "n".into()),
            ],
            "calibrated",
        )
        .expect("writes");
        assert!(out.starts_with("# calibrated\n# keep me\n"), "{out}");
        assert!(
            out.contains(
                "authority = { value = 0.7, source = \"calibration\", note = \"posterior median\" }"
            ),
            "{out}"
        );
        assert!(
            out.contains("[behaviour.negotiation]") && out.contains("logit_base = { value = -1.25"),
            "{out}"
        );
        assert!(
            calibrated(
                text,
                &[("channels.oficial.authority".into(), 0.7, String::new())],
                ""
            )
            .is_err()
        );
    }
}
