// Signers and transactions: a tx is built exactly as cosmjs's SigningStargateClient builds it
// (TxBody + AuthInfo, SIGN_MODE_DIRECT, TxRaw), its gas taken from the chain's Simulate
// (× 1.4, cosmjs's "auto"), its fee at the chain's gas price, signed by a development key or
// Keplr, broadcast over REST and followed over the RPC until a block includes it.

import {
  Registry, DirectSecp256k1HdWallet, makeAuthInfoBytes, makeSignDoc, encodePubkey,
  encodeSecp256k1Pubkey, sha256, Bip39, TxRaw, toBase64, fromBase64, gliaTypes,
} from "./vendor/cosmjs.js";
import { cfg, rest, rpc, isLocalnet } from "./api.js";
import { sleep } from "./util.js";

export const registry = new Registry(gliaTypes);

/**
 * The localnet's development account N: its mnemonic is BIP-39 over the entropy
 * sha256("glia development account N") (client/src/keys.rs), HD path m/44'/118'/0'/0/0.
 * Public and worthless: offered only on a chain id that starts with "glia-local".
 */
export async function devSigner(n) {
  if (!isLocalnet()) throw new Error("development keys exist only on a localnet");
  const entropy = sha256(new TextEncoder().encode(`glia development account ${n}`));
  const mnemonic = Bip39.encode(entropy).toString();
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "glia" });
  const [{ address }] = await wallet.getAccounts();
  return { kind: "dev", label: `development account dev${n}`, address, signer: wallet };
}

export const hasKeplr = () => typeof window !== "undefined" && !!window.keplr;

/** Keplr: suggest the chain (/keplr.json), ask for access, take its direct signer. */
export async function keplrSigner() {
  const k = window.keplr;
  if (!k) throw new Error("Keplr is not installed in this browser");
  if (cfg.keplr && k.experimentalSuggestChain) await k.experimentalSuggestChain(cfg.keplr);
  await k.enable(cfg.chainId);
  // Direct signing: glia's own messages have no amino form.
  const signer = k.getOfflineSigner(cfg.chainId);
  const [{ address }] = await signer.getAccounts();
  const key = await k.getKey(cfg.chainId).catch(() => null);
  return { kind: "keplr", label: `Keplr${key?.name ? ` · ${key.name}` : ""}`, address, signer };
}

/** ceil(gas × price) for a decimal price such as "0.025", in integers. */
export function feeFor(gas, price = cfg.gasPrice) {
  const [w, f = ""] = String(price).split(".");
  const den = 10n ** BigInt(f.length);
  const num = BigInt(w + f);
  return ((BigInt(gas) * num + den - 1n) / den).toString();
}

async function account(address) {
  try {
    const { account } = await rest(`/cosmos/auth/v1beta1/accounts/${address}`);
    return { number: BigInt(account.account_number), sequence: BigInt(account.sequence) };
  } catch (e) {
    if (e.status === 404 || /not found/i.test(e.message))
      throw new Error(`account ${address} does not exist on chain yet: it needs a balance to pay fees`);
    throw e;
  }
}

/**
 * Signs and broadcasts `messages` ({typeUrl, value}) as `who` ({address, signer}).
 * `progress(text)` is told each stage. Resolves to {hash, height, events, gasUsed, fee} once
 * a block includes the tx with code 0; rejects with the chain's log otherwise.
 */
export async function signAndBroadcast(who, messages, { memo = "", progress = () => {} } = {}) {
  const { address, signer } = who;
  const accounts = await signer.getAccounts();
  const me = accounts.find((a) => a.address === address);
  if (!me) throw new Error(`the signer holds no key for ${address}`);
  const pubkey = encodePubkey(encodeSecp256k1Pubkey(me.pubkey));
  const acct = await account(address);
  const bodyBytes = registry.encodeTxBody({ messages, memo });

  progress("estimating gas");
  const simTx = TxRaw.fromPartial({
    bodyBytes,
    authInfoBytes: makeAuthInfoBytes([{ pubkey, sequence: acct.sequence }], [], 0, undefined, undefined),
    signatures: [new Uint8Array()],
  });
  const sim = await rest("/cosmos/tx/v1beta1/simulate", undefined, { tx_bytes: toBase64(TxRaw.encode(simTx).finish()) });
  const gasUsed = Number(sim.gas_info?.gas_used || 0);
  const gas = Math.ceil(gasUsed * 1.4);
  const fee = { denom: cfg.denom, amount: feeFor(gas) };

  progress(who.kind === "keplr" ? "waiting for Keplr's approval" : "signing");
  const authInfoBytes = makeAuthInfoBytes([{ pubkey, sequence: acct.sequence }], [fee], gas, undefined, undefined);
  const signDoc = makeSignDoc(bodyBytes, authInfoBytes, cfg.chainId, acct.number);
  const { signed, signature } = await signer.signDirect(address, signDoc);
  const raw = TxRaw.encode(
    TxRaw.fromPartial({ bodyBytes: signed.bodyBytes, authInfoBytes: signed.authInfoBytes, signatures: [fromBase64(signature.signature)] }),
  ).finish();

  progress("broadcasting");
  const { tx_response: r } = await rest("/cosmos/tx/v1beta1/txs", undefined, { tx_bytes: toBase64(raw), mode: "BROADCAST_MODE_SYNC" });
  if (Number(r.code)) throw new Error(`refused by the mempool (code ${r.code}${r.codespace ? `, ${r.codespace}` : ""}): ${r.raw_log}`);
  const hash = String(r.txhash).toUpperCase();

  progress("waiting for a block", hash);
  const res = await waitForTx(hash).catch((e) => {
    // No RPC from here (a phone on the LAN, where /keplr.json names 127.0.0.1): the account's
    // sequence, over REST, still tells when a block has taken the tx, though not its result.
    if (e instanceof TypeError || /no RPC endpoint/.test(e.message)) return waitForSequence(address, acct.sequence);
    throw e;
  });
  if (res.unknown) return { hash, height: 0, events: [], gasUsed: 0, fee, unknown: true };
  const tr = res.tx_result;
  if (Number(tr.code)) throw Object.assign(new Error(`failed in block ${res.height} (code ${tr.code}): ${tr.log}`), { hash });
  return { hash, height: Number(res.height), events: tr.events || [], gasUsed: Number(tr.gas_used), fee };
}

/** Polls the RPC's tx index until the tx is in a block (a minute at most). */
async function waitForTx(hash, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      return await rpc("tx", { hash: `0x${hash}` });
    } catch (e) {
      if (!/not found/i.test(e.message) && e.status !== 500) throw e;
    }
    await sleep(700);
  }
  throw Object.assign(new Error(`tx ${hash} was not included within ${timeoutMs / 1000} s`), { hash });
}

/** Polls the account over REST until its sequence passes `sequence` (a minute at most). */
async function waitForSequence(address, sequence, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const a = await account(address).catch(() => null);
    if (a && a.sequence > sequence) return { unknown: true };
    await sleep(1000);
  }
  throw new Error(`the tx was not included within ${timeoutMs / 1000} s`);
}

/** The value of attribute `key` of the first event of `type` (CometBFT 0.38: plain strings). */
export function eventAttr(events, type, key) {
  const ev = events.find((e) => e.type === type && e.attributes?.some((a) => a.key === key));
  return ev?.attributes.find((a) => a.key === key)?.value;
}
