//! Running one tx: ante checks, then the messages atomically. Checks that need no writes come
//! first; a tx failing them leaves no trace. Once the fee is taken and sequences moved, a
//! failing message rolls back only its own writes, as in the Cosmos SDK.

use super::decode::DecodedTx;
use super::sigverify::SigCache;
use crate::params::ChainParams;
use base64::Engine;
use glia_modules::address::Address;
use glia_modules::auth;
use glia_modules::bank::{self, FEE_COLLECTOR};
use glia_modules::coins::{format_coins, parse_coins, Coin, GasPrice};
use glia_modules::component::Components;
use glia_modules::error::{AppError, AppResult};
use glia_modules::gas::GasMeter;
use glia_modules::store::{Changes, KvRead};
use glia_modules::{BlockInfo, Ctx};
use glia_proto::cosmos::cosmos::auth::v1beta1::{BaseAccount, Params as AuthParams};
use glia_proto::cosmos::cosmos::base::abci::v1beta1::TxMsgData;
use glia_proto::cosmos::cosmos::crypto::secp256k1::PubKey;
use glia_proto::cosmos::cosmos::tx::v1beta1::SignDoc;
use glia_proto::cosmos::Any;
use prost::Message;
use tendermint_proto::v0_38::abci::Event;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Mempool admission: the node's own minimum gas price applies too.
    Check,
    /// Execution in a block.
    Deliver,
    /// Gas estimation: no signature, sequence or fee checks.
    Simulate,
}

/// What the tx pipeline needs besides state.
pub struct Env<'a> {
    pub params: &'a ChainParams,
    pub gas_price: &'a GasPrice,
    pub local_min_gas_price: Option<&'a GasPrice>,
    pub sigs: &'a SigCache,
    pub block: &'a BlockInfo,
    /// The app's components, which route and execute messages.
    pub components: &'a Components,
}

/// The result of one tx, and the writes to apply (fee and sequence even when a message failed).
#[derive(Debug, Default)]
pub struct TxOutcome {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
    pub data: Vec<u8>,
    pub msg_responses: Vec<Any>,
    pub changes: Changes,
}

impl TxOutcome {
    fn error(e: AppError, gas_wanted: u64, gas_used: u64) -> Self {
        TxOutcome {
            code: e.code,
            codespace: e.codespace.to_string(),
            log: e.log,
            gas_wanted,
            gas_used,
            ..Default::default()
        }
    }

    pub fn is_ok(&self) -> bool {
        self.code == 0
    }
}

/// The bytes each signer signs: `SignDoc{body_bytes, auth_info_bytes, chain_id, account_number}`
/// built from the raw bytes of the tx, never a re-encoding.
pub fn sign_bytes(tx: &DecodedTx, chain_id: &str, account_number: u64) -> Vec<u8> {
    SignDoc {
        body_bytes: tx.body_bytes.clone(),
        auth_info_bytes: tx.auth_info_bytes.clone(),
        chain_id: chain_id.to_string(),
        account_number,
    }
    .encode_to_vec()
}

pub fn run_tx(base: &dyn KvRead, tx: &DecodedTx, mode: Mode, env: &Env<'_>) -> TxOutcome {
    let gas_wanted = tx.gas_limit();
    let limit = if mode == Mode::Simulate {
        u64::MAX
    } else {
        gas_wanted
    };
    let mut ctx = Ctx::new(base, GasMeter::new(limit), env.block);
    if let Err(e) = ante(&mut ctx, tx, mode, env) {
        return TxOutcome::error(e, gas_wanted, ctx.gas.used());
    }
    let result = ctx.atomic(|c| run_msgs(c, tx));
    let (changes, gas, events) = ctx.into_parts();
    match result {
        Ok(msg_responses) => {
            #[allow(deprecated)]
            let data = TxMsgData {
                data: vec![],
                msg_responses: msg_responses.clone(),
            }
            .encode_to_vec();
            TxOutcome {
                gas_wanted,
                gas_used: gas.used(),
                events,
                data,
                msg_responses,
                changes,
                ..Default::default()
            }
        }
        Err(e) => TxOutcome {
            events,
            changes,
            ..TxOutcome::error(e, gas_wanted, gas.used())
        },
    }
}

fn run_msgs(ctx: &mut Ctx<'_>, tx: &DecodedTx) -> AppResult<Vec<Any>> {
    let mut responses = Vec::with_capacity(tx.msgs.len());
    for (i, (msg, any)) in tx.msgs.iter().zip(&tx.body.messages).enumerate() {
        let sender = msg
            .signers()
            .first()
            .map(Address::to_bech32)
            .unwrap_or_default();
        ctx.emit(
            "message",
            &[
                ("action", any.type_url.clone()),
                ("sender", sender),
                ("module", msg.module().to_string()),
                ("msg_index", i.to_string()),
            ],
        );
        let resp = msg.execute(ctx).map_err(|e| AppError {
            log: format!("failed to execute message; message index: {i}: {}", e.log),
            ..e
        })?;
        responses.push(resp);
    }
    Ok(responses)
}

/// Ante checks, then the ante writes: every check that reads state runs before the first write,
/// so a tx failing one leaves no trace.
fn ante(ctx: &mut Ctx<'_>, tx: &DecodedTx, mode: Mode, env: &Env<'_>) -> AppResult<()> {
    let params = auth::params(ctx)?;
    let check = mode != Mode::Simulate;
    check_limits(tx, &params, check, env)?;
    charge_tx_size(ctx, tx, &params, check)?;
    let fee = parse_fee(tx)?;
    if check {
        check_fee(&fee, tx.gas_limit(), mode, env)?;
    }
    let accounts = check_signers(ctx, tx, &params, check, env)?;

    // Writes: the fee, then sequences and keys.
    deduct_fee(ctx, tx, &fee, mode, env)?;
    advance_sequences(ctx, tx, accounts)?;
    if check {
        emit_signatures(ctx, tx);
    }
    Ok(())
}

/// Refuses a tx over the gas, memo, timeout-height or signature-count limits.
fn check_limits(tx: &DecodedTx, params: &AuthParams, check: bool, env: &Env<'_>) -> AppResult<()> {
    if check && tx.gas_limit() > env.params.max_tx_gas {
        return Err(AppError::invalid_gas_limit(format!(
            "gas limit {} exceeds the maximum of {} per tx",
            tx.gas_limit(),
            env.params.max_tx_gas
        )));
    }
    let memo_chars = tx.body.memo.chars().count() as u64;
    if memo_chars > params.max_memo_characters {
        return Err(AppError::memo_too_large(format!(
            "maximum number of characters is {} but received {memo_chars} characters",
            params.max_memo_characters
        )));
    }
    if tx.body.timeout_height != 0 && env.block.height > tx.body.timeout_height {
        return Err(AppError::tx_timeout_height(format!(
            "block height {} is greater than the tx's timeout height {}",
            env.block.height, tx.body.timeout_height
        )));
    }
    if tx.signers.len() as u64 > params.tx_sig_limit {
        return Err(AppError::too_many_signatures(format!(
            "{} signatures, the limit is {}",
            tx.signers.len(),
            params.tx_sig_limit
        )));
    }
    Ok(())
}

/// Charges the per-byte gas of the tx's size.
fn charge_tx_size(
    ctx: &mut Ctx<'_>,
    tx: &DecodedTx,
    params: &AuthParams,
    check: bool,
) -> AppResult<()> {
    // Simulated txs carry empty signatures: count the 64 bytes they will have.
    let sim_extra: usize = if check {
        0
    } else {
        tx.signers
            .iter()
            .map(|s| 64usize.saturating_sub(s.signature.len()))
            .sum()
    };
    ctx.gas.consume(
        // Saturating: more than a u64 of gas is out of gas.
        params
            .tx_size_cost_per_byte
            .saturating_mul(tx.len.saturating_add(sim_extra) as u64),
        "txSize",
    )
}

/// The fee the tx offers, as coins.
fn parse_fee(tx: &DecodedTx) -> AppResult<Vec<Coin>> {
    let fee = tx
        .auth_info
        .fee
        .as_ref()
        .map(|f| f.amount.as_slice())
        .unwrap_or_default();
    parse_coins(fee, true).map_err(|e| AppError {
        log: format!("fee: {}", e.log),
        ..e
    })
}

/// Signers: key, sequence and signature, all read before anything is written.
fn check_signers(
    ctx: &mut Ctx<'_>,
    tx: &DecodedTx,
    params: &AuthParams,
    check: bool,
    env: &Env<'_>,
) -> AppResult<Vec<(BaseAccount, Vec<u8>)>> {
    let mut accounts = Vec::with_capacity(tx.signers.len());
    for (i, s) in tx.signers.iter().enumerate() {
        let acc = auth::get_account(ctx, &s.address)?.ok_or_else(|| {
            AppError::unknown_address(format!("account {} does not exist", s.address))
        })?;
        let mut placeholder = false;
        let pubkey = match (&s.pubkey, &acc.pub_key) {
            (Some(pk), _) => pk.clone(),
            (None, Some(any)) => {
                PubKey::decode(any.value.as_slice())
                    .map_err(|e| AppError::internal(format!("stored key of {}: {e}", s.address)))?
                    .key
            }
            // Simulation only, as the SDK's simulation key: a wallet (Keplr) simulates a new
            // account's first tx without its key; the gas is that of a tx storing one.
            (None, None) if !check => {
                placeholder = true;
                SIMULATION_PUBKEY.to_vec()
            }
            (None, None) => {
                return Err(AppError::invalid_pubkey(format!(
                    "signer {i} ({}) has no public key on chain yet; include it in the tx",
                    s.address
                )))
            }
        };
        if !placeholder && Address::from_secp256k1(&pubkey) != s.address {
            return Err(AppError::invalid_pubkey(format!(
                "pubKey does not match signer address {} with signer index: {i}",
                s.address
            )));
        }
        ctx.gas
            .consume(params.sig_verify_cost_secp256k1, "sigVerify")?;
        if check {
            if s.sequence != acc.sequence {
                return Err(AppError::wrong_sequence(format!(
                    "account sequence mismatch, expected {}, got {}",
                    acc.sequence, s.sequence
                )));
            }
            let doc = if s.direct {
                sign_bytes(tx, &env.params.chain_id, acc.account_number)
            } else if s.amino {
                super::amino::sign_bytes(
                    env.components,
                    tx,
                    &env.params.chain_id,
                    acc.account_number,
                    s.sequence,
                )?
            } else {
                return Err(AppError::unauthorized(format!(
                    "signer {i}: only SIGN_MODE_DIRECT and SIGN_MODE_LEGACY_AMINO_JSON are \
                     supported"
                )));
            };
            let hint = format!(
                "please verify account number ({}) and chain-id ({})",
                acc.account_number, env.params.chain_id
            );
            env.sigs.verify(&doc, &pubkey, &s.signature, &hint)?;
        }
        accounts.push((acc, pubkey));
    }
    Ok(accounts)
}

/// Moves the fee from its payer to the fee collector and emits the tx's fee event.
fn deduct_fee(
    ctx: &mut Ctx<'_>,
    tx: &DecodedTx,
    fee: &[Coin],
    mode: Mode,
    env: &Env<'_>,
) -> AppResult<()> {
    let payer = tx.fee_payer().clone();
    let collector = Address::module(FEE_COLLECTOR);
    if fee.is_empty() && mode == Mode::Simulate {
        // Wallets simulate with an empty fee, then pay one: charge the fee path's gas here (a
        // nominal transfer, rolled back) so the estimate covers the real tx.
        let nominal = [Coin::new(&env.gas_price.denom, 1)];
        let _ = ctx.atomic(|c| -> AppResult<()> {
            bank::transfer(c, &payer, &collector, &nominal)?;
            Err(AppError::internal("simulated fee rolled back"))
        });
    }
    if !fee.is_empty() {
        bank::transfer(ctx, &payer, &collector, fee).map_err(|e| AppError {
            log: format!(
                "fee payer {payer} cannot pay fee {}: {}",
                format_coins(fee),
                e.log
            ),
            ..e
        })?;
    }
    ctx.emit(
        "tx",
        &[("fee", format_coins(fee)), ("fee_payer", payer.to_bech32())],
    );
    Ok(())
}

/// The key a simulated signer without one is given: 33 bytes, as a compressed secp256k1 key.
const SIMULATION_PUBKEY: [u8; 33] = {
    let mut k = [0u8; 33];
    k[0] = 2;
    k
};

/// Advances each signer's sequence and stores its public key if the chain had none.
fn advance_sequences(
    ctx: &mut Ctx<'_>,
    tx: &DecodedTx,
    accounts: Vec<(BaseAccount, Vec<u8>)>,
) -> AppResult<()> {
    for ((mut acc, pubkey), s) in accounts.into_iter().zip(&tx.signers) {
        ctx.emit(
            "tx",
            &[("acc_seq", format!("{}/{}", s.address, acc.sequence))],
        );
        acc.sequence = acc
            .sequence
            .checked_add(1)
            .ok_or_else(|| AppError::overflow(format!("sequence of {}", s.address)))?;
        if acc.pub_key.is_none() {
            acc.pub_key = Some(Any {
                type_url: super::decode::SECP256K1_PUBKEY.into(),
                value: PubKey { key: pubkey }.encode_to_vec(),
            });
        }
        auth::set_account(ctx, &acc)?;
    }
    Ok(())
}

/// Emits the tx's signatures, base64, comma-separated.
fn emit_signatures(ctx: &mut Ctx<'_>, tx: &DecodedTx) {
    let sigs = tx
        .signers
        .iter()
        .map(|s| base64::engine::general_purpose::STANDARD.encode(&s.signature));
    ctx.emit("tx", &[("signature", sigs.collect::<Vec<_>>().join(","))]);
}

/// Refuses a fee in another denom or below the gas limit's cost at the applicable gas price.
fn check_fee(fee: &[Coin], gas_limit: u64, mode: Mode, env: &Env<'_>) -> AppResult<()> {
    let mut price = env.gas_price;
    if let (Mode::Check, Some(local)) = (mode, env.local_min_gas_price) {
        if local.denom == price.denom && local.fee_for(gas_limit) > price.fee_for(gas_limit) {
            price = local;
        }
    }
    let required = price.fee_for(gas_limit);
    if let Some(other) = fee.iter().find(|c| c.denom != price.denom) {
        return Err(AppError::insufficient_fee(format!(
            "fees are paid in {}, got {other}",
            price.denom
        )));
    }
    let paid = fee.iter().map(|c| c.amount).sum::<u128>();
    if paid < required {
        return Err(AppError::insufficient_fee(format!(
            "insufficient fees; got: {paid}{d} required: {required}{d} ({gas_limit} gas at {price})",
            d = price.denom
        )));
    }
    Ok(())
}
