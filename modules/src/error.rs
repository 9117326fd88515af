//! Errors a user sees: an ABCI code, a codespace and a log that says what is wrong.
//!
//! Codes in the `sdk` codespace keep the Cosmos SDK's numbers, because wallets and relayers read
//! them (cosmjs and Hermes treat code 32 as a sequence mismatch and retry).

use std::fmt;

/// The codespace of errors shared with the Cosmos SDK.
pub const SDK: &str = "sdk";

/// A failed check or execution: code, codespace and a log naming the values that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppError {
    pub codespace: &'static str,
    pub code: u32,
    pub log: String,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (codespace {}, code {})",
            self.log, self.codespace, self.code
        )
    }
}

impl std::error::Error for AppError {}

/// A module's error constructors: `error_codes! { CODESPACE; name = code; ... }` defines
/// `pub fn name(msg) -> AppError` for each, in that codespace, the log being the message.
macro_rules! error_codes {
    ($codespace:expr; $($fn:ident = $code:literal;)*) => {
        $(
            pub fn $fn(msg: impl std::fmt::Display) -> $crate::error::AppError {
                $crate::error::AppError { codespace: $codespace, code: $code, log: msg.to_string() }
            }
        )*
    };
}
pub(crate) use error_codes;

macro_rules! sdk_errors {
    ($($fn:ident = $code:literal, $desc:literal;)*) => {
        impl AppError {
            $(
                #[doc = concat!("SDK code ", stringify!($code), ": ", $desc, ".")]
                pub fn $fn(msg: impl fmt::Display) -> Self {
                    AppError { codespace: SDK, code: $code, log: format!("{msg}: {}", $desc) }
                }
            )*
        }
    };
}

sdk_errors! {
    internal = 1, "internal";
    tx_decode = 2, "tx parse error";
    unauthorized = 4, "unauthorized";
    insufficient_funds = 5, "insufficient funds";
    unknown_request = 6, "unknown request";
    invalid_address = 7, "invalid address";
    invalid_pubkey = 8, "invalid pubkey";
    unknown_address = 9, "unknown address";
    invalid_coins = 10, "invalid coins";
    out_of_gas = 11, "out of gas";
    memo_too_large = 12, "memo too large";
    insufficient_fee = 13, "insufficient fee";
    too_many_signatures = 14, "maximum number of signatures exceeded";
    no_signatures = 15, "no signatures supplied";
    invalid_request = 18, "invalid request";
    tx_too_large = 21, "tx too large";
    invalid_chain_id = 28, "invalid chain-id";
    tx_timeout_height = 30, "tx timeout height";
    unknown_extension_options = 31, "unknown extension options";
    wrong_sequence = 32, "incorrect account sequence";
    not_found = 38, "not found";
    invalid_gas_limit = 41, "invalid gas limit";
}

impl AppError {
    /// A checked operation on consensus values overflowed: the message fails (its writes are
    /// rolled back), the node does not. `what` names the quantity.
    pub fn overflow(what: impl fmt::Display) -> Self {
        AppError::internal(format!("arithmetic overflow: {what}"))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::internal(format!("{e:#}"))
    }
}

/// Result of a check or an execution.
pub type AppResult<T> = Result<T, AppError>;
