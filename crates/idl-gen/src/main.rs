//! `cargo run -p idl-gen` writes `idl/session_keys.json`; `cargo run -p idl-gen -- --check`
//! fails if the committed file differs from a fresh build.
//!
//! It calls `anchor_lang_idl::build::IdlBuilder`, the library `anchor idl build` (anchor-cli
//! 1.2.x) itself uses: compile the program for the host with the `idl-build` feature, run its
//! generated `__anchor_private_print_idl` test, and assemble the printed pieces. No SBF
//! toolchain is involved, and installing anchor-cli (about 7.5 minutes cold) is not needed.
use std::{path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let program = root.join("programs/session-keys");
    let out = root.join("idl/session_keys.json");

    // `cargo run` exports RUSTUP_TOOLCHAIN; the builder would then try `cargo +<toolchain>`.
    // The toolchain in use is already the right one.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    let idl = match anchor_lang_idl::build::IdlBuilder::new()
        .program_path(program)
        .build()
    {
        Ok(idl) => idl,
        Err(e) => {
            eprintln!("IDL build failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = match serde_json::to_string_pretty(&idl) {
        Ok(json) => json + "\n",
        Err(e) => {
            eprintln!("IDL serialization failed: {e}");
            return ExitCode::FAILURE;
        }
    };

    if check {
        let committed = std::fs::read_to_string(&out).unwrap_or_default();
        if committed != json {
            eprintln!(
                "idl/session_keys.json is out of date: run `cargo run -p idl-gen` and commit it"
            );
            return ExitCode::FAILURE;
        }
        println!("idl/session_keys.json matches a fresh build");
    } else if let Err(e) = std::fs::write(&out, json) {
        eprintln!("cannot write {}: {e}", out.display());
        return ExitCode::FAILURE;
    } else {
        println!("wrote {}", out.display());
    }
    ExitCode::SUCCESS
}
