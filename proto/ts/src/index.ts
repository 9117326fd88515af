// Entry point: the glia.* message types, for `new Registry([...defaultRegistryTypes, ...gliaTypes])`.
import { MsgGenerateImage, MsgRegisterExecutor } from "./glia/inference/v1/tx.js";
import { MsgCancelJob, MsgCommitSolution, MsgReviewJob, MsgSubmitJob, MsgSubmitSolution } from "./glia/neuro/v1/tx.js";

export * as inference from "./glia/inference/v1/tx.js";
export * as inferenceQuery from "./glia/inference/v1/query.js";
export * as inferenceTypes from "./glia/inference/v1/types.js";
export * as neuro from "./glia/neuro/v1/tx.js";
export * as neuroQuery from "./glia/neuro/v1/query.js";
export * as neuroTypes from "./glia/neuro/v1/types.js";

/** Type URL and codec of every glia message a wallet can sign. */
export const gliaTypes = [
  ["/glia.inference.v1.MsgGenerateImage", MsgGenerateImage],
  ["/glia.inference.v1.MsgRegisterExecutor", MsgRegisterExecutor],
  ["/glia.neuro.v1.MsgSubmitJob", MsgSubmitJob],
  ["/glia.neuro.v1.MsgCommitSolution", MsgCommitSolution],
  ["/glia.neuro.v1.MsgSubmitSolution", MsgSubmitSolution],
  ["/glia.neuro.v1.MsgCancelJob", MsgCancelJob],
  ["/glia.neuro.v1.MsgReviewJob", MsgReviewJob],
] as const;
