//! Compiles proto/ with protox (pure Rust) so that no system protoc is needed.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let entry = proto_root.join("newapi/token/v1/token.proto");
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler
        .include_imports(true)
        .include_source_info(true)
        .open_files([&entry])?;
    // Encoded by protox itself, because prost's own types drop extension options: server reflection must
    // hand clients the `google.api.http` rules along with the services.
    let descriptor_path =
        PathBuf::from(std::env::var("OUT_DIR")?).join("tokenbatch_descriptor.bin");
    std::fs::write(&descriptor_path, compiler.encode_file_descriptor_set())?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
