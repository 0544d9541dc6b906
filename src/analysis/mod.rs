//! Analysis: statistics over replicates and over event series. Knows nothing of TOML or files.

pub mod cycle;
pub mod facts;
pub mod km;
pub mod outcomes;
pub mod prior;
pub mod stats;
pub mod worlds;
