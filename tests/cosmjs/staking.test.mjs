// Staking as wallets do it: delegate, redelegate and undelegate with cosmjs's own
// SigningStargateClient, once with a direct signer and once with an amino-only signer (as
// Keplr's built-in staking screens sign, SIGN_MODE_LEGACY_AMINO_JSON); every answer read back
// through cosmjs's StakingExtension (thousands of GLIA, so the localnet's small emission pays
// whole uglia of rewards within a few blocks). Rewards go to a cold withdraw address (set with the amino
// signer) and are withdrawn with both signers while the undelegation waits out its unbonding;
// DistributionExtension and MintExtension read them. The undelegation is followed until it
// pays out, to the uglia. Uses its own account (dev12), so it runs beside the other files.

import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import {
  GasPrice, QueryClient, SigningStargateClient, setupDistributionExtension, setupMintExtension,
  setupStakingExtension,
} from "@cosmjs/stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { connectComet } from "@cosmjs/tendermint-rpc";

const HERE = dirname(fileURLToPath(import.meta.url));
const NETWORK_PATH = process.env.GLIA_NETWORK
  ? resolve(process.cwd(), process.env.GLIA_NETWORK)
  : resolve(HERE, "../../localnet/.run/network.json");
const net = JSON.parse(readFileSync(NETWORK_PATH, "utf8"));
const ACCOUNT = "dev12";
const options = {
  gasPrice: GasPrice.fromString(net.gas_price),
  broadcastTimeoutMs: 45_000,
  broadcastPollIntervalMs: 500,
};
const REDELEGATE = "/cosmos.staking.v1beta1.MsgBeginRedelegate";
const SET_WITHDRAW = "/cosmos.distribution.v1beta1.MsgSetWithdrawAddress";
const coin = (amount) => ({ denom: net.denom, amount: String(amount) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function clients(kind) {
  const entry = net.accounts.find((a) => a.name === ACCOUNT);
  assert.ok(entry, `the profile has no account ${ACCOUNT}: start the localnet with --accounts 16`);
  const wallet = kind === "amino"
    ? await Secp256k1HdWallet.fromMnemonic(entry.mnemonic, { prefix: net.bech32_prefix })
    : await DirectSecp256k1HdWallet.fromMnemonic(entry.mnemonic, { prefix: net.bech32_prefix });
  const signer = await SigningStargateClient.connectWithSigner(net.rpc[0], wallet, options);
  return { signer, address: entry.address };
}

/** The fee a delivered tx paid. */
const feeOf = (r) => BigInt(r.events.find((e) => e.type === "tx" && e.attributes.some((x) => x.key === "fee"))
  .attributes.find((x) => x.key === "fee").value.replace(net.denom, ""));

/** What a tx's withdraw_rewards events paid, in uglia. */
const withdrawn = (r) => r.events.filter((e) => e.type === "withdraw_rewards")
  .map((e) => e.attributes.find((x) => x.key === "amount").value)
  .reduce((sum, v) => sum + (v ? BigInt(v.replace(net.denom, "")) : 0n), 0n);

/** The delegation's balance, 0n when there is none. */
async function delegated(q, del, val) {
  try {
    const r = await q.staking.delegation(del, val);
    return BigInt(r.delegationResponse.balance.amount);
  } catch (e) {
    if (/key not found|no delegation/.test(e.message)) return 0n;
    throw e;
  }
}

it("delegate, redelegate, undelegate (direct and amino) and the payout after unbonding", { timeout: 420_000 }, async (t) => {
  const comet = await connectComet(net.rpc[0]);
  const q = QueryClient.withExtensions(
    comet, setupStakingExtension, setupDistributionExtension, setupMintExtension);
  const direct = await clients("direct");
  const amino = await clients("amino");
  try {
    const { validators } = await q.staking.validators("BOND_STATUS_BONDED");
    assert.equal(validators.length, net.validators, "every localnet validator is bonded at genesis");
    for (const v of validators) {
      assert.match(v.operatorAddress, /^gliavaloper1/);
      assert.equal(v.commission.commissionRates.rate, "100000000000000000", "0.1 as an 18-decimal integer");
      assert.ok(BigInt(v.tokens) >= 100_000_000_000n, `${v.operatorAddress} tokens ${v.tokens}`);
    }
    const [a, b] = validators.map((v) => v.operatorAddress).sort();
    const del = direct.address;
    // Rewards to a cold address, not the key that signs (set with the amino signer, as Keplr).
    const cold = (await (await DirectSecp256k1HdWallet.generate(12, { prefix: net.bech32_prefix })).getAccounts())[0].address;
    const w = await amino.signer.signAndBroadcast(del, [{
      typeUrl: SET_WITHDRAW, value: { delegatorAddress: del, withdrawAddress: cold },
    }], "auto", "amino set withdraw address");
    assert.equal(w.code, 0, w.rawLog);
    assert.equal((await q.distribution.delegatorWithdrawAddress(del)).withdrawAddress, cold);
    // From here every tx that changes a delegation pays its rewards to the cold address.
    let coldExpected = 0n;
    const [beforeA, beforeB] = [await delegated(q, del, a), await delegated(q, del, b)];

    for (const [kind, c] of [["direct", direct], ["amino", amino]]) {
      const d = await c.signer.delegateTokens(del, a, coin(3_000_000_000), "auto", `${kind} delegate`);
      assert.equal(d.code, 0, d.rawLog);
      const r = await c.signer.signAndBroadcast(del, [{
        typeUrl: REDELEGATE,
        value: { delegatorAddress: del, validatorSrcAddress: a, validatorDstAddress: b, amount: coin(1_000_000_000) },
      }], "auto", `${kind} redelegate`);
      assert.equal(r.code, 0, r.rawLog);
      coldExpected += withdrawn(d) + withdrawn(r);
      t.diagnostic(`${kind}: delegate ${d.transactionHash}, redelegate ${r.transactionHash}`);
    }
    assert.equal(await delegated(q, del, a), beforeA + 4_000_000_000n);
    assert.equal(await delegated(q, del, b), beforeB + 2_000_000_000n);
    const { redelegationResponses } = await q.staking.redelegations(del, a, b);
    assert.equal(redelegationResponses[0].entries.length, 2, "one entry per redelegation");

    // Tokens that arrived by redelegation cannot hop on before the source's unbonding ends.
    const hop = await direct.signer.signAndBroadcast(del, [{
      typeUrl: REDELEGATE,
      value: { delegatorAddress: del, validatorSrcAddress: b, validatorDstAddress: a, amount: coin(1) },
    }], "auto").catch((e) => e);
    assert.match(String(hop.rawLog ?? hop.message), /redelegation into .* still in progress/);

    const balance0 = BigInt((await direct.signer.getBalance(del, net.denom)).amount);
    const u = await amino.signer.undelegateTokens(del, b, coin(1_500_000_000), "auto", "amino undelegate");
    assert.equal(u.code, 0, u.rawLog);
    let fee = feeOf(u);
    const { unbond } = await q.staking.unbondingDelegation(del, b);
    assert.equal(unbond.entries.at(-1).balance, "1500000000");
    const done = Number(unbond.entries.at(-1).completionTime.seconds) * 1000;
    t.diagnostic(`undelegation completes at ${new Date(done).toISOString()}`);

    // Bad inputs: the SDK's staking codes, nothing spent but the fee.
    const bad = await direct.signer.delegateTokens(del, a.replace(/.{6}$/, "qqqqqq"), coin(5), "auto").catch((e) => e);
    assert.match(String(bad.message), /invalid validator address|checksum/i);
    const tooMuch = await direct.signer.undelegateTokens(del, a, coin(10n ** 15n), "auto").catch((e) => e);
    assert.match(String(tooMuch.message), /less than 1000000000000000uglia|worth/);

    // While it unbonds: rewards as DistributionExtension reads them, withdrawn with each signer
    // to the cold address, to the uglia of the withdraw_rewards events.
    const { validators: mine } = await q.distribution.delegatorValidators(del);
    assert.deepEqual([...mine].sort(), [a, b]);
    const total = await q.distribution.delegationTotalRewards(del);
    assert.equal(total.rewards.length, 2);
    const owed = await q.distribution.delegationRewards(del, a);
    assert.ok(BigInt(owed.rewards[0].amount) > 0n, `rewards on ${a}: ${JSON.stringify(owed.rewards)}`);
    for (const v of [a, b]) {
      const o = await q.distribution.validatorOutstandingRewards(v);
      const c = await q.distribution.validatorCommission(v);
      assert.ok(BigInt(c.commission.commission[0].amount) > 0n, "the operator's commission accrues");
      assert.ok(BigInt(o.rewards.rewards[0].amount) > BigInt(c.commission.commission[0].amount));
    }
    const { params } = await q.distribution.params();
    assert.equal(params.communityTax, "20000000000000000", "0.02 as an 18-decimal integer");
    assert.ok(BigInt((await q.distribution.communityPool()).pool[0].amount) > 0n);
    assert.ok(Number(await q.mint.inflation()) > 0, "Keplr's APR reads the inflation");
    assert.ok(Number(await q.mint.annualProvisions()) > 0);
    coldExpected += withdrawn(u);
    for (const [kind, c, v] of [["direct", direct, a], ["amino", amino, b]]) {
      const r = await c.signer.withdrawRewards(del, v, "auto", `${kind} withdraw`);
      assert.equal(r.code, 0, r.rawLog);
      assert.ok(withdrawn(r) > 0n, `${kind}: something was withdrawn`);
      coldExpected += withdrawn(r);
      fee += feeOf(r);
    }
    // Anyone funds the community pool (amino: cosmos-sdk/MsgFundCommunityPool).
    const poolBefore = BigInt((await q.distribution.communityPool()).pool[0].amount);
    const fund = await amino.signer.signAndBroadcast(del, [{
      typeUrl: "/cosmos.distribution.v1beta1.MsgFundCommunityPool",
      value: { amount: [coin(1_000)], depositor: del },
    }], "auto", "amino fund community pool");
    assert.equal(fund.code, 0, fund.rawLog);
    fee += feeOf(fund) + 1_000n;
    assert.ok(BigInt((await q.distribution.communityPool()).pool[0].amount) >= poolBefore + 1_000n * 10n ** 18n);
    const other = validators.map((v) => v.operatorAddress).sort()[2];
    const noDelegation = await direct.signer.withdrawRewards(del, other, "auto").catch((e) => e);
    assert.match(String(noDelegation.message), /has no delegation to/);
    assert.equal(BigInt((await direct.signer.getBalance(cold, net.denom)).amount), coldExpected,
      "every reward went to the cold address");

    // The payout: exactly the undelegated amount, once the unbonding period has passed.
    while (Date.now() < done + 3_000) await sleep(2_000);
    let after;
    for (let i = 0; i < 30; i++) {
      after = BigInt((await direct.signer.getBalance(del, net.denom)).amount);
      if (after !== balance0 - fee) break;
      await sleep(1_000);
    }
    assert.equal(after, balance0 - fee + 1_500_000_000n, "the undelegated tokens, to the uglia");
  } finally {
    direct.signer.disconnect();
    amino.signer.disconnect();
    comet.disconnect();
  }
});
