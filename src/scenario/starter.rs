//! `negsim new NAME`: the texts of a commented starter scenario, its claims file and the
//! templates of its record (events and tariff series), with NAME filled in. They validate as
//! written (a unit test loads them), so a new case starts from a working file.

/// The starter files: (path relative to the folder, text).
pub fn files(name: &str) -> Vec<(String, String)> {
    let fill = |t: &str| t.replace("NAME", name);
    vec![
        (
            format!("{name}.toml"),
            fill(include_str!("starter/scenario.toml")),
        ),
        (
            format!("{name}/claims.toml"),
            fill(include_str!("starter/claims.toml")),
        ),
        (
            format!("{name}/events.csv"),
            fill(include_str!("starter/events.csv")),
        ),
        (
            format!("{name}/tariffs.csv"),
            fill(include_str!("starter/tariffs.csv")),
        ),
    ]
}

/// Whether `name` can name a new scenario: 1 to 64 letters, digits, '_' or '-', starting with a
/// letter (it becomes a file name and the scenario's `meta.name`).
pub fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_validates_and_its_record_reads() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (rel, text) in files("labour_dispute") {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
            std::fs::write(p, text).expect("write");
        }
        let l = crate::scenario::load(&dir.path().join("labour_dispute.toml"), &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let s = &l.scenario;
        assert_eq!(s.meta.name, "labour_dispute");
        assert_eq!(s.claims.span(), "C1..C2");
        assert_eq!(s.buyer, Some(1));
        assert_eq!(s.sides[0].instruments.stock.name, "sanctions");
        let v = crate::data::Vocabulary::of(s);
        let text = &files("labour_dispute")[2].1;
        let ev = crate::data::read_events_in("events.csv", text, &v).expect("events");
        assert_eq!(ev.len(), 4);
        // Both sides' tariff escalations are on their levels; A's sanctions on its stock.
        assert!(ev[0].on_level && ev[1].on_level && !ev[2].on_level);
        let t = &files("labour_dispute")[3].1;
        assert_eq!(
            crate::data::read_tariffs_in("t.csv", t, &v)
                .expect("tariffs")
                .len(),
            1
        );
        assert!(valid_name("us_eu") && !valid_name("../x") && !valid_name(""));
    }
}
