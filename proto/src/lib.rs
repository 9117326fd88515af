pub use cosmos_sdk_proto as cosmos;
