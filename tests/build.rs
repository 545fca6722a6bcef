//! Generates a gRPC client from the proto as it was before part two (tests/fixtures/proto-before-part-two),
//! so that tests/old_clients.rs can prove that today's service still serves clients built from it: field
//! numbers and meanings of existing fields unchanged. protox, so no system protoc.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let old_root = manifest.join("fixtures/proto-before-part-two");
    // The google/api annotations it imports are vendored once, beside the current proto.
    let vendored = manifest.join("../proto");
    println!("cargo:rerun-if-changed={}", old_root.display());
    let entry = old_root.join("newapi/token/v1/token.proto");
    let mut compiler = protox::Compiler::new([&old_root, &vendored])?;
    compiler.include_imports(true).open_files([&entry])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
