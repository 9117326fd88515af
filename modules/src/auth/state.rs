//! Auth's keys and typed state access.

use crate::address::Address;
use crate::context::{Ctx, Kv};
use crate::error::{AppError, AppResult};
use crate::value::decode;
use glia_proto::cosmos::cosmos::auth::v1beta1::{BaseAccount, Params};
use prost::Message;

/// Every key auth writes.
pub mod state_key {
    use crate::address::Address;

    pub const PARAMS: &str = "auth/params";
    pub const NEXT_ACCOUNT_NUMBER: &str = "auth/next_account_number";
    pub const ACCOUNTS_PREFIX: &str = "auth/accounts/";

    pub fn account(addr: &Address) -> String {
        format!("{ACCOUNTS_PREFIX}{addr}")
    }
}

/// The SDK's default auth parameters.
pub fn default_params() -> Params {
    Params {
        max_memo_characters: 256,
        tx_sig_limit: 7,
        tx_size_cost_per_byte: 10,
        sig_verify_cost_ed25519: 590,
        sig_verify_cost_secp256k1: 1000,
    }
}

pub fn params(kv: &mut impl Kv) -> AppResult<Params> {
    match kv.kv_get(state_key::PARAMS)? {
        Some(b) => decode("auth params", &b),
        None => Ok(default_params()),
    }
}

pub fn set_params(ctx: &mut Ctx<'_>, p: &Params) -> AppResult<()> {
    ctx.put(state_key::PARAMS.into(), p.encode_to_vec())
}

pub fn get_account(kv: &mut impl Kv, addr: &Address) -> AppResult<Option<BaseAccount>> {
    kv.kv_get(&state_key::account(addr))?
        .map(|b| decode("account", &b))
        .transpose()
}

pub fn set_account(ctx: &mut Ctx<'_>, acc: &BaseAccount) -> AppResult<()> {
    let addr = Address::parse(&acc.address).map_err(AppError::invalid_address)?;
    ctx.put(state_key::account(&addr), acc.encode_to_vec())
}

/// Returns the account, creating it with the next account number if it does not exist (an
/// account exists from the moment it first receives funds, as cosmjs expects).
pub fn ensure_account(ctx: &mut Ctx<'_>, addr: &Address) -> AppResult<BaseAccount> {
    if let Some(acc) = get_account(ctx, addr)? {
        return Ok(acc);
    }
    let number = crate::value::next_id(ctx, state_key::NEXT_ACCOUNT_NUMBER, 0, "account numbers")?;
    let acc = BaseAccount {
        address: addr.to_bech32(),
        pub_key: None,
        account_number: number,
        sequence: 0,
    };
    set_account(ctx, &acc)?;
    Ok(acc)
}

/// All accounts in key order, for queries.
pub fn all_accounts(kv: &mut impl Kv) -> AppResult<Vec<(Vec<u8>, BaseAccount)>> {
    kv.kv_scan(state_key::ACCOUNTS_PREFIX)?
        .into_iter()
        .map(|(k, v)| Ok((k.into_bytes(), decode("account", &v)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::BlockInfo;
    use crate::gas::GasMeter;
    use crate::store::MemStore;

    #[test]
    fn accounts_get_sequential_numbers_once() {
        let base = MemStore::default();
        let block = BlockInfo::default();
        let mut ctx = Ctx::new(&base, GasMeter::infinite(), &block);
        let a = Address::module("a");
        let b = Address::module("b");
        assert_eq!(ensure_account(&mut ctx, &a).unwrap().account_number, 0);
        assert_eq!(ensure_account(&mut ctx, &b).unwrap().account_number, 1);
        assert_eq!(ensure_account(&mut ctx, &a).unwrap().account_number, 0);
        assert_eq!(all_accounts(&mut ctx).unwrap().len(), 2);
    }
}
