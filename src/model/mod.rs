//! The model: state of a replicate and its weekly step (model.md sections 2-3; docs/MODEL.md).
//!
//! Pure and deterministic given its streams: no I/O, no clock, no global or thread-local random
//! numbers, no allocation in the weekly step. It reports each week as a typed [`WeekObs`] and, to a
//! sink that wants them, as [`Event`]s; what is recorded is the collectors' business.

pub mod fastmath;
pub mod observe;
pub mod params;
pub mod rng;
pub mod state;
pub mod step;

pub use observe::{Event, EventKind, EventSink, Move, NoEvents, WeekObs};
pub use params::Params;
pub use rng::StreamKey;
pub use state::{MECHANISMS, State, Streams};

/// Runs one replicate over the whole horizon, calling `on_week` after every week; returns the
/// final state.
pub fn run_replicate<E: EventSink>(
    p: &Params,
    key: StreamKey,
    ev: &mut E,
    mut on_week: impl FnMut(&State, &WeekObs),
) -> State {
    let mut state = State::new(p);
    let streams = Streams::new(p, key);
    for _ in 0..p.weeks {
        let obs = step::step(p, &mut state, &streams, ev);
        on_week(&state, &obs);
    }
    state
}
