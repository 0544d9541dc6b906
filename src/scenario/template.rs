//! A parsed and merged scenario that can be instantiated many times with numeric parameters
//! overridden by dotted path (`behaviour.negotiation.logit_base`, `channels.official.authority`,
//! `sides.us.factions.security_hawks.stance`). Used by calibration and sweeps: parse once, change
//! values in the tree, validate again (so every override meets the same checks as a file).

use super::diag::{Diagnostic, LoadError, closest};
use super::read::{Cx, ParamRecord};
use super::tree::{Node, Sources, Table, Value};
use super::{Loaded, Text, check_nesting_pub, overlay, schema, tree};

/// A validated scenario tree, ready for overrides.
#[derive(Debug)]
pub struct Template {
    sources: Sources,
    root: Node,
    /// The scenario as loaded (no overrides).
    pub base: Loaded,
}

impl Template {
    /// Parses and merges a base and overlays; fails like `load_texts` would.
    pub fn new(base: &Text, overlays: &[Text]) -> Result<Template, LoadError> {
        let loaded = super::load_texts(base, overlays)?;
        let mut sources = Sources::default();
        let mut cx = Cx::default();
        let id = sources.add(&base.path, &base.text);
        check_nesting_pub(&base.text, id, &mut cx);
        let mut root = tree::parse(&base.text, id, &mut cx.diags);
        for o in overlays {
            let oid = sources.add(&o.path, &o.text);
            let onode = tree::parse(&o.text, oid, &mut cx.diags);
            overlay::apply(&mut root, &onode, &mut cx, "overlay");
        }
        if !cx.diags.is_empty() {
            return Err(LoadError::render(&sources, cx.diags));
        }
        Ok(Template {
            sources,
            root,
            base: loaded,
        })
    }

    /// The numeric parameters that can be overridden, with their records.
    pub fn numeric_params(&self) -> impl Iterator<Item = &ParamRecord> {
        self.base.scenario.params.iter().filter(|p| {
            p.number.is_some() && !p.path.starts_with("meta.") && !p.path.starts_with("calendar")
        })
    }

    /// Checks that `path` names a numeric parameter; the error lists the closest valid paths.
    pub fn check_path(&self, path: &str) -> Result<(), String> {
        if self.numeric_params().any(|p| p.path == path) {
            return Ok(());
        }
        let valid: Vec<&str> = self.numeric_params().map(|p| p.path.as_str()).collect();
        let hint = closest(path, valid.iter().copied())
            .map(|c| format!(" (did you mean '{c}'?)"))
            .unwrap_or_default();
        Err(format!(
            "'{path}' is not a numeric parameter of scenario '{}'{hint}; `negsim explain SCENARIO --all` lists all {}",
            self.base.scenario.meta.name,
            valid.len()
        ))
    }

    /// The scenario with `overrides` applied, validated.
    pub fn instantiate(&self, overrides: &[(&str, f64)]) -> Result<schema::Scenario, LoadError> {
        let mut root = self.root.clone();
        let mut diags: Vec<Diagnostic> = Vec::new();
        for (path, value) in overrides {
            if let Err(m) = set_path(&mut root, path, *value) {
                diags.push(Diagnostic {
                    origin: None,
                    path: (*path).to_string(),
                    message: m,
                });
            }
        }
        if !diags.is_empty() {
            return Err(LoadError::render(&self.sources, diags));
        }
        let mut cx = Cx {
            claims: self.base.scenario.claims.clone(),
            ..Cx::default()
        };
        match schema::build(&root, &mut cx) {
            Some(s) if cx.diags.is_empty() => Ok(s),
            _ => Err(LoadError::render(&self.sources, cx.diags)),
        }
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

/// Sets the number at `path` in the tree (creating the key in its table if it was left at its
/// default; keeping a `{ value, source, note }` table's provenance).
fn set_path(root: &mut Node, path: &str, value: f64) -> Result<(), String> {
    let segs: Vec<&str> = path.split('.').collect();
    let origin = root.origin;
    let mut node = root;
    let mut i = 0;
    while i + 1 < segs.len() {
        let key = segs[i];
        let Value::Table(t) = &mut node.value else {
            return Err(format!("'{}' is not a table", segs[..i].join(".")));
        };
        if t.get(key).is_none() {
            t.set(
                key,
                origin,
                Node {
                    value: Value::Table(Table::default()),
                    origin,
                },
            );
        }
        let child = t.get_mut(key).ok_or_else(|| format!("no '{key}'"))?;
        if matches!(child.value, Value::Array(_)) {
            let name = *segs
                .get(i + 1)
                .ok_or_else(|| format!("'{key}' needs an item name"))?;
            let Value::Array(items) = &mut child.value else {
                return Err(format!("'{key}' changed shape"));
            };
            node = items
                .iter_mut()
                .find(|n| item_name(n) == Some(name))
                .ok_or_else(|| format!("no item named '{name}' in '{key}'"))?;
            i += 2;
        } else {
            node = child;
            i += 1;
        }
    }
    let last = *segs.last().ok_or("empty path")?;
    let Value::Table(t) = &mut node.value else {
        return Err(format!("'{path}' is not inside a table"));
    };
    let new = Node {
        value: Value::Float(value),
        origin,
    };
    match t.get_mut(last) {
        Some(Node {
            value: Value::Table(pt),
            ..
        }) if pt.get("value").is_some() => {
            pt.set("value", origin, new);
        }
        Some(n) => *n = new,
        None => t.set(last, origin, new),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline() -> Template {
        Template::new(
            &Text {
                path: "scenarios/baseline.toml".into(),
                text: include_str!("../../scenarios/baseline.toml").into(),
            },
            &[],
        )
        .expect("loads")
    }

    #[test]
    fn overrides_reach_every_kind_of_path() {
        let t = baseline();
        let s = t
            .instantiate(&[
                ("behaviour.negotiation.logit_base", -0.5),
                ("channels.official.authority", 0.9),
                ("sides.us.factions.security_hawks.stance", 0.2),
                ("sides.cn.coordination", 0.4),
                ("behaviour.politics.pain_gain", 0.3),
            ])
            .expect("valid");
        assert_eq!(s.behaviour.negotiation.logit_base, -0.5);
        assert_eq!(s.channels[0].authority, 0.9);
        assert_eq!(s.sides[0].factions[1].stance, 0.2);
        assert_eq!(s.sides[1].coordination, 0.4);
        assert_eq!(s.behaviour.politics.pain_gain, 0.3);
        // Provenance of an overridden { value, source } table is kept.
        let rec = s
            .params
            .iter()
            .find(|p| p.path == "sides.cn.coordination")
            .expect("param");
        assert_eq!(
            rec.provenance.as_ref().map(|p| p.source.as_str()),
            Some("P6")
        );
    }

    #[test]
    fn bad_paths_and_values_are_errors() {
        let t = baseline();
        assert!(
            t.check_path("behaviour.negotiation.logit_bse")
                .unwrap_err()
                .contains("did you mean 'behaviour.negotiation.logit_base'")
        );
        assert!(t.check_path("channels.official.authority").is_ok());
        let e = t
            .instantiate(&[("sides.us.coordination", 1.5)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sides.us.coordination") && e.contains("out of range"),
            "{e}"
        );
    }
}
