//! The in-process chain the staking benchmark drives: genesis with gentx-like validators and
//! funded delegators, blocks through FinalizeBlock and Commit with the whole signing set's
//! votes, and signed txs (MsgDelegate here; the useful work's in `work`).

use anyhow::{ensure, Context, Result};
use glia_client::keys::Key;
use glia_client::tx::{any, sign_tx, TxParams};
use glia_modules::coins::{Coin, BASE_DENOM};
use glia_modules::ReadOnly;
use glia_proto::cosmos::cosmos::staking::v1beta1::MsgDelegate;
use glia_proto::cosmos::Any;
use gliad::app::{App, NodeConfig};
use gliad::storage::Store;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};
use tendermint_abci::Application;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    CommitInfo, RequestFinalizeBlock, RequestInitChain, ResponseFinalizeBlock, ValidatorUpdate,
    VoteInfo,
};
use tendermint_proto::v0_38::crypto::public_key::Sum;
use tendermint_proto::v0_38::types::BlockIdFlag;

pub const CHAIN: &str = "glia-staking-bench-1";
/// uglia per GLIA, and per unit of consensus power.
pub const GLIA: u128 = 1_000_000;
pub const GAS: u64 = 400_000;

/// What the genesis holds.
pub struct Setup {
    pub validators: usize,
    /// Staking's `max_validators`.
    pub bonded: u32,
    pub delegators: usize,
    /// Distribution's `epoch_blocks`, where the app has distribution.
    pub epoch: u64,
    /// Distribution's `payout_records_per_block` (None: the module's default).
    pub payout_per_block: Option<u32>,
    /// More funded accounts (bech32, uglia): the useful work's requesters and solvers, and
    /// the useful-work pool.
    pub balances: Vec<(String, u128)>,
}

pub struct Val {
    operator: Key,
    pubkey: Vec<u8>,
    /// CometBFT's address: sha256(pubkey)[..20].
    address: Vec<u8>,
    /// Bonded tokens as this bench delivered them (self-bond plus delegations).
    tokens: u128,
}

/// An account that signs txs: a delegator, or one of the useful work's parties.
pub struct Account {
    pub key: Key,
    pub number: u64,
    pub sequence: u64,
}

impl Account {
    pub fn new(seed: &str) -> Account {
        Account {
            key: Key::from_seed(seed.as_bytes()),
            number: 0,
            sequence: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ordinary,
    Delegations,
    SetChange,
    /// The useful work: requesters' MsgSubmitJob, solvers' MsgCommitSolution, their reveals.
    Jobs,
    Commits,
    Reveals,
    /// An epoch's last block, where distribution closes the epoch.
    EpochEnd,
    /// A block (no txs) while an ended epoch's workers are being paid.
    Payout,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ordinary => "ordinary (no txs)",
            Kind::Delegations => "MsgDelegate block",
            Kind::SetChange => "validator-set change",
            Kind::Jobs => "work: `MsgSubmitJob` ×10 per tx",
            Kind::Commits => "work: `MsgCommitSolution` ×10 per tx",
            Kind::Reveals => "work: reveals ×10 per tx (jobs settle)",
            Kind::EpochEnd => "epoch end: the close (no txs)",
            Kind::Payout => "useful-work payout (no txs)",
        }
    }
}

pub struct Chain {
    pub app: App,
    pub height: u64,
    vals: Vec<Val>,
    /// The signing set of the last block (pubkey → power): the last commit's voters.
    signing: BTreeMap<Vec<u8>, i64>,
    /// Validator updates returned by FinalizeBlock, with the height whose set they enter.
    pending: VecDeque<(u64, Vec<ValidatorUpdate>)>,
    address_of: BTreeMap<Vec<u8>, Vec<u8>>,
    dels: Vec<Account>,
    /// The last block's FinalizeBlock response (its events).
    pub last: ResponseFinalizeBlock,
    next_del: usize,
    dir: std::path::PathBuf,
    _rt: tokio::runtime::Runtime,
}

/// One block's timings and size.
pub struct Sample {
    pub kind: Kind,
    pub height: u64,
    pub txs: usize,
    /// Validator-set changes returned to CometBFT.
    pub updates: usize,
    pub finalize: Duration,
    pub commit: Duration,
    /// gliad's own split of FinalizeBlock.
    pub split: crate::split::Split,
}

fn pubkey_of(u: &ValidatorUpdate) -> Vec<u8> {
    match u.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
        Some(Sum::Ed25519(k)) => k.clone(),
        _ => Vec::new(),
    }
}

/// Signs one tx of `msgs` per (account, msgs) on all cores, each at the account's next
/// sequence, paying the minimum gas price for `gas`.
pub fn sign_txs(accounts: &mut [Account], items: Vec<(usize, Vec<Any>)>, gas: u64) -> Vec<Vec<u8>> {
    let items: Vec<(usize, u64, Vec<Any>)> = items
        .into_iter()
        .map(|(a, msgs)| {
            accounts[a].sequence += 1;
            (a, accounts[a].sequence - 1, msgs)
        })
        .collect();
    let accounts = &*accounts;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(a, sequence, msgs)| {
                            let a = &accounts[*a];
                            let p = TxParams {
                                chain_id: CHAIN.into(),
                                account_number: a.number,
                                sequence: *sequence,
                                fee: vec![Coin::new(BASE_DENOM, u128::from(gas / 40))],
                                gas_limit: gas,
                                memo: String::new(),
                            };
                            sign_tx(&a.key, msgs.clone(), &p)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().expect("signing thread"))
            .collect()
    })
}

impl Chain {
    pub fn new(a: &Setup) -> Result<Chain> {
        let dir = std::env::temp_dir().join(format!("glia-staking-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let app = App::new(
            Store::open(&dir, rt.handle().clone())?,
            NodeConfig::default(),
        );
        let t = Instant::now();
        let vals: Vec<Val> = (0..a.validators)
            .map(|i| {
                let ed = ed25519_consensus::SigningKey::from(<[u8; 32]>::from(Sha256::digest(
                    format!("bench validator {i}"),
                )));
                let pubkey = ed.verification_key().to_bytes().to_vec();
                Val {
                    operator: Key::from_seed(format!("bench operator {i}").as_bytes()),
                    address: Sha256::digest(&pubkey)[..20].to_vec(),
                    pubkey,
                    // 1,000 to 9,999 GLIA, spread so that powers differ.
                    tokens: (1000 + (i as u128 * 7907) % 9000) * GLIA,
                }
            })
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per = a.delegators.div_ceil(threads).max(1);
        let dels: Vec<Account> = std::thread::scope(|s| {
            let parts: Vec<_> = (0..a.delegators)
                .step_by(per)
                .map(|from| {
                    let to = (from + per).min(a.delegators);
                    s.spawn(move || {
                        (from..to)
                            .map(|j| Account::new(&format!("bench delegator {j}")))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().expect("key thread"))
                .collect()
        });
        eprintln!("keys: {:.1} s", t.elapsed().as_secs_f64());

        let mut balances: Vec<serde_json::Value> = vals
            .iter()
            .map(|v| (v.operator.address.to_bech32(), v.tokens + 1000 * GLIA))
            .chain(
                dels.iter()
                    .map(|d| (d.key.address.to_bech32(), 10_000_000 * GLIA)),
            )
            .chain(a.balances.iter().cloned())
            .map(|(a, n)| {
                serde_json::json!({"address": a, "coins": [{"denom": BASE_DENOM, "amount": n.to_string()}]})
            })
            .collect();
        balances.sort_by(|x, y| x["address"].as_str().cmp(&y["address"].as_str()));
        use base64::Engine;
        let gentxs: Vec<_> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| {
                serde_json::json!({"operator": v.operator.address.to_bech32(),
                    "consensus_pubkey": base64::engine::general_purpose::STANDARD.encode(&v.pubkey),
                    "self_bond": v.tokens.to_string(), "moniker": format!("bench{i}"),
                    "commission_rate": "0.1", "commission_max_rate": "0.2",
                    "commission_max_change_rate": "0.01"})
            })
            .collect();
        let mut genesis = serde_json::json!({
            "bank": {"balances": balances},
            "staking": {"params": {"max_validators": a.bonded}, "validators": gentxs},
        });
        if app.0.components.get("distribution").is_some() {
            genesis["distribution"] = serde_json::json!({"epoch_blocks": a.epoch});
            if let Some(n) = a.payout_per_block {
                genesis["distribution"]["payout_records_per_block"] = n.into();
            }
        }
        let t = Instant::now();
        let init = app.init_chain(RequestInitChain {
            chain_id: CHAIN.into(),
            app_state_bytes: genesis.to_string().into_bytes().into(),
            ..Default::default()
        });
        eprintln!(
            "InitChain: {:.1} s, {} validators bonded",
            t.elapsed().as_secs_f64(),
            init.validators.len()
        );
        let mut chain = Chain {
            address_of: vals
                .iter()
                .map(|v| (v.pubkey.clone(), v.address.clone()))
                .collect(),
            signing: init
                .validators
                .iter()
                .map(|u| (pubkey_of(u), u.power))
                .collect(),
            app,
            height: 0,
            vals,
            pending: VecDeque::new(),
            dels,
            next_del: 0,
            last: Default::default(),
            dir,
            _rt: rt,
        };
        let s = chain.block(Vec::new())?;
        eprintln!(
            "block 1 (genesis state committed): FinalizeBlock {:.1} s, Commit {:.1} s",
            s.finalize.as_secs_f64(),
            s.commit.as_secs_f64()
        );
        let mut dels = std::mem::take(&mut chain.dels);
        chain.numbers(&mut dels)?;
        chain.dels = dels;
        Ok(chain)
    }

    /// Looks up the account numbers of accounts funded at genesis.
    pub fn numbers(&self, accounts: &mut [Account]) -> Result<()> {
        let latest = self.app.0.store.latest();
        for a in accounts {
            a.number = glia_modules::auth::get_account(&mut ReadOnly(&latest), &a.key.address)?
                .context("an account funded at genesis")?
                .account_number;
        }
        Ok(())
    }

    /// Runs one block of `txs` through FinalizeBlock and Commit, with the last commit signed
    /// by the whole signing set; every tx must succeed.
    pub fn block(&mut self, txs: Vec<Vec<u8>>) -> Result<Sample> {
        self.height += 1;
        let h = self.height;
        // The set that signed block h-1: updates returned at H enter the set of H+2.
        while self.pending.front().is_some_and(|(at, _)| *at < h) {
            let (_, updates) = self.pending.pop_front().expect("a front");
            for u in updates {
                match u.power {
                    0 => self.signing.remove(&pubkey_of(&u)),
                    p => self.signing.insert(pubkey_of(&u), p),
                };
            }
        }
        let votes = if h > 1 {
            self.signing
                .iter()
                .map(|(pk, power)| VoteInfo {
                    validator: Some(tendermint_proto::v0_38::abci::Validator {
                        address: self.address_of[pk].clone().into(),
                        power: *power,
                    }),
                    block_id_flag: BlockIdFlag::Commit as i32,
                })
                .collect()
        } else {
            Vec::new()
        };
        let proposer = self
            .signing
            .keys()
            .nth(h as usize % self.signing.len().max(1));
        let n = txs.len();
        let req = RequestFinalizeBlock {
            txs: txs.into_iter().map(Into::into).collect(),
            decided_last_commit: Some(CommitInfo { round: 0, votes }),
            height: h as i64,
            time: Some(Timestamp {
                seconds: 1_700_000_000 + 5 * h as i64,
                nanos: 0,
            }),
            proposer_address: proposer
                .map(|pk| self.address_of[pk].clone())
                .unwrap_or_default()
                .into(),
            ..Default::default()
        };
        let t = Instant::now();
        let r = self.app.finalize_block(req);
        let finalize = t.elapsed();
        let t = Instant::now();
        self.app.commit();
        let commit = t.elapsed();
        if let Some(bad) = r.tx_results.iter().find(|x| x.code != 0) {
            anyhow::bail!("block {h}: a tx failed ({}): {}", bad.code, bad.log);
        }
        let updates = r.validator_updates.len();
        self.pending.push_back((h + 2, r.validator_updates.clone()));
        self.last = r;
        Ok(Sample {
            kind: Kind::Ordinary,
            height: h,
            txs: n,
            updates,
            finalize,
            commit,
            split: Default::default(),
        })
    }

    /// Signed txs for `items` (validator index, amount) from the next distinct delegators.
    pub fn delegations(&mut self, items: &[(usize, u128)]) -> Result<Vec<Vec<u8>>> {
        ensure!(items.len() <= self.dels.len(), "more txs than delegators");
        let mut signed = Vec::with_capacity(items.len());
        for (v, amount) in items {
            let d = self.next_del;
            self.next_del = (d + 1) % self.dels.len();
            let msg = any(&MsgDelegate {
                delegator_address: self.dels[d].key.address.to_bech32(),
                validator_address: self.vals[*v].operator.address.to_valoper(),
                amount: Some(Coin::new(BASE_DENOM, *amount).to_proto()),
            });
            signed.push((d, vec![msg]));
            self.vals[*v].tokens += amount;
        }
        Ok(sign_txs(&mut self.dels, signed, GAS))
    }

    /// Validator indices by tokens, highest first (the power index's order, near enough).
    fn ranking(&self) -> Vec<usize> {
        let mut r: Vec<usize> = (0..self.vals.len()).collect();
        r.sort_by_key(|&i| std::cmp::Reverse(self.vals[i].tokens));
        r
    }

    /// Txs that lift `entrants` waiting validators just above the last bonded one (as many
    /// of the lowest bonded ones leave: churn at the margin, as on a live chain) and change
    /// the power of `moves` bonded ones.
    pub fn set_change(
        &mut self,
        bonded: usize,
        entrants: usize,
        moves: usize,
    ) -> Result<Vec<Vec<u8>>> {
        let rank = self.ranking();
        ensure!(rank.len() > bonded, "no validators wait outside the set");
        let last = self.vals[rank[bonded - 1]].tokens;
        let mut items = Vec::new();
        for (k, &v) in rank
            .iter()
            .skip(bonded)
            .step_by(2)
            .take(entrants)
            .enumerate()
        {
            let lift = last - self.vals[v].tokens + (k as u128 + 1) * 10 * GLIA;
            items.push((v, lift));
        }
        let step = (bonded / moves.max(1)).max(1);
        for &v in rank.iter().take(bonded).step_by(step).take(moves) {
            items.push((v, 10 * GLIA));
        }
        self.delegations(&items)
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
