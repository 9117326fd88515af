// Typed query extensions for cosmjs's QueryClient: each method is an ABCI query on the path
// `/<package>.Query/<Method>` (protobuf request in, protobuf response out), the same dispatch
// the chain's gRPC and REST routes answer from.

import { createProtobufRpcClient } from "@cosmjs/stargate";
import type { QueryClient } from "@cosmjs/stargate";

import { PageRequest } from "./cosmos/base/query/v1beta1/pagination.js";
import * as distribution from "./glia/distribution/v1/distribution.js";
import * as iq from "./glia/inference/v1/query.js";
import type { Executor, Model, Params as InferenceParams, Task, TaskStatus } from "./glia/inference/v1/types.js";
import * as mint from "./glia/mint/v1/mint.js";
import * as nq from "./glia/neuro/v1/query.js";
import type { Job, JobStatus, Params as NeuroParams } from "./glia/neuro/v1/types.js";

/** A 64-bit id or count as the helpers accept it. */
export type IntegerLike = bigint | number | string;

/** Pagination as a partial PageRequest (`{limit: 10n}`, `{key}`, `{countTotal: true}`, …). */
export type Pagination = Partial<PageRequest>;

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial(object: any): T;
}

type Request = <Req, Resp>(method: string, reqCodec: Codec<Req>, req: Partial<Req>, respCodec: Codec<Resp>) => Promise<Resp>;

function requester(base: QueryClient, service: string): Request {
  const rpc = createProtobufRpcClient(base);
  return async (method, reqCodec, req, respCodec) => {
    const data = reqCodec.encode(reqCodec.fromPartial(req)).finish();
    return respCodec.decode(await rpc.request(service, method, data));
  };
}

const page = (p?: Pagination): PageRequest | undefined => (p ? PageRequest.fromPartial(p) : undefined);

/** Queries of the inference module (`glia.inference.v1.Query`). */
export interface InferenceExtension {
  readonly inference: {
    /** One task by id, with its assignments and outcomes; throws if it does not exist. */
    readonly task: (id: IntegerLike) => Promise<Task>;
    /** Tasks newest first; `creator` and `status` filter when set. */
    readonly tasks: (filter?: { creator?: string; status?: TaskStatus; pagination?: Pagination }) => Promise<iq.QueryTasksResponse>;
    /** The registered executors. */
    readonly executors: (pagination?: Pagination) => Promise<iq.QueryExecutorsResponse>;
    /** Every registered model. */
    readonly models: () => Promise<Model[]>;
    /** One registered model by id, or undefined. */
    readonly model: (id: string) => Promise<Model | undefined>;
    readonly params: () => Promise<InferenceParams>;
  };
}

export function setupInferenceExtension(base: QueryClient): InferenceExtension {
  const q = requester(base, "glia.inference.v1.Query");
  const models = async () => (await q("Models", iq.QueryModelsRequest, {}, iq.QueryModelsResponse)).models;
  return {
    inference: {
      task: async (id) => {
        const r = await q("Task", iq.QueryTaskRequest, { id: BigInt(id) }, iq.QueryTaskResponse);
        if (!r.task) throw new Error(`task ${id} not found`);
        return r.task;
      },
      tasks: (filter = {}) =>
        q("Tasks", iq.QueryTasksRequest, { creator: filter.creator ?? "", status: filter.status ?? 0, pagination: page(filter.pagination) }, iq.QueryTasksResponse),
      executors: (pagination) => q("Executors", iq.QueryExecutorsRequest, { pagination: page(pagination) }, iq.QueryExecutorsResponse),
      models,
      model: async (id) => (await models()).find((m) => m.id === id),
      params: async () => {
        const r = await q("Params", iq.QueryParamsRequest, {}, iq.QueryParamsResponse);
        if (!r.params) throw new Error("inference params missing from the response");
        return r.params;
      },
    },
  };
}

/** Queries of the neuromorphic job board (`glia.neuro.v1.Query`). */
export interface NeuroExtension {
  readonly neuro: {
    /** One job by id, with its problem text; throws if it does not exist. */
    readonly job: (id: IntegerLike) => Promise<Job>;
    /**
     * The board. With no status (or OPEN): open jobs, best pay per unit of size first. With
     * another status: those jobs, newest first. `creator` filters. Listings leave out the
     * problem text.
     */
    readonly jobs: (filter?: { status?: JobStatus; creator?: string; pagination?: Pagination }) => Promise<nq.QueryJobsResponse>;
    /** Accepted solutions of a job, oldest first. */
    readonly solutions: (jobId: IntegerLike, pagination?: Pagination) => Promise<nq.QuerySolutionsResponse>;
    readonly params: () => Promise<NeuroParams>;
  };
}

export function setupNeuroExtension(base: QueryClient): NeuroExtension {
  const q = requester(base, "glia.neuro.v1.Query");
  return {
    neuro: {
      job: async (id) => {
        const r = await q("Job", nq.QueryJobRequest, { id: BigInt(id) }, nq.QueryJobResponse);
        if (!r.job) throw new Error(`job ${id} not found`);
        return r.job;
      },
      jobs: (filter = {}) =>
        q("Jobs", nq.QueryJobsRequest, { status: filter.status ?? 0, creator: filter.creator ?? "", pagination: page(filter.pagination) }, nq.QueryJobsResponse),
      solutions: (jobId, pagination) =>
        q("Solutions", nq.QuerySolutionsRequest, { jobId: BigInt(jobId), pagination: page(pagination) }, nq.QuerySolutionsResponse),
      params: async () => {
        const r = await q("Params", nq.QueryParamsRequest, {}, nq.QueryParamsResponse);
        if (!r.params) throw new Error("neuro params missing from the response");
        return r.params;
      },
    },
  };
}

/** Glia's part of distribution (`glia.distribution.v1.Query`): the useful-work pool. */
export interface GliaDistributionExtension {
  readonly gliaDistribution: {
    /** The pool's params, epoch, balance, this epoch's scores and payouts. */
    readonly usefulWork: () => Promise<distribution.QueryUsefulWorkResponse>;
    /** One worker's score this epoch and all it was ever paid from the pool. */
    readonly worker: (address: string) => Promise<distribution.QueryWorkerResponse>;
  };
}

export function setupGliaDistributionExtension(base: QueryClient): GliaDistributionExtension {
  const q = requester(base, "glia.distribution.v1.Query");
  return {
    gliaDistribution: {
      usefulWork: () => q("UsefulWork", distribution.QueryUsefulWorkRequest, {}, distribution.QueryUsefulWorkResponse),
      worker: (address) => q("Worker", distribution.QueryWorkerRequest, { worker: address }, distribution.QueryWorkerResponse),
    },
  };
}

/** Glia's emission (`glia.mint.v1.Query`). */
export interface GliaMintExtension {
  readonly gliaMint: {
    /** Params, minted so far, remaining, next reward, annual provisions and inflation. */
    readonly emission: () => Promise<mint.QueryEmissionResponse>;
    /** The emission's schedule year by year (1 to 100 years; 0 means 10). */
    readonly schedule: (years?: number) => Promise<mint.QueryScheduleResponse>;
  };
}

export function setupGliaMintExtension(base: QueryClient): GliaMintExtension {
  const q = requester(base, "glia.mint.v1.Query");
  return {
    gliaMint: {
      emission: () => q("Emission", mint.QueryEmissionRequest, {}, mint.QueryEmissionResponse),
      schedule: (years = 0) => q("Schedule", mint.QueryScheduleRequest, { years }, mint.QueryScheduleResponse),
    },
  };
}

export type { Executor };
