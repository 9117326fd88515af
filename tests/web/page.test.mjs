// The web page gliad serves (app/web), end to end in headless Chromium against a running
// localnet: it loads; it shows the network's validators; an image requested through its form
// (signed with a development key) settles and appears with its hash checked; the same image,
// tampered with in every executor's blob store on disk, is flagged as a mismatch; a job posted
// through its form appears on the job board; no view scrolls sideways on a phone.
// Screenshots of each step (desktop and phone) go to $GLIA_WEB_ARTIFACTS.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "../..");
const NETWORK = resolve(process.cwd(), process.env.GLIA_NETWORK || join(REPO, "localnet/.run/network.json"));
const net = JSON.parse(readFileSync(NETWORK, "utf8"));
const SENDER = process.env.GLIA_WEB_SENDER || "dev20";
const ARTIFACTS = resolve(process.cwd(), process.env.GLIA_WEB_ARTIFACTS || join(REPO, "tests/web/artifacts"));
const REST = net.rest[0];
const WEB = net.web || `${REST}/`;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let browser, page;
const pageErrors = [];
const overflow = []; // [step, scrollWidth] for each phone screenshot
let step = 0;
let task = null; // the task the form requested: {id, sha}
const tampered = []; // [path, original bytes] to put back

async function rest(path) {
  const r = await fetch(REST + path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

/** Desktop and phone screenshots of the current view; notes the phone's scroll width. */
async function shots(name) {
  const n = String(++step).padStart(2, "0");
  await page.setViewportSize(DESKTOP);
  // Full-page shots from the top, so the sticky header sits where it belongs.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(ARTIFACTS, `${n}-${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(400);
  const w = await page.evaluate(() => document.scrollingElement.scrollWidth);
  overflow.push([`${n}-${name}`, w]);
  await page.screenshot({ path: join(ARTIFACTS, `${n}-${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  return w;
}

async function go(hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}

/** A valid PNG (solid colour), unlike any image the executors make. */
function png(w, h, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/** Files named `name` under `dir` (the nodes' homes), a few levels deep. */
function findFiles(dir, name, depth = 7, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isFile() && e.name === name) out.push(p);
    else if (e.isDirectory() && depth > 0) findFiles(p, name, depth - 1, out);
  }
  return out;
}

describe("glia web page", { timeout: 600_000 }, () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const exe = process.env.CHROMIUM || execFileSync("bash", ["-c", "command -v chromium"]).toString().trim();
    browser = await chromium.launch({ executablePath: exe, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    page = await browser.newPage({ viewport: DESKTOP });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => m.type() === "error" && !/Failed to load resource/.test(m.text()) && pageErrors.push(`console: ${m.text()}`));
  });

  after(async () => {
    // Put the executors' blobs back as they were: other tests fetch them.
    for (const [p, bytes] of tampered) {
      writeFileSync(`${p}.restore`, bytes);
      renameSync(`${p}.restore`, p);
    }
    await browser?.close();
  });

  it("loads, shows the chain id and the current height", async () => {
    await page.goto(WEB, { waitUntil: "load" });
    await page.waitForSelector(`#head-chain[data-chain-id="${net.chain_id}"]`, { timeout: 20_000 });
    await page.waitForSelector("#head-height[data-height]", { timeout: 20_000 });
    const height = Number(await page.getAttribute("#head-height", "data-height"));
    assert.ok(height > 0, `height shown: ${height}`);
    await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
    await shots("loaded");
    assert.deepEqual(pageErrors, [], "no script errors");
  });

  it("shows the network's validators", async () => {
    const { validators } = await rest("/cosmos/staking/v1beta1/validators?pagination.limit=200");
    const bonded = validators.filter((v) => v.status === "BOND_STATUS_BONDED");
    assert.ok(bonded.length > 0, "the network has bonded validators");
    await go("#network");
    await page.waitForFunction(
      (n) => document.querySelectorAll("#validators tbody tr[data-validator]").length >= n,
      bonded.length,
      { timeout: 30_000 },
    );
    const rows = await page.$$eval("#validators tbody tr[data-validator]", (trs) => trs.map((tr) => ({ op: tr.dataset.validator, text: tr.innerText })));
    const shownBonded = rows.filter((r) => /bonded/i.test(r.text));
    assert.equal(shownBonded.length, bonded.length, "bonded validators shown = bonded on chain");
    for (const v of bonded) {
      const row = rows.find((r) => r.op === v.operator_address);
      assert.ok(row, `row for ${v.operator_address}`);
      const moniker = v.description?.moniker;
      if (moniker) assert.ok(row.text.includes(moniker), `moniker ${moniker} shown`);
    }
    // Each validator's executor (same key bytes, glia1… vs gliavaloper1…) and its quality score.
    const { executors } = await rest("/glia/inference/v1/executors?pagination.limit=200");
    const cells = await page.$$eval("#validators tbody tr[data-validator]", (trs) =>
      trs.map((tr) => ({ op: tr.dataset.validator, ...tr.querySelector("[data-quality-bps]")?.dataset })));
    for (const ex of executors) {
      const cell = cells.find((c) => c.executor === ex.operator);
      assert.ok(cell, `executor ${ex.operator} shown beside its validator`);
      assert.equal(cell.qualityBps, String(ex.quality_bps), `quality of ${ex.operator}`);
      // Bech32's data part, without the prefix and the checksum, is the same for the same bytes.
      const body = (a) => a.slice(a.lastIndexOf("1") + 1, -6);
      assert.equal(body(cell.op), body(ex.operator), `${ex.operator}'s row is its own validator's`);
    }
    await shots("validators");
  });

  it("requests an image through the form with a development key; it settles and its hash checks", { timeout: 240_000 }, async () => {
    const account = net.accounts.find((a) => a.name === SENDER);
    assert.ok(account, `${SENDER} is in ${NETWORK}`);
    const n = Number(SENDER.replace(/^dev/, ""));
    assert.ok(Number.isInteger(n), `GLIA_WEB_SENDER must be a development account (devN), not ${SENDER}`);

    await go("#request");
    await page.selectOption("#signer-kind", "dev");
    await page.fill("#dev-index", String(n));
    await page.dispatchEvent("#dev-index", "change");
    // The page derives the key itself: the address must be the profile's.
    await page.waitForSelector(`#signer-address[data-address="${account.address}"]`, { timeout: 20_000 });
    await page.waitForFunction(() => /GLIA|uglia/.test(document.querySelector("#signer-balance")?.textContent || ""), null, { timeout: 20_000 });

    const prompt = `a glass lighthouse, web test ${Date.now()}`;
    await page.fill("#img-prompt", prompt);
    await page.selectOption("#img-model", "tiny");
    await page.selectOption("#img-width", "64");
    await page.selectOption("#img-height", "64");
    await page.fill("#img-steps", "4");
    await page.fill("#img-images", "1");
    // Three replicas: on the localnet one executor perturbs its images (test fixtures).
    await page.fill("#img-replicas", "3");
    await page.dispatchEvent("#img-replicas", "input");

    // The price shown before signing is the chain's: price × steps × w × h / 10^6 × replicas.
    const { models } = await rest("/glia/inference/v1/models");
    const tiny = models.find((m) => m.id === "tiny");
    const per = (BigInt(tiny.price_per_step_megapixel) * 4n * 64n * 64n + 999_999n) / 1_000_000n;
    const shown = (await page.textContent("#img-price-total")).replace(/[\s\u2009]/g, "");
    const want = per * 3n;
    const wantText = `${want / 1_000_000n}.${(want % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "")}GLIA`.replace(/\.GLIA$/, "GLIA");
    assert.equal(shown, wantText, "price shown before signing");
    // "Pay in" offers each voucher the chain accepts (the localnet: simd's stake from
    // channel-0, 2 per uglia), priced as the chain converts it (rounded up).
    const { params } = await rest("/glia/inference/v1/params");
    const accepted = params.fee_denoms || [];
    assert.ok(accepted.length > 0, "the localnet accepts a voucher for requests");
    const options = await page.$$eval("#img-denom option", (os) => os.map((o) => o.value));
    assert.deepEqual(options, ["uglia", ...accepted.map((f) => f.denom)]);
    await page.selectOption("#img-denom", accepted[0].denom);
    await page.dispatchEvent("#img-denom", "input");
    const inVoucher = (await page.textContent("#img-price-total")).replace(/[\s\u2009,]/g, "");
    const perVoucher = (per * BigInt(accepted[0].units) + BigInt(accepted[0].uglia) - 1n) / BigInt(accepted[0].uglia);
    assert.equal(inVoucher, `${perVoucher * 3n}${accepted[0].denom}`, "price in the voucher");
    await page.selectOption("#img-denom", "uglia");
    await page.dispatchEvent("#img-denom", "input");
    await shots("request-form");

    await page.click("#image-form button[type=submit]");
    await page.waitForSelector("#img-result [data-tx-hash]", { timeout: 90_000 }).catch(async (e) => {
      throw new Error(`no tx hash: ${await page.textContent("#img-result")} (${e.message})`);
    });
    const id = await page.getAttribute("#img-result", "data-task-id");
    assert.ok(/^\d+$/.test(id || ""), `task id on the page: ${id}`);
    await shots("request-sent");

    await page.waitForSelector(`#img-result .task[data-task-id="${id}"] .shot[data-hash="ok"] img`, { timeout: 180_000 }).catch(async (e) => {
      throw new Error(`image not shown with a checked hash: ${await page.textContent("#img-result")} (${e.message})`);
    });
    const { task: t } = await rest(`/glia/inference/v1/tasks/${id}`);
    assert.equal(t.status, "TASK_STATUS_COMPLETED");
    assert.equal(t.creator, account.address);
    assert.equal(t.prompt, prompt);
    const outcome = t.outcomes[0];
    const sha = Buffer.from(outcome.output_sha256, "base64").toString("hex");
    // What the page shows hashes to the chain's record.
    const shownSha = await page.$eval(`#img-result .shot[data-hash="ok"] img`, async (img) => {
      const b = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
      return { n: b.length, w: img.naturalWidth, bytes: Array.from(b) };
    });
    assert.equal(shownSha.w, 64, "the image decodes at 64 px");
    assert.equal(createHash("sha256").update(Buffer.from(shownSha.bytes)).digest("hex"), sha);
    assert.ok(await page.isVisible(`#img-result .shot[data-hash="ok"] .hash-badge`), "hash mark visible");
    task = { id, sha, urls: outcome.urls };
    await shots("request-settled");
  });

  it("flags the image as a mismatch once every executor's blob store serves other bytes", { timeout: 120_000 }, async () => {
    assert.ok(task, "needs the image of the previous test");
    const homes = (net.homes || []).map((h) => (isAbsolute(h) ? h : resolve(REPO, h)));
    const roots = homes.length ? homes : [dirname(NETWORK)];
    const files = roots.flatMap((r) => findFiles(r, task.sha));
    assert.ok(files.length >= task.urls.length, `found the blob in ${files.length} stores (${task.urls.length} URLs): ${files.join(", ")}`);
    const fake = png(64, 64, [255, 0, 64]);
    assert.notEqual(createHash("sha256").update(fake).digest("hex"), task.sha);
    for (const p of files) {
      const original = readFileSync(p);
      tampered.push([p, original]);
      const mode = statSync(p).mode;
      writeFileSync(`${p}.tamper`, fake, { mode });
      renameSync(`${p}.tamper`, p);
    }
    // Every URL now serves the fake.
    for (const u of task.urls) {
      const b = Buffer.from(await (await fetch(u, { cache: "no-store" })).arrayBuffer());
      assert.equal(createHash("sha256").update(b).digest("hex"), createHash("sha256").update(fake).digest("hex"), `${u} serves the tampered bytes`);
    }

    await page.reload({ waitUntil: "load" });
    await go("#gallery");
    const card = `#gallery-body .task[data-task-id="${task.id}"]`;
    await page.waitForSelector(`${card} .shot[data-hash="bad"]`, { timeout: 60_000 }).catch(async (e) => {
      throw new Error(`no mismatch mark: ${await page.textContent(card).catch(() => "card not found")} (${e.message})`);
    });
    assert.equal(await page.$$eval(`${card} .shot[data-hash="ok"]`, (x) => x.length), 0, "no image of the task is marked ok");
    assert.ok(await page.isVisible(`${card} .shot[data-hash="bad"] .stamp`), "the red stamp is visible");
    const badge = await page.textContent(`${card} .shot[data-hash="bad"] .hash-badge`);
    assert.match(badge, /mismatch/i);
    const sources = await page.$$eval(`${card} .shot[data-hash="bad"] [data-source-hash]`, (li) => li.map((x) => x.dataset.sourceHash));
    assert.deepEqual(sources, task.urls.map(() => "bad"), "every source marked bad");
    await shots("tampered");
  });

  it("posts a job through the form; it appears on the job board", { timeout: 150_000 }, async () => {
    await go("#request");
    await page.waitForSelector("#signer-address[data-address]", { timeout: 20_000 });
    await page.click("#job-example-cnf");
    await page.fill("#job-fee", "1000");
    await page.fill("#job-blocks", "30");
    await page.fill("#job-reward", "20000");
    await page.dispatchEvent("#job-reward", "input");
    assert.match(await page.textContent("#job-escrow"), /Format: CNF/);
    await page.click("#job-form button[type=submit]");
    await page.waitForSelector("#job-result [data-tx-hash]", { timeout: 90_000 }).catch(async (e) => {
      throw new Error(`no tx hash: ${await page.textContent("#job-result")} (${e.message})`);
    });
    const id = await page.getAttribute("#job-result", "data-job-id");
    assert.ok(/^\d+$/.test(id || ""), `job id on the page: ${id}`);
    await page.waitForSelector(`#job-result .follow-job[data-job-id="${id}"] [data-role=status]`, { timeout: 30_000 });
    await shots("job-posted");

    const { job } = await rest(`/glia/neuro/v1/jobs/${id}`);
    assert.equal(job.creator, net.accounts.find((a) => a.name === SENDER).address);
    await go("#jobs?all");
    await page.waitForSelector(`#jobs-body tr[data-job-id="${id}"]`, { timeout: 30_000 });
    await shots("job-board");
    await go(`#jobs/${id}`);
    await page.waitForSelector(`#jobs-body .job[data-job-id="${id}"]`, { timeout: 30_000 });
    // Give the solvers a moment, so the chart usually has a point.
    await page.waitForSelector(`#jobs-body .chart svg`, { timeout: 20_000 }).catch(() => {});
    await shots("job-detail");
  });

  it("fits a phone: no view scrolls sideways at 390 px", async () => {
    for (const tab of ["#network", "#gallery", "#jobs", "#account", "#request"]) {
      await go(tab);
      await page.waitForTimeout(1500);
      await shots(`phone-${tab.slice(1)}`);
    }
    const wide = overflow.filter(([, w]) => w > PHONE.width);
    assert.deepEqual(wide, [], `views wider than ${PHONE.width} px (step, scrollWidth)`);
    assert.deepEqual(pageErrors, [], "no script errors during the run");
  });
});
