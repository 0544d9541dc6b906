//! The negsim binary: everything lives in the library; see `negsim::cli`.

fn main() -> std::process::ExitCode {
    negsim::cli::main()
}
