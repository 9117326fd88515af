//! IBC between Glia's localnet and a Cosmos SDK chain (ibc-go v8.8.0's simd), relayed by
//! Hermes, as `localnet/ibc-up.sh` sets them up (tests/run.sh's IBC step). Glia is driven with
//! its own signer, simd with simd's own CLI, and every balance is checked exactly on both sides.

use anyhow::{anyhow, bail, Context, Result};
use glia_client::tx::any;
use glia_e2e::{deliver, event_attr, Network, Rpc, Wallet};
use ibc_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use ibc_proto::ibc::applications::transfer::v1::{
    MsgTransfer, QueryDenomTraceRequest, QueryDenomTraceResponse,
};
use ibc_proto::ibc::core::client::v1::Height;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

mod ica;

/// The IBC section of network.json and the pieces of the test.
struct Ibc {
    net: Network,
    rpc: Rpc,
    user: Wallet,
    glia_channel: String,
    simd_channel: String,
    simd_home: String,
    simd_rpc: String,
    simd_rest: String,
    simd_user: String,
}

fn simd_bin() -> String {
    std::env::var("SIMD").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        let p = PathBuf::from(home).join("go/bin/simd");
        if p.exists() {
            p.display().to_string()
        } else {
            "simd".into()
        }
    })
}

impl Ibc {
    fn load() -> Result<Ibc> {
        let net = Network::load()?;
        let text = std::fs::read_to_string(&net.path)?;
        let j: Value = serde_json::from_str(&text)?;
        let ibc = j.get("ibc").context(
            "network.json has no ibc section: run localnet/ibc-up.sh (tests/run.sh does)",
        )?;
        let s = |v: &Value| {
            v.as_str()
                .map(str::to_string)
                .context("a string in network.json's ibc section")
        };
        let user_name = net.accounts[net.accounts.len() - 2].name.clone();
        let user = net.wallet(&user_name)?;
        let simd_home = s(&ibc["counterparty"]["home"])?;
        let mut me = Ibc {
            rpc: net.node(0),
            user,
            glia_channel: s(&ibc["transfer"]["glia"]["channel"])?,
            simd_channel: s(&ibc["transfer"]["simd"]["channel"])?,
            simd_rpc: s(&ibc["counterparty"]["rpc"])?,
            simd_rest: s(&ibc["counterparty"]["rest"])?,
            simd_home,
            simd_user: String::new(),
            net,
        };
        me.simd_user = me
            .simd(&["keys", "show", "user", "-a", "--keyring-backend", "test"])?
            .trim()
            .to_string();
        Ok(me)
    }

    /// Runs simd's CLI against the simd chain's home; its stdout.
    fn simd(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(simd_bin())
            .args(args)
            .args(["--home", &self.simd_home])
            .output()
            .context("running simd")?;
        if !out.status.success() {
            bail!("simd {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A simd tx from the `user` key, waited for; its result JSON.
    fn simd_tx(&self, args: &[&str]) -> Result<Value> {
        let node = self.simd_rpc.replace("http://", "tcp://");
        let mut all: Vec<&str> = vec!["tx"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--from",
            "user",
            "--keyring-backend",
            "test",
            "--chain-id",
            "simd-local-1",
            "--node",
            &node,
            "--yes",
            "--output",
            "json",
            "--gas",
            "400000",
        ]);
        let out: Value = serde_json::from_str(&self.simd(&all)?)?;
        if out["code"].as_u64() != Some(0) {
            bail!("simd tx refused: {out}");
        }
        let hash = out["txhash"].as_str().context("txhash")?.to_string();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = self.simd(&["query", "tx", &hash, "--node", &node, "--output", "json"]) {
                let v: Value = serde_json::from_str(&r)?;
                if v["code"].as_u64() != Some(0) {
                    bail!("simd tx failed: {v}");
                }
                return Ok(v);
            }
            if Instant::now() > deadline {
                bail!("simd tx {hash} not committed in 30 s");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn simd_balance(&self, addr: &str, denom: &str) -> Result<u128> {
        let url = format!(
            "{}/cosmos/bank/v1beta1/balances/{addr}/by_denom?denom={denom}",
            self.simd_rest
        );
        let v: Value = ureq::get(&url).call()?.into_json()?;
        Ok(v["balance"]["amount"].as_str().unwrap_or("0").parse()?)
    }

    fn simd_height(&self) -> Result<u64> {
        Rpc::new(&self.simd_rpc).height()
    }

    /// Sends `amount` of `denom` from the Glia user to `receiver` on simd.
    fn send_from_glia(
        &self,
        denom: &str,
        amount: u128,
        receiver: &str,
        timeout_height: u64,
    ) -> Result<Value> {
        let mut p = self.user.params(&self.net, &self.rpc)?;
        p.gas_limit = 400_000;
        p.fee = vec![glia_modules::coins::Coin::new("uglia", 10_000)];
        let msg = MsgTransfer {
            source_port: "transfer".into(),
            source_channel: self.glia_channel.clone(),
            token: Some(ProtoCoin {
                denom: denom.into(),
                amount: amount.to_string(),
            }),
            sender: self.user.address(),
            receiver: receiver.into(),
            timeout_height: Some(Height {
                revision_number: 1,
                revision_height: timeout_height,
            }),
            timeout_timestamp: 0,
            memo: String::new(),
        };
        let r = deliver(&self.rpc, &self.user.sign(vec![any(&msg)], &p))?;
        if r["tx_result"]["code"] != 0 {
            bail!("MsgTransfer failed: {r}");
        }
        Ok(r)
    }
}

impl Ibc {
    /// simd's user sends `amount` stake to the Glia user; the Glia user's voucher balance once
    /// it has arrived.
    fn fund_with_stake(&self, amount: u128) -> Result<u128> {
        let stake_on_glia = voucher(&format!("transfer/{}/stake", self.glia_channel));
        let me = self.user.address();
        let s0 = self.rpc.balance(&me, &stake_on_glia)?;
        self.simd_tx(&[
            "ibc-transfer",
            "transfer",
            "transfer",
            &self.simd_channel,
            &me,
            &format!("{amount}stake"),
        ])?;
        wait_for("the stake voucher on Glia", 90, || {
            Ok(self.rpc.balance(&me, &stake_on_glia)? >= s0 + amount)
        })?;
        self.rpc.balance(&me, &stake_on_glia)
    }

    /// The Glia user's mnemonic in a file of its own (for the CLI's --mnemonic-file), in a
    /// fresh directory the caller removes.
    fn user_mnemonic_file(&self, tag: &str) -> Result<(PathBuf, PathBuf)> {
        let name = &self.net.accounts[self.net.accounts.len() - 2];
        let dir = std::env::temp_dir().join(format!("glia-e2e-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("user.mnemonic");
        std::fs::write(&file, &name.mnemonic)?;
        Ok((dir, file))
    }
}

impl Ibc {
    /// Runs `gliad ARGS -o json --node … --mnemonic-file MNEMONIC` as the Glia user; its JSON.
    fn cli_json(&self, mnemonic: &std::path::Path, args: &[std::ffi::OsString]) -> Result<Value> {
        let out = Command::new(glia_e2e::gliad_bin())
            .args(args)
            .args(["-o", "json", "--node", &self.net.rpc[0], "--mnemonic-file"])
            .arg(mnemonic)
            .output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!("gliad {args:?} failed: {stderr}");
        }
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim())
            .with_context(|| format!("-o json: {stderr}"))
    }
}

/// `ibc/<SHA-256 of the trace>`, as both chains name a voucher.
fn voucher(trace: &str) -> String {
    format!(
        "ibc/{}",
        hex::encode_upper(Sha256::digest(trace.as_bytes()))
    )
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if f()? {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(anyhow!("{what}: not within {secs} s"));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// uglia to simd and back, stake to Glia and back: escrow, vouchers minted and burnt, denom
/// traces on both query paths, balances exact on both chains after every leg.
#[test]
fn ics20_round_trip_glia_and_simd() -> Result<()> {
    let t = Ibc::load()?;
    let glia_voucher_on_simd = voucher(&format!("transfer/{}/uglia", t.simd_channel));
    let stake_on_glia = voucher(&format!("transfer/{}/stake", t.glia_channel));
    let escrow = {
        let r: ibc_proto::ibc::applications::transfer::v1::QueryEscrowAddressResponse =
            t.rpc.query(
                "/ibc.applications.transfer.v1.Query/EscrowAddress",
                &ibc_proto::ibc::applications::transfer::v1::QueryEscrowAddressRequest {
                    port_id: "transfer".into(),
                    channel_id: t.glia_channel.clone(),
                },
            )?;
        r.escrow_address
    };
    let me = t.user.address();

    // 1. Glia -> simd: 1,000,000 uglia escrowed, a voucher minted on simd.
    let (u0, e0, v0) = (
        t.rpc.balance(&me, "uglia")?,
        t.rpc.balance(&escrow, "uglia")?,
        t.simd_balance(&t.simd_user, &glia_voucher_on_simd)?,
    );
    let r = t.send_from_glia("uglia", 1_000_000, &t.simd_user, t.simd_height()? + 1000)?;
    assert!(
        event_attr(&r, "message", "module").contains(&"ibc_channel".to_string()),
        "{r}"
    );
    assert_eq!(
        event_attr(&r, "send_packet", "packet_src_channel"),
        vec![t.glia_channel.clone()]
    );
    assert_eq!(t.rpc.balance(&me, "uglia")?, u0 - 1_000_000 - 10_000);
    assert_eq!(t.rpc.balance(&escrow, "uglia")?, e0 + 1_000_000);
    wait_for("the voucher on simd", 90, || {
        Ok(t.simd_balance(&t.simd_user, &glia_voucher_on_simd)? == v0 + 1_000_000)
    })?;

    // 2. simd -> Glia: 777 stake, a voucher minted on Glia with its trace queryable.
    let s0 = t.rpc.balance(&me, &stake_on_glia)?;
    t.simd_tx(&[
        "ibc-transfer",
        "transfer",
        "transfer",
        &t.simd_channel,
        &me,
        "777stake",
    ])?;
    wait_for("the stake voucher on Glia", 90, || {
        Ok(t.rpc.balance(&me, &stake_on_glia)? == s0 + 777)
    })?;
    let trace: QueryDenomTraceResponse = t.rpc.query(
        "/ibc.applications.transfer.v1.Query/DenomTrace",
        &QueryDenomTraceRequest {
            hash: stake_on_glia.trim_start_matches("ibc/").into(),
        },
    )?;
    let trace = trace.denom_trace.context("a denom trace")?;
    assert_eq!(
        (trace.path.as_str(), trace.base_denom.as_str()),
        (format!("transfer/{}", t.glia_channel).as_str(), "stake")
    );
    let rest = t.net.rest[0].clone();
    let v10: Value = ureq::get(&format!(
        "{rest}/ibc/apps/transfer/v1/denoms/{}",
        stake_on_glia.trim_start_matches("ibc/")
    ))
    .call()?
    .into_json()?;
    assert_eq!(v10["denom"]["base"], "stake", "{v10}");
    assert_eq!(
        v10["denom"]["trace"][0]["channel_id"],
        t.glia_channel.as_str(),
        "{v10}"
    );
    // What Keplr's IBC screens read for the voucher: the channel open with its counterparty,
    // and the chain its client follows.
    let ch: Value = ureq::get(&format!(
        "{rest}/ibc/core/channel/v1/channels/{}/ports/transfer",
        t.glia_channel
    ))
    .call()?
    .into_json()?;
    assert_eq!(ch["channel"]["state"], "STATE_OPEN", "{ch}");
    assert_eq!(
        ch["channel"]["counterparty"]["channel_id"],
        t.simd_channel.as_str(),
        "{ch}"
    );
    let cs: Value = ureq::get(&format!(
        "{rest}/ibc/core/channel/v1/channels/{}/ports/transfer/client_state",
        t.glia_channel
    ))
    .call()?
    .into_json()?;
    let client = &cs["identified_client_state"]["client_state"];
    assert_eq!(client["chain_id"], "simd-local-1", "{cs}");
    assert!(
        client["trusting_period"]
            .as_str()
            .is_some_and(|p| p.ends_with('s')),
        "{cs}"
    );

    // 3. The stake voucher back to simd: burnt on Glia, unescrowed on simd.
    let st0 = t.simd_balance(&t.simd_user, "stake")?;
    t.send_from_glia(&stake_on_glia, 300, &t.simd_user, t.simd_height()? + 1000)?;
    assert_eq!(t.rpc.balance(&me, &stake_on_glia)?, s0 + 477);
    wait_for("stake back on simd", 90, || {
        Ok(t.simd_balance(&t.simd_user, "stake")? == st0 + 300)
    })?;

    // 4. The uglia voucher back to Glia: out of escrow to the user.
    let u1 = t.rpc.balance(&me, "uglia")?;
    t.simd_tx(&[
        "ibc-transfer",
        "transfer",
        "transfer",
        &t.simd_channel,
        &me,
        &format!("400000{glia_voucher_on_simd}"),
    ])?;
    wait_for("uglia back on Glia", 90, || {
        Ok(t.rpc.balance(&me, "uglia")? == u1 + 400_000)
    })?;
    assert_eq!(t.rpc.balance(&escrow, "uglia")?, e0 + 600_000);
    assert_eq!(
        t.simd_balance(&t.simd_user, &glia_voucher_on_simd)?,
        v0 + 600_000
    );
    Ok(())
}

/// A packet whose timeout height has passed on simd before it is relayed is timed out back
/// on Glia: the escrowed coins return to the sender (only the fee is spent).
/// `gliad tx ibc-transfer transfer`, as a person sends: the fee and the amount leave the
/// sender, and the voucher arrives on simd.
#[test]
fn the_cli_sends_an_ics20_transfer() -> Result<()> {
    let t = Ibc::load()?;
    let me = t.user.address();
    let name = t.net.accounts[t.net.accounts.len() - 2].name.clone();
    let on_simd = voucher(&format!("transfer/{}/uglia", t.simd_channel));
    let (u0, v0) = (
        t.rpc.balance(&me, "uglia")?,
        t.simd_balance(&t.simd_user, &on_simd)?,
    );
    let out = Command::new(glia_e2e::gliad_bin())
        .args([
            "tx",
            "ibc-transfer",
            "transfer",
            "transfer",
            &t.glia_channel,
        ])
        .args([&t.simd_user, "4321uglia", "--from", &name, "-o", "json"])
        .env("GLIA_NETWORK", &t.net.path)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!(
            "gliad tx ibc-transfer transfer: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let r: Value = serde_json::from_str(&text).with_context(|| format!("-o json: {text}"))?;
    assert_eq!(r["code"], 0, "{r}");
    let fee: u128 = r["fee"]
        .as_str()
        .and_then(|f| f.strip_suffix("uglia"))
        .context("fee")?
        .parse()?;
    assert_eq!(t.rpc.balance(&me, "uglia")?, u0 - 4321 - fee);
    wait_for("the CLI's voucher on simd", 90, || {
        Ok(t.simd_balance(&t.simd_user, &on_simd)? == v0 + 4321)
    })?;
    Ok(())
}

#[test]
fn a_timed_out_transfer_refunds_the_sender() -> Result<()> {
    let t = Ibc::load()?;
    let me = t.user.address();
    // simd's height right now: by the time Hermes relays, simd is past it.
    let h = t.simd_height()?;
    let u0 = t.rpc.balance(&me, "uglia")?;
    t.send_from_glia("uglia", 55_555, &t.simd_user, h + 1)?;
    assert_eq!(t.rpc.balance(&me, "uglia")?, u0 - 55_555 - 10_000);
    wait_for("the refund on Glia", 120, || {
        Ok(t.rpc.balance(&me, "uglia")? == u0 - 10_000)
    })?;
    Ok(())
}

/// The other way: a packet from simd whose timeout height on Glia has passed is timed out on
/// simd, which must verify Glia's proof that no receipt exists (an ICS-23 non-existence proof
/// of Glia's store, checked by ibc-go): the stake comes back to the sender on simd.
#[test]
fn a_timed_out_transfer_from_simd_is_refunded_there() -> Result<()> {
    let t = Ibc::load()?;
    let me = t.user.address();
    let stake_on_glia = voucher(&format!("transfer/{}/stake", t.glia_channel));
    let (s0, g0) = (
        t.simd_balance(&t.simd_user, "stake")?,
        t.rpc.balance(&me, &stake_on_glia)?,
    );
    // Glia's next height: the packet cannot be received before it passes.
    let timeout = format!("1-{}", t.rpc.height()? + 1);
    t.simd_tx(&[
        "ibc-transfer",
        "transfer",
        "transfer",
        &t.simd_channel,
        &me,
        "3131stake",
        "--absolute-timeouts",
        "--packet-timeout-height",
        &timeout,
        "--packet-timeout-timestamp",
        "0",
    ])?;
    assert_eq!(t.simd_balance(&t.simd_user, "stake")?, s0 - 3131);
    wait_for("the refund on simd", 120, || {
        Ok(t.simd_balance(&t.simd_user, "stake")? == s0)
    })?;
    assert_eq!(
        t.rpc.balance(&me, &stake_on_glia)?,
        g0,
        "received after all?"
    );
    Ok(())
}

/// Hermes stopped with a packet in flight (sent while it was down), then started again:
/// clearing on start relays it, and nothing is lost or paid twice.
#[test]
fn restarting_hermes_mid_flow_loses_no_packet() -> Result<()> {
    let t = Ibc::load()?;
    let run = t.net.run_dir();
    let pids = std::fs::read_to_string(run.join("ibc/pids")).context("ibc pids")?;
    let hermes: Vec<&str> = pids
        .lines()
        .filter_map(|l| l.strip_prefix("hermes "))
        .collect();
    let pid = *hermes.last().context("hermes is not running")?;
    // The whole process group (start_proc gives it its own session).
    Command::new("kill")
        .args(["-TERM", "--", &format!("-{pid}")])
        .status()?;
    std::thread::sleep(Duration::from_secs(2));
    let denom = voucher(&format!("transfer/{}/uglia", t.simd_channel));
    let v0 = t.simd_balance(&t.simd_user, &denom)?;
    t.send_from_glia("uglia", 4242, &t.simd_user, t.simd_height()? + 1000)?;
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        t.simd_balance(&t.simd_user, &denom)?,
        v0,
        "relayed with Hermes down?"
    );
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let st = Command::new(root.join("localnet/ibc-up.sh"))
        .env("GLIA_RUN_DIR", &run)
        .status()?;
    assert!(st.success(), "ibc-up.sh could not restart hermes");
    wait_for("the packet after Hermes restarted", 120, || {
        Ok(t.simd_balance(&t.simd_user, &denom)? == v0 + 4242)
    })?;
    Ok(())
}

/// A requester pays for an image in simd's stake, as it arrives over IBC: the localnet's
/// inference params accept `transfer/channel-0/stake` at 2 stake per uglia. The CLI prices
/// the request in the voucher (`--fee-denom <trace>`), the task escrows and settles in it, the
/// executors' payees receive it, and the requester's uglia pays only the tx fee.
#[test]
fn a_request_paid_in_a_voucher_from_simd_settles_in_it() -> Result<()> {
    let t = Ibc::load()?;
    let trace = format!("transfer/{}/stake", t.glia_channel);
    let stake_on_glia = voucher(&trace);
    let params: glia_proto::inference::v1::QueryParamsResponse = t.rpc.query(
        "/glia.inference.v1.Query/Params",
        &glia_proto::inference::v1::QueryParamsRequest {},
    )?;
    let accepted = params.params.context("params")?.fee_denoms;
    let rate = accepted
        .iter()
        .find(|f| f.denom == stake_on_glia)
        .with_context(|| {
            format!(
                "the localnet's genesis accepts {accepted:?}, not {stake_on_glia} ({trace}): \
                 is the transfer channel Glia's first?"
            )
        })?;
    assert_eq!((rate.units, rate.uglia), (2, 1));
    let me = t.user.address();
    let s1 = t.fund_with_stake(200_000)?;
    // The operators' payees (withdraw addresses) before.
    let rest = &t.net.rest[0];
    let payee = |op: &str| -> Result<String> {
        let v: Value = ureq::get(&format!(
            "{rest}/cosmos/distribution/v1beta1/delegators/{op}/withdraw_address"
        ))
        .call()?
        .into_json()?;
        Ok(v["withdraw_address"]
            .as_str()
            .context("withdraw_address")?
            .to_string())
    };
    let mut payees = std::collections::BTreeMap::new();
    for op in &t.net.operators {
        let p = payee(&op.address)?;
        let b = t.rpc.balance(&p, &stake_on_glia)?;
        payees.insert(op.address.clone(), (p, b));
    }
    let (dir, mnemonic) = t.user_mnemonic_file("voucher")?;
    let mut args: Vec<std::ffi::OsString> = [
        "tx",
        "inference",
        "generate-image",
        "a red circle on a blue background",
        "--seeds",
        "1",
        "--seed",
        "5",
        "--replicas",
        "3",
        "--steps",
        "4",
        "--fee-denom",
        &trace,
        "--wait",
        "--out",
    ]
    .iter()
    .map(Into::into)
    .collect();
    args.push(dir.clone().into());
    let j = t.cli_json(&mnemonic, &args);
    let _ = std::fs::remove_dir_all(&dir);
    let j = j?;
    // 16,384 uglia per image per replica (4 steps, 64×64) is 32,768 stake; three replicas,
    // so the test fixtures' faulty node 3, when drawn, is outvoted and its share refunded.
    let per = 16_384u128 * 2;
    assert_eq!(j["escrow"], format!("{}{stake_on_glia}", per * 3), "{j}");
    assert_eq!(j["status"], "TASK_STATUS_COMPLETED", "{j}");
    let id: u64 = j["task_id"].as_str().context("task_id")?.parse()?;
    let task: glia_proto::inference::v1::QueryTaskResponse = t.rpc.query(
        "/glia.inference.v1.Query/Task",
        &glia_proto::inference::v1::QueryTaskRequest { id },
    )?;
    let task = task.task.context("task")?;
    let agreeing = &task.outcomes[0].agreeing;
    assert!(agreeing.len() >= 2, "{task:?}");
    let paid = per * agreeing.len() as u128;
    assert_eq!(j["paid"], format!("{paid}{stake_on_glia}"), "{j}");
    assert_eq!(
        j["refunded"],
        format!("{}{stake_on_glia}", per * 3 - paid),
        "{j}"
    );
    assert_eq!(t.rpc.balance(&me, &stake_on_glia)?, s1 - paid);
    for op in agreeing {
        let (p, before) = &payees[op];
        assert_eq!(
            t.rpc.balance(p, &stake_on_glia)?,
            before + per,
            "{op} paid at {p}"
        );
    }
    let module =
        glia_modules::address::Address::module(glia_modules::inference::MODULE_ACCOUNT).to_bech32();
    assert_eq!(t.rpc.balance(&module, &stake_on_glia)?, 0, "escrow emptied");
    Ok(())
}

/// A SAT job paid in simd's stake: the localnet's neuro params accept the voucher too. The
/// CLI escrows block fee × blocks + reward in it (`--fee-denom`), the solvers race, and the
/// winner's payee and the requester's refund are paid in the voucher; no uglia moves but the
/// tx fee.
#[test]
fn a_job_paid_in_a_voucher_from_simd_pays_its_solver_in_it() -> Result<()> {
    let t = Ibc::load()?;
    let trace = format!("transfer/{}/stake", t.glia_channel);
    let stake_on_glia = voucher(&trace);
    let me = t.user.address();
    let s1 = t.fund_with_stake(20_000)?;
    let (dir, mnemonic) = t.user_mnemonic_file("voucher-job")?;
    let cnf = dir.join("job.cnf");
    let gen = Command::new(glia_e2e::gliad_bin())
        .args([
            "gen",
            "planted-3sat",
            "--vars",
            "60",
            "--ratio",
            "4.2",
            "--seed",
            "9",
        ])
        .arg("--out")
        .arg(&cnf)
        .output()?;
    if !gen.status.success() {
        bail!("gliad gen: {}", String::from_utf8_lossy(&gen.stderr));
    }
    let mut args: Vec<std::ffi::OsString> = vec!["tx".into(), "neuro".into(), "submit-job".into()];
    args.push(cnf.clone().into());
    for a in [
        "--block-fee",
        "100",
        "--max-blocks",
        "20",
        "--reward",
        "5000",
        "--fee-denom",
        &trace,
        "--wait",
    ] {
        args.push(a.into());
    }
    let j = t.cli_json(&mnemonic, &args);
    let _ = std::fs::remove_dir_all(&dir);
    let j = j?;
    assert_eq!(j["escrow"], format!("7000{stake_on_glia}"), "{j}");
    assert_eq!(j["status"], "JOB_STATUS_SOLVED", "{j}");
    let winner = j["winner"].as_str().context("winner")?.to_string();
    let num = |k: &str| -> Result<u128> {
        let v = j[k].as_str().with_context(|| format!("{k} in {j}"))?;
        Ok(v.strip_suffix(stake_on_glia.as_str())
            .with_context(|| format!("{k} = {v} is not in {stake_on_glia}"))?
            .parse()?)
    };
    let (fees, reward, refunded) = (num("fees_paid")?, num("reward_paid")?, num("refunded")?);
    assert_eq!(reward, 5_000, "{j}");
    assert_eq!(fees + reward + refunded, 7_000, "{j}");
    assert_eq!(t.rpc.balance(&me, &stake_on_glia)?, s1 - fees - reward);
    // The winner (a validator's solver) was paid at its withdraw address, in the voucher.
    let rest = &t.net.rest[0];
    let v: Value = ureq::get(&format!(
        "{rest}/cosmos/distribution/v1beta1/delegators/{winner}/withdraw_address"
    ))
    .call()?
    .into_json()?;
    let payee = v["withdraw_address"].as_str().context("withdraw_address")?;
    assert!(t.rpc.balance(payee, &stake_on_glia)? >= reward, "{payee}");
    let module =
        glia_modules::address::Address::module(glia_modules::neuro::MODULE_ACCOUNT).to_bech32();
    assert_eq!(t.rpc.balance(&module, &stake_on_glia)?, 0, "escrow emptied");
    Ok(())
}
