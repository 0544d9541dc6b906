//! Fuzz target: the scenario and overlay loaders, and (for inputs that load) a short simulation of
//! the loaded scenario. Any panic is a bug: bad input must end in a LoadError.
//!
//! Input: UTF-8 text; a line `#%%overlay` splits it into a base scenario and an overlay.

#![no_main]

use libfuzzer_sys::fuzz_target;
use negsim::ensemble::record::ReplicateCollector;
use negsim::model::{NoEvents, Params, StreamKey, run_replicate};
use negsim::scenario::{Text, load_texts};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let (base, overlay) = match s.split_once("\n#%%overlay\n") {
        Some((b, o)) => (b, Some(o)),
        None => (s, None),
    };
    let overlays: Vec<Text> = overlay.map(|o| Text { path: "overlay.toml".into(), text: o.into() }).into_iter().collect();
    let Ok(loaded) = load_texts(&Text { path: "base.toml".into(), text: base.into() }, &overlays) else {
        return;
    };
    // Simulate a few weeks of one replicate: extreme but valid parameters must not panic either.
    let p = Params::compile(&loaded.scenario, loaded.scenario.meta.weeks.min(30));
    let mut collector = ReplicateCollector::new(&p);
    collector.reset(&p, 0);
    let end = run_replicate(&p, StreamKey { seed: 1, replicate: 0, arm_salt: 0 }, &mut NoEvents, |s, o| {
        collector.week(s, o);
    });
    let _ = collector.finish(&end);
});
