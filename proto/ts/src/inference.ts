// Image tasks: price and send a request, follow it until it settles, download the images and
// check each against the sha256 the chain recorded (a blob store is not trusted; the chain is).

import { sha256 } from "@cosmjs/crypto";
import { toHex } from "@cosmjs/encoding";
import type { EncodeObject } from "@cosmjs/proto-signing";
import { assertIsDeliverTxSuccess } from "@cosmjs/stargate";
import type { DeliverTxResponse, StdFee } from "@cosmjs/stargate";

import type { Coin } from "./cosmos/base/v1beta1/coin.js";
import { MsgGenerateImage, MsgGenerateImageResponse } from "./glia/inference/v1/tx.js";
import { Scheduler, TaskStatus } from "./glia/inference/v1/types.js";
import type { ImageOutcome, Model, Task } from "./glia/inference/v1/types.js";
import type { GliaQueryClient } from "./clients.js";
import type { IntegerLike } from "./queries.js";

/** The chain's base denomination: tx fees and prices are in it; a request may escrow an IBC
 * voucher the inference params accept instead (see `priceIn`). */
export const BASE_DENOM = "uglia";

/** What the helpers need of a signing client: GliaSigningClient fits. */
export interface GliaTxClient {
  readonly glia: GliaQueryClient;
  signAndBroadcast(signerAddress: string, messages: readonly EncodeObject[], fee: StdFee | "auto" | number, memo?: string): Promise<DeliverTxResponse>;
}

/** Something to query with: a GliaQueryClient, or a client carrying one (GliaClient, GliaSigningClient). */
export type GliaQuerySource = GliaQueryClient | { readonly glia: GliaQueryClient };

/** The query client of a client or the query client itself. */
export function gliaQuery(source: GliaQuerySource): GliaQueryClient {
  return "glia" in source ? source.glia : source;
}

/**
 * What one image from one replica costs at a model's price, as the chain computes it
 * (`price_per_result` in modules/src/inference/handler.rs): price_per_step_megapixel × steps
 * × width × height / 10^6, rounded up. Integer arithmetic throughout.
 */
export function pricePerResult(model: Pick<Model, "pricePerStepMegapixel"> | IntegerLike, steps: number, width: number, height: number): bigint {
  const price = typeof model === "object" ? model.pricePerStepMegapixel : BigInt(model);
  for (const [name, v] of [["steps", steps], ["width", width], ["height", height]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${name} ${v} is not a uint32`);
  }
  const units = BigInt(price) * BigInt(steps) * BigInt(width) * BigInt(height);
  return (units + 999_999n) / 1_000_000n;
}

/** A request's escrow: the price per result × seeds × replicas (what max_fee must cover). */
export function requestPrice(
  model: Pick<Model, "pricePerStepMegapixel"> | IntegerLike,
  r: { steps: number; width: number; height: number; seeds: number; replicas: number },
): { perResult: bigint; escrow: bigint } {
  const perResult = pricePerResult(model, r.steps, r.width, r.height);
  return { perResult, escrow: perResult * BigInt(r.seeds) * BigInt(r.replicas) };
}

/** A denom requests may pay in besides uglia: `units` of it are worth `uglia` uglia. */
export interface FeeRate {
  units: IntegerLike;
  uglia: IntegerLike;
}

/**
 * A price of `amount` uglia in a denom at `rate`, as the chain converts it (`Rate::price` in
 * modules/src/coins.rs): ceil(amount × units / uglia), so the payer never pays less.
 */
export function priceIn(amount: bigint, rate: FeeRate): bigint {
  const units = BigInt(rate.units);
  const uglia = BigInt(rate.uglia);
  if (units <= 0n || uglia <= 0n) throw new RangeError("a fee rate needs positive units and uglia");
  return (amount * units + uglia - 1n) / uglia;
}

/** A scheduler by enum value or name ("ddim", "euler-a"). */
export type SchedulerLike = Scheduler | "ddim" | "euler-a" | "euler_ancestral";

function scheduler(s: SchedulerLike | undefined): Scheduler {
  switch (s) {
    case undefined:
    case "ddim":
      return Scheduler.SCHEDULER_DDIM;
    case "euler-a":
    case "euler_ancestral":
      return Scheduler.SCHEDULER_EULER_ANCESTRAL;
    default:
      return s;
  }
}

/** An image request, in the units of MsgGenerateImage. */
export interface GenerateImageParams {
  /** A model id registered on chain (the localnet registers "tiny"). */
  modelId: string;
  prompt: string;
  negativePrompt?: string;
  /** Pixels; multiples of the model's size_multiple, at most its max_width/max_height. */
  width: number;
  height: number;
  /** Denoising steps (the price grows with them). */
  steps: number;
  /** Classifier-free guidance, a decimal up to 30 with at most 3 decimals ("7.5" or 7.5);
   * default 7.5. */
  guidance?: string | number;
  /** Default DDIM. */
  scheduler?: SchedulerLike;
  /** One image per seed. */
  seeds: readonly IntegerLike[];
  /** Executors that independently make each image (at least the model's min_replicas). */
  replicas: number;
  /** Blocks before unsettled images are refunded; 0 (default) takes the chain's default. */
  timeoutBlocks?: IntegerLike;
  /** Pay in this denom (default uglia): an `ibc/<hash>` voucher the chain's inference params
   * list in fee_denoms, priced at its rate. */
  feeDenom?: string;
}

export interface GenerateImageResult {
  taskId: bigint;
  txHash: string;
  height: number;
  /** What the request escrows (and offered as max_fee): the model's price for it. */
  escrow: Coin;
  perResult: Coin;
  tx: DeliverTxResponse;
}

/** The msg response of `typeUrl` in a delivered tx, decoded. */
export function msgResponse<T>(tx: DeliverTxResponse, typeUrl: string, codec: { decode(b: Uint8Array): T }): T | undefined {
  const r = tx.msgResponses.find((m) => m.typeUrl === typeUrl);
  return r ? codec.decode(r.value) : undefined;
}

/** An attribute of the first event of `type` in a delivered tx. */
export function eventAttribute(tx: DeliverTxResponse, type: string, key: string): string | undefined {
  for (const e of tx.events) {
    if (e.type !== type) continue;
    const a = e.attributes.find((x) => x.key === key);
    if (a) return a.value;
  }
  return undefined;
}

/**
 * Prices an image request from the registered model (exactly as the chain does), signs and
 * broadcasts MsgGenerateImage with max_fee equal to that price, and returns the new task's id.
 *
 * @param client - a GliaSigningClient (or anything with signAndBroadcast and `glia` queries)
 * @param sender - the creator's address; it pays the escrow and the tx fee
 * @param params - the request
 * @param fee - "auto" (simulate; needs the client's gasPrice), a gas multiplier, or a StdFee
 * @throws if the model is not registered or the tx fails (the chain's log in the message)
 */
export async function generateImage(
  client: GliaTxClient,
  sender: string,
  params: GenerateImageParams,
  fee: StdFee | "auto" | number = "auto",
  memo = "",
): Promise<GenerateImageResult> {
  const model = await client.glia.inference.model(params.modelId);
  if (!model) throw new Error(`model ${JSON.stringify(params.modelId)} is not registered`);
  let { perResult, escrow } = requestPrice(model, { ...params, seeds: params.seeds.length });
  const denom = params.feeDenom ?? BASE_DENOM;
  if (denom !== BASE_DENOM) {
    const p = await client.glia.inference.params();
    const rate = p.feeDenoms.find((f) => f.denom === denom);
    if (!rate) {
      const accepted = [BASE_DENOM, ...p.feeDenoms.map((f) => f.denom)].join(", ");
      throw new Error(`requests cannot pay in ${denom}; the chain accepts ${accepted}`);
    }
    perResult = priceIn(perResult, rate);
    escrow = perResult * BigInt(params.seeds.length) * BigInt(params.replicas);
  }
  const msg: EncodeObject = {
    typeUrl: "/glia.inference.v1.MsgGenerateImage",
    value: MsgGenerateImage.fromPartial({
      creator: sender,
      modelId: params.modelId,
      prompt: params.prompt,
      negativePrompt: params.negativePrompt ?? "",
      width: params.width,
      height: params.height,
      steps: params.steps,
      guidanceScale: String(params.guidance ?? "7.5"),
      scheduler: scheduler(params.scheduler),
      seeds: params.seeds.map((s) => BigInt(s)),
      replicas: params.replicas,
      maxFee: { denom, amount: escrow.toString() },
      timeoutBlocks: BigInt(params.timeoutBlocks ?? 0),
    }),
  };
  const tx = await client.signAndBroadcast(sender, [msg], fee, memo);
  assertIsDeliverTxSuccess(tx);
  const resp = msgResponse(tx, "/glia.inference.v1.MsgGenerateImageResponse", MsgGenerateImageResponse);
  const id = resp?.taskId ?? BigInt(eventAttribute(tx, "generate_image", "task_id") ?? NaN);
  return {
    taskId: id,
    txHash: tx.transactionHash,
    height: tx.height,
    escrow: { denom, amount: escrow.toString() },
    perResult: { denom, amount: perResult.toString() },
    tx,
  };
}

/** Options of waitForTask and waitForJob. */
export interface WaitOptions<T> {
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Time between queries (default 500 ms). */
  pollMs?: number;
  /** Called with each state read. */
  onProgress?: (state: T) => void;
  /** Stops waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Polls `read` until `done` says so; shared by waitForTask and waitForJob. */
export async function pollUntil<T>(read: () => Promise<T>, done: (t: T) => boolean, what: string, opts: WaitOptions<T> = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const pollMs = opts.pollMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await read();
    opts.onProgress?.(t);
    if (done(t)) return t;
    if (Date.now() + pollMs > deadline) throw new Error(`${what} after ${timeoutMs} ms`);
    await sleep(pollMs, opts.signal);
  }
}

/**
 * Follows a task until it is no longer PENDING (COMPLETED, PARTIAL or REFUNDED) and returns it.
 *
 * @throws on timeout (default 10 minutes)
 */
export async function waitForTask(query: GliaQuerySource, taskId: IntegerLike, opts: WaitOptions<Task> = {}): Promise<Task> {
  const q = gliaQuery(query);
  return pollUntil(
    () => q.inference.task(taskId),
    (t) => t.status !== TaskStatus.TASK_STATUS_PENDING,
    `task ${taskId} still pending`,
    opts,
  );
}

/** One downloaded image. */
export interface FetchedImage {
  seed: bigint;
  /** True when `bytes` hash to the chain's record. */
  ok: boolean;
  /** The PNG (empty when !ok). */
  bytes: Uint8Array;
  /** Hex sha256 the chain recorded ("" for a seed without agreement). */
  sha256: string;
  /** The URL that served the matching bytes ("" when none did). */
  url: string;
  /** Why not ok: no agreement (refunded), or what each URL did. */
  error?: string;
}

export interface FetchImagesOptions {
  /** The fetch to use (default globalThis.fetch). */
  fetch?: typeof globalThis.fetch;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /**
   * Throw (FetchImagesError, with the results) when an agreed image could not be fetched
   * from any of its URLs (default true). Seeds without agreement never throw; they are
   * returned with ok = false.
   */
  strict?: boolean;
}

/** Thrown by fetchImages when no URL served the bytes the chain recorded. */
export class FetchImagesError extends Error {
  constructor(
    message: string,
    public readonly results: FetchedImage[],
  ) {
    super(message);
    this.name = "FetchImagesError";
  }
}

async function fetchOne(o: ImageOutcome, opts: FetchImagesOptions): Promise<FetchedImage> {
  const want = toHex(o.outputSha256);
  if (o.outputSha256.length === 0) {
    return { seed: o.seed, ok: false, bytes: new Uint8Array(), sha256: "", url: "", error: "no agreement on this seed (refunded)" };
  }
  const doFetch = opts.fetch ?? globalThis.fetch;
  const problems: string[] = [];
  for (const url of o.urls) {
    try {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(new Error("timed out")), opts.timeoutMs ?? 30_000);
      let bytes: Uint8Array;
      try {
        const r = await doFetch(url, { signal: ctl.signal });
        if (!r.ok) {
          problems.push(`${url}: HTTP ${r.status}`);
          continue;
        }
        bytes = new Uint8Array(await r.arrayBuffer());
      } finally {
        clearTimeout(timer);
      }
      if (toHex(sha256(bytes)) === want) return { seed: o.seed, ok: true, bytes, sha256: want, url };
      problems.push(`${url}: bytes do not hash to ${want}`);
    } catch (e) {
      problems.push(`${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const error = o.urls.length === 0 ? "the outcome lists no URL" : problems.join("; ");
  return { seed: o.seed, ok: false, bytes: new Uint8Array(), sha256: want, url: "", error };
}

/**
 * Downloads each settled image of a task from its URLs, in order, keeping the first whose
 * sha256 matches the chain's record (works in browsers and Node: the hash is @cosmjs/crypto's).
 *
 * @returns one entry per outcome (seed), in the task's order
 * @throws FetchImagesError when an agreed image is served by none of its URLs (unless strict = false)
 */
export async function fetchImages(task: Pick<Task, "id" | "outcomes">, opts: FetchImagesOptions = {}): Promise<FetchedImage[]> {
  const results = await Promise.all(task.outcomes.map((o) => fetchOne(o, opts)));
  const missing = results.filter((r) => !r.ok && r.sha256 !== "");
  if (missing.length > 0 && (opts.strict ?? true)) {
    throw new FetchImagesError(
      `task ${task.id}: no URL served the image of ${missing.map((m) => `seed ${m.seed} (${m.error})`).join(", ")}`,
      results,
    );
  }
  return results;
}
