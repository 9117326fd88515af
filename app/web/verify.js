// Checks images against the chain: each ImageOutcome records the sha256 of the agreed output
// and the executors' URLs that serve it. The page fetches the bytes itself, hashes them in
// JavaScript (not crypto.subtle, which plain-http origins other than localhost lack) and
// shows only what it checked, with a mark: ok, bad (the bytes served are not the chain's), or
// unavailable (no source answered).

import { sha256 } from "./vendor/cosmjs.js";
import { b64hex, hex } from "./util.js";

// One check per outcome for the page's lifetime (a reload, or recheckAll, checks again).
const checks = new Map();

/**
 * Checks one outcome: tries its URLs in order until one serves bytes whose sha256 is the
 * chain's. Resolves to {status, want, url, objectUrl, sources: [{url, status, got, error}]};
 * status "ok" may still list bad sources (another URL served the right bytes).
 */
export function verify(outcome) {
  const want = b64hex(outcome.output_sha256);
  const urls = outcome.urls || [];
  const key = `${want}|${urls.join(" ")}`;
  if (!checks.has(key)) checks.set(key, check(want, urls));
  return checks.get(key);
}

/** Forgets every check: the next render fetches and hashes again. */
export function recheckAll() {
  for (const p of checks.values()) p.then((r) => r.objectUrl && URL.revokeObjectURL(r.objectUrl)).catch(() => {});
  checks.clear();
}

async function check(want, urls) {
  const sources = [];
  let bad = null;
  for (const url of urls) {
    let bytes;
    try {
      // "no-cache": blobs are served as immutable, but a check must see what the executor
      // serves now, not what the browser kept.
      const r = await fetch(url, { cache: "no-cache" });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      bytes = new Uint8Array(await r.arrayBuffer());
    } catch (e) {
      sources.push({ url, status: "error", error: e.message || String(e) });
      continue;
    }
    const got = hex(sha256(bytes));
    if (got === want) {
      sources.push({ url, status: "ok", got });
      return { status: "ok", want, url, objectUrl: objectUrl(bytes), sources };
    }
    sources.push({ url, status: "bad", got });
    bad ||= { url, bytes };
  }
  if (bad) return { status: "bad", want, url: bad.url, objectUrl: objectUrl(bad.bytes), sources };
  return { status: "unavailable", want, url: null, objectUrl: null, sources };
}

const objectUrl = (bytes) => URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
