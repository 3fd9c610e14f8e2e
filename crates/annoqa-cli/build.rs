//! Links the `annoqa` binary with packed relative relocations (`DT_RELR`) where the toolchain
//! and C library support them.
//!
//! A position-independent Rust binary of this size carries about 29,000 relative relocations
//! (690 KB of `.rela.dyn`) that the loader reads in full and applies at every start, so a
//! command on a small file spent over a megabyte of its resident memory on them before reading
//! a byte. Packed, they take 8 KB. The binary stays position-independent (ASLR is kept).
//!
//! Support needs GNU ld 2.38 or lld 15 and glibc 2.36 (the binary then requires
//! `GLIBC_ABI_DT_RELR`), so the flag is tried on a one-line program with the same C compiler
//! first, and left out where that link fails or warns.

use std::io::Write;
use std::process::{Command, Stdio};

const FLAG: &str = "-Wl,-z,pack-relative-relocs";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    let native = target("TARGET") == target("HOST");
    if native
        && target("CARGO_CFG_TARGET_OS") == "linux"
        && target("CARGO_CFG_TARGET_ENV") == "gnu"
        && links_with_flag()
    {
        println!("cargo:rustc-link-arg-bins={FLAG}");
    }
}

/// Whether the C compiler links a position-independent program with [`FLAG`] cleanly.
fn links_with_flag() -> bool {
    let Some(out) = std::env::var_os("OUT_DIR").map(|dir| std::path::Path::new(&dir).join("relr-probe")) else {
        return false;
    };
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let child = Command::new(compiler)
        .args(["-x", "c", "-", "-pie", "-fPIE", FLAG, "-o"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else { return false };
    let wrote = child.stdin.take().is_some_and(|mut stdin| stdin.write_all(b"int main(void) { return 0; }\n").is_ok());
    let Ok(output) = child.wait_with_output() else { return false };
    // A linker that does not know the option, or a C library without `DT_RELR`, says so on
    // stderr even where the link succeeds.
    wrote && output.status.success() && output.stderr.is_empty()
}
