// MsgGenerateImage signed and broadcast by cosmjs, with the TypeScript types ts-proto
// generates from proto/ (proto/ts, built by run.sh): the task settles and the image the
// executor serves hashes to the chain's record.

import { it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import { SigningStargateClient, GasPrice, defaultRegistryTypes, assertIsDeliverTxSuccess } from "@cosmjs/stargate";
import { DirectSecp256k1HdWallet, Registry } from "@cosmjs/proto-signing";
import { connectComet } from "@cosmjs/tendermint-rpc";

import { gliaTypes, inference, inferenceQuery, inferenceTypes } from "../../proto/ts/dist/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const NETWORK_PATH = process.env.GLIA_NETWORK
  ? resolve(process.cwd(), process.env.GLIA_NETWORK)
  : resolve(HERE, "../../localnet/.run/network.json");
const net = JSON.parse(readFileSync(NETWORK_PATH, "utf8"));

it("signs MsgGenerateImage with generated types; the task settles and its image matches", { timeout: 120_000 }, async () => {
  const account = net.accounts.find((a) => a.name === (process.env.GLIA_COSMJS_SENDER || "dev0"));
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(account.mnemonic, { prefix: net.bech32_prefix });
  const [{ address }] = await wallet.getAccounts();
  const registry = new Registry([...defaultRegistryTypes, ...gliaTypes]);
  const client = await SigningStargateClient.connectWithSigner(net.rpc[0], wallet, {
    registry,
    gasPrice: GasPrice.fromString(net.gas_price),
  });
  const msg = {
    typeUrl: "/glia.inference.v1.MsgGenerateImage",
    value: inference.MsgGenerateImage.fromPartial({
      creator: address,
      modelId: "tiny",
      prompt: "a lighthouse at dusk, from cosmjs",
      width: 64,
      height: 64,
      steps: 4,
      guidanceScale: "7.5",
      scheduler: inferenceTypes.Scheduler.SCHEDULER_DDIM,
      seeds: [21n],
      // Three replicas: the localnet's test fixtures have one executor perturb its images,
      // and the model asks at least two.
      replicas: 3,
      maxFee: { denom: net.denom, amount: "100000" },
    }),
  };
  const before = BigInt((await client.getBalance(address, net.denom)).amount);
  const res = await client.signAndBroadcast(address, [msg], "auto");
  assertIsDeliverTxSuccess(res);
  const ev = res.events.find((e) => e.type === "generate_image");
  assert.ok(ev, "no generate_image event");
  const id = BigInt(ev.attributes.find((a) => a.key === "task_id").value);

  const comet = await connectComet(net.rpc[0]);
  let task;
  for (let i = 0; i < 200; i++) {
    const q = await comet.abciQuery({
      path: "/glia.inference.v1.Query/Task",
      data: inferenceQuery.QueryTaskRequest.encode({ id }).finish(),
    });
    assert.equal(q.code, 0, q.log);
    task = inferenceQuery.QueryTaskResponse.decode(q.value).task;
    if (task.status !== inferenceTypes.TaskStatus.TASK_STATUS_PENDING) break;
    await sleep(300);
  }
  comet.disconnect();
  assert.equal(task.status, inferenceTypes.TaskStatus.TASK_STATUS_COMPLETED);
  const escrow = BigInt(task.escrow.amount);
  assert.equal(escrow, 3n * BigInt(Math.ceil((1_000_000 * 4 * 64 * 64) / 1_000_000)));
  const refunded = BigInt(task.refunded.amount);
  const fee = BigInt(JSON.parse(JSON.stringify(res.events.find((e) => e.type === "tx" && e.attributes.some((a) => a.key === "fee")).attributes.find((a) => a.key === "fee").value)).replace(net.denom, ""));
  assert.equal(BigInt((await client.getBalance(address, net.denom)).amount), before - escrow - fee + refunded);

  const outcome = task.outcomes[0];
  const want = Buffer.from(outcome.outputSha256).toString("hex");
  const png = Buffer.from(await (await fetch(outcome.urls[0])).arrayBuffer());
  assert.equal(createHash("sha256").update(png).digest("hex"), want);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  client.disconnect();
});
