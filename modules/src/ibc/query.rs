//! The `ibc.core.*` queries relayers call (Hermes: client states and heights, connections,
//! channels, packet commitments, unreceived packets and acks), and ICS-20's (params, denom
//! traces on ibc-go v8's paths and denoms on v10's, escrow address and totals). Values are
//! read straight from the ICS-24 paths; proofs come with `store/ibc/key` ABCI queries.
//! Lists answer whole (IBC state is small: a handful of clients, connections and channels,
//! and the packets in flight).

use super::state::{self, keys, path};
use super::transfer::{denom_hash, escrow_address};
use crate::component::{QueryRoute, RestRoute};
use crate::context::Kv;
use crate::error::{AppError, AppResult};
use crate::rest;
use ibc_proto::cosmos::base::query::v1beta1::PageResponse;
use ibc_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use ibc_proto::google::protobuf::Any;
use ibc_proto::ibc::applications::interchain_accounts::controller::v1 as icac;
use ibc_proto::ibc::applications::interchain_accounts::host::v1 as icah;
use ibc_proto::ibc::applications::transfer::v1 as tq;
use ibc_proto::ibc::core::channel::v1 as chq;
use ibc_proto::ibc::core::client::v1 as clq;
use ibc_proto::ibc::core::connection::v1 as coq;
use prost::Message;
use serde_json::json;

fn page(total: usize) -> Option<PageResponse> {
    Some(PageResponse {
        next_key: Vec::new(),
        total: total as u64,
    })
}

fn get_msg<T: Message + Default>(kv: &mut impl Kv, key: &str, what: &str) -> AppResult<T> {
    let b = kv
        .kv_get(key)?
        .ok_or_else(|| AppError::not_found(what.to_string()))?;
    T::decode(b.as_slice()).map_err(|e| AppError::internal(format!("{what}: {e}")))
}

fn opt_msg<T: Message + Default>(kv: &mut impl Kv, key: &str) -> AppResult<Option<T>> {
    match kv.kv_get(key)? {
        None => Ok(None),
        Some(b) => T::decode(b.as_slice())
            .map(Some)
            .map_err(|e| AppError::internal(e.to_string())),
    }
}

/// `(last segment, value)` of every key under `prefix` ending in `suffix`.
fn scan_ids(kv: &mut impl Kv, prefix: &str, suffix: &str) -> AppResult<Vec<(String, Vec<u8>)>> {
    Ok(kv
        .kv_scan(prefix)?
        .into_iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(prefix)?.strip_suffix(suffix)?;
            (!rest.contains('/')).then(|| (rest.to_string(), v))
        })
        .collect())
}

fn client_state_any(kv: &mut impl Kv, client: &str) -> AppResult<Any> {
    get_msg(
        kv,
        &path(format!("clients/{client}/clientState")),
        &format!("client {client}"),
    )
}

fn channel_key(port: &str, channel: &str) -> String {
    path(format!("channelEnds/ports/{port}/channels/{channel}"))
}

fn seq_prefix(kind: &str, port: &str, channel: &str) -> String {
    path(format!("{kind}/ports/{port}/channels/{channel}/sequences/"))
}

/// Every `(sequence, value)` under a packet-state prefix, in sequence order.
fn sequences(kv: &mut impl Kv, prefix: &str) -> AppResult<Vec<(u64, Vec<u8>)>> {
    let mut out: Vec<(u64, Vec<u8>)> = kv
        .kv_scan(prefix)?
        .into_iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.parse().ok()?, v)))
        .collect();
    out.sort_by_key(|(s, _)| *s);
    Ok(out)
}

fn connection_client(kv: &mut impl Kv, conn: &str) -> AppResult<String> {
    let c: coq::ConnectionEnd = get_msg(
        kv,
        &path(format!("connections/{conn}")),
        &format!("connection {conn}"),
    )?;
    Ok(c.client_id)
}

fn channel_client(kv: &mut impl Kv, port: &str, channel: &str) -> AppResult<String> {
    let ch: chq::Channel = get_msg(
        kv,
        &channel_key(port, channel),
        &format!("channel {port}/{channel}"),
    )?;
    let conn = ch
        .connection_hops
        .first()
        .ok_or_else(|| AppError::internal("a channel with no connection"))?;
    connection_client(kv, conn)
}

/// The height this state is from (the block that wrote it).
fn height(kv: &mut impl Kv) -> AppResult<Option<clq::Height>> {
    opt_msg(kv, keys::HEIGHT)
}

fn heights(kv: &mut impl Kv, client: &str) -> AppResult<Vec<clq::Height>> {
    let prefix = keys::cs_heights(client);
    Ok(kv
        .kv_scan_keys(&prefix)?
        .into_iter()
        .filter_map(|k| {
            let (r, h) = k.strip_prefix(&prefix)?.split_once('-')?;
            Some(clq::Height {
                revision_number: r.parse().ok()?,
                revision_height: h.parse().ok()?,
            })
        })
        .collect())
}

fn cs_key(client: &str, h: &clq::Height) -> String {
    path(format!(
        "clients/{client}/consensusStates/{}-{}",
        h.revision_number, h.revision_height
    ))
}

/// ibc-go v10's denom types (not in ibc-proto 0.51).
pub mod v10 {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Hop {
        #[prost(string, tag = "1")]
        pub port_id: String,
        #[prost(string, tag = "2")]
        pub channel_id: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Denom {
        #[prost(string, tag = "1")]
        pub base: String,
        #[prost(message, repeated, tag = "3")]
        pub trace: Vec<Hop>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct QueryDenomRequest {
        #[prost(string, tag = "1")]
        pub hash: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct QueryDenomResponse {
        #[prost(message, optional, tag = "1")]
        pub denom: Option<Denom>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct QueryDenomsRequest {
        #[prost(message, optional, tag = "1")]
        pub pagination: Option<ibc_proto::cosmos::base::query::v1beta1::PageRequest>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct QueryDenomsResponse {
        #[prost(message, repeated, tag = "1")]
        pub denoms: Vec<Denom>,
        #[prost(message, optional, tag = "2")]
        pub pagination: Option<ibc_proto::cosmos::base::query::v1beta1::PageResponse>,
    }
}

/// A trace path (`transfer/channel-0/transfer/channel-5/stake`) as v8's `DenomTrace`.
fn split_trace(full: &str) -> tq::DenomTrace {
    // Leading `<port>/<channel-N>` pairs are the path; the rest (which may hold `/`) is the base.
    let parts: Vec<&str> = full.split('/').collect();
    let hops = parts
        .chunks(2)
        .take_while(|c| c.len() == 2 && c[1].starts_with("channel-"))
        .count();
    let (path, base) = parts.split_at(hops.saturating_mul(2).min(parts.len()));
    tq::DenomTrace {
        path: path.join("/"),
        base_denom: base.join("/"),
    }
}

fn v10_denom(t: &tq::DenomTrace) -> v10::Denom {
    let hops: Vec<&str> = if t.path.is_empty() {
        Vec::new()
    } else {
        t.path.split('/').collect()
    };
    v10::Denom {
        base: t.base_denom.clone(),
        trace: hops
            .chunks(2)
            .map(|c| v10::Hop {
                port_id: c[0].to_string(),
                channel_id: c.get(1).unwrap_or(&"").to_string(),
            })
            .collect(),
    }
}

fn traces(kv: &mut impl Kv) -> AppResult<Vec<tq::DenomTrace>> {
    Ok(kv
        .kv_scan(keys::DENOM_TRACES)?
        .into_iter()
        .map(|(_, v)| split_trace(&String::from_utf8_lossy(&v)))
        .collect())
}

fn trace_by_hash(kv: &mut impl Kv, hash: &str) -> AppResult<tq::DenomTrace> {
    let hash = hash.trim_start_matches("ibc/").to_ascii_uppercase();
    let b = kv
        .kv_get(&keys::denom_trace(&hash))?
        .ok_or_else(|| AppError::not_found(format!("denomination trace {hash}")))?;
    Ok(split_trace(&String::from_utf8_lossy(&b)))
}

fn trace_json(t: &tq::DenomTrace) -> serde_json::Value {
    json!({"path": t.path, "base_denom": t.base_denom})
}

fn denom_json(d: &v10::Denom) -> serde_json::Value {
    json!({"base": d.base, "trace": d.trace.iter().map(|h| json!({"port_id": h.port_id, "channel_id": h.channel_id})).collect::<Vec<_>>()})
}

fn height_json(h: &Option<clq::Height>) -> serde_json::Value {
    let h = h.unwrap_or_default();
    json!({"revision_number": h.revision_number.to_string(), "revision_height": h.revision_height.to_string()})
}

/// A protobuf Duration as grpc-gateway writes it: `"1209600s"`, `"0.5s"`.
fn duration_json(d: &Option<ibc_proto::google::protobuf::Duration>) -> serde_json::Value {
    let d = d.unwrap_or_default();
    if d.nanos == 0 {
        json!(format!("{}s", d.seconds))
    } else {
        let frac = format!("{:09}", d.nanos.unsigned_abs());
        json!(format!("{}.{}s", d.seconds, frac.trim_end_matches('0')))
    }
}

/// `ibc.core.channel.v1.Channel` in grpc-gateway JSON (enums by name).
fn channel_json(c: &chq::Channel) -> serde_json::Value {
    let state = chq::State::try_from(c.state)
        .map_or("STATE_UNINITIALIZED_UNSPECIFIED", |s| s.as_str_name());
    let order =
        chq::Order::try_from(c.ordering).map_or("ORDER_NONE_UNSPECIFIED", |o| o.as_str_name());
    let cp = c.counterparty.clone().unwrap_or_default();
    json!({
        "state": state, "ordering": order,
        "counterparty": {"port_id": cp.port_id, "channel_id": cp.channel_id},
        "connection_hops": c.connection_hops, "version": c.version,
        "upgrade_sequence": c.upgrade_sequence.to_string(),
    })
}

/// A client state `Any` in grpc-gateway JSON: a 07-tendermint client's fields (what wallets
/// read: `chain_id`, heights, periods; its proof specs are left out), else only its type.
fn client_state_json(any: &Any) -> serde_json::Value {
    use ibc_proto::ibc::lightclients::tendermint::v1::ClientState;
    match ClientState::decode(any.value.as_slice()) {
        Ok(c) if any.type_url == "/ibc.lightclients.tendermint.v1.ClientState" => {
            let t = c.trust_level.unwrap_or_default();
            json!({
                "@type": any.type_url, "chain_id": c.chain_id,
                "trust_level": {"numerator": t.numerator.to_string(), "denominator": t.denominator.to_string()},
                "trusting_period": duration_json(&c.trusting_period),
                "unbonding_period": duration_json(&c.unbonding_period),
                "max_clock_drift": duration_json(&c.max_clock_drift),
                "frozen_height": height_json(&c.frozen_height),
                "latest_height": height_json(&c.latest_height),
                "upgrade_path": c.upgrade_path,
            })
        }
        _ => json!({"@type": any.type_url}),
    }
}

pub fn routes() -> Vec<QueryRoute> {
    vec![
        // ICS-02
        QueryRoute::new("/ibc.core.client.v1.Query/ClientState", |kv, r: clq::QueryClientStateRequest| {
            Ok(clq::QueryClientStateResponse {
                client_state: Some(client_state_any(kv, &r.client_id)?),
                ..Default::default()
            })
        }),
        QueryRoute::new("/ibc.core.client.v1.Query/ClientStates", |kv, _: clq::QueryClientStatesRequest| {
            let states: Vec<clq::IdentifiedClientState> = scan_ids(kv, &path("clients/"), "/clientState")?
                .into_iter()
                .map(|(id, v)| {
                    Ok(clq::IdentifiedClientState {
                        client_id: id,
                        client_state: Some(Any::decode(v.as_slice()).map_err(|e| AppError::internal(e.to_string()))?),
                    })
                })
                .collect::<AppResult<_>>()?;
            let n = states.len();
            Ok(clq::QueryClientStatesResponse { client_states: states, pagination: page(n) })
        }),
        QueryRoute::new("/ibc.core.client.v1.Query/ConsensusState", |kv, r: clq::QueryConsensusStateRequest| {
            let h = if r.latest_height {
                heights(kv, &r.client_id)?
                    .into_iter()
                    .max_by_key(|h| (h.revision_number, h.revision_height))
                    .ok_or_else(|| AppError::not_found(format!("consensus states of {}", r.client_id)))?
            } else {
                clq::Height { revision_number: r.revision_number, revision_height: r.revision_height }
            };
            Ok(clq::QueryConsensusStateResponse {
                consensus_state: Some(get_msg(kv, &cs_key(&r.client_id, &h), "consensus state")?),
                ..Default::default()
            })
        }),
        QueryRoute::new("/ibc.core.client.v1.Query/ConsensusStates", |kv, r: clq::QueryConsensusStatesRequest| {
            let mut out = Vec::new();
            for h in heights(kv, &r.client_id)? {
                out.push(clq::ConsensusStateWithHeight {
                    consensus_state: Some(get_msg(kv, &cs_key(&r.client_id, &h), "consensus state")?),
                    height: Some(h),
                });
            }
            let n = out.len();
            Ok(clq::QueryConsensusStatesResponse { consensus_states: out, pagination: page(n) })
        }),
        QueryRoute::new("/ibc.core.client.v1.Query/ConsensusStateHeights", |kv, r: clq::QueryConsensusStateHeightsRequest| {
            let hs = heights(kv, &r.client_id)?;
            let n = hs.len();
            Ok(clq::QueryConsensusStateHeightsResponse { consensus_state_heights: hs, pagination: page(n) })
        }),
        QueryRoute::new("/ibc.core.client.v1.Query/ClientStatus", |kv, r: clq::QueryClientStatusRequest| {
            let any = client_state_any(kv, &r.client_id)?;
            let cs = ibc_proto::ibc::lightclients::tendermint::v1::ClientState::decode(any.value.as_slice())
                .map_err(|e| AppError::internal(e.to_string()))?;
            let frozen = cs.frozen_height.is_some_and(|h| h.revision_height > 0);
            Ok(clq::QueryClientStatusResponse { status: if frozen { "Frozen" } else { "Active" }.into() })
        }),
        QueryRoute::new("/ibc.core.client.v1.Query/ClientParams", |_kv, _: clq::QueryClientParamsRequest| {
            Ok(clq::QueryClientParamsResponse {
                params: Some(clq::Params { allowed_clients: vec!["07-tendermint".into()] }),
            })
        }),
        // ICS-03
        QueryRoute::new("/ibc.core.connection.v1.Query/Connection", |kv, r: coq::QueryConnectionRequest| {
            Ok(coq::QueryConnectionResponse {
                connection: Some(get_msg(kv, &path(format!("connections/{}", r.connection_id)), &format!("connection {}", r.connection_id))?),
                ..Default::default()
            })
        }),
        QueryRoute::new("/ibc.core.connection.v1.Query/Connections", |kv, _: coq::QueryConnectionsRequest| {
            let mut out = Vec::new();
            for (id, v) in scan_ids(kv, &path("connections/"), "")? {
                let c = coq::ConnectionEnd::decode(v.as_slice()).map_err(|e| AppError::internal(e.to_string()))?;
                out.push(coq::IdentifiedConnection {
                    id,
                    client_id: c.client_id,
                    versions: c.versions,
                    state: c.state,
                    counterparty: c.counterparty,
                    delay_period: c.delay_period,
                });
            }
            let n = out.len();
            Ok(coq::QueryConnectionsResponse { connections: out, pagination: page(n), height: height(kv)? })
        }),
        QueryRoute::new("/ibc.core.connection.v1.Query/ClientConnections", |kv, r: coq::QueryClientConnectionsRequest| {
            let paths: coq::ClientPaths = opt_msg(kv, &path(format!("clients/{}/connections", r.client_id)))?.unwrap_or_default();
            Ok(coq::QueryClientConnectionsResponse { connection_paths: paths.paths, ..Default::default() })
        }),
        QueryRoute::new("/ibc.core.connection.v1.Query/ConnectionClientState", |kv, r: coq::QueryConnectionClientStateRequest| {
            let client = connection_client(kv, &r.connection_id)?;
            Ok(coq::QueryConnectionClientStateResponse {
                identified_client_state: Some(clq::IdentifiedClientState {
                    client_state: Some(client_state_any(kv, &client)?),
                    client_id: client,
                }),
                ..Default::default()
            })
        }),
        QueryRoute::new("/ibc.core.connection.v1.Query/ConnectionConsensusState", |kv, r: coq::QueryConnectionConsensusStateRequest| {
            let client = connection_client(kv, &r.connection_id)?;
            let h = clq::Height { revision_number: r.revision_number, revision_height: r.revision_height };
            Ok(coq::QueryConnectionConsensusStateResponse {
                consensus_state: Some(get_msg(kv, &cs_key(&client, &h), "consensus state")?),
                client_id: client,
                ..Default::default()
            })
        }),
        QueryRoute::new("/ibc.core.connection.v1.Query/ConnectionParams", |_kv, _: coq::QueryConnectionParamsRequest| {
            Ok(coq::QueryConnectionParamsResponse {
                params: Some(coq::Params { max_expected_time_per_block: 30_000_000_000 }),
            })
        }),
        // ICS-04
        QueryRoute::new("/ibc.core.channel.v1.Query/Channel", |kv, r: chq::QueryChannelRequest| {
            Ok(chq::QueryChannelResponse {
                channel: Some(get_msg(kv, &channel_key(&r.port_id, &r.channel_id), &format!("channel {}/{}", r.port_id, r.channel_id))?),
                ..Default::default()
            })
        })
        // Keplr's IBC transfer screen: the channel must be open, and names its counterparty.
        .with_rest(RestRoute {
            pattern: "/ibc/core/channel/v1/channels/:channel_id/ports/:port_id",
            request: |m| Ok(chq::QueryChannelRequest {
                port_id: rest::param(m, "port_id")?.into(),
                channel_id: rest::param(m, "channel_id")?.into(),
            }.encode_to_vec()),
            json: |b| {
                let r = rest::decode::<chq::QueryChannelResponse>(b)?;
                Ok(json!({"channel": channel_json(&r.channel.unwrap_or_default()), "proof": null,
                          "proof_height": height_json(&r.proof_height)}))
            },
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/Channels", |kv, _: chq::QueryChannelsRequest| {
            let chans = all_channels(kv, None)?;
            let n = chans.len();
            Ok(chq::QueryChannelsResponse { channels: chans, pagination: page(n), height: height(kv)? })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/ConnectionChannels", |kv, r: chq::QueryConnectionChannelsRequest| {
            let chans = all_channels(kv, Some(&r.connection))?;
            let n = chans.len();
            Ok(chq::QueryConnectionChannelsResponse { channels: chans, pagination: page(n), height: height(kv)? })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/ChannelClientState", |kv, r: chq::QueryChannelClientStateRequest| {
            let client = channel_client(kv, &r.port_id, &r.channel_id)?;
            Ok(chq::QueryChannelClientStateResponse {
                identified_client_state: Some(clq::IdentifiedClientState {
                    client_state: Some(client_state_any(kv, &client)?),
                    client_id: client,
                }),
                ..Default::default()
            })
        })
        // Keplr resolves a voucher's origin chain from the channel's client (`chain_id`).
        .with_rest(RestRoute {
            pattern: "/ibc/core/channel/v1/channels/:channel_id/ports/:port_id/client_state",
            request: |m| Ok(chq::QueryChannelClientStateRequest {
                port_id: rest::param(m, "port_id")?.into(),
                channel_id: rest::param(m, "channel_id")?.into(),
            }.encode_to_vec()),
            json: |b| {
                let r = rest::decode::<chq::QueryChannelClientStateResponse>(b)?;
                let ics = r.identified_client_state.unwrap_or_default();
                Ok(json!({
                    "identified_client_state": {
                        "client_id": ics.client_id,
                        "client_state": ics.client_state.as_ref().map(client_state_json),
                    },
                    "proof": null, "proof_height": height_json(&r.proof_height),
                }))
            },
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/ChannelConsensusState", |kv, r: chq::QueryChannelConsensusStateRequest| {
            let client = channel_client(kv, &r.port_id, &r.channel_id)?;
            let h = clq::Height { revision_number: r.revision_number, revision_height: r.revision_height };
            Ok(chq::QueryChannelConsensusStateResponse {
                consensus_state: Some(get_msg(kv, &cs_key(&client, &h), "consensus state")?),
                client_id: client,
                ..Default::default()
            })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/PacketCommitment", |kv, r: chq::QueryPacketCommitmentRequest| {
            let c = kv
                .kv_get(&format!("{}{}", seq_prefix("commitments", &r.port_id, &r.channel_id), r.sequence))?
                .ok_or_else(|| AppError::not_found(format!("packet commitment {}", r.sequence)))?;
            Ok(chq::QueryPacketCommitmentResponse { commitment: c, ..Default::default() })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/PacketCommitments", |kv, r: chq::QueryPacketCommitmentsRequest| {
            let states = packet_states(kv, "commitments", &r.port_id, &r.channel_id)?;
            let n = states.len();
            Ok(chq::QueryPacketCommitmentsResponse { commitments: states, pagination: page(n), height: height(kv)? })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/PacketReceipt", |kv, r: chq::QueryPacketReceiptRequest| {
            let got = kv
                .kv_get(&format!("{}{}", seq_prefix("receipts", &r.port_id, &r.channel_id), r.sequence))?
                .is_some();
            Ok(chq::QueryPacketReceiptResponse { received: got, ..Default::default() })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/PacketAcknowledgement", |kv, r: chq::QueryPacketAcknowledgementRequest| {
            let a = kv
                .kv_get(&format!("{}{}", seq_prefix("acks", &r.port_id, &r.channel_id), r.sequence))?
                .ok_or_else(|| AppError::not_found(format!("packet acknowledgement {}", r.sequence)))?;
            Ok(chq::QueryPacketAcknowledgementResponse { acknowledgement: a, ..Default::default() })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/PacketAcknowledgements", |kv, r: chq::QueryPacketAcknowledgementsRequest| {
            let mut states = packet_states(kv, "acks", &r.port_id, &r.channel_id)?;
            if !r.packet_commitment_sequences.is_empty() {
                states.retain(|s| r.packet_commitment_sequences.contains(&s.sequence));
            }
            let n = states.len();
            Ok(chq::QueryPacketAcknowledgementsResponse { acknowledgements: states, pagination: page(n), height: height(kv)? })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/UnreceivedPackets", |kv, r: chq::QueryUnreceivedPacketsRequest| {
            let ch: chq::Channel = get_msg(kv, &channel_key(&r.port_id, &r.channel_id), &format!("channel {}/{}", r.port_id, r.channel_id))?;
            let ordered = ch.ordering == chq::Order::Ordered as i32;
            let next = state::get_u64(kv, &path(format!("nextSequenceRecv/ports/{}/channels/{}", r.port_id, r.channel_id)))?.unwrap_or(1);
            let receipts = seq_prefix("receipts", &r.port_id, &r.channel_id);
            let mut out = Vec::new();
            for s in r.packet_commitment_sequences {
                let received = if ordered { s < next } else { kv.kv_get(&format!("{receipts}{s}"))?.is_some() };
                if !received {
                    out.push(s);
                }
            }
            Ok(chq::QueryUnreceivedPacketsResponse { sequences: out, height: height(kv)? })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/UnreceivedAcks", |kv, r: chq::QueryUnreceivedAcksRequest| {
            let commitments = seq_prefix("commitments", &r.port_id, &r.channel_id);
            let mut out = Vec::new();
            for s in r.packet_ack_sequences {
                if kv.kv_get(&format!("{commitments}{s}"))?.is_some() {
                    out.push(s);
                }
            }
            Ok(chq::QueryUnreceivedAcksResponse { sequences: out, height: height(kv)? })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/NextSequenceReceive", |kv, r: chq::QueryNextSequenceReceiveRequest| {
            let next = state::get_u64(kv, &path(format!("nextSequenceRecv/ports/{}/channels/{}", r.port_id, r.channel_id)))?
                .ok_or_else(|| AppError::not_found(format!("channel {}/{}", r.port_id, r.channel_id)))?;
            Ok(chq::QueryNextSequenceReceiveResponse { next_sequence_receive: next, ..Default::default() })
        }),
        QueryRoute::new("/ibc.core.channel.v1.Query/NextSequenceSend", |kv, r: chq::QueryNextSequenceSendRequest| {
            let next = state::get_u64(kv, &path(format!("nextSequenceSend/ports/{}/channels/{}", r.port_id, r.channel_id)))?
                .ok_or_else(|| AppError::not_found(format!("channel {}/{}", r.port_id, r.channel_id)))?;
            Ok(chq::QueryNextSequenceSendResponse { next_sequence_send: next, ..Default::default() })
        }),
        // ICS-20
        QueryRoute::new("/ibc.applications.transfer.v1.Query/Params", |kv, _: tq::QueryParamsRequest| {
            let p = super::component::params(kv)?.transfer;
            Ok(tq::QueryParamsResponse { params: Some(tq::Params { send_enabled: p.send_enabled, receive_enabled: p.receive_enabled }) })
        })
        .with_rest(RestRoute {
            pattern: "/ibc/apps/transfer/v1/params",
            request: |_| Ok(tq::QueryParamsRequest {}.encode_to_vec()),
            json: |b| {
                let p = rest::decode::<tq::QueryParamsResponse>(b)?.params.unwrap_or_default();
                Ok(json!({"params": {"send_enabled": p.send_enabled, "receive_enabled": p.receive_enabled}}))
            },
        }),
        QueryRoute::new("/ibc.applications.transfer.v1.Query/DenomTrace", |kv, r: tq::QueryDenomTraceRequest| {
            Ok(tq::QueryDenomTraceResponse { denom_trace: Some(trace_by_hash(kv, &r.hash)?) })
        })
        .with_rest(RestRoute {
            pattern: "/ibc/apps/transfer/v1/denom_traces/:hash",
            request: |m| Ok(tq::QueryDenomTraceRequest { hash: rest::param(m, "hash")?.to_string() }.encode_to_vec()),
            json: |b| Ok(json!({"denom_trace": trace_json(&rest::decode::<tq::QueryDenomTraceResponse>(b)?.denom_trace.unwrap_or_default())})),
        }),
        QueryRoute::new("/ibc.applications.transfer.v1.Query/DenomTraces", |kv, _: tq::QueryDenomTracesRequest| {
            let t = traces(kv)?;
            let n = t.len();
            Ok(tq::QueryDenomTracesResponse { denom_traces: t, pagination: page(n) })
        })
        .with_rest(RestRoute {
            pattern: "/ibc/apps/transfer/v1/denom_traces",
            request: |_| Ok(tq::QueryDenomTracesRequest::default().encode_to_vec()),
            json: |b| {
                let r = rest::decode::<tq::QueryDenomTracesResponse>(b)?;
                Ok(json!({"denom_traces": r.denom_traces.iter().map(trace_json).collect::<Vec<_>>(), "pagination": {"next_key": null, "total": r.denom_traces.len().to_string()}}))
            },
        }),
        QueryRoute::new("/ibc.applications.transfer.v1.Query/Denom", |kv, r: v10::QueryDenomRequest| {
            Ok(v10::QueryDenomResponse { denom: Some(v10_denom(&trace_by_hash(kv, &r.hash)?)) })
        })
        .with_rest(RestRoute {
            pattern: "/ibc/apps/transfer/v1/denoms/:hash",
            request: |m| Ok(v10::QueryDenomRequest { hash: rest::param(m, "hash")?.to_string() }.encode_to_vec()),
            json: |b| Ok(json!({"denom": denom_json(&rest::decode::<v10::QueryDenomResponse>(b)?.denom.unwrap_or_default())})),
        }),
        QueryRoute::new("/ibc.applications.transfer.v1.Query/Denoms", |kv, _: v10::QueryDenomsRequest| {
            let d: Vec<v10::Denom> = traces(kv)?.iter().map(v10_denom).collect();
            let n = d.len();
            Ok(v10::QueryDenomsResponse { denoms: d, pagination: page(n) })
        })
        .with_rest(RestRoute {
            pattern: "/ibc/apps/transfer/v1/denoms",
            request: |_| Ok(v10::QueryDenomsRequest::default().encode_to_vec()),
            json: |b| {
                let r = rest::decode::<v10::QueryDenomsResponse>(b)?;
                Ok(json!({"denoms": r.denoms.iter().map(denom_json).collect::<Vec<_>>(), "pagination": {"next_key": null, "total": r.denoms.len().to_string()}}))
            },
        }),
        QueryRoute::new("/ibc.applications.transfer.v1.Query/DenomHash", |_kv, r: tq::QueryDenomHashRequest| {
            Ok(tq::QueryDenomHashResponse { hash: denom_hash(&r.trace) })
        }),
        QueryRoute::new("/ibc.applications.transfer.v1.Query/EscrowAddress", |_kv, r: tq::QueryEscrowAddressRequest| {
            Ok(tq::QueryEscrowAddressResponse { escrow_address: escrow_address(&r.port_id, &r.channel_id).to_bech32() })
        }),
        QueryRoute::new("/ibc.applications.transfer.v1.Query/TotalEscrowForDenom", |kv, r: tq::QueryTotalEscrowForDenomRequest| {
            let amt = state::get_u128(kv, &keys::escrow_total(&r.denom))?;
            Ok(tq::QueryTotalEscrowForDenomResponse { amount: Some(ProtoCoin { denom: r.denom, amount: amt.to_string() }) })
        }),
        // ICS-27
        QueryRoute::new("/ibc.applications.interchain_accounts.controller.v1.Query/InterchainAccount", |kv, r: icac::QueryInterchainAccountRequest| {
            let address = super::controller::account(kv, &r.connection_id, &r.owner)?.ok_or_else(|| AppError {
                codespace: "interchainaccounts",
                code: 10,
                log: format!("{} has no interchain account on {} (yet: the host names it when the handshake completes)", r.owner, r.connection_id),
            })?;
            Ok(icac::QueryInterchainAccountResponse { address })
        })
        .with_rest(RestRoute {
            pattern: "/ibc/apps/interchain_accounts/controller/v1/owners/:owner/connections/:connection_id",
            request: |m| Ok(icac::QueryInterchainAccountRequest { owner: rest::param(m, "owner")?.to_string(), connection_id: rest::param(m, "connection_id")?.to_string() }.encode_to_vec()),
            json: |b| Ok(json!({"address": rest::decode::<icac::QueryInterchainAccountResponse>(b)?.address})),
        }),
        QueryRoute::new("/ibc.applications.interchain_accounts.controller.v1.Query/Params", |_kv, _: icac::QueryParamsRequest| {
            Ok(icac::QueryParamsResponse { params: Some(icac::Params { controller_enabled: true }) })
        })
        .with_rest(RestRoute {
            pattern: "/ibc/apps/interchain_accounts/controller/v1/params",
            request: |_| Ok(icac::QueryParamsRequest {}.encode_to_vec()),
            json: |_| Ok(json!({"params": {"controller_enabled": true}})),
        }),
        QueryRoute::new("/ibc.applications.interchain_accounts.host.v1.Query/Params", |kv, _: icah::QueryParamsRequest| {
            let p = super::component::params(kv)?.ica_host;
            Ok(icah::QueryParamsResponse { params: Some(icah::Params { host_enabled: p.host_enabled, allow_messages: p.allow_messages }) })
        })
        .with_rest(RestRoute {
            pattern: "/ibc/apps/interchain_accounts/host/v1/params",
            request: |_| Ok(icah::QueryParamsRequest {}.encode_to_vec()),
            json: |b| {
                let p = rest::decode::<icah::QueryParamsResponse>(b)?.params.unwrap_or_default();
                Ok(json!({"params": {"host_enabled": p.host_enabled, "allow_messages": p.allow_messages}}))
            },
        }),
    ]
}

fn all_channels(
    kv: &mut impl Kv,
    connection: Option<&str>,
) -> AppResult<Vec<chq::IdentifiedChannel>> {
    let prefix = path("channelEnds/ports/");
    let mut out = Vec::new();
    for (k, v) in kv.kv_scan(&prefix)? {
        let Some((port, chan)) = k[prefix.len()..].split_once("/channels/") else {
            continue;
        };
        let c =
            chq::Channel::decode(v.as_slice()).map_err(|e| AppError::internal(e.to_string()))?;
        if connection
            .is_some_and(|conn| c.connection_hops.first().map(String::as_str) != Some(conn))
        {
            continue;
        }
        out.push(chq::IdentifiedChannel {
            state: c.state,
            ordering: c.ordering,
            counterparty: c.counterparty,
            connection_hops: c.connection_hops,
            version: c.version,
            port_id: port.to_string(),
            channel_id: chan.to_string(),
            upgrade_sequence: c.upgrade_sequence,
        });
    }
    Ok(out)
}

fn packet_states(
    kv: &mut impl Kv,
    kind: &str,
    port: &str,
    channel: &str,
) -> AppResult<Vec<chq::PacketState>> {
    Ok(sequences(kv, &seq_prefix(kind, port, channel))?
        .into_iter()
        .map(|(s, data)| chq::PacketState {
            port_id: port.into(),
            channel_id: channel.into(),
            sequence: s,
            data,
        })
        .collect())
}
