// Source of app/web/vendor/cosmjs.js, the one bundle the Glia page loads (build.sh runs
// esbuild over this file; the output is committed so the page needs no build step).
//
// What the page needs to sign and broadcast a tx as cosmjs does (SIGN_MODE_DIRECT, a
// TxRaw), with a development key or Keplr's offline signer, plus the glia.* message codecs
// generated from proto/ (proto/ts) and a pure-JS sha256: crypto.subtle is missing on plain
// http origins other than localhost, such as a phone on the LAN.
//
// SigningStargateClient is deliberately not bundled: cosmjs 0.39 ships CommonJS, which
// esbuild cannot tree-shake, and the client drags in every cosmjs-types module (gov, ibc,
// group...; 1.4 MB minified). The page builds, simulates and broadcasts the tx itself
// (app/web/tx.js) from these pieces, over REST: 0.34 MB.

export {
  Registry,
  DirectSecp256k1HdWallet,
  makeAuthInfoBytes,
  makeSignDoc,
  encodePubkey,
} from "@cosmjs/proto-signing";
export { encodeSecp256k1Pubkey } from "@cosmjs/amino";
export { sha256, Bip39, EnglishMnemonic } from "@cosmjs/crypto";
export { toBech32, fromBech32, toHex, fromHex, toBase64, fromBase64 } from "@cosmjs/encoding";
export { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";

// The glia messages the page signs, by type URL, for `new Registry(gliaTypes)`, and the enums
// the forms use: straight from the generated codecs (proto/ts/dist, which build.sh builds when
// it is missing or stale), not from @glia/proto's index, whose clients pull in all of cosmjs.
import { MsgGenerateImage } from "../../proto/ts/dist/glia/inference/v1/tx.js";
import { MsgSubmitJob, MsgCancelJob } from "../../proto/ts/dist/glia/neuro/v1/tx.js";
export const gliaTypes = [
  ["/glia.inference.v1.MsgGenerateImage", MsgGenerateImage],
  ["/glia.neuro.v1.MsgSubmitJob", MsgSubmitJob],
  ["/glia.neuro.v1.MsgCancelJob", MsgCancelJob],
];
export { Scheduler } from "../../proto/ts/dist/glia/inference/v1/types.js";
export { ProblemFormat } from "../../proto/ts/dist/glia/neuro/v1/types.js";
