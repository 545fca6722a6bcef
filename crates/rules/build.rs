//! Computes `RULES_VERSION` ("rules-" + package version + "-" + 8 hex digits) from every file under `src/`
//! except `src/tests/`, so that any change to the rules' behaviour or messages changes the version without a
//! hand-kept file list, while editing a test does not.
//!
//! The server and the WASM module show this version so a stale browser module can be told from the server's
//! rules. Both are built from the same sources, and this script always runs on the build host whatever the
//! target, so native and wasm32 builds of the same sources carry the same version.

use std::env;
use std::fs;
use std::io;
use std::path::Path;

/// Tests live in `src/tests/`; they do not change what the rules do.
const EXCLUDED_DIR: &str = "tests";

fn main() -> io::Result<()> {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let src = Path::new(&manifest_dir).join("src");
    // A directory is scanned recursively: any file added, removed or edited under src/ reruns this script.
    println!("cargo:rerun-if-changed=src");

    let mut files = Vec::new();
    collect(&src, "", &mut files)?;
    // Sorted by relative path, '/'-separated: the same tag on every host and file system.
    files.sort();

    let mut hash = Fnv1a::new();
    for relative in &files {
        let contents = fs::read(src.join(relative))?;
        // Path and length first, so moving bytes from one file to another changes the tag.
        hash.write(relative.as_bytes());
        hash.write(&[0]);
        hash.write(&(contents.len() as u64).to_le_bytes());
        hash.write(&contents);
    }

    let version = format!(
        "rules-{}-{:08x}",
        env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION"),
        hash.finish()
    );
    println!("cargo:rustc-env=TOKENBATCH_RULES_VERSION={version}");
    Ok(())
}

/// The files under `dir`, as paths relative to `src/` joined with '/', `src/tests/` left out.
fn collect(dir: &Path, prefix: &str, files: &mut Vec<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            if relative != EXCLUDED_DIR {
                collect(&entry.path(), &format!("{relative}/"), files)?;
            }
        } else {
            files.push(relative);
        }
    }
    Ok(())
}

/// 32-bit FNV-1a: tiny, no dependency, and enough to tell two versions of the rules apart.
struct Fnv1a(u32);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0x811c_9dc5)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        }
    }

    fn finish(&self) -> u32 {
        self.0
    }
}
