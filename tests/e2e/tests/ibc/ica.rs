//! ICS-27 both ways between Glia and simd. From simd, with simd's own CLI: the user's
//! interchain account on Glia (registered by `localnet/ibc-up.sh`, unordered) is funded over
//! ICS-20, asks for an image and posts a SAT job, and the results come back by themselves in
//! the acknowledgements, read from the `MsgAcknowledgement` txs on simd; bad packets get error
//! acknowledgements and change nothing. From Glia: its user's interchain account on simd sends
//! a bank transfer there.

use super::*;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_modules::ibc::ica::CosmosTx;
use glia_proto::cosmos::cosmos::base::abci::v1beta1::TxMsgData;
use glia_proto::cosmos::Any;
use prost::Message;

/// An interchain account, as `ibc-up.sh` wrote it into network.json.
struct Account {
    owner: String,
    connection: String,
    address: String,
}

fn account(t: &Ibc, which: &str) -> Result<Account> {
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&t.net.path)?)?;
    let a = &j["ibc"]["interchain_accounts"][which];
    let s = |k: &str| {
        a[k].as_str()
            .map(str::to_string)
            .with_context(|| format!("ibc.interchain_accounts.{which}.{k} in network.json"))
    };
    Ok(Account {
        owner: s("owner")?,
        connection: s("controller_connection")?,
        address: s("address")?,
    })
}

/// ibc-go's packet data JSON for these messages.
fn packet_data(msgs: Vec<Any>) -> String {
    let tx = CosmosTx { messages: msgs };
    serde_json::json!({
        "type": "TYPE_EXECUTE_TX",
        "data": B64.encode(tx.encode_to_vec()),
        "memo": "",
    })
    .to_string()
}

fn attr(tx: &Value, kind: &str, key: &str) -> Option<String> {
    tx["events"].as_array()?.iter().find_map(|e| {
        (e["type"] == kind).then(|| {
            e["attributes"]
                .as_array()?
                .iter()
                .find_map(|a| (a["key"] == key).then(|| a["value"].as_str().map(str::to_string))?)
        })?
    })
}

impl Ibc {
    /// `simd tx interchain-accounts controller send-tx`: the packet's channel and sequence.
    fn simd_send_tx(&self, connection: &str, data: &str) -> Result<(String, u64)> {
        let file = self.net.run_dir().join(format!(
            "ibc/ica-packet-{}.json",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::write(&file, data)?;
        let r = self.simd_tx(&[
            "interchain-accounts",
            "controller",
            "send-tx",
            connection,
            &file.display().to_string(),
        ]);
        let _ = std::fs::remove_file(&file);
        let r = r?;
        let channel = attr(&r, "send_packet", "packet_src_channel").context("send_packet event")?;
        let seq = attr(&r, "send_packet", "packet_sequence")
            .context("send_packet event")?
            .parse()?;
        Ok((channel, seq))
    }

    /// The acknowledgement simd received for its packet, from the `MsgAcknowledgement` tx
    /// Hermes submitted there.
    fn simd_ack(&self, channel: &str, seq: u64, secs: u64) -> Result<Value> {
        let node = self.simd_rpc.replace("http://", "tcp://");
        let query = format!(
            "acknowledge_packet.packet_src_channel='{channel}' AND acknowledge_packet.packet_sequence='{seq}'"
        );
        let mut ack = None;
        let seq_s = seq.to_string();
        wait_for(
            &format!("the acknowledgement of {channel}/{seq} on simd"),
            secs,
            || {
                let out = self.simd(&[
                    "query", "txs", "--query", &query, "--node", &node, "-o", "json",
                ])?;
                let v: Value = serde_json::from_str(&out)?;
                for tx in v["txs"].as_array().into_iter().flatten() {
                    for m in tx["tx"]["body"]["messages"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        let p = &m["packet"];
                        if m["@type"] == "/ibc.core.channel.v1.MsgAcknowledgement"
                            && p["source_channel"] == channel
                            && p["sequence"] == seq_s.as_str()
                        {
                            let bytes =
                                B64.decode(m["acknowledgement"].as_str().unwrap_or_default())?;
                            ack = Some(serde_json::from_slice(&bytes)?);
                        }
                    }
                }
                Ok(ack.is_some())
            },
        )?;
        ack.context("an acknowledgement")
    }

    /// Funds `to` on Glia with `amount` uglia sent from simd over ICS-20 (the user's uglia
    /// goes to simd first, as a voucher).
    fn fund_over_ics20(&self, to: &str, amount: u128) -> Result<()> {
        let voucher_on_simd = voucher(&format!("transfer/{}/uglia", self.simd_channel));
        let v0 = self.simd_balance(&self.simd_user, &voucher_on_simd)?;
        self.send_from_glia("uglia", amount, &self.simd_user, self.simd_height()? + 1000)?;
        wait_for("the voucher on simd", 90, || {
            Ok(self.simd_balance(&self.simd_user, &voucher_on_simd)? >= v0 + amount)
        })?;
        let b0 = self.rpc.balance(to, "uglia")?;
        self.simd_tx(&[
            "ibc-transfer",
            "transfer",
            "transfer",
            &self.simd_channel,
            to,
            &format!("{amount}{voucher_on_simd}"),
        ])?;
        wait_for("uglia from simd on Glia", 90, || {
            Ok(self.rpc.balance(to, "uglia")? == b0 + amount)
        })
    }
}

/// The responses of a success acknowledgement (`{"result": base64(TxMsgData)}`).
fn responses(ack: &Value) -> Result<Vec<Any>> {
    let r = ack["result"]
        .as_str()
        .with_context(|| format!("not a success acknowledgement: {ack}"))?;
    Ok(TxMsgData::decode(B64.decode(r)?.as_slice())?.msg_responses)
}

#[test]
fn ica_from_simd_generates_an_image_and_the_result_comes_back_in_the_ack() -> Result<()> {
    use glia_proto::inference::v1::*;
    let t = Ibc::load()?;
    let ica = account(&t, "on_glia")?;
    assert_eq!(ica.owner, t.simd_user);
    t.fund_over_ics20(&ica.address, 20_000_000)?;
    let before = t.rpc.balance(&ica.address, "uglia")?;
    let msg = MsgGenerateImage {
        creator: ica.address.clone(),
        model_id: "tiny".into(),
        prompt: "a lighthouse at dusk, asked for over IBC".into(),
        negative_prompt: String::new(),
        width: 64,
        height: 64,
        steps: 4,
        guidance_scale: "7.5".into(),
        scheduler: Scheduler::Ddim as i32,
        seeds: vec![17],
        // Three replicas: the test network's node 3 inverts its images (--test-fixtures), and
        // two honest replicas outvote it wherever it is drawn.
        replicas: 3,
        max_fee: Some(glia_proto::cosmos::cosmos::base::v1beta1::Coin {
            denom: "uglia".into(),
            amount: "10000000".into(),
        }),
        timeout_blocks: 0,
    };
    let (channel, seq) = t.simd_send_tx(
        &ica.connection,
        &packet_data(vec![glia_client::tx::any(&msg)]),
    )?;
    let ack = t.simd_ack(&channel, seq, 240)?;
    let rs = responses(&ack)?;
    assert_eq!(
        rs.len(),
        2,
        "the message's response, then the settled task: {ack}"
    );
    assert_eq!(
        rs[0].type_url,
        "/glia.inference.v1.MsgGenerateImageResponse"
    );
    let id = MsgGenerateImageResponse::decode(rs[0].value.as_slice())?.task_id;
    assert_eq!(rs[1].type_url, "/glia.inference.v1.Task");
    let task = Task::decode(rs[1].value.as_slice())?;
    assert_eq!(task.id, id);
    assert_eq!(task.creator, ica.address);
    assert_eq!(task.status, TaskStatus::Completed as i32, "{task:?}");
    let o = &task.outcomes[0];
    assert_eq!(o.output_sha256.len(), 32);
    assert!(!o.urls.is_empty(), "blob URLs in the result");
    // The image at the URL is the one the acknowledgement names.
    let png = ureq::get(&o.urls[0]).call()?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut png.into_reader(), &mut bytes)?;
    assert_eq!(&Sha256::digest(&bytes)[..], o.output_sha256.as_slice());
    // Glia's own record agrees with what simd received.
    let on_glia: QueryTaskResponse = t
        .rpc
        .query("/glia.inference.v1.Query/Task", &QueryTaskRequest { id })?;
    assert_eq!(on_glia.task.context("task")?.outcomes, task.outcomes);
    // The account paid what the task says, no more.
    let paid: u128 = task
        .paid
        .as_ref()
        .map_or(0, |c| c.amount.parse().unwrap_or(0));
    assert_eq!(t.rpc.balance(&ica.address, "uglia")?, before - paid);
    Ok(())
}

#[test]
fn ica_from_simd_posts_a_sat_job_and_the_assignment_comes_back_in_the_ack() -> Result<()> {
    use glia_modules::neuro::problem::{write_cnf, Format, Limits, Problem};
    use glia_proto::neuro::v1::*;
    let t = Ibc::load()?;
    let ica = account(&t, "on_glia")?;
    t.fund_over_ics20(&ica.address, 1_000_000)?;
    let text = write_cnf(
        &glia_validator_gpu::dmm::generate::planted_3sat(80, 4.3, 23)
            .expect("valid generator arguments")
            .clauses,
    );
    let coin = |a: u64| {
        Some(glia_proto::cosmos::cosmos::base::v1beta1::Coin {
            denom: "uglia".into(),
            amount: a.to_string(),
        })
    };
    let msg = MsgSubmitJob {
        creator: ica.address.clone(),
        format: ProblemFormat::Cnf as i32,
        problem: text.clone(),
        block_fee: coin(1_000),
        max_blocks: 40,
        solution_reward: coin(50_000),
        target_energy: String::new(),
    };
    let (channel, seq) = t.simd_send_tx(
        &ica.connection,
        &packet_data(vec![glia_client::tx::any(&msg)]),
    )?;
    let ack = t.simd_ack(&channel, seq, 240)?;
    let rs = responses(&ack)?;
    let types: Vec<&str> = rs.iter().map(|a| a.type_url.as_str()).collect();
    assert_eq!(
        types,
        [
            "/glia.neuro.v1.MsgSubmitJobResponse",
            "/glia.neuro.v1.Job",
            "/glia.neuro.v1.Solution"
        ],
        "{ack}"
    );
    let job = Job::decode(rs[1].value.as_slice())?;
    assert_eq!(job.status, JobStatus::Solved as i32, "{job:?}");
    let best = Solution::decode(rs[2].value.as_slice())?;
    assert_eq!(best.energy, 0);
    // The assignment in the acknowledgement satisfies every clause.
    let p = Problem::parse(Format::Cnf, &text, &Limits::LOCAL)?;
    assert_eq!(p.energy_packed(&best.assignment)?, 0);
    Ok(())
}

#[test]
fn ica_bad_packets_get_error_acks_and_change_nothing() -> Result<()> {
    let t = Ibc::load()?;
    let ica = account(&t, "on_glia")?;
    let send = |from: &str, to: &str| glia_proto::cosmos::cosmos::bank::v1beta1::MsgSend {
        from_address: from.into(),
        to_address: to.into(),
        amount: vec![glia_proto::cosmos::cosmos::base::v1beta1::Coin {
            denom: "uglia".into(),
            amount: "1".into(),
        }],
    };
    let me = t.user.address();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "a message type the host does not allow",
            packet_data(vec![Any {
                type_url: "/cosmos.gov.v1.MsgVote".into(),
                value: vec![],
            }]),
            "is not allowed on this host",
        ),
        (
            "a signer other than the account",
            packet_data(vec![glia_client::tx::any(&send(&me, &ica.address))]),
            "must be signed by",
        ),
        (
            "malformed data",
            serde_json::json!({"type": "TYPE_EXECUTE_TX", "data": B64.encode(b"\xff\xff not a CosmosTx"), "memo": ""}).to_string(),
            "not a proto3 CosmosTx",
        ),
    ];
    let (a0, m0) = (
        t.rpc.balance(&ica.address, "uglia")?,
        t.rpc.balance(&me, "uglia")?,
    );
    for (what, data, reason) in cases {
        let (channel, seq) = t.simd_send_tx(&ica.connection, &data)?;
        let ack = t.simd_ack(&channel, seq, 120)?;
        let err = ack["error"]
            .as_str()
            .with_context(|| format!("{what}: not an error acknowledgement: {ack}"))?;
        assert!(err.contains(reason), "{what}: {err}");
    }
    assert_eq!(t.rpc.balance(&ica.address, "uglia")?, a0);
    assert_eq!(t.rpc.balance(&me, "uglia")?, m0);
    Ok(())
}

#[test]
fn ica_from_glia_sends_a_bank_transfer_on_simd() -> Result<()> {
    use glia_modules::ibc::ibc_proto::ibc::applications::interchain_accounts::controller::v1::MsgSendTx;
    use glia_modules::ibc::ibc_proto::ibc::applications::interchain_accounts::v1::InterchainAccountPacketData;
    let t = Ibc::load()?;
    let ica = account(&t, "on_simd")?;
    assert_eq!(ica.owner, t.user.address());
    t.simd_tx(&["bank", "send", "user", &ica.address, "5000stake"])?;
    let (a0, u0) = (
        t.simd_balance(&ica.address, "stake")?,
        t.simd_balance(&t.simd_user, "stake")?,
    );
    let transfer = glia_proto::cosmos::cosmos::bank::v1beta1::MsgSend {
        from_address: ica.address.clone(),
        to_address: t.simd_user.clone(),
        amount: vec![glia_proto::cosmos::cosmos::base::v1beta1::Coin {
            denom: "stake".into(),
            amount: "1234".into(),
        }],
    };
    let msg = MsgSendTx {
        owner: t.user.address(),
        connection_id: ica.connection.clone(),
        packet_data: Some(InterchainAccountPacketData {
            r#type: 1,
            data: CosmosTx {
                messages: vec![glia_client::tx::any(&transfer)],
            }
            .encode_to_vec(),
            memo: String::new(),
        }),
        relative_timeout: 600_000_000_000,
    };
    let mut p = t.user.params(&t.net, &t.rpc)?;
    p.gas_limit = 400_000;
    p.fee = vec![glia_modules::coins::Coin::new("uglia", 10_000)];
    let r = deliver(
        &t.rpc,
        &t.user.sign(
            vec![Any {
                type_url: "/ibc.applications.interchain_accounts.controller.v1.MsgSendTx".into(),
                value: msg.encode_to_vec(),
            }],
            &p,
        ),
    )?;
    assert_eq!(r["tx_result"]["code"], 0, "{r}");
    let seq = event_attr(&r, "send_packet", "packet_sequence");
    let seq = seq.first().context("send_packet event")?;
    wait_for("the account's transfer on simd", 120, || {
        Ok(t.simd_balance(&t.simd_user, "stake")? == u0 + 1234)
    })?;
    assert_eq!(t.simd_balance(&ica.address, "stake")?, a0 - 1234);
    // simd's success acknowledgement comes back to Glia's controller.
    let query = format!(
        "interchain_account_ack.packet_sequence='{seq}' AND interchain_account_ack.success='true'"
    );
    wait_for("the acknowledgement on Glia", 120, || {
        let v = t.rpc.call(
            "tx_search",
            serde_json::json!({"query": query, "per_page": "5"}),
        )?;
        Ok(v["total_count"].as_str().unwrap_or("0") != "0")
    })?;
    Ok(())
}
