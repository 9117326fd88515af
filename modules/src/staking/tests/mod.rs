//! Staking and slashing through the message router, block by block, on a small app of auth,
//! bank, staking and slashing (the harness here), with every invariant checked after every
//! block: `staking.rs` (bonding, unbonding, redelegation, the set, bad inputs),
//! `slashing.rs` (downtime, double signing, rounding), `property.rs` (random traffic).

use super::state::{self, status, BONDED_POOL, NOT_BONDED_POOL};
use super::validators;
use crate::address::Address;
use crate::component::{
    AppBuilder, BlockContext, CommitVote, Components, GenesisInfo, Misbehaviour,
};
use crate::context::{BlockInfo, Ctx, ReadOnly};
use crate::decimal::Dec;
use crate::error::{AppError, AppResult};
use crate::gas::GasMeter;
use crate::store::MemStore;
use base64::Engine;
use glia_proto::cosmos::cosmos::base::v1beta1::Coin as ProtoCoin;
use glia_proto::cosmos::cosmos::staking::v1beta1::{
    CommissionRates, Description, MsgBeginRedelegate, MsgCancelUnbondingDelegation,
    MsgCreateValidator, MsgDelegate, MsgEditValidator, MsgUndelegate,
};
use glia_proto::cosmos::Any;
use prost::{Message, Name};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

pub(crate) const FUNDS: u128 = 1_000_000_000_000;
pub(crate) const BOND: u128 = 100_000_000;
pub(crate) const UNBONDING: i64 = 240;
pub(crate) const BLOCK_SECONDS: i64 = 5;

pub(crate) struct Net {
    pub(crate) app: Components,
    pub(crate) store: MemStore,
    pub(crate) height: u64,
    pub(crate) time: i64,
    /// Operators of the genesis validators, then plain accounts.
    pub(crate) ops: Vec<Address>,
    pub(crate) users: Vec<Address>,
}

pub(crate) fn any<M: Message + Name>(m: M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

pub(crate) fn coin(amount: u128) -> Option<ProtoCoin> {
    Some(ProtoCoin {
        denom: "uglia".into(),
        amount: amount.to_string(),
    })
}

pub(crate) fn cons_signing_key(i: usize) -> ed25519_consensus::SigningKey {
    ed25519_consensus::SigningKey::from({
        let mut seed = [40u8; 32];
        seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
        seed
    })
}

pub(crate) fn cons_key(i: usize) -> Vec<u8> {
    cons_signing_key(i).verification_key().to_bytes().to_vec()
}

/// The image model the rewards harness registers, and each genesis validator's executor.
pub(crate) const MODEL: &str = "tiny";

fn register_executor(i: usize, op: &Address) -> Any {
    use glia_proto::inference::v1::{Device, HeldModel, MsgRegisterExecutor};
    let chain = crate::beacon::LocalChain::new([i as u8 + 1; 32], 1, 10_000);
    let mut msg = MsgRegisterExecutor {
        operator: op.to_bech32(),
        validator_pubkey: cons_key(i),
        devices: vec![Device {
            name: "cpu".into(),
            memory_bytes: 1 << 30,
            count: 1,
        }],
        models: vec![HeldModel {
            model_id: MODEL.into(),
            weights_sha256: "ab".repeat(32),
        }],
        blob_url: format!("http://127.0.0.1:{}", 1317 + i),
        beacon_anchor: chain.anchor().to_vec(),
        beacon_anchor_height: chain.anchor_height,
        beacon_end_height: chain.end_height,
        work_per_block: 20_000,
        ..Default::default()
    };
    let sig = cons_signing_key(i).sign(&crate::inference::handler::register_sign_bytes(
        "glia-test",
        &msg,
    ));
    msg.validator_signature = sig.to_bytes().to_vec();
    any(msg)
}

impl Net {
    /// `n` genesis validators bonding `BOND` each, `users` funded accounts, the set capped
    /// at `max_validators`.
    pub(crate) fn new(n: usize, users: usize, max_validators: u32) -> Net {
        Net::build(n, users, max_validators, None)
    }

    /// The same with the emission minting every block (`mint` is its genesis section), so
    /// distribution has rewards to share.
    pub(crate) fn with_rewards(
        n: usize,
        users: usize,
        max_validators: u32,
        mint: serde_json::Value,
        distribution: serde_json::Value,
    ) -> Net {
        Net::build(n, users, max_validators, Some((mint, distribution)))
    }

    fn build(
        n: usize,
        users: usize,
        max_validators: u32,
        rewards: Option<(serde_json::Value, serde_json::Value)>,
    ) -> Net {
        use crate::distribution::component as distribution;
        let mut b = AppBuilder::new()
            .with(crate::auth::component::Auth)
            .with(crate::bank::component::Bank::default())
            .with(distribution::Distribution::default())
            .with(super::component::Staking)
            .with(crate::slashing::component::Slashing);
        let mut begin = vec![super::component::NAME];
        let mut end = vec![distribution::NAME, super::component::NAME];
        if rewards.is_some() {
            // The emission; jobs whose solvers are paid; image tasks drawn to the validators'
            // executors (which never answer here: they time out, are refunded, and the
            // executors lose quality and are jailed).
            b = b
                .with(crate::mint::component::Mint)
                .with(crate::beacon::component::Beacon)
                .with(crate::inference::component::Inference::default())
                .with(crate::neuro::component::Neuro::default());
            begin.push(crate::mint::component::NAME);
            end.splice(
                0..0,
                [
                    crate::inference::component::NAME,
                    crate::neuro::component::NAME,
                ],
            );
        }
        begin.extend([distribution::NAME, crate::slashing::component::NAME]);
        if rewards.is_some() {
            begin.extend([
                crate::beacon::component::NAME,
                crate::inference::component::NAME,
            ]);
        }
        let app = b.begin_order(&begin).end_order(&end).build().unwrap();
        let ops: Vec<Address> = (0..n)
            .map(|i| Address::module(&format!("test operator {i}")))
            .collect();
        let users: Vec<Address> = (0..users)
            .map(|i| Address::module(&format!("test user {i}")))
            .collect();
        let mut all: Vec<&Address> = ops.iter().chain(&users).collect();
        all.sort_by_key(|a| a.to_bech32());
        let balances: Vec<_> = all
            .iter()
            .map(|a| {
                serde_json::json!({"address": a.to_bech32(),
                    "coins": [{"denom": "uglia", "amount": FUNDS.to_string()}]})
            })
            .collect();
        let gentxs: Vec<_> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                serde_json::json!({"operator": op.to_bech32(),
                    "consensus_pubkey": base64::engine::general_purpose::STANDARD.encode(cons_key(i)),
                    "self_bond": BOND.to_string(), "moniker": format!("v{i}"),
                    "commission_rate": "0.1", "commission_max_rate": "0.2",
                    "commission_max_change_rate": "0.01"})
            })
            .collect();
        let mut sections = serde_json::json!({
            "bank": {"balances": balances},
            "staking": {"params": {"unbonding_seconds": UNBONDING, "max_validators": max_validators},
                        "validators": gentxs},
            "slashing": {"signed_blocks_window": 10, "min_signed_per_window": "0.5",
                         "downtime_jail_seconds": 60},
        });
        let with_rewards = rewards.is_some();
        if let Some((mint, distribution)) = rewards {
            sections["mint"] = mint;
            sections["distribution"] = distribution;
            sections["inference"] = serde_json::json!({
                "params": {"executor_jail_blocks": 20},
                "models": [{
                "id": MODEL, "family": "tiny", "weights_sha256": "ab".repeat(32),
                "phash_threshold": 6, "price_per_step_megapixel": 1_000_000, "max_steps": 50,
                "max_width": 512, "max_height": 512, "min_replicas": 1}]});
        }
        let mut net = Net {
            app,
            store: MemStore::default(),
            height: 0,
            time: 1_000_000,
            ops,
            users,
        };
        let updates = net
            .step(|app, ctx, block| {
                let s = sections.as_object().unwrap();
                app.init_genesis(ctx, &GenesisInfo::default(), s)?;
                app.validator_updates(ctx, block)
            })
            .unwrap();
        assert_eq!(updates.len(), n.min(max_validators as usize));
        if with_rewards {
            // The genesis set signs from the second block on: then executors can register.
            net.blocks(2);
            let ops = net.ops.clone();
            let msgs = ops
                .iter()
                .enumerate()
                .filter(|(i, _)| net.signing_power(*i) > 0)
                .map(|(i, op)| (register_executor(i, op), op.clone()))
                .collect();
            let (results, _) = net.block(msgs);
            for r in results {
                r.expect("registering an executor");
            }
        }
        net
    }

    pub(crate) fn step<T>(
        &mut self,
        f: impl FnOnce(&Components, &mut Ctx<'_>, &BlockContext) -> AppResult<T>,
    ) -> AppResult<T> {
        let block = BlockContext {
            info: BlockInfo {
                chain_id: "glia-test".into(),
                height: self.height,
                time_unix: self.time,
                proposer: String::new(),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut ctx = Ctx::new(&self.store, GasMeter::infinite(), &block.info);
        let out = f(&self.app, &mut ctx, &block)?;
        self.app.check_invariants(&mut ctx)?;
        self.store.apply(ctx.into_parts().0);
        Ok(out)
    }

    /// One block carrying `msgs` (each with its signer); returns each message's result and
    /// the block's validator updates.
    pub(crate) fn block(
        &mut self,
        msgs: Vec<(Any, Address)>,
    ) -> (Vec<AppResult<Any>>, Vec<ValidatorUpdate>) {
        self.block_with(msgs, &[], Vec::new())
    }

    /// A block whose last commit was signed by every validator of the signing set except
    /// `absent`, and which carries `misbehaviour`.
    pub(crate) fn block_with(
        &mut self,
        msgs: Vec<(Any, Address)>,
        absent: &[usize],
        misbehaviour: Vec<Misbehaviour>,
    ) -> (Vec<AppResult<Any>>, Vec<ValidatorUpdate>) {
        self.height += 1;
        self.time += BLOCK_SECONDS;
        let absent: Vec<String> = absent
            .iter()
            .map(|i| hex::encode_upper(state::consensus_address(&cons_key(*i))))
            .collect();
        let last_commit: Vec<CommitVote> = state::validators(&mut self.kv())
            .unwrap()
            .iter()
            .map(|v| {
                let validator = hex::encode_upper(state::consensus_address(&v.pubkey));
                CommitVote {
                    signed: !absent.contains(&validator),
                    validator,
                    power: v.power,
                }
            })
            .collect();
        self.step(|app, ctx, block| {
            let block = &BlockContext {
                last_commit,
                misbehaviour,
                ..block.clone()
            };
            app.begin_block(ctx, block)?;
            let results = msgs
                .iter()
                .map(|(m, signer)| app.dispatch(ctx, m, signer))
                .collect();
            app.end_block(ctx, block)?;
            Ok((results, app.validator_updates(ctx, block)?))
        })
        .unwrap()
    }

    /// One message in a block of its own; its result.
    pub(crate) fn run(&mut self, m: Any, signer: &Address) -> AppResult<Any> {
        self.block(vec![(m, signer.clone())]).0.remove(0)
    }

    pub(crate) fn blocks(&mut self, n: usize) {
        for _ in 0..n {
            self.block(vec![]);
        }
    }

    pub(crate) fn kv(&self) -> ReadOnly<'_> {
        ReadOnly(&self.store)
    }

    pub(crate) fn balance(&self, a: &Address) -> u128 {
        crate::bank::state::balance(&mut self.kv(), a, "uglia").unwrap()
    }

    pub(crate) fn record(&self, op: &Address) -> Option<state::Record> {
        state::record(&mut self.kv(), op).unwrap()
    }

    pub(crate) fn tokens(&self, op: &Address) -> u128 {
        validators::tokens(&self.record(op).unwrap()).unwrap()
    }

    pub(crate) fn signing_power(&self, i: usize) -> i64 {
        state::validator(&mut self.kv(), &state::consensus_address(&cons_key(i)))
            .unwrap()
            .map_or(0, |v| v.power)
    }
}

pub(crate) fn delegate(del: &Address, op: &Address, amount: u128) -> Any {
    any(MsgDelegate {
        delegator_address: del.to_bech32(),
        validator_address: op.to_valoper(),
        amount: coin(amount),
    })
}

pub(crate) fn undelegate(del: &Address, op: &Address, amount: u128) -> Any {
    any(MsgUndelegate {
        delegator_address: del.to_bech32(),
        validator_address: op.to_valoper(),
        amount: coin(amount),
    })
}

pub(crate) fn redelegate(del: &Address, src: &Address, dst: &Address, amount: u128) -> Any {
    any(MsgBeginRedelegate {
        delegator_address: del.to_bech32(),
        validator_src_address: src.to_valoper(),
        validator_dst_address: dst.to_valoper(),
        amount: coin(amount),
    })
}

pub(crate) fn rates(rate: &str, max: &str, change: &str) -> Option<CommissionRates> {
    let d = |s: &str| Dec::parse(s).unwrap().to_proto();
    Some(CommissionRates {
        rate: d(rate),
        max_rate: d(max),
        max_change_rate: d(change),
    })
}

pub(crate) fn create(op: &Address, key: Vec<u8>, bond: u128, r: Option<CommissionRates>) -> Any {
    #[allow(deprecated)]
    any(MsgCreateValidator {
        description: Some(Description {
            moniker: "new".into(),
            ..Default::default()
        }),
        commission: r,
        min_self_delegation: "1000".into(),
        delegator_address: String::new(),
        validator_address: op.to_valoper(),
        pubkey: Some(validators::pack_pubkey(&key)),
        value: coin(bond),
    })
}

pub(crate) fn code(r: AppResult<Any>) -> (&'static str, u32, String) {
    let e: AppError = r.unwrap_err();
    (e.codespace, e.code, e.log)
}

mod property;
mod slashing;
mod staking;
