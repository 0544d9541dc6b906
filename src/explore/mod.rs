//! Exploring the parameter space: designs, sensitivity indices, scenario discovery, and the
//! evaluation of a scenario at many parameter points on common random numbers.

pub mod design;
pub mod indices;
pub mod prepare;
pub mod space;
pub mod study;
