//! Generates Rust types for every `glia.*` proto. Cosmos types the protos import are mapped
//! onto cosmos-sdk-proto's, so a `Coin` here is the same type the bank module uses.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "glia/inference/v1/types.proto",
        "glia/inference/v1/tx.proto",
        "glia/inference/v1/query.proto",
        "glia/inference/v1/genesis.proto",
        "glia/inference/v1/abci.proto",
        "glia/neuro/v1/types.proto",
        "glia/neuro/v1/tx.proto",
        "glia/neuro/v1/query.proto",
        "glia/neuro/v1/genesis.proto",
        "glia/abci/v1/abci.proto",
        "glia/store/v1/values.proto",
        "glia/staking/v1/types.proto",
        "glia/mint/v1/mint.proto",
        "glia/distribution/v1/distribution.proto",
    ];
    println!("cargo:rerun-if-changed=glia");
    println!("cargo:rerun-if-changed=third_party");
    let fds = protox::compile(files, [".", "third_party"])?;
    // The descriptors too (glia.* and what they import): REST answers and the CLI render any
    // glia message as the Cosmos SDK's gateway does, by reflection.
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("glia_descriptors.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    let mut config = prost_build::Config::new();
    config
        .extern_path(
            ".cosmos.base.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::v1beta1",
        )
        .extern_path(
            ".cosmos.base.query.v1beta1",
            "::cosmos_sdk_proto::cosmos::base::query::v1beta1",
        )
        .enable_type_names()
        .type_name_domain(["."], "")
        .compile_fds(fds)?;
    Ok(())
}
