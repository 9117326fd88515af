// @glia/proto: Glia's TypeScript client.
//   - the glia.* protobuf types (ts-proto, generated from proto/ by `npm run build`);
//   - gliaTypes / gliaRegistry() for cosmjs's Registry, gliaAminoConverters / gliaAminoTypes()
//     for amino (legacy JSON) signers;
//   - typed query extensions (setupInferenceExtension, setupNeuroExtension, …) and the
//     GliaClient / GliaSigningClient that carry them;
//   - helpers: generateImage, waitForTask, fetchImages, submitJob, commitAndRevealSolution,
//     waitForJob.

export * as inference from "./glia/inference/v1/tx.js";
export * as inferenceQuery from "./glia/inference/v1/query.js";
export * as inferenceTypes from "./glia/inference/v1/types.js";
export * as neuro from "./glia/neuro/v1/tx.js";
export * as neuroQuery from "./glia/neuro/v1/query.js";
export * as neuroTypes from "./glia/neuro/v1/types.js";
export * as distributionTypes from "./glia/distribution/v1/distribution.js";
export * as mintTypes from "./glia/mint/v1/mint.js";
export type { Coin } from "./cosmos/base/v1beta1/coin.js";
export { PageRequest, PageResponse } from "./cosmos/base/query/v1beta1/pagination.js";
export { Scheduler, TaskStatus, ModelFamily } from "./glia/inference/v1/types.js";
export type { Task, Model, Executor, ImageOutcome } from "./glia/inference/v1/types.js";
export { JobStatus, ProblemFormat } from "./glia/neuro/v1/types.js";
export type { Job, Solution } from "./glia/neuro/v1/types.js";

export { gliaTypes } from "./types.js";
export { gliaAminoConverters, gliaAminoTypes } from "./amino.js";
export {
  setupInferenceExtension,
  setupNeuroExtension,
  setupGliaDistributionExtension,
  setupGliaMintExtension,
} from "./queries.js";
export type {
  InferenceExtension,
  NeuroExtension,
  GliaDistributionExtension,
  GliaMintExtension,
  IntegerLike,
  Pagination,
} from "./queries.js";
export {
  gliaRegistry,
  createGliaQueryClient,
  GliaClient,
  GliaSigningClient,
  DEFAULT_BROADCAST_POLL_INTERVAL_MS,
} from "./clients.js";
export type { GliaQueryClient, GliaSigningClientOptions } from "./clients.js";
export {
  BASE_DENOM,
  pricePerResult,
  requestPrice,
  priceIn,
  generateImage,
  waitForTask,
  fetchImages,
  FetchImagesError,
  gliaQuery,
  msgResponse,
  eventAttribute,
} from "./inference.js";
export type {
  GliaTxClient,
  GliaQuerySource,
  SchedulerLike,
  GenerateImageParams,
  FeeRate,
  GenerateImageResult,
  WaitOptions,
  FetchedImage,
  FetchImagesOptions,
} from "./inference.js";
export {
  solutionCommitment,
  packAssignment,
  unpackAssignment,
  parseCnf,
  cnfEnergy,
  submitJob,
  commitAndRevealSolution,
  waitForJob,
  jobClosed,
} from "./neuro.js";
export type {
  Cnf,
  ProblemFormatLike,
  AmountLike,
  SubmitJobParams,
  SubmitJobResult,
  CommitAndRevealParams,
  CommitAndRevealResult,
} from "./neuro.js";
