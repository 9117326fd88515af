// Neuromorphic jobs: post a problem, commit to a solution and reveal it as the chain's
// commit-reveal rules require, follow a job until it closes.

import { Random, sha256 } from "@cosmjs/crypto";
import type { EncodeObject } from "@cosmjs/proto-signing";
import { BroadcastTxError, assertIsDeliverTxSuccess } from "@cosmjs/stargate";
import type { StdFee } from "@cosmjs/stargate";

import type { Coin } from "./cosmos/base/v1beta1/coin.js";
import {
  MsgCommitSolution,
  MsgCommitSolutionResponse,
  MsgSubmitJob,
  MsgSubmitJobResponse,
  MsgSubmitSolution,
  MsgSubmitSolutionResponse,
} from "./glia/neuro/v1/tx.js";
import { JobStatus, ProblemFormat } from "./glia/neuro/v1/types.js";
import type { Job } from "./glia/neuro/v1/types.js";
import { BASE_DENOM, eventAttribute, gliaQuery, msgResponse, pollUntil } from "./inference.js";
import type { GliaQuerySource, GliaTxClient, WaitOptions } from "./inference.js";
import type { IntegerLike } from "./queries.js";

const DOMAIN = new TextEncoder().encode("glia/neuro/solution-commitment/v1");

function u64be(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v));
  return b;
}

/**
 * The commitment a solver publishes before revealing a solution, exactly as the chain
 * computes it (`solution_commitment` in modules/src/neuro/msgs.rs): sha256 over the domain tag
 * "glia/neuro/solution-commitment/v1", the job id (u64 big-endian), then the solver's address,
 * the packed assignment and the salt, each prefixed by its length (u64 big-endian), and last
 * the claimed energy (i64 big-endian, two's complement).
 */
export function solutionCommitment(jobId: IntegerLike, solver: string, claimedEnergy: IntegerLike, assignment: Uint8Array, salt: Uint8Array): Uint8Array {
  const energy = BigInt(claimedEnergy);
  if (energy < -(2n ** 63n) || energy >= 2n ** 63n) throw new RangeError(`claimed energy ${energy} is not an i64`);
  const parts: Uint8Array[] = [DOMAIN, u64be(BigInt(jobId))];
  for (const p of [new TextEncoder().encode(solver), assignment, salt]) {
    parts.push(u64be(BigInt(p.length)), p);
  }
  parts.push(u64be(energy));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  return sha256(all);
}

/** Packs an assignment as the chain reads it: variable 1 in bit 0 of byte 0, ⌈n/8⌉ bytes. */
export function packAssignment(x: readonly boolean[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(x.length / 8));
  x.forEach((b, i) => {
    if (b) out[i >> 3] |= 1 << (i & 7);
  });
  return out;
}

/** Unpacks `n` variables (the inverse of packAssignment); throws on a wrong length or padding. */
export function unpackAssignment(bits: Uint8Array, n: number): boolean[] {
  if (bits.length !== Math.ceil(n / 8)) throw new RangeError(`assignment is ${bits.length} bytes, ${Math.ceil(n / 8)} expected for ${n} variables`);
  if (n % 8 !== 0 && bits[n >> 3] >> (n % 8) !== 0) throw new RangeError("assignment has bits set past the last variable");
  return Array.from({ length: n }, (_, i) => ((bits[i >> 3] >> (i & 7)) & 1) === 1);
}

/** A DIMACS CNF problem: variables and clauses (literals ±v, 1-based). */
export interface Cnf {
  numVars: number;
  clauses: number[][];
}

/** Parses DIMACS CNF text ("p cnf N M", clauses ending in 0, "c" comments). */
export function parseCnf(text: string): Cnf {
  let numVars = -1;
  const clauses: number[][] = [];
  let cur: number[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("c") || line.startsWith("%")) continue;
    if (line.startsWith("p")) {
      const m = /^p\s+cnf\s+(\d+)\s+(\d+)$/.exec(line);
      if (!m) throw new Error(`not a CNF header: ${line}`);
      numVars = Number(m[1]);
      continue;
    }
    for (const tok of line.split(/\s+/)) {
      const lit = Number(tok);
      if (!Number.isInteger(lit)) throw new Error(`bad literal ${tok}`);
      if (lit === 0) {
        clauses.push(cur);
        cur = [];
      } else {
        cur.push(lit);
      }
    }
  }
  if (numVars < 0) throw new Error("no 'p cnf' header");
  if (cur.length > 0) clauses.push(cur);
  return { numVars, clauses };
}

/** A CNF job's energy: the number of clauses `x` leaves unsatisfied (x[0] is variable 1). */
export function cnfEnergy(cnf: Cnf, x: readonly boolean[]): number {
  let unsat = 0;
  for (const c of cnf.clauses) {
    if (!c.some((l) => x[Math.abs(l) - 1] === l > 0)) unsat++;
  }
  return unsat;
}

/** A problem format by enum value or name. */
export type ProblemFormatLike = ProblemFormat | "cnf" | "wcnf" | "qubo";

function problemFormat(f: ProblemFormatLike): ProblemFormat {
  switch (f) {
    case "cnf":
      return ProblemFormat.PROBLEM_FORMAT_CNF;
    case "wcnf":
      return ProblemFormat.PROBLEM_FORMAT_WCNF;
    case "qubo":
      return ProblemFormat.PROBLEM_FORMAT_QUBO;
    default:
      return f;
  }
}

/** An amount of uglia (bigint, number, decimal string) or a Coin (an IBC voucher the chain's
 * neuro params accept in fee_denoms; the block fee and reward must share one denom). */
export type AmountLike = IntegerLike | Coin;

function coinOf(a: AmountLike | undefined): Coin | undefined {
  if (a === undefined) return undefined;
  const c = typeof a === "object" ? a : { denom: BASE_DENOM, amount: BigInt(a).toString() };
  // As the CLI: a zero amount is left unset.
  return BigInt(c.amount) === 0n ? undefined : c;
}

const amountOf = (c: Coin | undefined) => (c ? BigInt(c.amount) : 0n);

export interface SubmitJobParams {
  /** CNF (SAT), WCNF (weighted MaxSAT) or QUBO. */
  format: ProblemFormatLike;
  /** The problem text, at most params.max_problem_bytes. */
  problem: string;
  /** Paid each block the job is open, to the solvers that improved in it (uglia or a Coin). */
  blockFee?: AmountLike;
  /** Blocks the job stays open. */
  maxBlocks: IntegerLike;
  /** For the solution that meets the target (or the best at the deadline). */
  reward?: AmountLike;
  /** Optimisation jobs: an energy to reach in the problem's units ("-12.5"); empty for CNF. */
  targetEnergy?: string;
}

export interface SubmitJobResult {
  jobId: bigint;
  /** OPEN, or AWAITING_REVIEW when the problem is above the review size threshold. */
  status: JobStatus;
  txHash: string;
  height: number;
  /** max_blocks × block_fee + reward, held in escrow. */
  escrow: Coin;
}

/**
 * Posts a problem to the job board (MsgSubmitJob), escrowing max_blocks × block_fee + reward.
 *
 * @throws if the tx fails (the chain's log in the message)
 */
export async function submitJob(
  client: GliaTxClient,
  sender: string,
  params: SubmitJobParams,
  fee: StdFee | "auto" | number = "auto",
  memo = "",
): Promise<SubmitJobResult> {
  const blockFee = coinOf(params.blockFee);
  const reward = coinOf(params.reward);
  const maxBlocks = BigInt(params.maxBlocks);
  const msg: EncodeObject = {
    typeUrl: "/glia.neuro.v1.MsgSubmitJob",
    value: MsgSubmitJob.fromPartial({
      creator: sender,
      format: problemFormat(params.format),
      problem: params.problem,
      blockFee,
      maxBlocks,
      solutionReward: reward,
      targetEnergy: params.targetEnergy ?? "",
    }),
  };
  const tx = await client.signAndBroadcast(sender, [msg], fee, memo);
  assertIsDeliverTxSuccess(tx);
  const resp = msgResponse(tx, "/glia.neuro.v1.MsgSubmitJobResponse", MsgSubmitJobResponse);
  const jobId = resp?.jobId ?? BigInt(eventAttribute(tx, "submit_job", "job_id") ?? NaN);
  const status = resp?.status ?? (await client.glia.neuro.job(jobId)).status;
  return {
    jobId,
    status,
    txHash: tx.transactionHash,
    height: tx.height,
    escrow: {
      denom: blockFee?.denom ?? reward?.denom ?? BASE_DENOM,
      amount: (maxBlocks * amountOf(blockFee) + amountOf(reward)).toString(),
    },
  };
}

export interface CommitAndRevealParams {
  jobId: IntegerLike;
  /** Packed (packAssignment) or one boolean per variable, variable 1 first. */
  assignment: Uint8Array | readonly boolean[];
  /** The assignment's energy as the chain computes it (unsatisfied clauses for CNF; scaled units for QUBO). */
  claimedEnergy: IntegerLike;
  /** The commitment's secret, 16 to 64 bytes (default 32 random bytes). */
  salt?: Uint8Array;
  /**
   * Messages the solver signs into the commitment's tx ahead of MsgCommitSolution: e.g. a
   * committee member's MsgReviewJob approval that opens the job in the same block.
   */
  precedingMessages?: readonly EncodeObject[];
  /** Fee of each of the two txs (default "auto"). */
  fee?: StdFee | "auto" | number;
}

export interface CommitAndRevealResult {
  /** The commitment's rank in its job (1 = first); equal energies rank by it. */
  rank: bigint;
  /** The accepted solution's index in the job's solutions. */
  index: bigint;
  /** Whether it met the job's target (then it closed the job: SOLVED). */
  metTarget: boolean;
  commitment: Uint8Array;
  salt: Uint8Array;
  commitTxHash: string;
  commitHeight: number;
  revealTxHash: string;
  revealHeight: number;
}

const NEURO_REVEAL_TOO_EARLY = 23;

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Submits a solution the way the chain requires: MsgCommitSolution with the salted commitment
 * (solutionCommitment), then — from a later block, within the job's reveal window (up to its
 * settle_height = deadline + params.reveal_blocks) — MsgSubmitSolution revealing it.
 *
 * The commitment must land in a block no later than the job's deadline; this checks that
 * first (unless `precedingMessages` are to open the job in the same tx).
 *
 * @throws if the job is not open, the reveal window has passed, or either tx fails
 */
export async function commitAndRevealSolution(
  client: GliaTxClient & { getHeight(): Promise<number> },
  solver: string,
  params: CommitAndRevealParams,
): Promise<CommitAndRevealResult> {
  const jobId = BigInt(params.jobId);
  const fee = params.fee ?? "auto";
  const assignment = params.assignment instanceof Uint8Array ? params.assignment : packAssignment(params.assignment);
  const salt = params.salt ?? Random.getBytes(32);
  if (salt.length < 16 || salt.length > 64) throw new RangeError(`salt is ${salt.length} bytes: it must hold 16 to 64`);
  const claimedEnergy = BigInt(params.claimedEnergy);
  const preceding = params.precedingMessages ?? [];

  if (preceding.length === 0) {
    const job = await client.glia.neuro.job(jobId);
    if (job.status !== JobStatus.JOB_STATUS_OPEN) {
      throw new Error(`job ${jobId} is ${JobStatus[job.status] ?? job.status}, not open for commitments`);
    }
    // A mempool tx runs in the next block, which must not pass the deadline.
    const height = await client.getHeight();
    if (BigInt(height) + 1n > job.deadlineHeight) {
      throw new Error(`job ${jobId}: its deadline ${job.deadlineHeight} has passed (height ${height}): it takes no more commitments`);
    }
  }

  const commitment = solutionCommitment(jobId, solver, claimedEnergy, assignment, salt);
  const commitTx = await client.signAndBroadcast(
    solver,
    [...preceding, { typeUrl: "/glia.neuro.v1.MsgCommitSolution", value: MsgCommitSolution.fromPartial({ solver, jobId, commitment }) }],
    fee,
  );
  assertIsDeliverTxSuccess(commitTx);
  const rank =
    msgResponse(commitTx, "/glia.neuro.v1.MsgCommitSolutionResponse", MsgCommitSolutionResponse)?.rank ??
    BigInt(eventAttribute(commitTx, "solution_committed", "rank") ?? 0);

  // The reveal must come from a block after the commitment's, by the job's settle height.
  const job = await client.glia.neuro.job(jobId);
  const reveal: EncodeObject = {
    typeUrl: "/glia.neuro.v1.MsgSubmitSolution",
    value: MsgSubmitSolution.fromPartial({ solver, jobId, assignment, claimedEnergy, salt }),
  };
  for (let attempt = 0; ; attempt++) {
    const height = await client.getHeight();
    if (height < commitTx.height) {
      await delay(200);
      continue;
    }
    if (job.settleHeight > 0n && BigInt(height) + 1n > job.settleHeight) {
      throw new Error(`job ${jobId}: the reveal window closed at height ${job.settleHeight} (now ${height})`);
    }
    try {
      const revealTx = await client.signAndBroadcast(solver, [reveal], fee);
      assertIsDeliverTxSuccess(revealTx);
      const r = msgResponse(revealTx, "/glia.neuro.v1.MsgSubmitSolutionResponse", MsgSubmitSolutionResponse);
      return {
        rank,
        index: r?.index ?? BigInt(eventAttribute(revealTx, "solution_accepted", "index") ?? 0),
        metTarget: r?.metTarget ?? eventAttribute(revealTx, "solution_accepted", "met_target") === "true",
        commitment,
        salt,
        commitTxHash: commitTx.transactionHash,
        commitHeight: commitTx.height,
        revealTxHash: revealTx.transactionHash,
        revealHeight: revealTx.height,
      };
    } catch (e) {
      // A node whose state lags the commitment's block refuses the reveal as too early: retry.
      const early = e instanceof BroadcastTxError && e.code === NEURO_REVEAL_TOO_EARLY && e.codespace === "neuro";
      const simulatedEarly = e instanceof Error && /reveal it from block/.test(e.message);
      if ((early || simulatedEarly) && attempt < 10) {
        await delay(500);
        continue;
      }
      throw e;
    }
  }
}

/** Whether a job is closed and settled (its escrow paid out and refunded). */
export function jobClosed(j: Job): boolean {
  const live = j.status === JobStatus.JOB_STATUS_OPEN || j.status === JobStatus.JOB_STATUS_AWAITING_REVIEW;
  // The refund is paid at the end of the closing block.
  return !live && (j.refunded !== undefined || j.closedHeight > 0n) && amountOf(j.escrow) === 0n;
}

/**
 * Follows a job until it closes (SOLVED, EXPIRED, CANCELLED, REJECTED or REVIEW_EXPIRED) and
 * its escrow is settled, and returns it.
 *
 * @throws on timeout (default 10 minutes)
 */
export async function waitForJob(query: GliaQuerySource, jobId: IntegerLike, opts: WaitOptions<Job> = {}): Promise<Job> {
  const q = gliaQuery(query);
  return pollUntil(() => q.neuro.job(jobId), jobClosed, `job ${jobId} still open`, opts);
}
