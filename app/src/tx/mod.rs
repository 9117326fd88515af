//! The tx pipeline: decode, ante checks (size, fee, gas, signatures, sequences), then the
//! messages, atomically.

pub mod amino;
pub mod ante;
pub mod decode;
pub mod keytable;
pub mod sigverify;

pub use ante::{run_tx, Mode, TxOutcome};
pub use decode::{decode_tx, DecodedTx};
