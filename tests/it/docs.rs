//! Docs that cannot drift: the parameter reference of docs/MODEL.md §10.1 is generated from the
//! parameter specs (`scenario::behaviour::reference_rows`). Regenerate it with
//! `NEGSIM_BLESS=1 cargo test --release --test it docs`.

use super::root;

const BEGIN: &str = "<!-- BEGIN GENERATED: behaviour reference (NEGSIM_BLESS=1 cargo test --release --test it docs) -->\n";
const END: &str = "<!-- END GENERATED -->\n";

#[test]
fn model_md_parameter_reference_is_generated_from_the_specs() {
    let path = root().join("docs/MODEL.md");
    let text = std::fs::read_to_string(&path).expect("docs/MODEL.md");
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        panic!("docs/MODEL.md lacks the generated-block markers");
    };
    let committed = &text[b + BEGIN.len()..e];
    let generated = negsim::scenario::behaviour::reference_rows();
    if std::env::var_os("NEGSIM_BLESS").is_some() {
        let new = format!("{}{BEGIN}{generated}{}", &text[..b], &text[e..]);
        std::fs::write(&path, new).expect("write docs/MODEL.md");
        return;
    }
    assert!(
        committed == generated,
        "docs/MODEL.md §10.1 differs from the parameter specs; regenerate with \
         NEGSIM_BLESS=1 cargo test --release --test it docs"
    );
}
