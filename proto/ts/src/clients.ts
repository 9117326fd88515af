// Clients: a read-only GliaClient and a GliaSigningClient, both cosmjs Stargate clients with
// Glia's registry, amino types and typed queries (`client.glia.inference.task(id)`, …).

import { Registry } from "@cosmjs/proto-signing";
import type { OfflineSigner } from "@cosmjs/proto-signing";
import {
  GasPrice,
  QueryClient,
  SigningStargateClient,
  StargateClient,
  defaultRegistryTypes,
  setupAuthExtension,
  setupBankExtension,
} from "@cosmjs/stargate";
import type {
  AuthExtension,
  BankExtension,
  DynamicGasPriceConfig,
  HttpEndpoint,
  SigningStargateClientOptions,
  StargateClientOptions,
} from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import type { CometClient } from "@cosmjs/tendermint-rpc";

import { gliaAminoTypes } from "./amino.js";
import { gliaTypes } from "./types.js";
import {
  setupGliaDistributionExtension,
  setupGliaMintExtension,
  setupInferenceExtension,
  setupNeuroExtension,
} from "./queries.js";
import type { GliaDistributionExtension, GliaMintExtension, InferenceExtension, NeuroExtension } from "./queries.js";

/** cosmjs's default registry (bank, staking, …) plus every Glia message. */
export function gliaRegistry(): Registry {
  return new Registry([...defaultRegistryTypes, ...gliaTypes]);
}

/** A cosmjs QueryClient with auth, bank and every Glia query extension. */
export type GliaQueryClient = QueryClient &
  AuthExtension &
  BankExtension &
  InferenceExtension &
  NeuroExtension &
  GliaDistributionExtension &
  GliaMintExtension;

/** The query client with Glia's extensions over a connected CometBFT client. */
export function createGliaQueryClient(comet: CometClient): GliaQueryClient {
  return QueryClient.withExtensions(
    comet,
    setupAuthExtension,
    setupBankExtension,
    setupInferenceExtension,
    setupNeuroExtension,
    setupGliaDistributionExtension,
    setupGliaMintExtension,
  );
}

/** A read-only client: StargateClient (balances, txs, blocks) plus `glia`, the typed queries. */
export class GliaClient extends StargateClient {
  /** Typed Glia queries: `glia.inference.task(id)`, `glia.neuro.job(id)`, … */
  public readonly glia: GliaQueryClient;

  protected constructor(comet: CometClient, options: StargateClientOptions = {}) {
    super(comet, options);
    this.glia = createGliaQueryClient(comet);
  }

  /** Connects to a CometBFT RPC endpoint (`http://127.0.0.1:26657`). */
  public static override async connect(endpoint: string | HttpEndpoint, options: StargateClientOptions = {}): Promise<GliaClient> {
    return new GliaClient(await connectComet(endpoint), options);
  }

  /** Wraps an already connected CometBFT client. */
  public static override create(comet: CometClient, options: StargateClientOptions = {}): GliaClient {
    return new GliaClient(comet, options);
  }
}

/** Options of GliaSigningClient: cosmjs's, with the gas price also accepted as a string. */
export interface GliaSigningClientOptions extends Omit<SigningStargateClientOptions, "gasPrice"> {
  /** "0.025uglia", a GasPrice or a dynamic config; needed for fee = "auto". */
  readonly gasPrice?: string | GasPrice | DynamicGasPriceConfig;
}

/** How often (ms) a GliaSigningClient polls for a broadcast tx unless told otherwise. */
export const DEFAULT_BROADCAST_POLL_INTERVAL_MS = 300;

/**
 * A SigningStargateClient with Glia's registry and amino converters (so both direct and
 * amino signers can sign Glia messages) and `glia`, the typed queries.
 */
export class GliaSigningClient extends SigningStargateClient {
  /** Typed Glia queries: `glia.inference.task(id)`, `glia.neuro.job(id)`, … */
  public readonly glia: GliaQueryClient;

  protected constructor(comet: CometClient, signer: OfflineSigner, options: GliaSigningClientOptions = {}) {
    const { gasPrice, ...rest } = options;
    super(comet, signer, {
      registry: gliaRegistry(),
      aminoTypes: gliaAminoTypes(),
      broadcastPollIntervalMs: DEFAULT_BROADCAST_POLL_INTERVAL_MS,
      ...rest,
      gasPrice: typeof gasPrice === "string" ? GasPrice.fromString(gasPrice) : gasPrice,
    });
    this.glia = createGliaQueryClient(comet);
  }

  /**
   * Connects to a CometBFT RPC endpoint with a signer (a DirectSecp256k1HdWallet, a
   * Secp256k1HdWallet for amino signing, Keplr's offline signer, …).
   */
  public static override async connectWithSigner(
    endpoint: string | HttpEndpoint,
    signer: OfflineSigner,
    options: GliaSigningClientOptions = {},
  ): Promise<GliaSigningClient> {
    return new GliaSigningClient(await connectComet(endpoint), signer, options);
  }

  /** Wraps an already connected CometBFT client. */
  public static override createWithSigner(comet: CometClient, signer: OfflineSigner, options: GliaSigningClientOptions = {}): GliaSigningClient {
    return new GliaSigningClient(comet, signer, options);
  }
}
