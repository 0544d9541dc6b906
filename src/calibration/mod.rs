//! Calibration against the real record: configuration, ABC-SMC, and the calibrated scenario file.

pub mod abc;
pub mod config;
pub mod effect;
pub mod history;
pub mod result;
pub mod writer;
