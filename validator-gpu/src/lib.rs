//! What a validator runs beside consensus: workload executors (Stable Diffusion on candle, the
//! memcomputing solver) and the content-addressed store their outputs are served from. Nothing
//! here runs inside block processing; results reach the chain through vote extensions and txs.

pub mod blobstore;
pub mod dmm;
pub mod sd;
