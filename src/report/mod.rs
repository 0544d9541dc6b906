//! Reports: CSV files, the manifest, terminal tables (and charts). Renders bytes from results; the
//! output directory manager owns every path. Only this module and the CLI touch the filesystem.

pub mod csv;
pub mod manifest;
pub mod output;
pub mod table;
