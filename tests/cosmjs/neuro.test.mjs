// MsgSubmitJob signed and broadcast by cosmjs (types generated from proto/): a planted 3-SAT
// problem is posted to the job board, the validators' DMM workers solve it by themselves,
// the winner is paid the reward and the unspent block fees come back to the creator.

import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import { SigningStargateClient, GasPrice, defaultRegistryTypes, assertIsDeliverTxSuccess } from "@cosmjs/stargate";
import { DirectSecp256k1HdWallet, Registry } from "@cosmjs/proto-signing";
import { connectComet } from "@cosmjs/tendermint-rpc";

import { gliaTypes, neuro, neuroQuery, neuroTypes } from "../../proto/ts/dist/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const NETWORK_PATH = process.env.GLIA_NETWORK
  ? resolve(process.cwd(), process.env.GLIA_NETWORK)
  : resolve(HERE, "../../localnet/.run/network.json");
const net = JSON.parse(readFileSync(NETWORK_PATH, "utf8"));

/** A satisfiable 3-SAT instance: every clause is built to hold under a hidden assignment. */
function planted(vars, clauses, seed) {
  let s = BigInt(seed);
  const next = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 33n);
  };
  const hidden = Array.from({ length: vars + 1 }, () => next() % 2 === 1);
  const lines = [`p cnf ${vars} ${clauses}`];
  for (let m = 0; m < clauses; m++) {
    const vs = new Set();
    while (vs.size < 3) vs.add(1 + (next() % vars));
    let lits;
    do {
      lits = [...vs].map((v) => (next() % 2 === 1 ? v : -v));
    } while (!lits.some((l) => (l > 0) === hidden[Math.abs(l)]));
    lines.push(`${lits.join(" ")} 0`);
  }
  return lines.join("\n") + "\n";
}

async function query(comet, path, req, Req, Resp) {
  const q = await comet.abciQuery({ path, data: Req.encode(req).finish() });
  assert.equal(q.code, 0, q.log);
  return Resp.decode(q.value);
}

it("signs MsgSubmitJob; the validators solve the job, the reward is paid and the rest refunded", { timeout: 180_000 }, async () => {
  const account = net.accounts.find((a) => a.name === (process.env.GLIA_COSMJS_NEURO_SENDER || "dev4"));
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(account.mnemonic, { prefix: net.bech32_prefix });
  const [{ address }] = await wallet.getAccounts();
  const registry = new Registry([...defaultRegistryTypes, ...gliaTypes]);
  const client = await SigningStargateClient.connectWithSigner(net.rpc[0], wallet, {
    registry,
    gasPrice: GasPrice.fromString(net.gas_price),
  });
  const blockFee = 2_000n, maxBlocks = 50n, reward = 70_000n;
  const msg = {
    typeUrl: "/glia.neuro.v1.MsgSubmitJob",
    value: neuro.MsgSubmitJob.fromPartial({
      creator: address,
      format: neuroTypes.ProblemFormat.PROBLEM_FORMAT_CNF,
      problem: planted(100, 420, 20261122),
      blockFee: { denom: net.denom, amount: blockFee.toString() },
      maxBlocks: maxBlocks,
      solutionReward: { denom: net.denom, amount: reward.toString() },
    }),
  };
  const before = BigInt((await client.getBalance(address, net.denom)).amount);
  const res = await client.signAndBroadcast(address, [msg], "auto");
  assertIsDeliverTxSuccess(res);
  const ev = res.events.find((e) => e.type === "submit_job");
  assert.ok(ev, "no submit_job event");
  const id = BigInt(ev.attributes.find((a) => a.key === "job_id").value);
  const feeAttr = res.events.find((e) => e.type === "tx" && e.attributes.some((a) => a.key === "fee"));
  const fee = BigInt(feeAttr.attributes.find((a) => a.key === "fee").value.replace(net.denom, ""));

  const comet = await connectComet(net.rpc[0]);
  let job;
  for (let i = 0; i < 400; i++) {
    ({ job } = await query(comet, "/glia.neuro.v1.Query/Job", { id }, neuroQuery.QueryJobRequest, neuroQuery.QueryJobResponse));
    if (job.status !== neuroTypes.JobStatus.JOB_STATUS_OPEN) break;
    await sleep(300);
  }
  assert.equal(job.status, neuroTypes.JobStatus.JOB_STATUS_SOLVED, `job ended ${job.status}`);
  const operators = net.operators.map((o) => o.address);
  assert.ok(operators.includes(job.winner), `winner ${job.winner} is not a validator operator`);
  const escrow = maxBlocks * blockFee + reward;
  const paid = BigInt(job.feesPaid.amount), won = BigInt(job.rewardPaid.amount), back = BigInt(job.refunded.amount);
  assert.equal(won, reward);
  assert.equal(paid + won + back, escrow, "escrow conserved");
  assert.ok(back > 0n, "unspent block fees are refunded");
  // The refund lands in the job's closing block: the creator paid the fee and what was spent.
  assert.equal(BigInt((await client.getBalance(address, net.denom)).amount), before - fee - paid - won);

  const { solutions } = await query(comet, "/glia.neuro.v1.Query/Solutions", { jobId: id }, neuroQuery.QuerySolutionsRequest, neuroQuery.QuerySolutionsResponse);
  const last = solutions[solutions.length - 1];
  assert.equal(last.solver, job.winner);
  assert.ok(last.metTarget);
  assert.equal(last.energy, 0n);
  comet.disconnect();
  client.disconnect();
});
