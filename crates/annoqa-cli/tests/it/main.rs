//! The `annoqa` binary's integration tests: the real binary (`CARGO_BIN_EXE_annoqa`) on fixture
//! files, one module per group of subcommands.

mod flood;
mod media;
mod qa;
mod stats;
mod user;
