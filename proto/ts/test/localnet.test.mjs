// @glia/proto against a running localnet (GLIA_NETWORK, else <repo>/localnet/.run/network.json):
// an image task from request to verified PNGs, a job solved by a brute-forced assignment
// through commit and reveal, the typed queries against the REST routes, and amino-signed
// broadcasts of Glia messages.
//
// Signs with dev21 (requester, job creator) and dev22 (solver) only; GLIA_TS_CREATOR and
// GLIA_TS_SOLVER name others. Without the profile the tests skip, unless GLIA_REQUIRE_NETWORK=1
// (`npm run test:localnet`, run-tests.sh with GLIA_NETWORK set), where they fail.

import { before, after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { Secp256k1HdWallet } from "@cosmjs/amino";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";

import {
  GliaClient,
  GliaSigningClient,
  JobStatus,
  ProblemFormat,
  TaskStatus,
  cnfEnergy,
  commitAndRevealSolution,
  fetchImages,
  generateImage,
  inferenceQuery,
  mintTypes,
  neuro,
  neuroQuery,
  packAssignment,
  parseCnf,
  requestPrice,
  submitJob,
  waitForJob,
  waitForTask,
} from "../dist/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const NETWORK_PATH = process.env.GLIA_NETWORK
  ? resolve(process.cwd(), process.env.GLIA_NETWORK)
  : resolve(HERE, "../../../localnet/.run/network.json");
const REQUIRED = process.env.GLIA_REQUIRE_NETWORK === "1";
const present = existsSync(NETWORK_PATH);
const skip = present ? false : `no localnet profile at ${NETWORK_PATH}: start the localnet (localnet/up.sh) or set GLIA_NETWORK`;

if (!present && REQUIRED) {
  it("needs a localnet profile", () => {
    assert.fail(`GLIA_REQUIRE_NETWORK=1 but the localnet profile ${NETWORK_PATH} does not exist: start the localnet or set GLIA_NETWORK`);
  });
}

const net = present ? JSON.parse(readFileSync(NETWORK_PATH, "utf8")) : undefined;
const account = (name) => {
  const a = net.accounts.find((x) => x.name === name);
  assert.ok(a, `account ${name} is not in ${NETWORK_PATH} (the localnet needs --accounts 24 or more)`);
  return a;
};

/** A planted 3-SAT instance over `vars` variables: every clause holds under a hidden assignment. */
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

/** The first satisfying assignment, by trying all 2^n (n small). */
function bruteForce(cnf) {
  for (let bits = 0; bits < 2 ** cnf.numVars; bits++) {
    const x = Array.from({ length: cnf.numVars }, (_, i) => ((bits >> i) & 1) === 1);
    if (cnfEnergy(cnf, x) === 0) return x;
  }
  throw new Error("unsatisfiable");
}

async function rest(path) {
  const r = await fetch(`${net.rest[0]}${path}`);
  const text = await r.text();
  assert.equal(r.status, 200, `GET ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

describe("@glia/proto on the localnet", { skip }, () => {
  let creator, solver, client, solverClient;

  before(async () => {
    creator = account(process.env.GLIA_TS_CREATOR || "dev21");
    solver = account(process.env.GLIA_TS_SOLVER || "dev22");
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(creator.mnemonic, { prefix: net.bech32_prefix });
    const solverWallet = await DirectSecp256k1HdWallet.fromMnemonic(solver.mnemonic, { prefix: net.bech32_prefix });
    client = await GliaSigningClient.connectWithSigner(net.rpc[0], wallet, { gasPrice: net.gas_price });
    solverClient = await GliaSigningClient.connectWithSigner(net.rpc[0], solverWallet, { gasPrice: net.gas_price });
    assert.equal(await client.getChainId(), net.chain_id);
  });

  after(() => {
    client?.disconnect();
    solverClient?.disconnect();
  });

  it("generateImage → waitForTask → fetchImages: every image verified against the chain", { timeout: 180_000 }, async () => {
    const model = await client.glia.inference.model("tiny");
    assert.ok(model, "the localnet registers the tiny model");
    // Three replicas: with test fixtures one executor perturbs its images; the model asks two.
    const params = { modelId: "tiny", prompt: "a lighthouse at dusk, from @glia/proto", width: 64, height: 64, steps: 4, guidance: "7.5", seeds: [7n, 8n], replicas: 3 };
    const price = requestPrice(model, { ...params, seeds: 2 });
    const before = BigInt((await client.getBalance(creator.address, net.denom)).amount);
    const r = await generateImage(client, creator.address, params);
    assert.equal(BigInt(r.escrow.amount), price.escrow);
    const progress = [];
    const task = await waitForTask(client, r.taskId, { timeoutMs: 150_000, onProgress: (t) => progress.push(t.status) });
    assert.ok(progress.length >= 1);
    assert.equal(task.status, TaskStatus.TASK_STATUS_COMPLETED, `task ended ${TaskStatus[task.status]}`);
    assert.equal(task.creator, creator.address);
    assert.deepEqual(task.escrow, r.escrow);
    assert.equal(BigInt(task.pricePerResult.amount), price.perResult);
    const images = await fetchImages(task);
    assert.equal(images.length, 2);
    for (const img of images) {
      assert.ok(img.ok, `seed ${img.seed}: ${img.error}`);
      assert.deepEqual([...img.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG");
      assert.ok(task.outcomes.find((o) => o.seed === img.seed).urls.includes(img.url));
    }
    // Paid: the tx fee and the escrow, less the refund.
    const after = BigInt((await client.getBalance(creator.address, net.denom)).amount);
    const feeAttr = r.tx.events.find((e) => e.type === "tx" && e.attributes.some((a) => a.key === "fee"));
    const fee = BigInt(feeAttr.attributes.find((a) => a.key === "fee").value.replace(net.denom, ""));
    assert.equal(after, before - fee - price.escrow + BigInt(task.refunded?.amount ?? 0));
  });

  it("submitJob → commitAndRevealSolution (brute-forced, from the solver) → waitForJob: SOLVED, the solver wins", { timeout: 240_000 }, async () => {
    const params = await client.glia.neuro.params();
    // The validators' solvers race any solver to a job as soon as it opens. On a localnet
    // whose review committee holds both accounts (localnet/up.sh: the last three dev accounts,
    // quorum 2), the job is made to await review: the creator approves, and the solver's
    // approval — the one that opens it — travels in the commitment's tx, so the solver's
    // commitment lands in the very block the job opens and its reveal in the next, before
    // any validator can have committed. Elsewhere the job opens at once and the solver races.
    const onCommittee = (a) => params.committee.includes(a.address);
    const viaReview = onCommittee(solver) && (params.quorum === 1 || (params.quorum === 2 && onCommittee(creator)));
    const vars = 12;
    // size = literals + clauses = 4 per 3-literal clause; above the threshold to await review.
    const clauses = viaReview ? Math.floor(Number(params.reviewSizeThreshold) / 4) + 1 : 24;
    const problem = planted(vars, clauses, Date.now());
    const cnf = parseCnf(problem);
    const x = bruteForce(cnf);
    const blockFee = 100n, maxBlocks = 40n, reward = 5_000n;
    const job0 = await submitJob(client, creator.address, { format: "cnf", problem, blockFee, maxBlocks, reward });
    assert.equal(job0.escrow.amount, String(maxBlocks * blockFee + reward));
    const precedingMessages = [];
    if (viaReview) {
      assert.equal(job0.status, JobStatus.JOB_STATUS_AWAITING_REVIEW);
      const approve = (reviewer) => ({ typeUrl: "/glia.neuro.v1.MsgReviewJob", value: neuro.MsgReviewJob.fromPartial({ reviewer, jobId: job0.jobId, approve: true, reason: "@glia/proto test" }) });
      if (params.quorum === 2) {
        const tx = await client.signAndBroadcast(creator.address, [approve(creator.address)], "auto");
        assert.equal(tx.code, 0, tx.rawLog);
        assert.equal((await client.glia.neuro.job(job0.jobId)).status, JobStatus.JOB_STATUS_AWAITING_REVIEW);
      }
      precedingMessages.push(approve(solver.address));
    } else {
      assert.equal(job0.status, JobStatus.JOB_STATUS_OPEN);
    }
    const sol = await commitAndRevealSolution(solverClient, solver.address, {
      jobId: job0.jobId,
      assignment: x,
      claimedEnergy: 0,
      precedingMessages,
    });
    assert.equal(sol.metTarget, true);
    assert.ok(sol.revealHeight > sol.commitHeight);
    if (viaReview) assert.equal(sol.rank, 1n, "the commitment came first");

    const job = await waitForJob(client, job0.jobId, { timeoutMs: 60_000 });
    assert.equal(job.status, JobStatus.JOB_STATUS_SOLVED, `job ended ${JobStatus[job.status]}`);
    assert.equal(job.winner, solver.address);
    assert.equal(BigInt(job.rewardPaid.amount), reward);
    assert.equal(BigInt(job.feesPaid.amount) + BigInt(job.rewardPaid.amount) + BigInt(job.refunded.amount), maxBlocks * blockFee + reward, "escrow conserved");
    const { solutions } = await client.glia.neuro.solutions(job0.jobId);
    const mine = solutions.find((s) => s.solver === solver.address);
    assert.ok(mine, "the solver's solution was accepted");
    assert.equal(mine.index, sol.index);
    assert.deepEqual(mine.assignment, packAssignment(x));
    assert.equal(mine.energy, 0n);
  });

  it("typed queries return what the REST routes return", { timeout: 60_000 }, async () => {
    const reader = await GliaClient.connect(net.rpc[0]);
    const q = reader.glia;
    const I = inferenceQuery, N = neuroQuery;
    assert.deepEqual(await q.inference.models(), I.QueryModelsResponse.fromJSON(await rest("/glia/inference/v1/models")).models);
    assert.deepEqual(await q.inference.params(), I.QueryParamsResponse.fromJSON(await rest("/glia/inference/v1/params")).params);
    assert.deepEqual(await q.neuro.params(), N.QueryParamsResponse.fromJSON(await rest("/glia/neuro/v1/params")).params);

    // Settled tasks and closed jobs no longer change.
    const { tasks } = await q.inference.tasks({ creator: (account(process.env.GLIA_TS_CREATOR || "dev21")).address, status: TaskStatus.TASK_STATUS_COMPLETED, pagination: { limit: 5n } });
    assert.ok(tasks.length > 0, "the creator has a completed task");
    for (const t of tasks) {
      assert.deepEqual(await q.inference.task(t.id), I.QueryTaskResponse.fromJSON(await rest(`/glia/inference/v1/tasks/${t.id}`)).task);
    }
    const listed = await q.inference.tasks({ creator: tasks[0].creator, status: TaskStatus.TASK_STATUS_COMPLETED });
    const restListed = I.QueryTasksResponse.fromJSON(await rest(`/glia/inference/v1/tasks?creator=${tasks[0].creator}&status=TASK_STATUS_COMPLETED`));
    assert.deepEqual(listed.tasks.map((t) => t.id), restListed.tasks.map((t) => t.id));

    const { jobs } = await q.neuro.jobs({ status: JobStatus.JOB_STATUS_SOLVED, creator: tasks[0].creator, pagination: { limit: 3n } });
    assert.ok(jobs.length > 0, "the creator has a solved job");
    for (const j of jobs) {
      assert.equal(j.problem, "", "listings leave out the problem");
      const one = await q.neuro.job(j.id);
      assert.deepEqual(one, N.QueryJobResponse.fromJSON(await rest(`/glia/neuro/v1/jobs/${j.id}`)).job);
      assert.equal(one.format, ProblemFormat.PROBLEM_FORMAT_CNF);
      assert.deepEqual((await q.neuro.solutions(j.id)).solutions, N.QuerySolutionsResponse.fromJSON(await rest(`/glia/neuro/v1/jobs/${j.id}/solutions`)).solutions);
    }

    // Executors' counters move while others' tasks run: compare a quiet moment.
    let same = false;
    for (let i = 0; i < 10 && !same; i++) {
      const a = await q.inference.executors();
      const b = I.QueryExecutorsResponse.fromJSON(await rest("/glia/inference/v1/executors"));
      same = JSON.stringify(a.executors, (_, v) => (typeof v === "bigint" ? v.toString() : v)) === JSON.stringify(b.executors, (_, v) => (typeof v === "bigint" ? v.toString() : v));
      if (!same) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(same, "executors: typed query and REST agree");

    // Glia's mint and useful-work queries (REST shows decimals in point form).
    const emission = await q.gliaMint.emission();
    const restEmission = await rest("/glia/mint/v1/emission");
    assert.equal(emission.params.mintDenom, restEmission.params.mint_denom);
    assert.equal(emission.params.emissionCap, restEmission.params.emission_cap);
    assert.equal(emission.params.blocksPerYear, BigInt(restEmission.params.blocks_per_year));
    // An 18-place decimal: the integer count of 10^-18 in protobuf, point form in REST.
    assert.equal(BigInt(emission.params.decayPerBlock), BigInt(restEmission.params.decay_per_block.replace(".", "")));
    assert.ok(mintTypes.QueryScheduleResponse);
    assert.ok((await q.gliaMint.schedule(2)).years.length === 2);
    const work = await q.gliaDistribution.usefulWork();
    const restWork = await rest("/glia/distribution/v1/useful_work");
    assert.equal(work.params.epochBlocks, BigInt(restWork.params.epoch_blocks));
    const worker = await q.gliaDistribution.worker(net.operators[0].address);
    assert.equal(typeof worker.totalEarned, "string");
    reader.disconnect();
  });

  describe("amino (SIGN_MODE_LEGACY_AMINO_JSON) signing", () => {
    let amino, aminoAddress;
    before(async () => {
      const wallet = await Secp256k1HdWallet.fromMnemonic(creator.mnemonic, { prefix: net.bech32_prefix });
      [{ address: aminoAddress }] = await wallet.getAccounts();
      assert.equal(aminoAddress, creator.address);
      amino = await GliaSigningClient.connectWithSigner(net.rpc[0], wallet, { gasPrice: net.gas_price });
    });
    after(() => amino?.disconnect());

    it("control: an amino-signed MsgSend (cosmos-sdk/MsgSend) is accepted", { timeout: 60_000 }, async () => {
      const tx = await amino.sendTokens(aminoAddress, solver.address, [{ denom: net.denom, amount: "1" }], "auto");
      assert.equal(tx.code, 0, tx.rawLog);
    });

    it("an amino-signed MsgGenerateImage (glia/MsgGenerateImage) is accepted and settles", { timeout: 180_000 }, async () => {
      const r = await generateImage(amino, aminoAddress, { modelId: "tiny", prompt: "amino-signed", width: 64, height: 64, steps: 2, guidance: "7.5", seeds: [3n], replicas: 3 });
      const task = await waitForTask(amino, r.taskId, { timeoutMs: 150_000 });
      assert.equal(task.status, TaskStatus.TASK_STATUS_COMPLETED);
    });

    it("an amino-signed MsgSubmitJob (glia/MsgSubmitJob) is accepted", { timeout: 60_000 }, async () => {
      const r = await submitJob(amino, aminoAddress, { format: "cnf", problem: planted(8, 16, 77), blockFee: 10, maxBlocks: 10, reward: 100 });
      const job = await amino.glia.neuro.job(r.jobId);
      assert.equal(job.creator, aminoAddress);
      assert.equal(job.maxBlocks, 10n);
    });
  });
});
