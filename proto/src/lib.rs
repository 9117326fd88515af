//! Protobuf types: Glia's own (`glia.*`, generated from the `.proto` files in this crate) and
//! the Cosmos SDK's (re-exported from cosmos-sdk-proto).

pub use cosmos_sdk_proto as cosmos;

/// The `FileDescriptorSet` of every `glia.*` file and the files they import.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/glia_descriptors.bin"));

/// `glia.inference.v1`: image generation requests, executors, the model registry.
pub mod inference {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/glia.inference.v1.rs"));
    }
}

/// `glia.neuro.v1`: neuromorphic jobs (SAT, MaxSAT, QUBO), solutions, the review committee.
pub mod neuro {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/glia.neuro.v1.rs"));
    }
}

/// `glia.abci.v1`: what travels beside blocks: the vote-extension envelope of per-component
/// parts and the injected-votes tx.
pub mod abci {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/glia.abci.v1.rs"));
    }
}

/// `glia.store.v1`: the plain values kept in state (counters, amounts, texts, the chain's
/// params), so every value in state is protobuf.
pub mod store {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/glia.store.v1.rs"));
    }
}

/// `glia.staking.v1`: the validator set's records.
pub mod staking {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/glia.staking.v1.rs"));
    }
}

/// `glia.mint.v1`: the continuous emission.
pub mod mint {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/glia.mint.v1.rs"));
    }
}

/// `glia.distribution.v1`: the useful-work pool.
pub mod distribution {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/glia.distribution.v1.rs"));
    }
}
