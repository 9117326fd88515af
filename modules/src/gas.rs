//! Deterministic gas: every byte of the tx, every signature and every store access costs a
//! fixed amount, so `gas_used` is the same on every node. Costs follow the Cosmos SDK's
//! defaults so wallets' gas estimates behave as users expect.

use crate::error::{AppError, AppResult};

/// The gas schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasSchedule {
    pub tx_size_per_byte: u64,
    pub sig_verify_secp256k1: u64,
    pub read_flat: u64,
    pub read_per_byte: u64,
    pub write_flat: u64,
    pub write_per_byte: u64,
    pub delete_flat: u64,
    pub iter_next_flat: u64,
}

/// The schedule the chain uses (the Cosmos SDK's KV gas config and auth defaults).
pub const SCHEDULE: GasSchedule = GasSchedule {
    tx_size_per_byte: 10,
    sig_verify_secp256k1: 1000,
    read_flat: 1000,
    read_per_byte: 3,
    write_flat: 2000,
    write_per_byte: 30,
    delete_flat: 1000,
    iter_next_flat: 30,
};

/// Counts gas against a limit; consuming past the limit fails with `out of gas`.
#[derive(Clone, Debug)]
pub struct GasMeter {
    limit: u64,
    used: u64,
}

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        GasMeter { limit, used: 0 }
    }

    /// A meter with no limit, for genesis and block-level bookkeeping.
    pub fn infinite() -> Self {
        GasMeter::new(u64::MAX)
    }

    pub fn used(&self) -> u64 {
        self.used
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Consumes `amount`; fails, naming where, once the total passes the limit. The meter keeps
    /// the total so `gas_used` reports what was attempted, as the SDK does.
    pub fn consume(&mut self, amount: u64, location: &str) -> AppResult<()> {
        self.used = self.used.saturating_add(amount);
        if self.used > self.limit {
            return Err(AppError::out_of_gas(format!(
                "out of gas in location: {location}; gasWanted: {}, gasUsed: {}",
                self.limit, self.used
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_fails_past_limit_and_names_location() {
        let mut m = GasMeter::new(100);
        m.consume(60, "a").unwrap();
        let e = m.consume(50, "WriteFlat").unwrap_err();
        assert_eq!(e.code, 11);
        assert!(e.log.contains("WriteFlat") && e.log.contains("gasWanted: 100, gasUsed: 110"));
        assert_eq!(m.used(), 110);
    }
}
