//! A gRPC server (unary calls over HTTP/2) answering every query path the ABCI query answers,
//! with the `x-cosmos-block-height` header selecting the height, as Cosmos SDK nodes do.

use crate::app::App;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use glia_modules::error::AppError;
use http_body_util::StreamBody;
use std::net::SocketAddr;

/// Largest request accepted, in bytes.
const MAX_REQUEST: usize = 4 << 20;

fn grpc_status(e: &AppError) -> u32 {
    match (e.codespace, e.code) {
        ("sdk", 38) | ("sdk", 22) => 5, // NOT_FOUND
        ("sdk", 6) => 12,               // UNIMPLEMENTED
        ("sdk", 1) => 13,               // INTERNAL
        _ => 3,                         // INVALID_ARGUMENT
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if (0x20..0x7f).contains(&b) && b != b'%' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn reply(result: Result<Vec<u8>, (u32, String)>) -> Response<Body> {
    let mut trailers = HeaderMap::new();
    let mut frames = Vec::new();
    match result {
        Ok(msg) => {
            let mut frame = Vec::with_capacity(msg.len() + 5);
            frame.push(0);
            frame.extend_from_slice(&(msg.len() as u32).to_be_bytes());
            frame.extend_from_slice(&msg);
            frames.push(Ok::<_, std::convert::Infallible>(http_body::Frame::data(
                Bytes::from(frame),
            )));
            trailers.insert("grpc-status", HeaderValue::from_static("0"));
        }
        Err((code, msg)) => {
            trailers.insert("grpc-status", HeaderValue::from(code));
            if let Ok(v) = HeaderValue::from_str(&percent_encode(&msg)) {
                trailers.insert("grpc-message", v);
            }
        }
    }
    frames.push(Ok(http_body::Frame::trailers(trailers)));
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/grpc")
        .body(Body::new(StreamBody::new(futures::stream::iter(frames))))
        .expect("static response parts")
}

async fn handle(app: App, req: Request<Body>) -> Response<Body> {
    let path = req.uri().path().to_string();
    let height = req
        .headers()
        .get("x-cosmos-block-height")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let body = match axum::body::to_bytes(req.into_body(), MAX_REQUEST).await {
        Ok(b) => b,
        Err(e) => return reply(Err((8, format!("request too large or unreadable: {e}")))),
    };
    if body.len() < 5 || body[0] != 0 {
        return reply(Err((3, "expected one uncompressed gRPC message".into())));
    }
    let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    if body.len() != 5 + len {
        return reply(Err((3, "gRPC frame length does not match the body".into())));
    }
    let payload = body.slice(5..);
    let result = tokio::task::spawn_blocking(move || app.query(&path, &payload, height)).await;
    match result {
        Ok(Ok((value, _))) => reply(Ok(value)),
        Ok(Err(e)) => reply(Err((grpc_status(&e), e.log))),
        Err(e) => reply(Err((13, format!("query task failed: {e}")))),
    }
}

/// Serves gRPC on `addr` until the process ends.
pub async fn serve(app: App, addr: SocketAddr) -> anyhow::Result<()> {
    let router = axum::Router::new().fallback(move |req: Request<Body>| handle(app.clone(), req));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "gRPC server listening");
    // TCP_NODELAY: an HTTP/2 answer is written as several frames (headers, data, trailers);
    // with Nagle's algorithm on, the last waits for the client's delayed ACK, ~40 ms. Hermes
    // makes a few queries per packet it relays, so a third of them stalled (README, IBC).
    axum::serve(listener, router).tcp_nodelay(true).await?;
    Ok(())
}
