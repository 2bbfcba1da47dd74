//! `mount-s3` for the test bed: Mountpoint for Amazon S3's own CLI and file system,
//! taken unchanged from the `mountpoint-s3-fs` library crate.

use clap::{CommandFactory, FromArgMatches};
use mountpoint_s3_fs::cli::{self, CliArgs, ContextParams};

const FULL_VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> anyhow::Result<()> {
    // The top-level parser must be `CliArgs` itself: in background mode the forked daemon
    // re-parses argv with `CliArgs::parse()`, so any flag added here would break the child.
    // Only the command's name, version and about text are set.
    let matches = CliArgs::command()
        .name("mount-s3")
        .bin_name("mount-s3")
        .version(FULL_VERSION)
        .about("Mountpoint for Amazon S3")
        .get_matches();
    let args = CliArgs::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());

    cli::main(
        cli::create_s3_client,
        args,
        ContextParams {
            full_version: FULL_VERSION.to_string(),
        },
    )
}
