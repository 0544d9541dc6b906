//! Reports: CSV files, the manifest, terminal tables (and charts). Renders bytes from results; the
//! output directory manager owns every path. Only this module and the CLI touch the filesystem.

pub mod answer;
pub mod calibration;
pub mod charts;
pub mod compare_doc;
pub mod csv;
pub mod document;
pub mod explain;
pub mod explore;
pub mod inspect;
pub mod json;
pub mod lock;
pub mod manifest;
pub mod output;
pub mod report_doc;
pub mod run;
pub mod starter;
pub mod table;
pub mod worlds;
