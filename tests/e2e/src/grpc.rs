//! A minimal unary gRPC client over HTTP/2 (h2c), to check gliad's gRPC server byte for byte.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use prost::Message;

/// Calls `path` on `addr` (host:port) with `req`, optionally at a block height.
pub fn call<Req: Message, Resp: Message + Default>(
    addr: &str,
    path: &str,
    req: &Req,
    height: Option<u64>,
) -> Result<Resp> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect {addr}"))?;
        let (client, conn) = h2::client::handshake(tcp).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut client = client.ready().await?;
        let mut b = http::Request::builder()
            .method("POST")
            .uri(format!("http://{addr}{path}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers");
        if let Some(h) = height {
            b = b.header("x-cosmos-block-height", h.to_string());
        }
        let (resp, mut send) = client.send_request(b.body(())?, false)?;
        let msg = req.encode_to_vec();
        let mut frame = vec![0u8];
        frame.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        frame.extend_from_slice(&msg);
        send.send_data(Bytes::from(frame), true)?;
        let resp = resp.await?;
        let mut body = resp.into_body();
        let mut data = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk?;
            body.flow_control().release_capacity(chunk.len())?;
            data.extend_from_slice(&chunk);
        }
        let trailers = body.trailers().await?.unwrap_or_default();
        let status = trailers
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("?");
        if status != "0" {
            let msg = trailers
                .get("grpc-message")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            bail!("grpc-status {status}: {msg}");
        }
        if data.len() < 5 {
            bail!("no message in the response");
        }
        Ok(Resp::decode(&data[5..])?)
    })
}
