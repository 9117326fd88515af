// End-to-end test of the Glia chain through the real cosmjs client stack
// (@cosmjs/stargate SigningStargateClient over CometBFT 0.38 RPC).
//
// Reads the connection profile written by the localnet scripts:
//   localnet/.run/network.json   (override with env GLIA_NETWORK=/path/to/network.json)
// Optional: GLIA_COSMJS_SENDER=<account name> picks the funded sender (default dev0).
//
// The tests in the suite run in order and share state: (b) makes the transfer that
// (c), (d), (e) and (g) inspect or build on.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import {
  SigningStargateClient,
  GasPrice,
  calculateFee,
  assertIsDeliverTxSuccess,
  BroadcastTxError,
} from "@cosmjs/stargate";
import { DirectSecp256k1HdWallet, decodeTxRaw } from "@cosmjs/proto-signing";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { connectComet, Comet38Client } from "@cosmjs/tendermint-rpc";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";

const TEST_TIMEOUT_MS = 60_000;
const SEND_AMOUNT = "1234567";
const RETURN_AMOUNT = "1000";
const MEMO = "memo text";

// ---------------------------------------------------------------------------
// Connection profile

const HERE = dirname(fileURLToPath(import.meta.url));
const NETWORK_PATH = process.env.GLIA_NETWORK
  ? resolve(process.cwd(), process.env.GLIA_NETWORK)
  : resolve(HERE, "../../localnet/.run/network.json");

function loadNetwork(path) {
  if (!existsSync(path)) {
    throw new Error(
      `Glia connection profile not found at ${path}. ` +
        `Start the localnet first (it writes localnet/.run/network.json), ` +
        `or point GLIA_NETWORK at a network.json.`,
    );
  }
  let net;
  try {
    net = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`Cannot parse connection profile ${path}: ${e.message}`);
  }
  for (const key of ["chain_id", "denom", "bech32_prefix", "gas_price"]) {
    if (typeof net[key] !== "string" || net[key] === "") {
      throw new Error(`${path}: field "${key}" missing or not a non-empty string`);
    }
  }
  if (!Array.isArray(net.rpc) || net.rpc.length === 0) {
    throw new Error(`${path}: field "rpc" must be a non-empty list of RPC URLs`);
  }
  if (!Array.isArray(net.accounts) || net.accounts.length === 0) {
    throw new Error(`${path}: field "accounts" must be a non-empty list`);
  }
  return net;
}

/** Fail fast and clearly when no node answers, instead of waiting for cosmjs timeouts. */
async function preflight(net) {
  const rpc = net.rpc[0];
  let status;
  try {
    const r = await fetch(new URL("status", rpc.endsWith("/") ? rpc : rpc + "/"), {
      signal: AbortSignal.timeout(5_000),
    });
    if (!r.ok) throw new Error(`HTTP ${r.status} ${r.statusText}`);
    status = (await r.json()).result;
  } catch (e) {
    const why = [e.message, e.cause?.code, e.cause?.message].filter(Boolean).join(": ");
    throw new Error(`Cannot reach CometBFT RPC ${rpc}/status (${why}). Is the localnet described by ${NETWORK_PATH} running?`);
  }
  const info = status?.node_info;
  if (!info) throw new Error(`${rpc}/status returned no node_info`);
  if (info.network !== net.chain_id) {
    throw new Error(`${rpc} serves chain "${info.network}", the profile says "${net.chain_id}"`);
  }
  if (!/^0\.38\./.test(info.version)) throw new Error(`${rpc} runs CometBFT ${info.version}, expected 0.38.x`);
  if (info.other?.tx_index !== "on") {
    throw new Error(`${rpc} does not index txs (node_info.other.tx_index=${info.other?.tx_index}); getTx/searchTx need it`);
  }
}

// Profile and node are checked before the suite is defined: when either is missing the file
// reports one failing test with the reason instead of a cascade of cancelled tests.
let net, setupError;
try {
  net = loadNetwork(NETWORK_PATH);
  if (net.app === "kvstore") throw new Error(`${NETWORK_PATH} describes a kvstore network (localnet --app kvstore), not gliad`);
  const name = process.env.GLIA_COSMJS_SENDER || "dev0";
  if (!net.accounts.some((a) => a.name === name && a.mnemonic)) {
    throw new Error(`${NETWORK_PATH}: no account named "${name}" with a mnemonic`);
  }
  await preflight(net);
} catch (e) {
  setupError = e;
}
const RPC = net?.rpc[0];
const DENOM = net?.denom;
const PREFIX = net?.bech32_prefix;
const SENDER_NAME = process.env.GLIA_COSMJS_SENDER || "dev0";
const senderEntry = net?.accounts.find((a) => a.name === SENDER_NAME);

// ---------------------------------------------------------------------------
// Helpers

const clientOptions = () => ({
  gasPrice: GasPrice.fromString(net.gas_price),
  // Stay well inside the per-test timeout so a missing tx shows up as a cosmjs
  // TimeoutError ("was submitted but was not yet found on the chain").
  broadcastTimeoutMs: 45_000,
  broadcastPollIntervalMs: 500,
});

async function balanceOf(client, address) {
  const coin = await client.getBalance(address, DENOM);
  assert.equal(coin.denom, DENOM, `getBalance(${address}) returned denom ${coin.denom}`);
  return BigInt(coin.amount);
}

/** Fee paid by an indexed tx, read from the signed AuthInfo (not recomputed). */
function feeOfTx(indexed) {
  const decoded = decodeTxRaw(indexed.tx);
  const fee = decoded.authInfo.fee;
  assert.ok(fee, "decoded tx has no authInfo.fee");
  assert.equal(fee.amount.length, 1, `expected exactly one fee coin, got ${JSON.stringify(fee.amount)}`);
  assert.equal(fee.amount[0].denom, DENOM);
  return { amount: BigInt(fee.amount[0].amount), gasLimit: BigInt(fee.gasLimit), decoded };
}

function findEvents(events, type) {
  return events.filter((e) => e.type === type);
}

function attr(event, key) {
  return event.attributes.find((a) => a.key === key)?.value;
}

function eventsText(events) {
  return events
    .map((e) => `${e.type}{${e.attributes.map((a) => `${a.key}=${a.value}`).join(", ")}}`)
    .join("; ");
}

/**
 * MsgSend signed and broadcast step by step (simulate -> sign -> broadcast_tx_sync -> poll tx_search),
 * the same calls SigningStargateClient.sendTokens makes. Used for txs that are expected to be
 * rejected: sendTokens leaks its 45 s broadcast timer when CheckTx rejects (cosmjs 0.39), which
 * would keep the test process alive after the suite.
 */
async function sendStepwise(client, from, to, amount, fee) {
  const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: from, toAddress: to, amount } };
  if (fee === "auto") {
    const gas = await client.simulate(from, [msg], ""); // throws "Query failed with (code): log"
    fee = calculateFee(Math.ceil(gas * 1.4), GasPrice.fromString(net.gas_price)); // cosmjs' default multiplier
  }
  const signed = await client.sign(from, [msg], fee, "");
  const hash = await client.broadcastTxSync(TxRaw.encode(signed).finish()); // throws BroadcastTxError
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    await sleep(500);
    const tx = await client.getTx(hash);
    if (tx) return { code: tx.code, rawLog: tx.rawLog, height: tx.height, transactionHash: hash, fee };
  }
  throw new Error(`tx ${hash} passed CheckTx but was not found by getTx within 45 s`);
}

/**
 * Runs a tx that must be rejected. Returns where it was rejected:
 *   "simulate"  - fee "auto" simulation failed (ABCI query error, code parsed from the message)
 *   "checktx"   - broadcast_tx_sync returned a non-zero CheckTx code (BroadcastTxError)
 *   "delivertx" - included in a block with a non-zero code
 */
async function expectRejected(promise) {
  let res;
  try {
    res = await promise;
  } catch (e) {
    if (e instanceof BroadcastTxError) {
      return { stage: "checktx", code: e.code, codespace: e.codespace, log: e.log ?? e.message };
    }
    const m = /Query failed with \((\d+)\): ([\s\S]*)/.exec(String(e?.message));
    if (m) {
      return { stage: "simulate", code: Number(m[1]), codespace: "", log: m[2] };
    }
    throw e; // network errors, timeouts, bugs: not an expected rejection
  }
  return { stage: "delivertx", code: res.code, codespace: "", log: res.rawLog ?? "", result: res };
}

// ---------------------------------------------------------------------------
// Shared state

let senderWallet, senderAddr, sender; // funded dev account + its client
let freshWallet, freshAddr, fresh; // brand new account created in (b)
const s = {}; // results passed between tests

function need(key, producer) {
  assert.ok(s[key] !== undefined, `prerequisite missing: test ${producer} did not complete`);
  return s[key];
}

const unseenAddress = async () => (await (await DirectSecp256k1HdWallet.generate(12, { prefix: PREFIX })).getAccounts())[0].address;

// ---------------------------------------------------------------------------

if (setupError) {
  it("Glia localnet: connection profile present and RPC reachable", () => {
    throw setupError;
  });
} else describe(`glia bank via cosmjs (${net.chain_id} at ${RPC})`, () => {
  before(async () => {
    senderWallet = await DirectSecp256k1HdWallet.fromMnemonic(senderEntry.mnemonic, { prefix: PREFIX });
    [{ address: senderAddr }] = await senderWallet.getAccounts();
    sender = await SigningStargateClient.connectWithSigner(RPC, senderWallet, clientOptions());
  });

  after(() => {
    sender?.disconnect();
    fresh?.disconnect();
  });

  it("a. connects with a signer; chain id and address derivation match the profile", { timeout: TEST_TIMEOUT_MS }, async (t) => {
    assert.equal(await sender.getChainId(), net.chain_id);
    assert.equal(
      senderAddr,
      senderEntry.address,
      `mnemonic of ${SENDER_NAME} derives ${senderAddr} (m/44'/118'/0'/0/0, prefix ${PREFIX}), profile says ${senderEntry.address}`,
    );
    assert.ok(senderAddr.startsWith(PREFIX + "1"));
    // cosmjs' auto-detection must pick the CometBFT 0.38 client.
    const comet = await connectComet(RPC);
    try {
      assert.ok(comet instanceof Comet38Client, `auto-detected ${comet.constructor.name}, expected Comet38Client`);
    } finally {
      comet.disconnect();
    }
    const height = await sender.getHeight();
    assert.ok(height > 0);
    t.diagnostic(`chain ${net.chain_id} height ${height}; sender ${SENDER_NAME} = ${senderAddr}`);
  });

  it("b. sendTokens to a fresh account with fee auto; exact balance arithmetic", { timeout: TEST_TIMEOUT_MS }, async (t) => {
    freshWallet = await DirectSecp256k1HdWallet.generate(24, { prefix: PREFIX });
    [{ address: freshAddr }] = await freshWallet.getAccounts();

    const senderBefore = await balanceOf(sender, senderAddr);
    assert.equal(await balanceOf(sender, freshAddr), 0n, "fresh account already has a balance");

    const res = await sender.sendTokens(senderAddr, freshAddr, [{ denom: DENOM, amount: SEND_AMOUNT }], "auto", MEMO);
    assertIsDeliverTxSuccess(res);
    assert.match(res.transactionHash, /^[0-9A-F]{64}$/);
    assert.ok(res.height > 0);
    assert.equal(typeof res.gasUsed, "bigint");
    assert.ok(res.gasUsed > 0n, `gasUsed ${res.gasUsed} must be > 0`);
    assert.ok(res.gasWanted >= res.gasUsed, `gasWanted ${res.gasWanted} < gasUsed ${res.gasUsed}`);

    const indexed = await sender.getTx(res.transactionHash);
    assert.ok(indexed, `getTx(${res.transactionHash}) returned null right after inclusion`);
    const fee = feeOfTx(indexed);
    assert.ok(fee.amount > 0n, "fee auto with a gas price must produce a non-zero fee");
    assert.equal(fee.decoded.body.memo, MEMO);
    assert.equal(fee.gasLimit, res.gasWanted, "gas_wanted must equal the tx's gas limit");

    assert.equal(await balanceOf(sender, freshAddr), BigInt(SEND_AMOUNT), "recipient balance");
    const senderAfter = await balanceOf(sender, senderAddr);
    assert.equal(
      senderBefore - senderAfter,
      BigInt(SEND_AMOUNT) + fee.amount,
      `sender paid ${senderBefore - senderAfter}, expected ${SEND_AMOUNT} + fee ${fee.amount} ` +
        `(is anything else spending from ${SENDER_NAME} concurrently?)`,
    );

    s.sendRes = res;
    s.sendFee = fee.amount;
    t.diagnostic(
      `send ${SEND_AMOUNT}${DENOM} ${senderAddr} -> ${freshAddr}: tx ${res.transactionHash} height ${res.height} ` +
        `gas ${res.gasUsed}/${res.gasWanted} fee ${fee.amount}${DENOM}`,
    );
  });

  it("c. getTx returns the tx with its events (transfer, tx.fee)", { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const res = need("sendRes", "b");
    const tx = await sender.getTx(res.transactionHash);
    assert.ok(tx, "getTx returned null");
    assert.equal(tx.hash, res.transactionHash);
    assert.equal(tx.height, res.height);
    assert.ok(tx.height > 0);
    assert.equal(tx.code, 0);
    assert.equal(tx.gasUsed, res.gasUsed);
    assert.equal(tx.gasWanted, res.gasWanted);
    assert.equal(
      createHash("sha256").update(tx.tx).digest("hex").toUpperCase(),
      tx.hash,
      "tx hash must be sha256 of the raw tx bytes",
    );

    const transfers = findEvents(tx.events, "transfer");
    const ours = transfers.find(
      (e) => attr(e, "recipient") === freshAddr && attr(e, "amount") === `${SEND_AMOUNT}${DENOM}`,
    );
    assert.ok(
      ours,
      `no transfer event with recipient=${freshAddr} amount=${SEND_AMOUNT}${DENOM}; events: ${eventsText(tx.events)}`,
    );
    assert.equal(attr(ours, "sender"), senderAddr, "transfer.sender");

    const txEv = findEvents(tx.events, "tx").find((e) => attr(e, "fee") !== undefined);
    assert.ok(txEv, `no "tx" event with a "fee" attribute; events: ${eventsText(tx.events)}`);
    assert.equal(attr(txEv, "fee"), `${s.sendFee}${DENOM}`, "tx.fee attribute");

    t.diagnostic(`getTx ${tx.hash}: height ${tx.height}, ${tx.events.length} events (${[...new Set(tx.events.map((e) => e.type))].join(", ")})`);
  });

  it("d. searchTx finds the transfer by message.sender and by transfer.recipient", { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const res = need("sendRes", "b");
    const bySender = await sender.searchTx(`message.sender='${senderAddr}'`);
    assert.ok(
      bySender.some((tx) => tx.hash === res.transactionHash),
      `searchTx("message.sender='${senderAddr}'") returned ${bySender.length} txs without ${res.transactionHash}`,
    );
    // Array form of the same API.
    const byRecipient = await sender.searchTx([{ key: "transfer.recipient", value: freshAddr }]);
    assert.ok(
      byRecipient.some((tx) => tx.hash === res.transactionHash),
      `searchTx([{transfer.recipient: ${freshAddr}}]) returned ${byRecipient.length} txs without ${res.transactionHash}`,
    );
    t.diagnostic(`searchTx: ${bySender.length} txs by message.sender, ${byRecipient.length} by transfer.recipient`);
  });

  it("e. the fresh account pays its own fee; account number and sequence", { timeout: TEST_TIMEOUT_MS }, async (t) => {
    need("sendRes", "b");
    const before = await sender.getAccount(freshAddr);
    assert.ok(before, "fresh account must exist once it has received funds");
    assert.equal(before.address, freshAddr);
    assert.equal(before.sequence, 0);
    assert.equal(before.pubkey, null, "fresh account has no pubkey before its first tx");

    fresh = await SigningStargateClient.connectWithSigner(RPC, freshWallet, clientOptions());
    const freshBefore = await balanceOf(fresh, freshAddr);
    assert.equal(freshBefore, BigInt(SEND_AMOUNT));

    const res = await fresh.sendTokens(freshAddr, senderAddr, [{ denom: DENOM, amount: RETURN_AMOUNT }], "auto");
    assertIsDeliverTxSuccess(res);
    const fee = feeOfTx(await fresh.getTx(res.transactionHash));

    assert.equal(
      await balanceOf(fresh, freshAddr),
      BigInt(SEND_AMOUNT) - BigInt(RETURN_AMOUNT) - fee.amount,
      "fresh balance = 1234567 - 1000 - fee",
    );

    const acct = await fresh.getAccount(freshAddr);
    assert.ok(acct);
    assert.equal(typeof acct.accountNumber, "bigint");
    assert.ok(acct.accountNumber >= 0n);
    assert.equal(acct.accountNumber, before.accountNumber, "account number must not change");
    assert.equal(acct.sequence, 1);
    const [{ pubkey }] = await freshWallet.getAccounts();
    assert.deepEqual(
      acct.pubkey,
      { type: "tendermint/PubKeySecp256k1", value: Buffer.from(pubkey).toString("base64") },
      "pubkey must be recorded on the account after its first tx",
    );

    const unseen = await unseenAddress();
    assert.equal(await fresh.getAccount(unseen), null, "getAccount of a never-seen address");

    s.returnRes = res;
    t.diagnostic(
      `fresh ${freshAddr} (account #${acct.accountNumber}) sent ${RETURN_AMOUNT}${DENOM} back: tx ${res.transactionHash} ` +
        `gas ${res.gasUsed}/${res.gasWanted} fee ${fee.amount}${DENOM}; sequence now ${acct.sequence}`,
    );
  });

  it("f. getAllBalances and getBalance of never-seen addresses", { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const all = await sender.getAllBalances(senderAddr);
    const coin = all.find((c) => c.denom === DENOM);
    assert.ok(coin, `getAllBalances(${senderAddr}) has no ${DENOM}: ${JSON.stringify(all)}`);
    assert.ok(BigInt(coin.amount) > 0n);

    const unseen = await unseenAddress();
    const b = await sender.getBalance(unseen, DENOM);
    assert.deepEqual({ denom: b.denom, amount: b.amount }, { denom: DENOM, amount: "0" });
    assert.deepEqual([...(await sender.getAllBalances(unseen))], []);
    t.diagnostic(`${SENDER_NAME} holds ${all.map((c) => c.amount + c.denom).join(", ")}; ${unseen} holds 0${DENOM}`);
  });

  describe("g. spending more than the balance is rejected with insufficient funds", () => {
    it("g1. amount > balance, fee auto (simulation or broadcast rejects)", { timeout: TEST_TIMEOUT_MS }, async (t) => {
      need("returnRes", "e");
      const bal = await balanceOf(fresh, freshAddr);
      const seqBefore = (await fresh.getSequence(freshAddr)).sequence;
      const r = await expectRejected(
        sendStepwise(fresh, freshAddr, senderAddr, [{ denom: DENOM, amount: (bal + 1n).toString() }], "auto"),
      );
      assert.notEqual(r.code, 0, `expected a non-zero code (${r.stage})`);
      assert.match(r.log, /insufficient funds/i, `rejection (${r.stage}, code ${r.code}) must mention insufficient funds`);
      if (r.stage !== "delivertx") {
        assert.equal(await balanceOf(fresh, freshAddr), bal, "nothing may be charged when rejected before inclusion");
        assert.equal((await fresh.getSequence(freshAddr)).sequence, seqBefore);
      }
      t.diagnostic(`rejected at ${r.stage}: code ${r.code} ${r.codespace} "${r.log}"`);
    });

    it("g2. amount > balance with an explicit fee (CheckTx or DeliverTx rejects; fee charged only if included)", { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const ret = need("returnRes", "e");
      const bal = await balanceOf(fresh, freshAddr);
      const seqBefore = (await fresh.getSequence(freshAddr)).sequence;
      // Twice the gas of the successful send from (e): enough for a failing send,
      // and no simulation is run, so the tx really reaches broadcast_tx_sync.
      const fee = calculateFee(Number(ret.gasWanted) * 2, GasPrice.fromString(net.gas_price));
      const feeAmount = BigInt(fee.amount[0].amount);
      assert.ok(feeAmount < bal, "test setup: the fee alone must be affordable");

      const r = await expectRejected(
        sendStepwise(fresh, freshAddr, senderAddr, [{ denom: DENOM, amount: (bal + 1n).toString() }], fee),
      );
      assert.notEqual(r.stage, "simulate");
      assert.notEqual(r.code, 0, `expected a non-zero code (${r.stage})`);
      assert.match(r.log, /insufficient funds/i, `rejection (${r.stage}, code ${r.code}) must mention insufficient funds`);

      const balAfter = await balanceOf(fresh, freshAddr);
      const seqAfter = (await fresh.getSequence(freshAddr)).sequence;
      if (r.stage === "checktx") {
        assert.equal(balAfter, bal, "CheckTx rejection must not charge anything");
        assert.equal(seqAfter, seqBefore);
      } else {
        // Cosmos semantics: an included tx whose message fails still pays its fee and bumps the sequence.
        assert.ok(r.result.height > 0);
        assert.equal(balAfter, bal - feeAmount, "an included failing tx pays exactly its fee");
        assert.equal(seqAfter, seqBefore + 1);
      }
      t.diagnostic(
        `rejected at ${r.stage}: code ${r.code} ${r.codespace} "${r.log}"` +
          (r.stage === "delivertx" ? ` (tx ${r.result.transactionHash}, fee ${feeAmount}${DENOM} charged)` : ""),
      );
    });

    it("g3. fee > balance is rejected in CheckTx (BroadcastTxError)", { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const ret = need("returnRes", "e");
      const bal = await balanceOf(fresh, freshAddr);
      const seqBefore = (await fresh.getSequence(freshAddr)).sequence;
      const fee = { amount: [{ denom: DENOM, amount: (bal + 1n).toString() }], gas: (Number(ret.gasWanted) * 2).toString() };

      const r = await expectRejected(sendStepwise(fresh, freshAddr, senderAddr, [{ denom: DENOM, amount: "1" }], fee));
      assert.equal(r.stage, "checktx", `a fee above the balance must fail CheckTx, got ${r.stage} (code ${r.code}, "${r.log}")`);
      assert.notEqual(r.code, 0);
      assert.match(r.log, /insufficient funds/i, `CheckTx log (code ${r.code}) must mention insufficient funds`);
      assert.equal(await balanceOf(fresh, freshAddr), bal);
      assert.equal((await fresh.getSequence(freshAddr)).sequence, seqBefore);
      t.diagnostic(`BroadcastTxError: code ${r.code} codespace "${r.codespace}" log "${r.log}"`);
    });
  });

  // Keplr's built-in send screen signs SIGN_MODE_LEGACY_AMINO_JSON: an amino-only signer
  // (cosmjs Secp256k1HdWallet, as Keplr's signAmino) must be accepted, and a doc signed for
  // another chain refused.
  it("h. an amino signer (Keplr's send screen) sends; a doc signed for another chain is refused", { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const aminoWallet = await Secp256k1HdWallet.fromMnemonic(senderEntry.mnemonic, { prefix: PREFIX });
    const amino = await SigningStargateClient.connectWithSigner(RPC, aminoWallet, clientOptions());
    try {
      const to = freshAddr ?? (await unseenAddress());
      const before = await balanceOf(amino, to);
      const res = await amino.sendTokens(senderAddr, to, [{ denom: DENOM, amount: "777" }], "auto", "signed <amino> & sorted");
      assertIsDeliverTxSuccess(res);
      assert.equal(await balanceOf(amino, to), before + 777n);
      const indexed = await amino.getTx(res.transactionHash);
      const mode = decodeTxRaw(indexed.tx).authInfo.signerInfos[0].modeInfo.single.mode;
      assert.equal(mode, SignMode.SIGN_MODE_LEGACY_AMINO_JSON, `sign mode ${mode}`);

      // The same signer, but what it signs names another chain: the chain rebuilds its own
      // doc, the signature does not verify, and nothing is charged.
      const otherChain = {
        getAccounts: () => aminoWallet.getAccounts(),
        signAmino: (addr, doc) => aminoWallet.signAmino(addr, { ...doc, chain_id: "other-chain-1" }),
      };
      const wrong = await SigningStargateClient.connectWithSigner(RPC, otherChain, clientOptions());
      try {
        const bal = await balanceOf(wrong, senderAddr);
        const r = await expectRejected(wrong.sendTokens(senderAddr, to, [{ denom: DENOM, amount: "1" }], "auto"));
        assert.equal(r.stage, "checktx", `expected a CheckTx refusal, got ${JSON.stringify(r)}`);
        assert.equal(r.code, 4, `unauthorized, got ${r.code}: ${r.log}`);
        assert.match(r.log, /signature verification failed/);
        assert.equal(await balanceOf(wrong, senderAddr), bal, "a refused tx costs nothing");
        t.diagnostic(`amino send ${res.transactionHash}; wrong chain: code ${r.code} "${r.log}"`);
      } finally {
        wrong.disconnect();
      }
    } finally {
      amino.disconnect();
    }
  });
});
