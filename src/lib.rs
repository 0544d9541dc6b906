//! negsim: a simulator of negotiation dynamics (truce/escalation cycles) as a Monte Carlo ensemble.
//!
//! Pipeline, one way: [`scenario`] (format, validation, overlays) → [`model`] (state and the
//! weekly step) → [`ensemble`] (replicates in parallel, streaming aggregation) → [`analysis`]
//! (statistics) → [`report`] (CSV, charts, tables) → [`cli`]. See ARCHITECTURE.md.

pub mod analysis;
pub mod calibration;
pub mod cli;
pub mod data;
pub mod ensemble;
pub mod explore;
pub mod model;
pub mod report;
pub mod scenario;
