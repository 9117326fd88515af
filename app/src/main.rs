use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use glia_modules::coins::GasPrice;
use gliad::app::{App, NodeConfig};
use gliad::keys::{dev_mnemonic, Key};
use gliad::storage::Store;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "gliad",
    version,
    about = "Glia node: an ABCI 2.0 application behind CometBFT"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the node's application: ABCI server for CometBFT, gRPC and HTTP APIs.
    Start {
        /// Home directory; state lives in HOME/data.
        #[arg(long)]
        home: PathBuf,
        /// Address CometBFT's proxy_app connects to.
        #[arg(long, default_value = "127.0.0.1:26658")]
        abci: String,
        /// gRPC listen address.
        #[arg(long, default_value = "127.0.0.1:9090")]
        grpc: SocketAddr,
        /// HTTP API listen address (REST, blobs).
        #[arg(long, default_value = "127.0.0.1:1317")]
        api: SocketAddr,
        /// CometBFT RPC that the HTTP API relays broadcasts to.
        #[arg(long, default_value = "http://127.0.0.1:26657")]
        rpc: String,
        /// This node's mempool minimum gas price (the chain's minimum applies regardless).
        #[arg(long)]
        min_gas_price: Option<String>,
        /// Check the supply invariant after every block.
        #[arg(long, env = "GLIA_CHECK_INVARIANTS")]
        check_invariants: bool,
    },
    /// Print the localnet's development accounts as JSON (name, address, mnemonic).
    DevAccounts {
        #[arg(long, default_value_t = 4)]
        count: usize,
    },
    /// Print the address of a mnemonic.
    Address { mnemonic: String },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tendermint_abci=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().cmd {
        Cmd::Start {
            home,
            abci,
            grpc,
            api,
            rpc,
            min_gas_price,
            check_invariants,
        } => {
            let min_gas_price = min_gas_price
                .map(|p| GasPrice::parse(&p).map_err(anyhow::Error::msg))
                .transpose()
                .context("--min-gas-price")?;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let data = home.join("data");
            std::fs::create_dir_all(&data)?;
            let store = Store::open(&data.join("state"), rt.handle().clone())?;
            tracing::info!(height = store.last_height(), "state opened");
            let app = App::new(
                store,
                NodeConfig {
                    min_gas_price,
                    check_invariants,
                },
            );
            rt.spawn({
                let app = app.clone();
                async move {
                    if let Err(e) = gliad::grpc::serve(app, grpc).await {
                        tracing::error!("gRPC server stopped: {e:#}");
                    }
                }
            });
            let blobs = glia_validator_gpu::blobstore::BlobStore::open(data.join("blobs"))?;
            rt.spawn({
                let app = app.clone();
                async move {
                    if let Err(e) = gliad::rest::serve(app, api, blobs, rpc).await {
                        tracing::error!("HTTP API stopped: {e:#}");
                    }
                }
            });
            let listener = std::net::TcpListener::bind(abci.as_str())
                .with_context(|| format!("binding ABCI server to {abci}"))?;
            tracing::info!(%abci, "ABCI server listening");
            gliad::abci_server::serve(listener, app).context("ABCI server")?;
            Ok(())
        }
        Cmd::DevAccounts { count } => {
            let accounts: Vec<_> = (0..count)
                .map(|i| {
                    let m = dev_mnemonic(i);
                    let k = Key::from_mnemonic(&m)?;
                    Ok(serde_json::json!({
                        "name": format!("dev{i}"),
                        "address": k.address.to_bech32(),
                        "mnemonic": m,
                    }))
                })
                .collect::<Result<_>>()?;
            println!("{}", serde_json::to_string_pretty(&accounts)?);
            Ok(())
        }
        Cmd::Address { mnemonic } => {
            println!("{}", Key::from_mnemonic(&mnemonic)?.address);
            Ok(())
        }
    }
}
