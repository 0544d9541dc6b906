//! Why a command failed: the one error type of the pipeline's top floors (`job`, `report`), mapped
//! to exit codes by `cli`.

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad input, an I/O problem or a refused size: exit code 1.
    Input(String),
    /// Stopped by Ctrl-C: exit code 130.
    Interrupted,
}

impl Failure {
    /// A `Failure::Input` from any displayable error.
    pub fn input(e: impl std::fmt::Display) -> Self {
        Failure::Input(e.to_string())
    }
}
