//! `cosmos.base.tendermint.v1beta1`: who the node is. Relayers ask it first (Hermes reads the
//! CometBFT version from `application_version.build_deps`) and so do wallets (Keplr checks that
//! `default_node_info.network` is the chain id).

pub mod component;
