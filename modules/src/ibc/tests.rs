//! The ICS-27 host in process, over an in-memory store with a connection and an
//! interchain-account channel written as ibc-go would leave them: the channel handshake's
//! metadata checks, packets run all-or-nothing with the account as their only signer, error
//! acknowledgements that change nothing, and a job's acknowledgement written when it settles;
//! and ICS-20 receives refused for module accounts.

use super::component::with_host;
use super::ica::{self, account_address, ica_keys, HostParams, Metadata};
use super::state::path;
use crate::address::Address;
use crate::bank;
use crate::coins::{Coin, BASE_DENOM};
use crate::component::{AppBuilder, BuildInfo, Components};
use crate::context::{BlockInfo, Ctx};
use crate::error::AppResult;
use crate::gas::GasMeter;
use crate::store::MemStore;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_proto::cosmos::Any;
use ibc::core::channel::types::channel::{Counterparty, Order};
use ibc::core::channel::types::packet::Packet;
use ibc::core::channel::types::timeout::{TimeoutHeight, TimeoutTimestamp};
use ibc::core::channel::types::Version;
use ibc::core::host::types::identifiers::{ChannelId, ConnectionId, PortId, Sequence};
use ibc::core::router::module::Module;
use ibc_proto::ibc::core::channel::v1 as chv1;
use ibc_proto::ibc::core::connection::v1 as cov1;
use prost::{Message, Name};
use sha2::{Digest, Sha256};

const OWNER_PORT: &str = "icacontroller-cosmos1owner";
const CNF: &str = "p cnf 3 3\n1 -2 0\n2 3 0\n-1 -3 0\n";

struct Host {
    store: MemStore,
    app: Components,
    height: u64,
    account: Address,
}

fn any<M: Message + Name>(m: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

impl Host {
    fn new(order: chv1::Order) -> Host {
        let app = AppBuilder::new()
            .with(crate::auth::component::Auth)
            .with(crate::bank::component::Bank::default())
            .with(crate::neuro::component::Neuro::new(bank::Escrow::new(
                crate::neuro::MODULE_ACCOUNT,
            )))
            .with(super::Ibc::default())
            .build()
            .unwrap();
        let mut h = Host {
            store: MemStore::default(),
            app,
            height: 1,
            account: account_address("connection-0", OWNER_PORT),
        };
        let account = h.account.clone();
        h.step(|ctx| {
            crate::neuro::lifecycle::init_genesis(ctx, &Default::default())?;
            ctx.put(
                path("connections/connection-0"),
                cov1::ConnectionEnd {
                    client_id: "07-tendermint-0".into(),
                    versions: vec![cov1::Version {
                        identifier: "1".into(),
                        features: vec!["ORDER_ORDERED".into(), "ORDER_UNORDERED".into()],
                    }],
                    state: cov1::State::Open as i32,
                    counterparty: Some(cov1::Counterparty {
                        client_id: "07-tendermint-3".into(),
                        connection_id: "connection-7".into(),
                        prefix: Some(ibc_proto::ibc::core::commitment::v1::MerklePrefix {
                            key_prefix: b"ibc".to_vec(),
                        }),
                    }),
                    delay_period: 0,
                }
                .encode_to_vec(),
            )?;
            ctx.put(
                path("channelEnds/ports/icahost/channels/channel-0"),
                chv1::Channel {
                    state: chv1::State::Open as i32,
                    ordering: order as i32,
                    counterparty: Some(chv1::Counterparty {
                        port_id: OWNER_PORT.into(),
                        channel_id: "channel-4".into(),
                    }),
                    connection_hops: vec!["connection-0".into()],
                    version: "{}".into(),
                    upgrade_sequence: 0,
                }
                .encode_to_vec(),
            )?;
            ctx.put(
                ica_keys::account("connection-0", OWNER_PORT),
                account.to_bech32().into_bytes(),
            )?;
            bank::mint(ctx, &account, &[Coin::new(BASE_DENOM, 1_000_000)])
        })
        .unwrap();
        h
    }

    fn step<T>(&mut self, f: impl FnOnce(&mut Ctx<'_>) -> AppResult<T>) -> AppResult<T> {
        let block = BlockInfo {
            chain_id: "glia-test-1".into(),
            height: self.height,
            time_unix: 1_700_000_000,
            ..Default::default()
        };
        let mut ctx = Ctx::new(&self.store, GasMeter::infinite(), &block);
        let out = ctx.atomic(f);
        let (changes, _, _) = ctx.into_parts();
        self.store.apply(changes);
        out
    }

    fn end_block(&mut self) {
        self.step(|ctx| {
            crate::neuro::lifecycle::end_block(
                ctx,
                &bank::Escrow::new(crate::neuro::MODULE_ACCOUNT),
            )?;
            bank::invariants::check(ctx)
        })
        .unwrap();
        self.height += 1;
    }

    fn balance(&mut self, a: &Address) -> u128 {
        self.step(|ctx| bank::state::balance(ctx, a, BASE_DENOM))
            .unwrap()
    }

    fn get(&mut self, key: &str) -> Option<Vec<u8>> {
        let key = key.to_string();
        self.step(|ctx| ctx.get(&key)).unwrap()
    }

    /// Receives a packet on channel-0 with these messages as its data; the acknowledgement
    /// the host returns now (None: deferred).
    fn recv(&mut self, seq: u64, data: Vec<u8>) -> Option<serde_json::Value> {
        let app = BuildInfo {
            router: self.app.msg_router(),
            ..Default::default()
        };
        let packet = packet(seq, data);
        self.step(|ctx| {
            with_host(ctx, &app, |_, r| {
                let (_, ack) = r
                    .ica_host
                    .on_recv_packet_execute(&packet, &"relayer".to_string().into());
                Ok(ack.map(|a| serde_json::from_slice(a.as_bytes()).unwrap()))
            })
        })
        .unwrap()
    }
}

fn packet(seq: u64, data: Vec<u8>) -> Packet {
    Packet {
        seq_on_a: Sequence::from(seq),
        port_id_on_a: OWNER_PORT.parse().unwrap(),
        chan_id_on_a: ChannelId::new(4),
        port_id_on_b: "icahost".parse().unwrap(),
        chan_id_on_b: ChannelId::new(0),
        data,
        timeout_height_on_b: TimeoutHeight::Never,
        // ibc-go's controllers always set one (a packet with neither timeout is refused).
        timeout_timestamp_on_b: TimeoutTimestamp::At(ibc::primitives::Timestamp::from_nanoseconds(
            4_000_000_000_000_000_000,
        )),
    }
}

fn packet_data(msgs: Vec<Any>) -> Vec<u8> {
    serde_json::json!({
        "type": "TYPE_EXECUTE_TX",
        "data": B64.encode(ica::CosmosTx { messages: msgs }.encode_to_vec()),
        "memo": "",
    })
    .to_string()
    .into_bytes()
}

fn send(from: &Address, to: &Address, amount: u128) -> Any {
    any(&glia_proto::cosmos::cosmos::bank::v1beta1::MsgSend {
        from_address: from.to_bech32(),
        to_address: to.to_bech32(),
        amount: vec![Coin::new(BASE_DENOM, amount).to_proto()],
    })
}

fn error_of(ack: &serde_json::Value) -> &str {
    ack["error"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error ack: {ack}"))
}

#[test]
fn ica_host_runs_a_packet_as_the_account_and_answers_with_txmsgdata() {
    let mut h = Host::new(chv1::Order::Unordered);
    let to = Address::module("someone");
    let acc = h.account.clone();
    let ack = h.recv(1, packet_data(vec![send(&acc, &to, 250)])).unwrap();
    let data = B64.decode(ack["result"].as_str().unwrap()).unwrap();
    let msg_data =
        glia_proto::cosmos::cosmos::base::abci::v1beta1::TxMsgData::decode(data.as_slice())
            .unwrap();
    assert_eq!(
        msg_data.msg_responses[0].type_url,
        "/cosmos.bank.v1beta1.MsgSendResponse"
    );
    assert_eq!(h.balance(&to), 250);
    assert_eq!(h.balance(&acc), 1_000_000 - 250);
}

/// Each bad packet gets an error acknowledgement saying why, and nothing moves: not even the
/// good message beside the bad one (all or nothing).
#[test]
fn attack_ica_bad_packets_get_error_acks_and_change_nothing() {
    let mut h = Host::new(chv1::Order::Unordered);
    let acc = h.account.clone();
    let thief = Address::module("thief");
    let victim = Address::module("victim");
    h.step(|ctx| bank::mint(ctx, &victim, &[Coin::new(BASE_DENOM, 500)]))
        .unwrap();
    let before = h.store.0.clone();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            packet_data(vec![
                send(&acc, &thief, 10),
                Any {
                    type_url: "/cosmos.gov.v1.MsgVote".into(),
                    value: vec![],
                },
            ]),
            "not allowed on this host",
        ),
        (
            packet_data(vec![send(&victim, &thief, 500)]),
            "must be signed by",
        ),
        (b"{not json".to_vec(), "not ICS-27 packet data"),
        (
            serde_json::json!({"type": "TYPE_EXECUTE_TX", "data": B64.encode(b"\xff\xffjunk")})
                .to_string()
                .into_bytes(),
            "not a proto3 CosmosTx",
        ),
        (packet_data(vec![]), "carries no message"),
        (
            serde_json::json!({"type": "TYPE_UNSPECIFIED", "data": ""})
                .to_string()
                .into_bytes(),
            "is not TYPE_EXECUTE_TX",
        ),
        (
            packet_data(vec![send(&acc, &thief, 2_000_000)]),
            "insufficient",
        ),
    ];
    for (i, (data, why)) in cases.into_iter().enumerate() {
        let ack = h.recv(10 + i as u64, data).unwrap();
        let err = error_of(&ack);
        assert!(err.contains(why), "case {i}: {err}");
    }
    assert_eq!(h.balance(&thief), 0);
    assert_eq!(h.balance(&victim), 500);
    assert_eq!(h.balance(&acc), 1_000_000);
    assert!(h.store.0 == before, "an error ack changes nothing");
}

/// A job posted through the account answers when it closes, not when it is received: the
/// acknowledgement is committed (sha256 of its bytes, at ICS-24's path) by the block that
/// settles it, with the reason when it closes without a solution.
#[test]
fn ica_job_ack_is_written_when_the_job_settles() {
    use glia_proto::neuro::v1::*;
    let mut h = Host::new(chv1::Order::Unordered);
    let acc = h.account.clone();
    let submit = MsgSubmitJob {
        creator: acc.to_bech32(),
        format: ProblemFormat::Cnf as i32,
        problem: CNF.into(),
        block_fee: Some(Coin::new(BASE_DENOM, 100).to_proto()),
        max_blocks: 5,
        solution_reward: Some(Coin::new(BASE_DENOM, 1_000).to_proto()),
        target_energy: String::new(),
    };
    assert_eq!(h.recv(1, packet_data(vec![any(&submit)])), None, "deferred");
    let ack_path = "ibc/acks/ports/icahost/channels/channel-0/sequences/1";
    assert!(h.get(ack_path).is_none());
    assert!(h.get(&ica_keys::request(ica::JOB, 1)).is_some());
    h.end_block();
    assert!(h.get(ack_path).is_none(), "nothing settled yet");
    // The account cancels it in a second packet: that one answers at once, the first when
    // the job closes at the end of the block.
    let cancel = MsgCancelJob {
        creator: acc.to_bech32(),
        job_id: 1,
    };
    let ack2 = h.recv(2, packet_data(vec![any(&cancel)])).unwrap();
    assert!(ack2["result"].is_string(), "{ack2}");
    h.end_block();
    let job = h
        .step(|ctx| crate::neuro::state::job(ctx, 1))
        .unwrap()
        .unwrap();
    assert_eq!(job.status, JobStatus::Cancelled as i32);
    let expected = ica::error_ack(&format!(
        "job 1: closed CANCELLED at height {} without a solution",
        job.closed_height
    ));
    assert_eq!(
        h.get(ack_path).unwrap(),
        Sha256::digest(&expected).to_vec(),
        "the commitment of {}",
        String::from_utf8_lossy(&expected)
    );
    assert!(h.get(&ica_keys::request(ica::JOB, 1)).is_none());
    assert!(h
        .get(&ica_keys::pending("icahost", "channel-0", 1))
        .is_none());
    assert_eq!(h.balance(&acc), 1_000_000, "the escrow came back");
}

/// On an ordered channel an acknowledgement cannot wait (it would hold every later one): the
/// job's is the synchronous one.
#[test]
fn ica_on_an_ordered_channel_answers_at_once() {
    use glia_proto::neuro::v1::*;
    let mut h = Host::new(chv1::Order::Ordered);
    let submit = MsgSubmitJob {
        creator: h.account.to_bech32(),
        format: ProblemFormat::Cnf as i32,
        problem: CNF.into(),
        block_fee: Some(Coin::new(BASE_DENOM, 100).to_proto()),
        max_blocks: 5,
        solution_reward: Some(Coin::new(BASE_DENOM, 1_000).to_proto()),
        target_energy: String::new(),
    };
    let ack = h.recv(1, packet_data(vec![any(&submit)])).unwrap();
    assert!(ack["result"].is_string(), "{ack}");
    assert!(h.get(&ica_keys::request(ica::JOB, 1)).is_none());
}

fn try_open(h: &mut Host, hops: &str, md: &Metadata) -> Result<String, String> {
    let app = BuildInfo::default();
    let md = serde_json::to_string(md).unwrap();
    let hops: ConnectionId = hops.parse().unwrap();
    h.step(|ctx| {
        with_host(ctx, &app, |_, r| {
            Ok(r.ica_host
                .on_chan_open_try_validate(
                    Order::Unordered,
                    &[hops],
                    &"icahost".parse::<PortId>().unwrap(),
                    &ChannelId::new(1),
                    &Counterparty::new(OWNER_PORT.parse().unwrap(), Some(ChannelId::new(4))),
                    &Version::new(md),
                )
                .map(|v| v.to_string())
                .map_err(|e| e.to_string()))
        })
    })
    .unwrap()
}

/// The handshake's metadata must name this channel's connections (an unknown connection, or
/// another pair, is refused) and ibc-go's version, encoding and tx type; the answer names
/// the account ibc-go would derive.
#[test]
fn attack_ica_open_try_checks_the_metadata() {
    let mut h = Host::new(chv1::Order::Unordered);
    let good = Metadata {
        version: "ics27-1".into(),
        controller_connection_id: "connection-7".into(),
        host_connection_id: "connection-0".into(),
        address: String::new(),
        encoding: "proto3".into(),
        tx_type: "sdk_multi_msg".into(),
    };
    let v = try_open(&mut h, "connection-0", &good).unwrap();
    let md: Metadata = serde_json::from_str(&v).unwrap();
    assert_eq!(md.address, h.account.to_bech32());
    let bad = |f: &dyn Fn(&mut Metadata)| {
        let mut m = good.clone();
        f(&mut m);
        m
    };
    let cases = [
        (
            "connection-0",
            bad(&|m| m.host_connection_id = "connection-9".into()),
            "names host connection",
        ),
        (
            "connection-0",
            bad(&|m| m.controller_connection_id = "connection-8".into()),
            "names controller connection",
        ),
        (
            "connection-9",
            bad(&|m| m.host_connection_id = "connection-9".into()),
            "does not exist",
        ),
        (
            "connection-0",
            bad(&|m| m.encoding = "proto4".into()),
            "encoding",
        ),
        (
            "connection-0",
            bad(&|m| m.version = "ics27-2".into()),
            "version",
        ),
        (
            "connection-0",
            bad(&|m| m.address = Address::module("x").to_bech32()),
            "this channel's account is",
        ),
    ];
    for (hops, md, why) in cases {
        let e = try_open(&mut h, hops, &md).unwrap_err();
        assert!(e.contains(why), "{md:?}: {e}");
    }
    let _ = HostParams::default();
}

/// Receives an ICS-20 packet on transfer/channel-0 sending 500 uatom from simd to `receiver`;
/// the acknowledgement as JSON.
fn recv_transfer(h: &mut Host, seq: u64, receiver: &str) -> serde_json::Value {
    let app = BuildInfo {
        router: h.app.msg_router(),
        module_accounts: vec![Address::module(crate::neuro::MODULE_ACCOUNT)],
    };
    let data = serde_json::json!({
        "denom": "uatom", "amount": "500", "sender": "cosmos1sender", "receiver": receiver,
    });
    let packet = Packet {
        port_id_on_a: "transfer".parse().unwrap(),
        chan_id_on_a: ChannelId::new(7),
        port_id_on_b: "transfer".parse().unwrap(),
        chan_id_on_b: ChannelId::new(0),
        ..packet(seq, data.to_string().into_bytes())
    };
    h.step(|ctx| {
        with_host(ctx, &app, |_, r| {
            let (_, ack) = r
                .transfer
                .on_recv_packet_execute(&packet, &"relayer".to_string().into());
            let ack = ack.expect("ICS-20 answers at once");
            Ok(serde_json::from_slice(ack.as_bytes()).unwrap())
        })
    })
    .unwrap()
}

/// Attack: an ICS-20 transfer to a module account (an escrow that must hold exactly what its
/// records owe) gets an error acknowledgement and mints nothing, as ibc-go refuses blocked
/// addresses; the same packet to a person's account mints the voucher.
#[test]
fn attack_a_transfer_to_a_module_account_is_refused() {
    let mut h = Host::new(chv1::Order::Unordered);
    let voucher = crate::coins::bank_denom_of("transfer/channel-0/uatom");
    let module = Address::module(crate::neuro::MODULE_ACCOUNT);
    let ack = recv_transfer(&mut h, 1, &module.to_bech32());
    assert!(error_of(&ack).contains("module account"), "{ack}");
    let held = h
        .step(|ctx| bank::state::balance(ctx, &module, &voucher))
        .unwrap();
    assert_eq!(held, 0);
    let person = Address::module("a person");
    let ack = recv_transfer(&mut h, 2, &person.to_bech32());
    assert!(ack.get("result").is_some(), "{ack}");
    let got = h
        .step(|ctx| bank::state::balance(ctx, &person, &voucher))
        .unwrap();
    assert_eq!(got, 500);
    h.end_block();
}
