//! Overlays: patches apply in order, add list items, and typos are errors naming the key.

use negsim::scenario::{Text, load_texts};

use super::{load, root};

fn base() -> Text {
    Text {
        path: root().join("scenarios/baseline.toml").display().to_string(),
        text: std::fs::read_to_string(root().join("scenarios/baseline.toml")).expect("baseline"),
    }
}

fn overlay_error(text: &str) -> String {
    match load_texts(
        &base(),
        &[Text {
            path: "ov.toml".into(),
            text: text.into(),
        }],
    ) {
        Ok(_) => panic!("expected an overlay error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_key_in_overlay_points_at_the_overlay() {
    let e = overlay_error(
        "[overlay]\nname = \"x\"\n\n[sides.us]\ncordination = { value = 0.7, source = \"P7\" }\n",
    );
    assert!(e.contains("ov.toml:5:1: sides.us.cordination: unknown key 'cordination' (did you mean 'coordination'?)"), "{e}");
}

#[test]
fn wrong_type_in_overlay() {
    let e = overlay_error("[sides.us]\ncoordination = { value = \"high\", source = \"P7\" }\n");
    assert!(
        e.contains("ov.toml:2:")
            && e.contains("sides.us.coordination")
            && e.contains("found a string"),
        "{e}"
    );
}

#[test]
fn patching_a_missing_list_item_is_an_error_with_a_hint() {
    let e = overlay_error(
        "[[channels]]\nname = \"oficial\"\nauthority = { value = 0.9, source = \"P2\" }\n",
    );
    assert!(
        e.contains("channels.oficial")
            && e.contains("no item named 'oficial'")
            && e.contains("did you mean 'official'"),
        "{e}"
    );
    assert!(e.contains("[[add.channels]]"), "{e}");
}

#[test]
fn changes_need_provenance() {
    let e = overlay_error("[sides.us]\ncoordination = 0.7\n");
    assert!(
        e.contains("sides.us.coordination") && e.contains("needs provenance"),
        "{e}"
    );
}

#[test]
fn overlays_replace_values_add_items_and_apply_in_order() {
    let l = load(
        "scenarios/baseline.toml",
        &[
            "scenarios/interventions/rebuild_nsc_coordination.toml",
            "scenarios/interventions/restore_kushner_channel.toml",
        ],
    );
    let s = &l.scenario;
    assert_eq!(s.sides[0].coordination, 0.75);
    assert_eq!(
        s.sides[0]
            .factions
            .iter()
            .find(|f| f.name == "security_hawks")
            .map(|f| f.autonomy),
        Some(0.3)
    );
    assert!(
        s.channels
            .iter()
            .any(|c| c.name == "kushner_channel" && c.authority == 0.85)
    );
    assert_eq!(s.channels.len(), 4);
    // A later overlay wins over an earlier one.
    let second = Text {
        path: "later.toml".into(),
        text: "[sides.us]\ncoordination = { value = 0.5, source = \"P7\" }\n".into(),
    };
    let first = Text {
        path: "first.toml".into(),
        text: "[sides.us]\ncoordination = { value = 0.9, source = \"P7\" }\n".into(),
    };
    let l = load_texts(&base(), &[first, second]).expect("loads");
    assert_eq!(l.scenario.sides[0].coordination, 0.5);
}

#[test]
fn all_of_the_above_includes_every_intervention() {
    let l = load(
        "scenarios/baseline.toml",
        &["scenarios/interventions/all_of_the_above.toml"],
    );
    let names: Vec<&str> = l.overlays.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "restore_kushner_channel",
            "treasury_expertise",
            "prepared_summit_agenda",
            "rebuild_nsc_coordination",
            "cui_backchannel_succeeds",
            "all_of_the_above"
        ]
    );
    // prepared_summit_agenda prepares the Busan summit; it no longer postpones summits.
    assert!(!l.scenario.summits.require_prepared_agenda);
    assert!(busan_prepared(&l));
}

fn busan_prepared(l: &negsim::scenario::Loaded) -> bool {
    use negsim::scenario::schema::EventKind;
    l.scenario.calendar.iter().any(|e| {
        e.name.as_deref() == Some("busan_summit")
            && e.kind
                == EventKind::Summit {
                    prepared_agenda: true,
                }
    })
}

#[test]
fn calendar_entries_are_patched_and_removed_by_name() {
    let base = load("scenarios/baseline.toml", &[]);
    assert!(!busan_prepared(&base));
    let names: Vec<&str> = base
        .scenario
        .calendar
        .iter()
        .filter_map(|e| e.name.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            "threat_nov1",
            "kuala_lumpur_round",
            "busan_summit",
            "geneva_truce_expiry"
        ]
    );
    let prepared = load(
        "scenarios/baseline.toml",
        &["scenarios/interventions/prepared_summit_agenda.toml"],
    );
    assert!(busan_prepared(&prepared));
    assert_eq!(
        prepared.scenario.calendar.len(),
        4,
        "a patch keeps every entry"
    );
    let withdrawn = load(
        "scenarios/baseline.toml",
        &["scenarios/interventions/threat_withdrawn.toml"],
    );
    let left: Vec<&str> = withdrawn
        .scenario
        .calendar
        .iter()
        .filter_map(|e| e.name.as_deref())
        .collect();
    assert_eq!(
        left,
        ["kuala_lumpur_round", "busan_summit", "geneva_truce_expiry"]
    );
}

#[test]
fn bad_removals_are_errors_naming_the_item() {
    let head = "[overlay]\nname = \"x\"\n\n";
    let e = overlay_error(&format!(
        "{head}[[remove.calendar]]\nname = \"busan_sumit\"\nsource = \"P13\"\nnote = \"n\"\n"
    ));
    assert!(
        e.contains("ov.toml:4:1") || e.contains("ov.toml:5:"),
        "points at the overlay: {e}"
    );
    assert!(
        e.contains("no item named 'busan_sumit'") && e.contains("did you mean 'busan_summit'"),
        "{e}"
    );
    let e = overlay_error(&format!(
        "{head}[[remove.calendar]]\nname = \"busan_summit\"\n"
    ));
    assert!(e.contains("a removal needs provenance"), "{e}");
    let e = overlay_error(&format!(
        "{head}[[remove.calendar]]\nname = \"busan_summit\"\nprepared_agenda = true\nsource = \"P13\"\nnote = \"n\"\n"
    ));
    assert!(e.contains("a removal names the item and says why"), "{e}");
    let e = overlay_error(&format!(
        "{head}[[remove.calender]]\nname = \"busan_summit\"\nsource = \"P13\"\nnote = \"n\"\n"
    ));
    assert!(e.contains("did you mean [[remove.calendar]]"), "{e}");
    // Removing a channel works the same way.
    let e = overlay_error(&format!(
        "{head}[[remove.channels]]\nname = \"kushner\"\nsource = \"P2\"\nnote = \"n\"\n"
    ));
    assert!(
        e.contains("existing: official, intermediaries, cui_backchannel"),
        "{e}"
    );
}

#[test]
fn calendar_names_are_unique() {
    let mut text = std::fs::read_to_string(root().join("scenarios/baseline.toml")).expect("base");
    text = text.replace("name = \"kuala_lumpur_round\"", "name = \"busan_summit\"");
    let e = load_texts(
        &Text {
            path: "dup.toml".into(),
            text,
        },
        &[],
    )
    .map(|_| ())
    .expect_err("duplicate names");
    assert!(
        e.to_string()
            .contains("two calendar entries are named 'busan_summit'"),
        "{e}"
    );
}

#[test]
fn explain_shows_the_diff_of_an_overlay() {
    let o = super::run(&[
        "explain",
        "scenarios/baseline.toml",
        "--with",
        "scenarios/interventions/treasury_expertise.toml",
    ]);
    let all = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0));
    // The diff comes first; the list of uncertain values of the merged scenario follows it.
    let out = all
        .split("values with a declared plausible range")
        .next()
        .unwrap_or_default();
    assert!(
        all.contains("values with a declared plausible range"),
        "{all}"
    );
    assert!(
        out.contains("negotiators.us.expertise")
            && out.contains("0.3")
            && out.contains("0.8")
            && out.contains("P8"),
        "{out}"
    );
    assert!(
        !out.contains("sides.us.coordination"),
        "unchanged values must not be listed:\n{out}"
    );
}

#[test]
fn key_and_type_errors_come_before_provenance_and_a_typo_is_never_kept() {
    // A typo without provenance: one error, the unknown key, and no advice to write the typo
    // out in full.
    let e = overlay_error("[overlay]\nname = \"x\"\n\n[sides.us]\ncordination = 0.7\n");
    assert!(
        e.contains("unknown key 'cordination'") && e.contains("did you mean 'coordination'"),
        "{e}"
    );
    assert!(!e.contains("write cordination"), "{e}");
    // A wrong type and a missing provenance: the type error first, whatever the line order.
    let e = overlay_error(
        "[overlay]\nname = \"x\"\n\n[sides.us]\ncoordination = 0.7\ntrust = \"high\"\n",
    );
    let lines: Vec<&str> = e.lines().collect();
    let ty = lines
        .iter()
        .position(|l| l.contains("found a string"))
        .expect("type error");
    let pr = lines
        .iter()
        .position(|l| l.contains("coordination: an overlay change needs provenance"))
        .expect("provenance error");
    assert!(ty < pr, "{e}");
}
