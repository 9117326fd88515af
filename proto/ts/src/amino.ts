// Amino JSON (SIGN_MODE_LEGACY_AMINO_JSON) converters for every glia.* message.
//
// The chain rebuilds the same JSON from the protobuf message it receives and verifies the
// signature against it, so these rules must be exactly the chain's (they are the Cosmos SDK
// aminojson encoder's for messages without amino options):
//   - {"type": "glia/<MessageName>", "value": {...}};
//   - value keys are the proto field names (snake_case);
//   - a field holding its default value is omitted: "", 0, false, an empty repeated field,
//     empty bytes, an unset message (a message that is set but empty is written as {});
//   - 64-bit integers (uint64, int64, sint64, fixed64) are decimal strings, 32-bit integers
//     and enums JSON numbers, bytes standard base64 with padding;
//   - nested messages by the same rules (Coin → {"amount": "...", "denom": "..."}).
// cosmjs sorts the keys when it serialises the sign doc.

import { fromBase64, toBase64 } from "@cosmjs/encoding";
import { AminoTypes, createDefaultAminoConverters } from "@cosmjs/stargate";
import type { AminoConverter, AminoConverters } from "@cosmjs/stargate";

import { MsgGenerateImage, MsgRegisterExecutor } from "./glia/inference/v1/tx.js";
import { MsgCancelJob, MsgCommitSolution, MsgReviewJob, MsgSubmitJob, MsgSubmitSolution } from "./glia/neuro/v1/tx.js";
import { MsgSetAutoWithdraw } from "./glia/distribution/v1/distribution.js";

/** The scalar kinds a glia message field can have, by their amino JSON form. */
type Scalar = "string" | "bool" | "int32" | "int64" | "enum" | "bytes";

/** One field: its proto name, its kind (a scalar or a nested message's schema), repeated or not. */
interface FieldSpec {
  readonly proto: string;
  readonly kind: Scalar | MessageSchema;
  readonly repeated?: boolean;
}

type MessageSchema = readonly FieldSpec[];

/** ts-proto's field name for a proto field name (snake_case to lowerCamelCase). */
function camel(proto: string): string {
  return proto.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const f = (proto: string, kind: Scalar | MessageSchema, repeated = false): FieldSpec => ({ proto, kind, repeated });

// Field lists in proto field-number order (see proto/glia/*/v1/*.proto).
const COIN: MessageSchema = [f("denom", "string"), f("amount", "string")];
const DEVICE: MessageSchema = [f("name", "string"), f("memory_bytes", "int64"), f("count", "int32")];
const HELD_MODEL: MessageSchema = [f("model_id", "string"), f("weights_sha256", "string")];

const GENERATE_IMAGE: MessageSchema = [
  f("creator", "string"),
  f("model_id", "string"),
  f("prompt", "string"),
  f("negative_prompt", "string"),
  f("width", "int32"),
  f("height", "int32"),
  f("steps", "int32"),
  f("guidance_scale", "string"),
  f("scheduler", "enum"),
  f("seeds", "int64", true),
  f("replicas", "int32"),
  f("max_fee", COIN),
  f("timeout_blocks", "int64"),
];
const REGISTER_EXECUTOR: MessageSchema = [
  f("operator", "string"),
  f("validator_pubkey", "bytes"),
  f("devices", DEVICE, true),
  f("models", HELD_MODEL, true),
  f("blob_url", "string"),
  f("validator_signature", "bytes"),
  f("beacon_anchor", "bytes"),
  f("beacon_anchor_height", "int64"),
  f("beacon_end_height", "int64"),
  f("work_per_block", "int64"),
];
const SUBMIT_JOB: MessageSchema = [
  f("creator", "string"),
  f("format", "enum"),
  f("problem", "string"),
  f("block_fee", COIN),
  f("max_blocks", "int64"),
  f("solution_reward", COIN),
  f("target_energy", "string"),
];
const COMMIT_SOLUTION: MessageSchema = [f("solver", "string"), f("job_id", "int64"), f("commitment", "bytes")];
const SUBMIT_SOLUTION: MessageSchema = [
  f("solver", "string"),
  f("job_id", "int64"),
  f("assignment", "bytes"),
  f("claimed_energy", "int64"),
  f("salt", "bytes"),
];
const CANCEL_JOB: MessageSchema = [f("creator", "string"), f("job_id", "int64")];
const REVIEW_JOB: MessageSchema = [f("reviewer", "string"), f("job_id", "int64"), f("approve", "bool"), f("reason", "string")];
const SET_AUTO_WITHDRAW: MessageSchema = [f("delegator_address", "string"), f("enabled", "bool")];

function isDefaultScalar(kind: Scalar, v: unknown): boolean {
  switch (kind) {
    case "string":
      return v === undefined || v === null || v === "";
    case "bool":
      return v === undefined || v === null || v === false;
    case "int32":
    case "enum":
    case "int64":
      return v === undefined || v === null || v === 0 || v === 0n || v === "0";
    case "bytes":
      return v === undefined || v === null || (v as Uint8Array).length === 0;
  }
}

function scalarToAmino(kind: Scalar, v: unknown, path: string): unknown {
  switch (kind) {
    case "string":
      if (typeof v !== "string") throw new TypeError(`${path}: expected a string, got ${typeof v}`);
      return v;
    case "bool":
      if (typeof v !== "boolean") throw new TypeError(`${path}: expected a boolean, got ${typeof v}`);
      return v;
    case "int32":
    case "enum": {
      const n = typeof v === "bigint" ? Number(v) : typeof v === "string" ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n)) throw new TypeError(`${path}: expected an integer, got ${String(v)}`);
      return n;
    }
    case "int64":
      if (typeof v !== "bigint" && typeof v !== "number" && typeof v !== "string") {
        throw new TypeError(`${path}: expected a 64-bit integer, got ${typeof v}`);
      }
      return BigInt(v).toString();
    case "bytes":
      if (!(v instanceof Uint8Array)) throw new TypeError(`${path}: expected a Uint8Array`);
      return toBase64(v);
  }
}

function scalarFromAmino(kind: Scalar, v: unknown, path: string): unknown {
  switch (kind) {
    case "string":
      if (typeof v !== "string") throw new TypeError(`${path}: expected a string in amino JSON`);
      return v;
    case "bool":
      if (typeof v !== "boolean") throw new TypeError(`${path}: expected a boolean in amino JSON`);
      return v;
    case "int32":
    case "enum": {
      const n = typeof v === "string" ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n)) throw new TypeError(`${path}: expected an integer in amino JSON`);
      return n;
    }
    case "int64":
      if (typeof v !== "string" && typeof v !== "number") throw new TypeError(`${path}: expected a decimal string in amino JSON`);
      if (typeof v === "string" && !/^-?\d+$/.test(v)) throw new TypeError(`${path}: ${JSON.stringify(v)} is not a decimal integer`);
      return BigInt(v);
    case "bytes":
      if (typeof v !== "string") throw new TypeError(`${path}: expected base64 in amino JSON`);
      return fromBase64(v);
  }
}

/** The amino JSON value of a message (ts-proto form in, plain JSON out). */
function messageToAmino(schema: MessageSchema, msg: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of schema) {
    const v = msg[camel(field.proto)];
    const p = `${path}.${field.proto}`;
    if (field.repeated) {
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) throw new TypeError(`${p}: expected an array`);
      if (v.length === 0) continue;
      out[field.proto] = v.map((item, i) =>
        typeof field.kind === "string"
          ? scalarToAmino(field.kind, item, `${p}[${i}]`)
          : messageToAmino(field.kind, item as Record<string, unknown>, `${p}[${i}]`),
      );
    } else if (typeof field.kind === "string") {
      if (isDefaultScalar(field.kind, v)) continue;
      out[field.proto] = scalarToAmino(field.kind, v, p);
    } else {
      // A set message is written even when empty ({}); only an unset one is left out.
      if (v === undefined || v === null) continue;
      out[field.proto] = messageToAmino(field.kind, v as Record<string, unknown>, p);
    }
  }
  return out;
}

/** The ts-proto form (before fromPartial) of an amino JSON value. */
function messageFromAmino(schema: MessageSchema, value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${path}: expected an object in amino JSON`);
  }
  const obj = value as Record<string, unknown>;
  const known = new Set(schema.map((s) => s.proto));
  for (const k of Object.keys(obj)) {
    if (!known.has(k)) throw new TypeError(`${path}: unknown field ${JSON.stringify(k)} in amino JSON`);
  }
  const out: Record<string, unknown> = {};
  for (const field of schema) {
    const v = obj[field.proto];
    if (v === undefined) continue;
    const p = `${path}.${field.proto}`;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new TypeError(`${p}: expected an array in amino JSON`);
      out[camel(field.proto)] = v.map((item, i) =>
        typeof field.kind === "string"
          ? scalarFromAmino(field.kind, item, `${p}[${i}]`)
          : messageFromAmino(field.kind, item, `${p}[${i}]`),
      );
    } else if (typeof field.kind === "string") {
      out[camel(field.proto)] = scalarFromAmino(field.kind, v, p);
    } else {
      out[camel(field.proto)] = messageFromAmino(field.kind, v, p);
    }
  }
  return out;
}

interface Codec<T> {
  fromPartial(object: any): T;
}

function converter<T>(aminoType: string, schema: MessageSchema, codec: Codec<T>): AminoConverter {
  return {
    aminoType,
    toAmino: (value: T) => messageToAmino(schema, codec.fromPartial(value) as Record<string, unknown>, aminoType),
    fromAmino: (value: unknown): T => codec.fromPartial(messageFromAmino(schema, value, aminoType)),
  };
}

/**
 * Amino converters for every Glia message, keyed by type URL, for cosmjs's `AminoTypes`
 * (`new AminoTypes({...createDefaultAminoConverters(), ...gliaAminoConverters})`).
 */
export const gliaAminoConverters: AminoConverters = {
  "/glia.inference.v1.MsgGenerateImage": converter("glia/MsgGenerateImage", GENERATE_IMAGE, MsgGenerateImage),
  "/glia.inference.v1.MsgRegisterExecutor": converter("glia/MsgRegisterExecutor", REGISTER_EXECUTOR, MsgRegisterExecutor),
  "/glia.neuro.v1.MsgSubmitJob": converter("glia/MsgSubmitJob", SUBMIT_JOB, MsgSubmitJob),
  "/glia.neuro.v1.MsgCommitSolution": converter("glia/MsgCommitSolution", COMMIT_SOLUTION, MsgCommitSolution),
  "/glia.neuro.v1.MsgSubmitSolution": converter("glia/MsgSubmitSolution", SUBMIT_SOLUTION, MsgSubmitSolution),
  "/glia.neuro.v1.MsgCancelJob": converter("glia/MsgCancelJob", CANCEL_JOB, MsgCancelJob),
  "/glia.neuro.v1.MsgReviewJob": converter("glia/MsgReviewJob", REVIEW_JOB, MsgReviewJob),
  "/glia.distribution.v1.MsgSetAutoWithdraw": converter("glia/MsgSetAutoWithdraw", SET_AUTO_WITHDRAW, MsgSetAutoWithdraw),
};

/** cosmjs's default (Stargate) amino converters plus Glia's: what an amino signer needs. */
export function gliaAminoTypes(): AminoTypes {
  return new AminoTypes({ ...createDefaultAminoConverters(), ...gliaAminoConverters });
}
