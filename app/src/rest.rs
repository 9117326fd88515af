//! The HTTP API on `--api`: every component query route that has a REST pattern (accounts,
//! balances, staking, distribution, IBC: what Keplr's wallet, staking and IBC screens call),
//! served by the same dispatch as ABCI and gRPC; the tx broadcast and simulation; `GET
//! /blobs/<sha256>` from the node's content-addressed output store; Keplr's chain info at
//! `/keplr.json`; and a status page. As the Cosmos SDK's gateway: CORS open to every origin
//! (a dApp's page calls it from its own), and 501 Not Implemented for a route it does not
//! serve (Keplr reads 501 as "feature absent").

use crate::app::App;
use axum::extract::{Path, Query, RawPathParams, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use glia_modules::component::RestRoute;
use glia_validator_gpu::blobstore::BlobStore;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Clone)]
struct Ctx {
    app: App,
    blobs: Arc<BlobStore>,
    rpc: String,
    agent: ureq::Agent,
    public: PublicUrls,
}

/// What a browser gets from this node: where it reaches its CometBFT RPC and this HTTP API
/// (the chain info names them), and the web page.
#[derive(Clone)]
pub struct PublicUrls {
    pub rpc: String,
    pub rest: String,
    pub web: crate::web::WebAssets,
}

type Reply = Result<Json<Value>, (StatusCode, Json<Value>)>;

fn err(status: StatusCode, code: u32, msg: String) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({"code": code, "message": msg, "details": []})),
    )
}

/// `POST /cosmos/tx/v1beta1/txs {tx_bytes, mode}`: relayed to CometBFT's `broadcast_tx_sync`.
async fn broadcast(State(c): State<Ctx>, Json(body): Json<Value>) -> Reply {
    let tx = body["tx_bytes"]
        .as_str()
        .ok_or_else(|| err(StatusCode::BAD_REQUEST, 3, "tx_bytes is required".into()))?;
    B64.decode(tx).map_err(|e| {
        err(
            StatusCode::BAD_REQUEST,
            3,
            format!("tx_bytes is not base64: {e}"),
        )
    })?;
    let (agent, rpc, tx) = (c.agent.clone(), c.rpc.clone(), tx.to_string());
    let r = tokio::task::spawn_blocking(move || -> Result<Value, String> {
        let req =
            json!({"jsonrpc": "2.0", "id": 1, "method": "broadcast_tx_sync", "params": {"tx": tx}});
        let v: Value = agent
            .post(&rpc)
            .send_json(req)
            .map_err(|e| e.to_string())?
            .into_json()
            .map_err(|e| e.to_string())?;
        v.get("result")
            .cloned()
            .ok_or_else(|| v["error"].to_string())
    })
    .await
    .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, 13, e.to_string()))?
    .map_err(|e| {
        err(
            StatusCode::BAD_GATEWAY,
            14,
            format!("CometBFT RPC {}: {e}", c.rpc),
        )
    })?;
    Ok(Json(json!({"tx_response": {
        "txhash": r["hash"], "code": r["code"], "codespace": r["codespace"], "raw_log": r["log"],
        "height": "0", "data": r["data"],
    }})))
}

/// `POST /cosmos/tx/v1beta1/simulate {tx_bytes}`: the gas a tx would use over the mempool's
/// state, as `cosmos.tx.v1beta1.Service/Simulate` answers it. Wallets send it unsigned (Keplr:
/// no key for a new account, a zero signature).
async fn simulate(State(c): State<Ctx>, Json(body): Json<Value>) -> Reply {
    use glia_proto::cosmos::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
    use prost::Message;
    let tx = body["tx_bytes"].as_str().ok_or_else(|| {
        err(
            StatusCode::BAD_REQUEST,
            3,
            "tx_bytes is required (the tx's protobuf bytes, base64)".into(),
        )
    })?;
    let tx_bytes = B64.decode(tx).map_err(|e| {
        err(
            StatusCode::BAD_REQUEST,
            3,
            format!("tx_bytes is not base64: {e}"),
        )
    })?;
    let req = SimulateRequest {
        tx_bytes,
        ..Default::default()
    }
    .encode_to_vec();
    let app = c.app.clone();
    let r = tokio::task::spawn_blocking(move || app.simulate(&req))
        .await
        .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, 13, e.to_string()))?
        .map_err(|e| err(StatusCode::BAD_REQUEST, e.code, e.log))?;
    let r = SimulateResponse::decode(r.as_slice())
        .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, 13, e.to_string()))?;
    let gas = r.gas_info.unwrap_or_default();
    let result = r.result.unwrap_or_default();
    // Deprecated in the SDK (msg_responses replace it), still in its JSON.
    #[allow(deprecated)]
    let data = B64.encode(&result.data);
    let events: Vec<Value> = result
        .events
        .iter()
        .map(|e| {
            json!({"type": e.r#type, "attributes": e.attributes.iter()
                .map(|a| json!({"key": a.key, "value": a.value, "index": a.index}))
                .collect::<Vec<_>>()})
        })
        .collect();
    let responses: Vec<Value> = result
        .msg_responses
        .iter()
        .map(|a| json!({"@type": a.type_url, "value": B64.encode(&a.value)}))
        .collect();
    Ok(Json(json!({
        "gas_info": {"gas_wanted": gas.gas_wanted.to_string(), "gas_used": gas.gas_used.to_string()},
        "result": {"data": data, "log": result.log, "events": events,
                   "msg_responses": responses},
    })))
}

/// `GET /keplr.json`: this chain's info for Keplr's `experimentalSuggestChain`.
async fn keplr(State(c): State<Ctx>) -> Reply {
    let app = c.app.clone();
    let public = c.public.clone();
    tokio::task::spawn_blocking(move || crate::keplr::chain_info(&app, &public.rpc, &public.rest))
        .await
        .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, 13, e.to_string()))?
        .map(Json)
        .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, 13, e.log))
}

/// A route this API does not serve: 501, as the SDK's gateway answers (grpc-gateway's
/// `Unimplemented`), so a wallet probing for a feature learns it is absent.
async fn not_implemented(req: Request) -> (StatusCode, Json<Value>) {
    err(
        StatusCode::NOT_IMPLEMENTED,
        12,
        format!(
            "Not Implemented: no route {} {}",
            req.method(),
            req.uri().path()
        ),
    )
}

/// CORS for every answer; a preflight (`OPTIONS`) is answered here.
async fn cors(req: Request, next: Next) -> Response {
    let asked = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned();
    let mut resp = if req.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        asked.unwrap_or_else(|| HeaderValue::from_static("content-type")),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    resp
}

async fn blob(State(c): State<Ctx>, Path(hash): Path<String>) -> Response {
    match c.blobs.get(&hash) {
        Ok(Some(bytes)) => {
            let kind = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
                "image/png"
            } else {
                "application/octet-stream"
            };
            (
                [
                    (header::CONTENT_TYPE, kind),
                    (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, format!("no blob {hash}\n")).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

/// `GET /metrics`: Prometheus's text format (see `metrics.rs`).
async fn metrics() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::global().render(),
    )
        .into_response()
}

/// `GET /`: the web page; `GET /ui/FILE`: its scripts, styles and images.
async fn page(State(c): State<Ctx>, headers: axum::http::HeaderMap) -> Response {
    c.public.web.respond("index.html", if_none_match(&headers))
}

async fn page_file(
    State(c): State<Ctx>,
    Path(file): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    c.public.web.respond(&file, if_none_match(&headers))
}

fn if_none_match(h: &axum::http::HeaderMap) -> Option<&str> {
    h.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok())
}

/// Answers a component's REST route: path and query parameters make the request, the
/// response is rendered as grpc-gateway JSON.
async fn component_rest(
    c: Ctx,
    path: &'static str,
    rest: RestRoute,
    params: RawPathParams,
    mut query: BTreeMap<String, String>,
) -> Reply {
    for (k, v) in params.iter() {
        query.insert(k.to_string(), v.to_string());
    }
    let req = (rest.request)(&query).map_err(|e| err(StatusCode::BAD_REQUEST, 3, e.log))?;
    let app = c.app.clone();
    let r = tokio::task::spawn_blocking(move || app.query(path, &req, 0))
        .await
        .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, 13, e.to_string()))?;
    match r {
        Ok((v, _)) => (rest.json)(&v)
            .map(Json)
            .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, 13, e.log)),
        Err(e) if e.code == 38 => Err(err(StatusCode::NOT_FOUND, 5, e.log)),
        Err(e) => Err(err(StatusCode::BAD_REQUEST, 3, e.log)),
    }
}

/// Serves the HTTP API on `addr` until the process ends.
pub async fn serve(
    app: App,
    addr: SocketAddr,
    blobs: BlobStore,
    rpc: String,
    public: PublicUrls,
) -> anyhow::Result<()> {
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(10))
        .build();
    let ctx = Ctx {
        app,
        blobs: Arc::new(blobs),
        rpc,
        agent,
        public,
    };
    let mut router = axum::Router::new();
    // Every component query with a REST pattern, served by the same dispatch as ABCI and gRPC.
    for route in ctx.app.0.components.query_routes() {
        if let Some(rest) = route.rest.clone() {
            let path = route.path;
            router = router.route(
                rest.pattern,
                get(
                    move |State(c): State<Ctx>,
                          params: RawPathParams,
                          Query(query): Query<BTreeMap<String, String>>| async move {
                        component_rest(c, path, rest, params, query).await
                    },
                ),
            );
        }
    }
    let router = router
        .route("/", get(page))
        .route("/ui/*file", get(page_file))
        .route("/cosmos/tx/v1beta1/txs", post(broadcast))
        .route("/cosmos/tx/v1beta1/simulate", post(simulate))
        .route("/keplr.json", get(keplr))
        .route("/metrics", get(metrics))
        .route("/blobs/:hash", get(blob))
        .fallback(not_implemented)
        .layer(axum::middleware::from_fn(cors))
        .with_state(ctx);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "HTTP API listening");
    // TCP_NODELAY, as the gRPC server: no answer waits for the client's delayed ACK.
    axum::serve(listener, router).tcp_nodelay(true).await?;
    Ok(())
}
