// The type URL and codec of every glia message a wallet can sign, for cosmjs's Registry.
import type { GeneratedType } from "@cosmjs/proto-signing";

import { MsgGenerateImage, MsgRegisterExecutor } from "./glia/inference/v1/tx.js";
import { MsgCancelJob, MsgCommitSolution, MsgReviewJob, MsgSubmitJob, MsgSubmitSolution } from "./glia/neuro/v1/tx.js";
import { MsgSetAutoWithdraw } from "./glia/distribution/v1/distribution.js";

/** Type URL and codec of every glia message a wallet can sign. */
export const gliaTypes: ReadonlyArray<[string, GeneratedType]> = [
  ["/glia.inference.v1.MsgGenerateImage", MsgGenerateImage],
  ["/glia.inference.v1.MsgRegisterExecutor", MsgRegisterExecutor],
  ["/glia.neuro.v1.MsgSubmitJob", MsgSubmitJob],
  ["/glia.neuro.v1.MsgCommitSolution", MsgCommitSolution],
  ["/glia.neuro.v1.MsgSubmitSolution", MsgSubmitSolution],
  ["/glia.neuro.v1.MsgCancelJob", MsgCancelJob],
  ["/glia.neuro.v1.MsgReviewJob", MsgReviewJob],
  ["/glia.distribution.v1.MsgSetAutoWithdraw", MsgSetAutoWithdraw],
];
