//! `compare --explain`: why an intervention has the effect it has. Its overlay's changes are
//! the players of a Shapley decomposition of its paired effect on the share of weeks in truce
//! (`ensemble::shapley`): each coalition of changes runs on the base's random numbers.
//!
//! Players:
//! - an overlay that includes others (`all_of_the_above`): each included overlay;
//! - otherwise, each key the overlay changes (left out: set back to the base's value);
//! - an item the overlay adds (`[[add.channels]]`) is split into the item itself, at the values
//!   of a stated reference (the first item of the same list in the base, e.g. the official
//!   channel), and each attribute that differs from the reference (left out: set to the
//!   reference's value; the item left out: removed);
//! - removals are applied in every coalition (an overlay that only removes is one player).
//!
//! Beyond [`MAX_PLAYERS`], attributes sharing a name prefix (`misread_*`) are grouped, then keys
//! citing the same claim.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::ensemble::Plan;
use crate::ensemble::job::Prepared;
use crate::ensemble::record::MetricId;
use crate::ensemble::shapley::{Decomposition, Explained, MAX_PLAYERS, over_worlds, shapley};
use crate::error::Failure;
use crate::model::Params;
use crate::report::answer::ExplainBrief;
use crate::scenario::overlay::NAMED_LISTS;
use crate::scenario::template::Template;
use crate::scenario::{Loaded, Text, load_texts, set_overlay};

/// Replicates per coalition.
pub const RUNS: u64 = 2_000;

/// The subfolder of the comparison's folder that explain.csv goes to.
pub const FOLDER: &str = "explain";

/// One player: what it is, and how to leave it out of a coalition.
#[derive(Clone, Debug)]
pub struct Player {
    /// Shown name.
    pub label: String,
    /// The claims its keys cite.
    pub sources: Vec<String>,
    /// Left out: these `KEY=VALUE` resets (base or reference values).
    resets: Vec<String>,
    /// Left out: these items removed (list, name).
    removes: Vec<(String, String)>,
    /// For included overlays: the index of its text in the arm's chain.
    text: Option<usize>,
}

/// (list, item, key) of a path inside a named list, if it is one.
fn in_list(path: &str) -> Option<(&'static str, String, String)> {
    let l = NAMED_LISTS
        .iter()
        .filter(|l| path.starts_with(&format!("{l}.")))
        .max_by_key(|l| l.len())?;
    let rest = &path[l.len() + 1..];
    let (item, key) = rest.split_once('.')?;
    Some((l, item.to_string(), key.to_string()))
}

// long: the three kinds of player (included overlays, keys, added items with their attributes), then grouping.
fn players_of(base: &Loaded, arm: &Loaded, chain: &[Text]) -> (Vec<Player>, Option<String>) {
    if chain.len() > 1 {
        let players = chain
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let name = std::path::Path::new(&t.path)
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_string())?;
                // The including overlay itself changes nothing but its list.
                (i + 1 < chain.len()).then(|| Player {
                    label: name,
                    sources: Vec::new(),
                    resets: Vec::new(),
                    removes: Vec::new(),
                    text: Some(i),
                })
            })
            .collect();
        return (players, None);
    }
    let before: BTreeMap<&str, &crate::scenario::read::ParamRecord> = base
        .scenario
        .params
        .iter()
        .map(|p| (p.path.as_str(), p))
        .collect();
    let base_items = |list: &str| -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for p in &base.scenario.params {
            if let Some((l, item, _)) = in_list(&p.path)
                && l == list
                && !v.contains(&item)
            {
                v.push(item);
            }
        }
        v
    };
    let mut players: Vec<Player> = Vec::new();
    let mut reference = None;
    let mut added: BTreeMap<(String, String), usize> = BTreeMap::new();
    for p in &arm.scenario.params {
        let src = p
            .provenance
            .as_ref()
            .map(|x| x.source.clone())
            .unwrap_or_default();
        match (before.get(p.path.as_str()), in_list(&p.path)) {
            (Some(b), _) if b.value == p.value => {}
            (Some(b), _) => players.push(Player {
                label: p.path.clone(),
                sources: vec![src],
                resets: vec![format!("{}={}", p.path, b.value)],
                removes: Vec::new(),
                text: None,
            }),
            (None, Some((list, item, key))) if !base_items(list).contains(&item) => {
                let idx = *added
                    .entry((list.to_string(), item.clone()))
                    .or_insert_with(|| {
                        players.push(Player {
                            label: format!("{list}.{item} (the item itself)"),
                            sources: vec![src.clone()],
                            resets: Vec::new(),
                            removes: vec![(list.to_string(), item.clone())],
                            text: None,
                        });
                        players.len() - 1
                    });
                let Some(r) = base_items(list).into_iter().next() else {
                    continue;
                };
                reference = Some(format!("{list}.{r}"));
                if let Some(rv) = before.get(format!("{list}.{r}.{key}").as_str())
                    && rv.value != p.value
                    && p.number.is_some()
                {
                    players.push(Player {
                        label: p.path.clone(),
                        sources: vec![src],
                        resets: vec![format!("{}={}", p.path, rv.value)],
                        removes: Vec::new(),
                        text: None,
                    });
                } else if !src.is_empty() && !players[idx].sources.contains(&src) {
                    players[idx].sources.push(src);
                }
            }
            _ => {}
        }
    }
    group(&mut players);
    (players, reference)
}

/// Groups players beyond [`MAX_PLAYERS`]: attributes of one item sharing a name prefix, then
/// keys citing the same claim.
fn group(players: &mut Vec<Player>) {
    let merge = |players: &mut Vec<Player>, key: &dyn Fn(&Player) -> Option<String>| {
        let mut out: Vec<Player> = Vec::new();
        let mut at: BTreeMap<String, usize> = BTreeMap::new();
        for p in players.drain(..) {
            match key(&p) {
                Some(k) if at.contains_key(&k) => {
                    let q = &mut out[at[&k]];
                    q.label = k.clone();
                    q.resets.extend(p.resets);
                    q.removes.extend(p.removes);
                    for s in p.sources {
                        if !q.sources.contains(&s) {
                            q.sources.push(s);
                        }
                    }
                }
                Some(k) => {
                    at.insert(k, out.len());
                    out.push(p);
                }
                None => out.push(p),
            }
        }
        *players = out;
    };
    if players.len() > MAX_PLAYERS {
        merge(players, &|p| {
            if !p.removes.is_empty() || p.text.is_some() {
                return None;
            }
            let (prefix, last) = p.label.rsplit_once('.')?;
            let stem = last.split('_').next()?;
            Some(format!("{prefix}.{stem}_*"))
        });
    }
    if players.len() > MAX_PLAYERS {
        merge(players, &|p| {
            (p.removes.is_empty() && p.text.is_none())
                .then(|| format!("keys citing {}", p.sources.join("+")))
        });
    }
}

/// The overlays of coalition `mask`: the `--set` overlay (if any) first, as in every arm.
fn coalition_texts(
    set: &[Text],
    chain: &[Text],
    players: &[Player],
    mask: usize,
) -> Result<Vec<Text>, Failure> {
    let mut texts: Vec<Text> = set.to_vec();
    if players.iter().any(|p| p.text.is_some()) {
        for (i, p) in players.iter().enumerate() {
            if mask & (1 << i) != 0
                && let Some(t) = p.text
            {
                texts.push(chain[t].clone());
            }
        }
    } else {
        texts.extend(chain.iter().cloned());
        let out: Vec<&Player> = (0..players.len())
            .filter(|i| mask & (1 << i) == 0)
            .map(|i| &players[i])
            .collect();
        let removed: Vec<&(String, String)> = out.iter().flat_map(|p| &p.removes).collect();
        let resets: Vec<String> = out
            .iter()
            .flat_map(|p| &p.resets)
            .filter(|r| {
                !removed
                    .iter()
                    .any(|(l, it)| r.starts_with(&format!("{l}.{it}.")))
            })
            .cloned()
            .collect();
        let removals: String = removed
            .iter()
            .map(|(l, it)| {
                format!(
                    "[[remove.{l}]]\nname = \"{it}\"\nsource = \"set\"\nnote = \"left out of this coalition by --explain\"\n\n"
                )
            })
            .collect();
        match set_overlay(&resets).map_err(Failure::Input)? {
            Some(mut t) => {
                t.text.push_str(&removals);
                texts.push(t);
            }
            None if !removals.is_empty() => texts.push(Text {
                path: crate::scenario::SET_FILE.into(),
                text: format!("[overlay]\nname = \"explain\"\n\n{removals}"),
            }),
            None => {}
        }
    }
    Ok(texts)
}

/// Loads coalition `mask`'s scenario.
fn load_coalition(base: &Text, texts: &[Text], mask: usize) -> Result<Loaded, Failure> {
    load_texts(base, texts).map_err(|e| Failure::Input(format!("--explain: coalition {mask}: {e}")))
}

/// The players of an intervention, the reference of an added item, and the overlays of every
/// coalition of players (indexed by its bit mask).
type Coalitions = (Vec<Player>, Option<String>, Vec<Vec<Text>>);

/// The players of intervention `a` (what its overlay changes, [`players_of`]), the reference of
/// an added item, and the overlays of every coalition of players (indexed by its bit mask).
fn coalitions_of(prep: &Prepared, a: usize) -> Result<Coalitions, Failure> {
    let chain: Vec<Text> = prep.overlay_texts[a]
        .iter()
        .filter(|t| t.path != crate::scenario::SET_FILE)
        .cloned()
        .collect();
    let set: Vec<Text> = prep.overlay_texts[a]
        .iter()
        .filter(|t| t.path == crate::scenario::SET_FILE)
        .cloned()
        .collect();
    let (mut players, reference) = players_of(&prep.loaded[0], &prep.loaded[a], &chain);
    if players.is_empty() {
        // Only removals (or nothing the decomposition can split): the overlay is one player.
        players.push(Player {
            label: prep.arms[a].name.clone(),
            sources: Vec::new(),
            resets: Vec::new(),
            removes: Vec::new(),
            text: None,
        });
    }
    let n = players.len();
    let indivisible = n == 1
        && players[0].resets.is_empty()
        && players[0].removes.is_empty()
        && players[0].text.is_none();
    let texts = (0..(1usize << n))
        .map(|mask| {
            if indivisible {
                // One indivisible player: the base or the whole arm.
                Ok(if mask == 0 {
                    set.clone()
                } else {
                    prep.overlay_texts[a].clone()
                })
            } else {
                coalition_texts(&set, &chain, &players, mask)
            }
        })
        .collect::<Result<_, Failure>>()?;
    Ok((players, reference, texts))
}

/// Every intervention's players and coalitions (loaded), decomposed by `decompose(coalitions,
/// their overlays, players)`.
fn each_intervention(
    prep: &Prepared,
    mut decompose: impl FnMut(&[Loaded], &[Vec<Text>], usize) -> Result<Decomposition, Failure>,
) -> Result<Vec<Explained>, Failure> {
    (1..prep.arms.len())
        .map(|a| {
            let (players, reference, texts) = coalitions_of(prep, a)?;
            let loaded: Vec<Loaded> = texts
                .iter()
                .enumerate()
                .map(|(mask, t)| load_coalition(&prep.base_text, t, mask))
                .collect::<Result<_, _>>()?;
            let result = decompose(&loaded, &texts, players.len())?;
            Ok(Explained {
                arm: prep.arms[a].name.clone(),
                players: players.into_iter().map(|p| (p.label, p.sources)).collect(),
                result,
                reference,
            })
        })
        .collect()
}

/// Decomposes every intervention of a prepared comparison at the values as written: every
/// coalition runs replicates `0..runs` on the base's random numbers.
pub fn explain(prep: &Prepared, plan: &Plan, runs: u64) -> Result<Vec<Explained>, Failure> {
    each_intervention(prep, |loaded, _, n| {
        let coalitions: Vec<Params> = loaded
            .iter()
            .map(|l| Params::compile(&l.scenario, prep.weeks))
            .collect();
        shapley(&coalitions, n, runs, plan, MetricId::ShareTruce).map_err(Failure::Input)
    })
}

/// A change left out of a coalition is set back to the base's written value, without the base's
/// range; across worlds it must take the base's draw instead, as the base arm does. So every
/// uncertain input of the base (`loaded[0]`, the comparison's base arm) also applies to each
/// scenario that holds the base's value there without a range of its own.
fn inherit_base_draws(inputs: &mut [crate::ensemble::worlds::Input], loaded: &[Loaded]) {
    use crate::ensemble::worlds::{extend_to_keepers, value_at};
    for input in inputs.iter_mut().filter(|i| i.arms.contains(&0)) {
        if let Some((base, _)) = value_at(loaded, 0, &input.path) {
            extend_to_keepers(input, loaded, &base);
        }
    }
}

/// Decomposes every intervention across plausible worlds (`compare --explain --worlds W`): each
/// coalition is an arm of one worlds run (the same worlds, values and replicates for every
/// coalition), each world gives Shapley values from its coalitions' means, and the values are
/// averaged over worlds with a t interval on their spread (parameters and simulation noise).
pub fn explain_worlds(
    job: &crate::ensemble::job::Job<'_>,
    prep: &Prepared,
    plan: &Plan,
    wp: crate::ensemble::worlds::WorldsPlan,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Vec<Explained>, Failure> {
    let posterior = super::worlds::load_posterior(job, prep, wp)?.map(|(p, _)| p);
    each_intervention(prep, |loaded, texts, n| {
        let templates: Vec<Template> = texts
            .iter()
            .map(|t| Template::new(&prep.base_text, t).map_err(|e| Failure::Input(e.to_string())))
            .collect::<Result<_, _>>()?;
        // The inputs of the whole comparison and of the coalitions together: an overlay's range
        // on a base value applies to every arm that keeps that value (`worlds::inputs`), so the
        // worlds here are the comparison's own worlds.
        let arms = prep.loaded.len();
        let all: Vec<Loaded> = prep.loaded.iter().chain(loaded).cloned().collect();
        let mut inputs = crate::ensemble::worlds::inputs(&all);
        inherit_base_draws(&mut inputs, &all);
        for i in &mut inputs {
            i.arms = i
                .arms
                .iter()
                .filter(|&&x| x >= arms)
                .map(|x| x - arms)
                .collect();
        }
        inputs.retain(|i| !i.arms.is_empty());
        let worlds = crate::ensemble::worlds::run(
            &templates,
            &inputs,
            posterior.as_ref(),
            (wp, 0..wp.worlds),
            plan,
            (stop, &|| {}),
        )
        .map_err(Failure::Input)?
        .ok_or(Failure::Interrupted)?;
        let k = MetricId::ShareTruce.index();
        let means: Vec<Vec<f64>> = worlds
            .iter()
            .map(|w| w.arms.iter().map(|m| m[k].mean()).collect())
            .collect();
        Ok(over_worlds(&means, n))
    })
}

/// `--explain` for a comparison `job`, run before it: the decomposition of each intervention, for
/// its report and for `<comparison folder>/explain/` ([`write`]).
pub fn decompose(
    job: &crate::ensemble::job::Job<'_>,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<ExplainBrief, Failure> {
    let started = std::time::Instant::now();
    let prep = crate::ensemble::job::prepare(job)?;
    let plan = Plan {
        seed: job.seed,
        threads: job.threads,
        trace: 0,
        independent: false,
    };
    let (all, runs, worlds) = match job.worlds {
        None => (explain(&prep, &plan, RUNS)?, RUNS, None),
        Some(w) => {
            let crate::ensemble::job::Runs::Fixed(r) = job.runs else {
                return Err(Failure::Input(
                    "--worlds takes --runs R (replicates per world), not --target-ci".into(),
                ));
            };
            let wp = crate::ensemble::worlds::WorldsPlan {
                worlds: w,
                runs: r,
                weeks: prep.weeks,
            };
            (
                explain_worlds(job, &prep, &plan, wp, stop)?,
                w * r,
                Some((w, r)),
            )
        }
    };
    outln!(
        "explained {} intervention{} in {:.1} s ({})",
        all.len(),
        if all.len() == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64(),
        match worlds {
            None => format!("{RUNS} runs per coalition"),
            Some((w, r)) => format!("{w} worlds x {r} runs per coalition"),
        }
    );
    Ok(ExplainBrief {
        all,
        runs,
        worlds,
        claims: prep.loaded[0].scenario.claims.clone(),
    })
}

/// Writes a decomposition into `<compare_out>/explain/`, after the comparison's own files are
/// committed.
pub fn write(brief: &ExplainBrief, compare_out: &Path) -> Result<PathBuf, Failure> {
    let od = crate::report::output::OutputDir::prepare(&compare_out.join(FOLDER), &[], true)
        .map_err(|e| Failure::Input(e.to_string()))?;
    crate::report::explain::write(od, brief)
}
