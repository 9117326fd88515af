// Unit tests of @glia/proto that need no network: the registry, the amino JSON converters
// (exact outputs and round trips), pricing, the solution commitment (against values the Rust
// code computed), assignment packing, and the helpers against fake clients.

import { describe, it } from "node:test";
import assert from "node:assert/strict";

import { makeSignDoc, serializeSignDoc } from "@cosmjs/amino";
import { sha256 } from "@cosmjs/crypto";
import { fromHex, toHex, toUtf8 } from "@cosmjs/encoding";

import {
  BASE_DENOM,
  FetchImagesError,
  JobStatus,
  Scheduler,
  TaskStatus,
  cnfEnergy,
  commitAndRevealSolution,
  fetchImages,
  generateImage,
  gliaAminoConverters,
  gliaAminoTypes,
  gliaRegistry,
  gliaTypes,
  inference,
  inferenceTypes,
  jobClosed,
  neuro,
  packAssignment,
  parseCnf,
  pricePerResult,
  priceIn,
  requestPrice,
  solutionCommitment,
  submitJob,
  unpackAssignment,
  waitForJob,
  waitForTask,
} from "../dist/index.js";

const ALICE = "glia1j0kzg50n2cumn0k2c8d40lxrm20epl7ynveywv";
const BOB = "glia1avd6w2ryx66tvurqa4mt2c7uvgjd55p5h0apfa";

const codecs = Object.fromEntries(gliaTypes);

/** One fully populated value of every Glia message, and one with only defaults. */
const samples = {
  "/glia.inference.v1.MsgGenerateImage": {
    creator: ALICE,
    modelId: "tiny",
    prompt: "a lighthouse at dusk",
    negativePrompt: "fog",
    width: 64,
    height: 48,
    steps: 4,
    guidanceScale: "7.5",
    scheduler: Scheduler.SCHEDULER_EULER_ANCESTRAL,
    seeds: [1n, 18446744073709551615n],
    replicas: 3,
    maxFee: { denom: "uglia", amount: "49152" },
    timeoutBlocks: 120n,
  },
  "/glia.inference.v1.MsgRegisterExecutor": {
    operator: ALICE,
    validatorPubkey: new Uint8Array(32).fill(7),
    devices: [{ name: "cpu", memoryBytes: 0n, count: 2 }, { name: "H200", memoryBytes: 150323855360n, count: 1 }],
    models: [{ modelId: "tiny", weightsSha256: "591cffdc717c367ab20f5ec53123c8c3b86571e64972eab8b7aaa08c35dabb0b" }],
    blobUrl: "http://127.0.0.1:1317",
    validatorSignature: new Uint8Array(64).fill(9),
    beaconAnchor: new Uint8Array([1, 2, 3]),
    beaconAnchorHeight: 10n,
    beaconEndHeight: 100010n,
    workPerBlock: 0n,
  },
  "/glia.neuro.v1.MsgSubmitJob": {
    creator: ALICE,
    format: 3,
    problem: "p qubo 2 2 0\n0 0 -1\n1 1 -1\n",
    blockFee: { denom: "uglia", amount: "2000" },
    maxBlocks: 50n,
    solutionReward: { denom: "uglia", amount: "70000" },
    targetEnergy: "-1.5",
  },
  "/glia.neuro.v1.MsgCommitSolution": { solver: BOB, jobId: 7n, commitment: new Uint8Array(32).fill(0xab) },
  "/glia.neuro.v1.MsgSubmitSolution": {
    solver: BOB,
    jobId: 7n,
    assignment: new Uint8Array([0x0f]),
    claimedEnergy: -9223372036854775808n,
    salt: new Uint8Array(16).fill(1),
  },
  "/glia.neuro.v1.MsgCancelJob": { creator: ALICE, jobId: 3n },
  "/glia.neuro.v1.MsgReviewJob": { reviewer: BOB, jobId: 3n, approve: true, reason: "fine" },
  "/glia.distribution.v1.MsgSetAutoWithdraw": { delegatorAddress: ALICE, enabled: true },
};

describe("registry", () => {
  it("holds cosmjs's default types and every Glia message", () => {
    const registry = gliaRegistry();
    assert.equal(gliaTypes.length, 8);
    for (const [typeUrl] of gliaTypes) assert.ok(registry.lookupType(typeUrl), typeUrl);
    assert.ok(registry.lookupType("/cosmos.bank.v1beta1.MsgSend"));
  });

  it("encodes and decodes every message through the registry", () => {
    const registry = gliaRegistry();
    for (const [typeUrl, value] of Object.entries(samples)) {
      const any = registry.encodeAsAny({ typeUrl, value });
      assert.equal(any.typeUrl, typeUrl);
      assert.deepEqual(registry.decode(any), codecs[typeUrl].fromPartial(value));
    }
  });
});

describe("amino JSON", () => {
  const types = gliaAminoTypes();

  it("has a converter named glia/<Msg> for every Glia message", () => {
    assert.deepEqual(Object.keys(gliaAminoConverters).sort(), gliaTypes.map(([t]) => t).sort());
    for (const [typeUrl, conv] of Object.entries(gliaAminoConverters)) {
      assert.equal(conv.aminoType, `glia/${typeUrl.split(".").pop()}`);
    }
  });

  it("keeps cosmjs's default converters", () => {
    const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: ALICE, toAddress: BOB, amount: [{ denom: "uglia", amount: "1" }] } };
    assert.equal(types.toAmino(msg).type, "cosmos-sdk/MsgSend");
  });

  it("writes MsgGenerateImage exactly", () => {
    const value = { ...samples["/glia.inference.v1.MsgGenerateImage"], negativePrompt: "", timeoutBlocks: 0n, seeds: [21n] };
    const amino = types.toAmino({ typeUrl: "/glia.inference.v1.MsgGenerateImage", value });
    assert.equal(
      JSON.stringify(amino),
      '{"type":"glia/MsgGenerateImage","value":{"creator":"glia1j0kzg50n2cumn0k2c8d40lxrm20epl7ynveywv","model_id":"tiny",' +
        '"prompt":"a lighthouse at dusk","width":64,"height":48,"steps":4,"guidance_scale":"7.5","scheduler":2,"seeds":["21"],' +
        '"replicas":3,"max_fee":{"denom":"uglia","amount":"49152"}}}',
    );
  });

  it("writes what the chain's encoder writes (app/src/tx/amino.rs glia_messages_sign_as_amino_json)", () => {
    const gen = types.toAmino({
      typeUrl: "/glia.inference.v1.MsgGenerateImage",
      value: { creator: "glia1creator", modelId: "tiny", prompt: "a red <circle>", width: 64, height: 64, steps: 4, guidanceScale: "7.5", scheduler: Scheduler.SCHEDULER_DDIM, seeds: [0n, 21n], replicas: 3, maxFee: { denom: "uglia", amount: "90000" } },
    });
    assert.deepEqual(gen, {
      type: "glia/MsgGenerateImage",
      value: {
        creator: "glia1creator", model_id: "tiny", prompt: "a red <circle>", width: 64, height: 64, steps: 4, guidance_scale: "7.5", scheduler: 1,
        seeds: ["0", "21"], replicas: 3, max_fee: { amount: "90000", denom: "uglia" },
      },
    });
    const sol = types.toAmino({
      typeUrl: "/glia.neuro.v1.MsgSubmitSolution",
      value: { solver: "glia1solver", jobId: 7n, assignment: new Uint8Array([0b101]), claimedEnergy: -3n, salt: new Uint8Array() },
    });
    assert.deepEqual(sol, { type: "glia/MsgSubmitSolution", value: { solver: "glia1solver", job_id: "7", assignment: "BQ==", claimed_energy: "-3" } });
  });

  it("signs the sorted JSON the chain rebuilds (StdSignDoc bytes)", () => {
    const msg = types.toAmino({
      typeUrl: "/glia.neuro.v1.MsgSubmitSolution",
      value: { solver: BOB, jobId: 7n, assignment: new Uint8Array([0x0f]), claimedEnergy: -4n, salt: new Uint8Array(16).fill(1) },
    });
    const doc = makeSignDoc([msg], { amount: [{ denom: "uglia", amount: "5000" }], gas: "200000" }, "glia-local-1", "", 12, 3);
    assert.equal(
      new TextDecoder().decode(serializeSignDoc(doc)),
      '{"account_number":"12","chain_id":"glia-local-1","fee":{"amount":[{"amount":"5000","denom":"uglia"}],"gas":"200000"},"memo":"",' +
        '"msgs":[{"type":"glia/MsgSubmitSolution","value":{"assignment":"Dw==","claimed_energy":"-4","job_id":"7",' +
        '"salt":"AQEBAQEBAQEBAQEBAQEBAQ==","solver":"glia1avd6w2ryx66tvurqa4mt2c7uvgjd55p5h0apfa"}}],"sequence":"3"}',
    );
  });

  it("writes nested repeated messages, bytes and 64-bit integers by the rules", () => {
    const amino = types.toAmino({ typeUrl: "/glia.inference.v1.MsgRegisterExecutor", value: samples["/glia.inference.v1.MsgRegisterExecutor"] });
    assert.deepEqual(amino.value.devices, [{ name: "cpu", count: 2 }, { name: "H200", memory_bytes: "150323855360", count: 1 }]);
    assert.deepEqual(amino.value.models, [{ model_id: "tiny", weights_sha256: "591cffdc717c367ab20f5ec53123c8c3b86571e64972eab8b7aaa08c35dabb0b" }]);
    assert.equal(amino.value.beacon_anchor, "AQID");
    assert.equal(amino.value.beacon_end_height, "100010");
    assert.ok(!("work_per_block" in amino.value), "a zero uint64 is omitted");
    const job = types.toAmino({ typeUrl: "/glia.neuro.v1.MsgSubmitJob", value: samples["/glia.neuro.v1.MsgSubmitJob"] });
    assert.deepEqual(job, {
      type: "glia/MsgSubmitJob",
      value: {
        creator: ALICE,
        format: 3,
        problem: "p qubo 2 2 0\n0 0 -1\n1 1 -1\n",
        block_fee: { denom: "uglia", amount: "2000" },
        max_blocks: "50",
        solution_reward: { denom: "uglia", amount: "70000" },
        target_energy: "-1.5",
      },
    });
    const review = types.toAmino({ typeUrl: "/glia.neuro.v1.MsgReviewJob", value: { reviewer: BOB, jobId: 3n, approve: false, reason: "" } });
    assert.deepEqual(review.value, { reviewer: BOB, job_id: "3" }, "false and empty strings are omitted");
  });

  it("omits every default: an empty message is {}; a set but empty Coin is {}", () => {
    for (const typeUrl of Object.keys(samples)) {
      assert.deepEqual(types.toAmino({ typeUrl, value: codecs[typeUrl].fromPartial({}) }).value, {}, typeUrl);
    }
    const v = types.toAmino({ typeUrl: "/glia.inference.v1.MsgGenerateImage", value: { maxFee: { denom: "", amount: "" } } }).value;
    assert.deepEqual(v, { max_fee: {} });
  });

  it("round-trips every message: fromAmino(toAmino(m)) = m and toAmino(fromAmino(j)) = j", () => {
    for (const [typeUrl, value] of Object.entries(samples)) {
      for (const v of [value, {}, { ...value, ...Object.fromEntries(Object.keys(value).slice(0, 2).map((k) => [k, codecs[typeUrl].fromPartial({})[k]])) }]) {
        const m = codecs[typeUrl].fromPartial(v);
        const amino = types.toAmino({ typeUrl, value: m });
        const back = types.fromAmino(amino);
        assert.equal(back.typeUrl, typeUrl);
        assert.deepEqual(back.value, m, typeUrl);
        assert.deepEqual(types.toAmino(back), amino, typeUrl);
        // JSON on the wire and back (what a wallet returns) changes nothing either.
        assert.deepEqual(types.fromAmino(JSON.parse(JSON.stringify(amino))).value, m, typeUrl);
        // The protobuf the chain receives decodes to the same message.
        assert.deepEqual(codecs[typeUrl].decode(codecs[typeUrl].encode(back.value).finish()), m, typeUrl);
      }
    }
  });

  it("refuses amino JSON that does not follow the rules", () => {
    const conv = gliaAminoConverters["/glia.neuro.v1.MsgCancelJob"];
    assert.throws(() => conv.fromAmino({ creator: ALICE, jobId: "1" }), /unknown field "jobId"/);
    assert.throws(() => conv.fromAmino({ creator: ALICE, job_id: "1.5" }), /not a decimal integer/);
    assert.throws(() => conv.fromAmino({ creator: 5 }), /expected a string/);
  });
});

describe("pricing (price_per_result, modules/src/inference/handler.rs)", () => {
  it("matches the Rust unit test: the tiny model at 4 steps, 64×64 costs 16384 per result", () => {
    // modules/src/inference/tests.rs agreeing_replicas_are_paid_exactly…: per == 16_384.
    assert.equal(pricePerResult({ pricePerStepMegapixel: 1_000_000n }, 4, 64, 64), 16_384n);
    // tests/cosmjs/inference.test.mjs: 3 replicas × 1 seed.
    assert.deepEqual(requestPrice(1_000_000n, { steps: 4, width: 64, height: 64, seeds: 1, replicas: 3 }), { perResult: 16_384n, escrow: 49_152n });
  });

  it("rounds up to a whole uglia, in integer arithmetic", () => {
    assert.equal(pricePerResult(1n, 1, 1000, 1000), 1n); // exactly 10^6 units
    // A voucher at 3 units for 2 uglia: rounded up, as modules/src/coins.rs Rate::price.
    assert.equal(priceIn(2n, { units: 3n, uglia: 2n }), 3n);
    assert.equal(priceIn(1n, { units: 3n, uglia: 2n }), 2n);
    assert.equal(priceIn(16_384n, { units: 2n, uglia: 1n }), 32_768n);
    assert.throws(() => priceIn(1n, { units: 0n, uglia: 1n }), RangeError);
    assert.equal(pricePerResult(1n, 1, 1000, 1001), 2n); // 1,001,000 units
    assert.equal(pricePerResult(3n, 1, 64, 64), 1n); // 12,288 units
    assert.equal(pricePerResult(0n, 50, 512, 512), 0n);
    assert.equal(pricePerResult(250_000n, 8, 512, 512), 524_288n); // 524,288,000,000 / 10^6
    // u64::MAX × 50 × 512 × 512 exceeds 2^53 many times over: exact, rounded up.
    const max = 18446744073709551615n;
    assert.equal(pricePerResult(max, 50, 512, 512), (max * 50n * 512n * 512n + 999_999n) / 1_000_000n);
    // 241,785,163,922,925,834,928,128,000 units / 10^6 = …928.128, rounded up (Python: -(-u // 10**6)).
    assert.equal(pricePerResult(max, 50, 512, 512), 241785163922925834929n);
    assert.deepEqual(requestPrice(250_000n, { steps: 8, width: 512, height: 512, seeds: 4, replicas: 2 }), { perResult: 524_288n, escrow: 4_194_304n });
  });

  it("refuses dimensions that are not uint32", () => {
    assert.throws(() => pricePerResult(1n, 1.5, 64, 64), /steps/);
    assert.throws(() => pricePerResult(1n, 4, -64, 64), /width/);
  });
});

describe("solution commitment (solution_commitment, modules/src/neuro/msgs.rs)", () => {
  // Vectors the Rust code computed: validators' neuro workers (app/src/services/neuro_worker.rs
  // calling glia_modules::neuro::msgs::solution_commitment) committed these on the localnet,
  // and their reveals (MsgSubmitSolution, with the salt) were accepted by gliad, which
  // recomputes the hash. Read back from the blocks' MsgCommitSolution / MsgSubmitSolution.
  const vectors = [
    {
      what: "CNF job 1, energy 0 (blocks 160/161)",
      jobId: 1n,
      solver: "glia1dy70na94sjq0nzphh0exg767dka5wpdzd837ny",
      energy: 0n,
      assignment: "9903",
      salt: "e06e5bbb155f4ca107853bb606acaa1b80080286830da958906fd19a0c486e41",
      commitment: "522416599d1ad95edd04ebd1c39daf4cd3099ec0cbdc1518dd88276ac04a233d",
    },
    {
      what: "QUBO job 2, energy -4 (blocks 173/174)",
      jobId: 2n,
      solver: "glia1g2da4aqt8d4nej3v50c5rh2ej3vym52tgsrwhc",
      energy: -4n,
      assignment: "0f",
      salt: "af49964f4432b8aaf9cebe457a18648e0c73b112c1bb343b720a49655186a474",
      commitment: "917d37cb3cfd1c4be3b5a8e491361457a8fc9951619cd94fe5c4a555e5e95687",
    },
  ];
  for (const v of vectors) {
    it(`matches the Rust value: ${v.what}`, () => {
      const c = solutionCommitment(v.jobId, v.solver, v.energy, fromHex(v.assignment), fromHex(v.salt));
      assert.equal(toHex(c), v.commitment);
    });
  }

  it("is sha256 over the tag, job, length-prefixed solver/assignment/salt, energy (big-endian)", () => {
    const be = (n, bytes = 8) => {
      const b = new Uint8Array(bytes);
      new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, n));
      return b;
    };
    const parts = [toUtf8("glia/neuro/solution-commitment/v1"), be(5n), be(3n), toUtf8("bob"), be(1n), new Uint8Array([1]), be(2n), new Uint8Array([9, 9]), be(-1n)];
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((off, p) => (all.set(p, off), off + p.length), 0);
    assert.equal(toHex(solutionCommitment(5, "bob", -1, new Uint8Array([1]), new Uint8Array([9, 9]))), toHex(sha256(all)));
  });
});

describe("assignments and CNF", () => {
  it("packs as the chain does (modules/problem/src/pack.rs packing_is_canonical)", () => {
    const x = [true, false, true, true, false, false, false, false, true];
    assert.deepEqual([...packAssignment(x)], [0b0000_1101, 0b1]);
    assert.deepEqual(unpackAssignment(packAssignment(x), 9), x);
    assert.throws(() => unpackAssignment(new Uint8Array([0b1101, 0b11]), 9), /past the last variable/);
    assert.throws(() => unpackAssignment(new Uint8Array([1]), 9), /bytes/);
  });

  it("parses DIMACS CNF and counts unsatisfied clauses", () => {
    const cnf = parseCnf("c a comment\np cnf 3 2\n1 -2 0\n2 3\n0\n");
    assert.deepEqual(cnf, { numVars: 3, clauses: [[1, -2], [2, 3]] });
    assert.equal(cnfEnergy(cnf, [false, false, false]), 1);
    assert.equal(cnfEnergy(cnf, [true, false, true]), 0);
  });
});

/** A fake GliaSigningClient: records what it broadcasts, answers queries from `state`. */
function fakeClient(state = {}) {
  const sent = [];
  let height = 100;
  const ok = (typeUrl, value, events = []) => ({
    code: 0,
    height: ++height,
    txIndex: 0,
    transactionHash: `HASH${height}`,
    events,
    msgResponses: typeUrl ? [{ typeUrl, value }] : [],
    gasUsed: 1n,
    gasWanted: 1n,
  });
  return {
    sent,
    async getHeight() {
      return height;
    },
    async signAndBroadcast(signer, msgs, fee) {
      sent.push({ signer, msgs, fee });
      const last = msgs[msgs.length - 1];
      switch (last.typeUrl) {
        case "/glia.inference.v1.MsgGenerateImage":
          return ok("/glia.inference.v1.MsgGenerateImageResponse", inference.MsgGenerateImageResponse.encode({ taskId: 42n }).finish());
        case "/glia.neuro.v1.MsgSubmitJob":
          return ok("/glia.neuro.v1.MsgSubmitJobResponse", neuro.MsgSubmitJobResponse.encode({ jobId: 9n, status: JobStatus.JOB_STATUS_OPEN }).finish());
        case "/glia.neuro.v1.MsgCommitSolution":
          return ok("/glia.neuro.v1.MsgCommitSolutionResponse", neuro.MsgCommitSolutionResponse.encode({ rank: 1n }).finish());
        case "/glia.neuro.v1.MsgSubmitSolution":
          return ok("/glia.neuro.v1.MsgSubmitSolutionResponse", neuro.MsgSubmitSolutionResponse.encode({ index: 0n, metTarget: true }).finish());
        default:
          throw new Error(`unexpected ${last.typeUrl}`);
      }
    },
    glia: {
      inference: {
        model: async (id) => state.models?.find((m) => m.id === id),
        task: async () => state.tasks.shift(),
      },
      neuro: {
        job: async () => (state.jobs.length > 1 ? state.jobs.shift() : state.jobs[0]),
      },
    },
  };
}

describe("helpers against a fake chain", () => {
  it("generateImage prices from the model and offers exactly the escrow as max_fee", async () => {
    const model = inferenceTypes.Model.fromPartial({ id: "tiny", pricePerStepMegapixel: 1_000_000n });
    const c = fakeClient({ models: [model] });
    const r = await generateImage(c, ALICE, { modelId: "tiny", prompt: "p", width: 64, height: 64, steps: 4, guidance: 7.5, seeds: [1, 2n], replicas: 3 });
    assert.equal(r.taskId, 42n);
    assert.deepEqual(r.escrow, { denom: BASE_DENOM, amount: String(16_384 * 2 * 3) });
    const [{ msgs, fee }] = c.sent;
    assert.equal(fee, "auto");
    assert.deepEqual(msgs[0].value, inference.MsgGenerateImage.fromPartial({
      creator: ALICE, modelId: "tiny", prompt: "p", width: 64, height: 64, steps: 4, guidanceScale: "7.5",
      scheduler: Scheduler.SCHEDULER_DDIM, seeds: [1n, 2n], replicas: 3, maxFee: { denom: "uglia", amount: "98304" },
    }));
    await assert.rejects(generateImage(c, ALICE, { modelId: "nope", prompt: "p", width: 64, height: 64, steps: 4, guidance: "7", seeds: [1], replicas: 3 }), /not registered/);
  });

  it("submitJob leaves zero amounts unset and reports the escrow", async () => {
    const c = fakeClient();
    const r = await submitJob(c, ALICE, { format: "cnf", problem: "p cnf 1 1\n1 0\n", blockFee: 0, maxBlocks: 10, reward: 500n });
    assert.equal(r.jobId, 9n);
    assert.equal(r.status, JobStatus.JOB_STATUS_OPEN);
    assert.deepEqual(r.escrow, { denom: "uglia", amount: "500" });
    const v = c.sent[0].msgs[0].value;
    assert.equal(v.blockFee, undefined);
    assert.deepEqual(v.solutionReward, { denom: "uglia", amount: "500" });
    assert.equal(v.format, 1);
  });

  it("commitAndRevealSolution commits the exact hash, then reveals from a later block", async () => {
    const open = { status: JobStatus.JOB_STATUS_OPEN, deadlineHeight: 1000n, settleHeight: 1003n };
    const c = fakeClient({ jobs: [open] });
    const salt = new Uint8Array(20).fill(3);
    const r = await commitAndRevealSolution(c, BOB, { jobId: 9, assignment: [true, false, true], claimedEnergy: 0, salt });
    assert.equal(r.rank, 1n);
    assert.equal(r.metTarget, true);
    const [commit, reveal] = c.sent;
    assert.equal(commit.msgs[0].typeUrl, "/glia.neuro.v1.MsgCommitSolution");
    assert.deepEqual(commit.msgs[0].value.commitment, solutionCommitment(9n, BOB, 0n, new Uint8Array([0b101]), salt));
    assert.deepEqual(reveal.msgs[0].value, neuro.MsgSubmitSolution.fromPartial({ solver: BOB, jobId: 9n, assignment: new Uint8Array([0b101]), claimedEnergy: 0n, salt }));
    assert.ok(r.revealHeight > r.commitHeight);
    // Closed or past-deadline jobs are refused before anything is sent.
    await assert.rejects(commitAndRevealSolution(fakeClient({ jobs: [{ ...open, status: JobStatus.JOB_STATUS_SOLVED }] }), BOB, { jobId: 9, assignment: [true], claimedEnergy: 0 }), /not open/);
    await assert.rejects(commitAndRevealSolution(fakeClient({ jobs: [{ ...open, deadlineHeight: 50n }] }), BOB, { jobId: 9, assignment: [true], claimedEnergy: 0 }), /deadline/);
    await assert.rejects(commitAndRevealSolution(c, BOB, { jobId: 9, assignment: [true], claimedEnergy: 0, salt: new Uint8Array(8) }), /salt/);
  });

  it("waitForTask polls until the task leaves PENDING, reporting progress", async () => {
    const pending = { id: 1n, status: TaskStatus.TASK_STATUS_PENDING };
    const done = { id: 1n, status: TaskStatus.TASK_STATUS_COMPLETED };
    const c = fakeClient({ tasks: [pending, pending, done] });
    const seen = [];
    const t = await waitForTask(c, 1n, { pollMs: 1, onProgress: (x) => seen.push(x.status) });
    assert.equal(t, done);
    assert.deepEqual(seen, [1, 1, 2]);
    await assert.rejects(waitForTask(fakeClient({ tasks: Array(100).fill(pending) }), 1n, { pollMs: 5, timeoutMs: 20 }), /still pending/);
  });

  it("waitForJob waits for the close and the settled escrow", async () => {
    const open = neuro.MsgSubmitJobResponse && { status: JobStatus.JOB_STATUS_OPEN, escrow: { denom: "uglia", amount: "10" }, closedHeight: 0n };
    const solved = { status: JobStatus.JOB_STATUS_SOLVED, escrow: { denom: "uglia", amount: "0" }, refunded: { denom: "uglia", amount: "3" }, closedHeight: 7n };
    assert.equal(jobClosed(open), false);
    assert.equal(jobClosed({ ...solved, escrow: { denom: "uglia", amount: "3" } }), false);
    assert.equal(jobClosed(solved), true);
    const j = await waitForJob(fakeClient({ jobs: [open, open, solved] }), 9n, { pollMs: 1 });
    assert.equal(j.status, JobStatus.JOB_STATUS_SOLVED);
  });

  it("fetchImages keeps the first URL whose bytes hash to the chain's record", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const bad = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 9]);
    const served = { "http://a/x": bad, "http://b/x": png, "http://c/x": null };
    const fetch = async (url) => {
      const body = served[url];
      if (body === undefined) throw new Error("connection refused");
      return body === null ? new Response("gone", { status: 404 }) : new Response(body);
    };
    const outcome = (seed, urls, hash = sha256(png)) => inferenceTypes.ImageOutcome.fromPartial({ seed, outputSha256: hash, urls });
    const task = { id: 5n, outcomes: [outcome(1n, ["http://down/x", "http://c/x", "http://a/x", "http://b/x"]), outcome(2n, [], new Uint8Array())] };
    const [one, two] = await fetchImages(task, { fetch });
    assert.deepEqual({ ...one, bytes: [...one.bytes] }, { seed: 1n, ok: true, bytes: [...png], sha256: toHex(sha256(png)), url: "http://b/x" });
    assert.equal(two.ok, false);
    assert.match(two.error, /no agreement/);

    const none = { id: 6n, outcomes: [outcome(3n, ["http://a/x", "http://c/x", "http://down/x"])] };
    await assert.rejects(fetchImages(none, { fetch }), (e) => {
      assert.ok(e instanceof FetchImagesError);
      assert.match(e.message, /seed 3/);
      assert.match(e.results[0].error, /do not hash.*HTTP 404.*connection refused/);
      return true;
    });
    const [marked] = await fetchImages(none, { fetch, strict: false });
    assert.equal(marked.ok, false);
    assert.equal(marked.url, "");
  });
});
