// The chain-wide queries wallets read, through cosmjs's own query extensions (the decoders
// Keplr and dApps use): staking params (Hermes and Keplr), the emission as the SDK's mint
// queries (Keplr's APR), and every validator's liveness (slashing signing infos).

import { it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import {
  QueryClient,
  setupMintExtension,
  setupSlashingExtension,
  setupStakingExtension,
} from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { Decimal } from "@cosmjs/math";

const HERE = dirname(fileURLToPath(import.meta.url));
const NETWORK_PATH = process.env.GLIA_NETWORK
  ? resolve(process.cwd(), process.env.GLIA_NETWORK)
  : resolve(HERE, "../../localnet/.run/network.json");
const net = JSON.parse(readFileSync(NETWORK_PATH, "utf8"));

it("staking params, the emission and liveness decode as cosmjs reads them", { timeout: 60_000 }, async (t) => {
  const comet = await connectComet(net.rpc[0]);
  try {
    const q = QueryClient.withExtensions(comet, setupStakingExtension, setupMintExtension, setupSlashingExtension);

    const { params } = await q.staking.params();
    assert.equal(params.bondDenom, net.denom);
    assert.equal(params.unbondingTime.seconds, 240n, "the localnet unbonds in 240 s");
    assert.ok(params.historicalEntries > 0, "relayers need historical entries");

    const inflation = await q.mint.inflation();
    const provisions = await q.mint.annualProvisions();
    assert.ok(inflation.isGreaterThan(Decimal.zero(18)), `inflation ${inflation}`);
    assert.ok(provisions.isGreaterThan(Decimal.zero(18)), `annual provisions ${provisions}`);
    const mintParams = await q.mint.params();
    assert.equal(mintParams.mintDenom, net.denom);
    assert.ok(mintParams.blocksPerYear > 0n);

    // One per validator that has signed: the genesis validators, and the fifth validator the
    // Rust e2e tests (validators.rs) start, jail and tombstone before these tests run.
    const { info } = await q.slashing.signingInfos();
    assert.ok(info.length >= net.validators, `one signing info per validator: ${info.length}`);
    for (const i of info) {
      assert.match(i.address, /^gliavalcons1/);
      assert.ok(i.indexOffset > 0n && i.missedBlocksCounter <= i.indexOffset, `${i.address}: offset ${i.indexOffset}, missed ${i.missedBlocksCounter}`);
    }
    const one = await q.slashing.signingInfo(info[0].address);
    assert.equal(one.valSigningInfo.address, info[0].address);
    t.diagnostic(`inflation ${inflation.toString()}, annual provisions ${provisions.toString()}`);
  } finally {
    comet.disconnect();
  }
});
