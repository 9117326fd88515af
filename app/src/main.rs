use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use glia_client::keys::{dev_mnemonic, Key};
use glia_modules::coins::GasPrice;
use glia_validator_gpu::blobstore::BlobStore;
use glia_validator_gpu::dmm::Device;
use gliad::app::{App, NodeConfig};
use gliad::services::executor::{Executor, ExecutorConfig};
use gliad::services::neuro_worker::{NeuroWorker, NeuroWorkerConfig};
use gliad::services::ChainView;
use gliad::storage::Store;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "gliad",
    version,
    about = "Glia node: an ABCI 2.0 application behind CometBFT"
)]
struct Cli {
    /// Log lines as text, or as JSON objects (one per line: timestamp, level, target, message
    /// and fields) for a log collector. Logs go to standard error; RUST_LOG filters them.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "GLIA_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a node home for gliad and CometBFT from a network's genesis (a file, or a node's
    /// RPC), with its peers; prints the commands that start it.
    Init(gliad::cli::init::InitArgs),
    /// Run the node's application: ABCI server for CometBFT, gRPC and HTTP APIs.
    Start(StartArgs),
    /// Build, sign and send transactions.
    Tx {
        #[command(subcommand)]
        module: TxModule,
    },
    /// Ask a node: gliad query MODULE METHOD [ARGS...] [--PARAM VALUE...] (no arguments: the
    /// modules; a module alone: its queries).
    #[command(alias = "q")]
    Query(gliad::cli::query::QueryArgs),
    /// Manage the keys `tx` commands sign with (--from NAME): add, import, list, show, delete.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// Write the embedded tiny model (weights generated from a fixed seed) and print its hash.
    TinyModel {
        /// Directory to write the model into (diffusers layout).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the hash a model directory (diffusers layout) is registered under: sha256 over each
    /// weights and tokenizer file's path and sha256, the registry's `weights_sha256`.
    ModelHash {
        /// The model's directory (text_encoder/, unet/, vae/, tokenizer/, …).
        dir: PathBuf,
    },
    /// Print the localnet's development accounts as JSON (name, address, mnemonic).
    DevAccounts {
        /// How many accounts.
        #[arg(long, default_value_t = 4)]
        count: usize,
        /// Index of the first account (validator operators use 1000 and up).
        #[arg(long, default_value_t = 0)]
        first: usize,
        /// Name prefix ("dev0", "dev1", ...).
        #[arg(long, default_value = "dev")]
        prefix: String,
    },
    /// Print the ICS-23 proof specs of Glia's store as a relayer's config takes them (Hermes's
    /// `proof_specs`, a JSON list: the `ibc` substore, then the main tree).
    IbcProofSpecs,
    /// Print the address of a mnemonic.
    Address {
        /// The BIP-39 words, quoted as one argument.
        mnemonic: String,
    },
    /// Print the app_state a genesis file needs to start a chain from this node's latest
    /// state: the chain's params and every component's section (stop the node first).
    ExportGenesis {
        /// Home directory of the node (its state is in HOME/data/state).
        #[arg(long)]
        home: PathBuf,
    },
    /// Solve a CNF, WCNF or QUBO file with the memcomputing solver (exit 10: SATISFIABLE).
    Solve(gliad::cli::solve::SolveArgs),
    /// Write a seeded benchmark instance (planted 3-SAT, Max-Cut QUBO).
    Gen(gliad::cli::solve::GenArgs),
}

#[derive(clap::Args)]
struct StartArgs {
    /// Home directory (required); state lives in HOME/data.
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
    /// Check the invariants (supply, every escrow, staking, distribution) after every block:
    /// what the tests run with.
    #[arg(long, env = "GLIA_CHECK_INVARIANTS")]
    check_invariants: bool,
    /// Event attributes CometBFT indexes for tx_search: comma-separated `type.key` or
    /// `type` to index, `!type.key` or `!type` to leave out, `*` (or empty) for all of them
    /// as the Cosmos SDK does. The default leaves out only attributes that repeat the
    /// `transfer` beside them or name a single tx (see `index_events.rs`).
    #[arg(long, env = "GLIA_INDEX_EVENTS", default_value = gliad::index_events::DEFAULT)]
    index_events: String,
    /// CometBFT's priv_validator_key.json: turns on the workload executor for this
    /// validator.
    #[arg(long)]
    priv_validator_key: Option<PathBuf>,
    /// Directory with one diffusers-layout sub-directory per model id.
    #[arg(long)]
    models: Option<PathBuf>,
    /// File holding the operator account's mnemonic; the executor registers itself with it.
    #[arg(long)]
    operator_mnemonic_file: Option<PathBuf>,
    /// Public base URL of this node's HTTP API (default: http://<--api>): where executors'
    /// outputs are fetched from, and the REST URL in the chain info at /keplr.json.
    #[arg(long)]
    blob_url: Option<String>,
    /// Public URL of this node's CometBFT RPC, as a browser reaches it (the chain info at
    /// /keplr.json names it; default: --rpc).
    #[arg(long)]
    public_rpc: Option<String>,
    /// Serve the web page's files from this directory (a checkout's app/web) instead of the
    /// copies built into the binary: edit the page and reload, without a build.
    #[arg(long, env = "GLIA_WEB_DIR")]
    web_dir: Option<PathBuf>,
    /// Executor outputs older than this are deleted from the blob store.
    #[arg(long, default_value_t = 168)]
    blob_retention_hours: u64,
    /// Testing only: make the executor misbehave.
    #[arg(long, value_enum)]
    executor_fault: Option<gliad::services::executor::Fault>,
    /// Devices that generate images: auto (every CUDA GPU when the build and machine have
    /// one, else the CPU), cpu, or cuda (every GPU, or refuse to start).
    #[arg(long, default_value = "auto")]
    executor_device: glia_validator_gpu::sd::DeviceChoice,
    /// Kilo pixel-steps (width × height × steps / 1000) this executor finishes per block,
    /// declared at registration: its deadlines scale with it and draws never queue it
    /// past the chain's max_queue_blocks (0 = the chain's default_work_per_block).
    #[arg(long, default_value_t = 0)]
    work_per_block: u64,
    /// Solver threads for neuromorphic jobs (0 = every core).
    #[arg(long, default_value_t = 0)]
    neuro_threads: usize,
    /// Seconds the solver spends on one job before leaving it to others.
    #[arg(long, default_value_t = 300)]
    neuro_max_seconds: u64,
    /// Largest neuromorphic job (in variables) this validator takes.
    #[arg(long, default_value_t = 1_000_000)]
    neuro_max_vars: u32,
    /// Where the solver runs: cpu, or cuda:N (needs the cuda or dmm-cuda build feature).
    #[arg(long, default_value = "cpu")]
    neuro_device: String,
    /// Do not solve neuromorphic jobs.
    #[arg(long)]
    no_neuro: bool,
}

#[derive(Subcommand)]
enum TxModule {
    /// Coin transfers.
    Bank {
        #[command(subcommand)]
        cmd: BankTx,
    },
    /// Delegations: delegate, redelegate, unbond.
    Staking {
        #[command(subcommand)]
        cmd: StakingTx,
    },
    /// Rewards: withdraw them, choose where they are paid.
    Distribution {
        #[command(subcommand)]
        cmd: DistributionTx,
    },
    /// ICS-20 transfers to and from other chains.
    IbcTransfer {
        #[command(subcommand)]
        cmd: IbcTransferTx,
    },
    /// Validators: back in the set after a jail.
    Slashing {
        #[command(subcommand)]
        cmd: SlashingTx,
    },
    /// Image generation.
    Inference {
        #[command(subcommand)]
        cmd: InferenceTx,
    },
    /// Neuromorphic jobs (SAT, MaxSAT, QUBO).
    Neuro {
        #[command(subcommand)]
        cmd: NeuroTx,
    },
    /// Interchain accounts this chain controls on others (ICS-27).
    Ica {
        #[command(subcommand)]
        cmd: IcaTx,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Make a new key (its mnemonic is printed once), or recover one (--recover: the mnemonic
    /// from standard input).
    Add(gliad::cli::keys::AddArgs),
    /// Add a key from a file holding its BIP-39 mnemonic.
    Import(gliad::cli::keys::ImportArgs),
    /// List the keys (names, addresses, public keys; no secrets).
    List(gliad::cli::keys::ListArgs),
    /// Show one key by name or address (-a: the address alone).
    Show(gliad::cli::keys::ShowArgs),
    /// Delete a key (asks first unless --yes).
    Delete(gliad::cli::keys::DeleteArgs),
}

#[derive(Subcommand)]
enum StakingTx {
    /// Become a validator: bond --amount with this node's consensus key (--validator-key FILE
    /// or --pubkey JSON) as the --from account's gliavaloper address.
    CreateValidator(gliad::cli::staking::CreateValidatorArgs),
    /// Change your validator's description, commission rate or minimum self-delegation.
    EditValidator(gliad::cli::staking::EditValidatorArgs),
    /// Bond coins to a validator: gliad tx staking delegate VALIDATOR AMOUNT.
    Delegate(gliad::cli::staking::DelegateArgs),
    /// Move a delegation: gliad tx staking redelegate SRC DST AMOUNT.
    Redelegate(gliad::cli::staking::RedelegateArgs),
    /// Unbond from a validator: gliad tx staking unbond VALIDATOR AMOUNT.
    Unbond(gliad::cli::staking::UnbondArgs),
}

#[derive(Subcommand)]
enum DistributionTx {
    /// Withdraw a delegation's rewards (--commission: and the validator's commission).
    WithdrawRewards(gliad::cli::staking::WithdrawArgs),
    /// Withdraw the rewards of every delegation in one tx.
    WithdrawAllRewards(gliad::cli::staking::WithdrawAllArgs),
    /// Have rewards paid to another address.
    SetWithdrawAddr(gliad::cli::staking::SetWithdrawAddrArgs),
    /// on|off: rewards and commission paid to the withdraw address every epoch, with no tx.
    SetAutoWithdraw(gliad::cli::staking::SetAutoWithdrawArgs),
}

#[derive(Subcommand)]
enum IbcTransferTx {
    /// Send coins over a channel: gliad tx ibc-transfer transfer PORT CHANNEL RECEIVER AMOUNT.
    Transfer(gliad::cli::ibc_transfer::TransferArgs),
}

#[derive(Subcommand)]
enum SlashingTx {
    /// Bring the signer's validator back after its jail time.
    Unjail(gliad::cli::staking::UnjailArgs),
}

#[derive(Subcommand)]
enum BankTx {
    /// Send coins: gliad tx bank send FROM TO AMOUNT (FROM: a key name or address).
    Send(gliad::cli::bank::SendArgs),
}

#[derive(Subcommand)]
enum IcaTx {
    /// Open an interchain account on the chain at the other end of a connection.
    Register(gliad::cli::ica::RegisterArgs),
    /// Send packet data (ibc-go's JSON) for your interchain account to run.
    SendTx(gliad::cli::ica::SendTxArgs),
}

#[derive(Subcommand)]
enum NeuroTx {
    /// Post a problem file with its pay; with --wait, follow it and print the best assignment.
    SubmitJob(gliad::cli::neuro::SubmitJobArgs),
    /// A committee member approves or rejects a job awaiting review.
    Review(gliad::cli::neuro::ReviewArgs),
    /// Cancel your job (only before a solution is accepted); the escrow comes back.
    Cancel(gliad::cli::neuro::CancelArgs),
}

#[derive(Subcommand)]
enum InferenceTx {
    /// Pay for images of a prompt; with --wait, follow the task and save the PNGs.
    GenerateImage(gliad::cli::inference::GenerateImageArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match cli.cmd {
        Cmd::Init(args) => gliad::cli::init::run(args),
        Cmd::Start(args) => start(args),
        Cmd::ModelHash { dir } => {
            println!(
                "{}",
                glia_validator_gpu::sd::weights::model_sha256(&dir)
                    .with_context(|| format!("hashing the model in {}", dir.display()))?
            );
            Ok(())
        }
        Cmd::IbcProofSpecs => {
            let specs = [glia_modules::ibc::jmt_spec(), glia_modules::ibc::jmt_spec()];
            println!("{}", serde_json::to_string(&specs)?);
            Ok(())
        }
        Cmd::DevAccounts {
            count,
            first,
            prefix,
        } => print_dev_accounts(count, first, &prefix),
        Cmd::Tx {
            module:
                TxModule::Inference {
                    cmd: InferenceTx::GenerateImage(args),
                },
        } => gliad::cli::inference::generate_image(args),
        Cmd::Query(a) => gliad::cli::query::run(a),
        Cmd::Keys { cmd } => match cmd {
            KeysCmd::Add(a) => gliad::cli::keys::add(a),
            KeysCmd::Import(a) => gliad::cli::keys::import(a),
            KeysCmd::List(a) => gliad::cli::keys::list(a),
            KeysCmd::Show(a) => gliad::cli::keys::show(a),
            KeysCmd::Delete(a) => gliad::cli::keys::delete(a),
        },
        Cmd::Tx {
            module: TxModule::Bank {
                cmd: BankTx::Send(a),
            },
        } => gliad::cli::bank::send(a),
        Cmd::Tx {
            module: TxModule::Staking { cmd },
        } => match cmd {
            StakingTx::CreateValidator(a) => gliad::cli::staking::create_validator(a),
            StakingTx::EditValidator(a) => gliad::cli::staking::edit_validator(a),
            StakingTx::Delegate(a) => gliad::cli::staking::delegate(a),
            StakingTx::Redelegate(a) => gliad::cli::staking::redelegate(a),
            StakingTx::Unbond(a) => gliad::cli::staking::unbond(a),
        },
        Cmd::Tx {
            module: TxModule::Distribution { cmd },
        } => match cmd {
            DistributionTx::WithdrawRewards(a) => gliad::cli::staking::withdraw_rewards(a),
            DistributionTx::WithdrawAllRewards(a) => gliad::cli::staking::withdraw_all_rewards(a),
            DistributionTx::SetWithdrawAddr(a) => gliad::cli::staking::set_withdraw_addr(a),
            DistributionTx::SetAutoWithdraw(a) => gliad::cli::staking::set_auto_withdraw(a),
        },
        Cmd::Tx {
            module:
                TxModule::IbcTransfer {
                    cmd: IbcTransferTx::Transfer(a),
                },
        } => gliad::cli::ibc_transfer::transfer(a),
        Cmd::Tx {
            module: TxModule::Slashing {
                cmd: SlashingTx::Unjail(a),
            },
        } => gliad::cli::staking::unjail(a),
        Cmd::Tx {
            module: TxModule::Ica { cmd },
        } => match cmd {
            IcaTx::Register(a) => gliad::cli::ica::register(a),
            IcaTx::SendTx(a) => gliad::cli::ica::send_tx(a),
        },
        Cmd::Tx {
            module: TxModule::Neuro { cmd },
        } => match cmd {
            NeuroTx::SubmitJob(a) => gliad::cli::neuro::submit_job(a),
            NeuroTx::Review(a) => gliad::cli::neuro::review(a),
            NeuroTx::Cancel(a) => gliad::cli::neuro::cancel(a),
        },
        Cmd::TinyModel { out } => {
            println!("{}", glia_validator_gpu::sd::weights::write_tiny(&out)?);
            Ok(())
        }
        Cmd::ExportGenesis { home } => export_genesis(&home),
        Cmd::Address { mnemonic } => {
            println!("{}", Key::from_mnemonic(&mnemonic)?.address);
            Ok(())
        }
        Cmd::Solve(args) => std::process::exit(gliad::cli::solve::solve(args)),
        Cmd::Gen(args) => gliad::cli::solve::generate(args),
    }
}

/// Logs to stderr, so that commands' stdout stays their output alone.
fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tendermint_abci=warn".into());
    // Colours only on a terminal: a log file gets plain text.
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => fmt.init(),
        LogFormat::Json => fmt.json().flatten_event(true).init(),
    }
}

/// `gliad start`: parse flags, open the store, start the servers and the validator's services,
/// then serve ABCI until CometBFT goes.
fn start(args: StartArgs) -> Result<()> {
    let (neuro_device, config) = parse_start_flags(&args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let data = args.home.join("data");
    let app = open_app(&data, &rt, config)?;
    spawn_grpc(&rt, &app, args.grpc);
    let blobs = BlobStore::open(data.join("blobs"))?;
    spawn_blob_pruner(&data, args.blob_retention_hours)?;
    if let Some(key) = &args.priv_validator_key {
        start_validator_services(&args, key, &app, &data, neuro_device)?;
    }
    let public = gliad::rest::PublicUrls {
        rpc: args.public_rpc.clone().unwrap_or_else(|| args.rpc.clone()),
        rest: public_api(&args),
        web: gliad::web::WebAssets {
            dir: args.web_dir.clone(),
        },
    };
    spawn_rest(&rt, &app, args.api, blobs, args.rpc.clone(), public);
    serve_abci(&args.abci, app)
}

/// The flags clap leaves as text: the solver's device and the node's configuration.
fn parse_start_flags(args: &StartArgs) -> Result<(Device, NodeConfig)> {
    let neuro_device = gliad::cli::solve::parse_device(&args.neuro_device)
        .map_err(anyhow::Error::msg)
        .context("--neuro-device")?;
    let min_gas_price = args
        .min_gas_price
        .as_deref()
        .map(|p| GasPrice::parse(p).map_err(anyhow::Error::msg))
        .transpose()
        .context("--min-gas-price")?;
    let index_events = gliad::index_events::IndexEvents::parse(&args.index_events)
        .map_err(anyhow::Error::msg)
        .context("--index-events")?;
    let config = NodeConfig {
        min_gas_price,
        check_invariants: args.check_invariants,
        index_events,
        cometbft_rpc: Some(args.rpc.clone()),
    };
    Ok((neuro_device, config))
}

/// Opens the state under `data` (created if new) and the app over it.
/// `gliad export-genesis`: the latest committed state as `app_state`. Records made by txs
/// (tasks, jobs) are not part of a genesis; a chain restarted from the export starts with
/// the params, models, accounts and balances.
fn export_genesis(home: &Path) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let path = home.join("data").join("state");
    anyhow::ensure!(
        path.is_dir(),
        "{} holds no state: is --home a node's home?",
        path.display()
    );
    let store = Store::open(&path, rt.handle().clone())
        .with_context(|| format!("opening {} (is the node still running?)", path.display()))?;
    let components = gliad::components::glia(std::sync::Arc::new(glia_modules::component::NoNode));
    let state = gliad::genesis::export(&store.latest(), &components)?;
    println!("{}", serde_json::to_string_pretty(&state)?);
    Ok(())
}

fn open_app(data: &Path, rt: &tokio::runtime::Runtime, config: NodeConfig) -> Result<App> {
    std::fs::create_dir_all(data)?;
    let store = Store::open(&data.join("state"), rt.handle().clone())?;
    tracing::info!(height = store.last_height(), "state opened");
    Ok(App::new(store, config))
}

/// Serves gRPC on the runtime; if it stops, the node runs on without it.
fn spawn_grpc(rt: &tokio::runtime::Runtime, app: &App, grpc: SocketAddr) {
    rt.spawn({
        let app = app.clone();
        async move {
            if let Err(e) = gliad::grpc::serve(app, grpc).await {
                tracing::error!("gRPC server stopped: {e:#}");
            }
        }
    });
}

/// Outputs are kept for the retention window, then pruned (node-local clock: nothing on chain
/// depends on it).
fn spawn_blob_pruner(data: &Path, retention_hours: u64) -> Result<()> {
    let store = BlobStore::open(data.join("blobs"))?;
    let keep = std::time::Duration::from_secs(retention_hours * 3600);
    std::thread::Builder::new()
        .name("blob-prune".into())
        .spawn(move || loop {
            match store.prune(keep, std::time::SystemTime::now()) {
                Ok(n) if n > 0 => tracing::info!(removed = n, "pruned old outputs"),
                Ok(_) => {}
                Err(e) => tracing::warn!("pruning outputs: {e:#}"),
            }
            std::thread::sleep(std::time::Duration::from_secs(600));
        })?;
    Ok(())
}

/// A validator's off-chain services: the neuro worker (with an operator key, unless
/// `--no-neuro`) and the workload executor.
fn start_validator_services(
    args: &StartArgs,
    priv_validator_key: &Path,
    app: &App,
    data: &Path,
    neuro_device: Device,
) -> Result<()> {
    let operator = read_operator_key(args.operator_mnemonic_file.as_deref())?;
    if let Some(op) = &operator {
        gliad::metrics::global().set_own_operator(&op.address.to_bech32());
    }
    if let (Some(op), false) = (&operator, args.no_neuro) {
        spawn_neuro_worker(args, op, app, neuro_device)?;
    }
    spawn_executor(args, priv_validator_key, operator, app, data)
}

/// The operator account's key, from the file holding its mnemonic.
fn read_operator_key(file: Option<&Path>) -> Result<Option<Key>> {
    file.map(|f| -> Result<Key> {
        let m = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        Key::from_mnemonic(m.trim())
    })
    .transpose()
}

/// Solves neuromorphic jobs for the operator, in its own thread.
fn spawn_neuro_worker(args: &StartArgs, operator: &Key, app: &App, device: Device) -> Result<()> {
    let worker = NeuroWorker::new(
        ChainView::new(app),
        NeuroWorkerConfig {
            operator: operator.clone(),
            rpc: args.rpc.clone(),
            threads: args.neuro_threads,
            max_seconds_per_job: args.neuro_max_seconds,
            max_vars: args.neuro_max_vars,
            device,
        },
    );
    std::thread::Builder::new()
        .name("neuro-worker".into())
        .spawn(move || worker.run())?;
    Ok(())
}

/// Runs this validator's workload executor in its own thread.
fn spawn_executor(
    args: &StartArgs,
    priv_validator_key: &Path,
    operator: Option<Key>,
    app: &App,
    data: &Path,
) -> Result<()> {
    let cfg = ExecutorConfig {
        priv_validator_key: priv_validator_key.to_path_buf(),
        models_dir: args
            .models
            .clone()
            .unwrap_or_else(|| args.home.join("models")),
        operator,
        blob_url: public_api(args),
        rpc: args.rpc.clone(),
        fault: args.executor_fault,
        device: args.executor_device,
        work_per_block: args.work_per_block,
        results_dir: data.join("results"),
    };
    let exec = Executor::new(
        ChainView::new(app),
        std::sync::Arc::clone(&app.0.results),
        BlobStore::open(data.join("blobs"))?,
        cfg,
    )?;
    std::thread::Builder::new()
        .name("executor".into())
        .spawn(move || exec.run())?;
    Ok(())
}

/// The public base URL of this node's HTTP API: --blob-url, else http://<--api>.
fn public_api(args: &StartArgs) -> String {
    args.blob_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.api))
}

/// Serves the HTTP API (REST, blobs) on the runtime; if it stops, the node runs on without it.
fn spawn_rest(
    rt: &tokio::runtime::Runtime,
    app: &App,
    api: SocketAddr,
    blobs: BlobStore,
    rpc: String,
    public: gliad::rest::PublicUrls,
) {
    rt.spawn({
        let app = app.clone();
        async move {
            if let Err(e) = gliad::rest::serve(app, api, blobs, rpc, public).await {
                tracing::error!("HTTP API stopped: {e:#}");
            }
        }
    });
}

/// Binds the ABCI address and serves CometBFT's connections on this thread.
fn serve_abci(abci: &str, app: App) -> Result<()> {
    let listener = std::net::TcpListener::bind(abci)
        .with_context(|| format!("binding ABCI server to {abci}"))?;
    tracing::info!(%abci, "ABCI server listening");
    gliad::abci_server::serve(listener, app).context("ABCI server")?;
    Ok(())
}

/// Prints `count` development accounts from index `first` as JSON.
fn print_dev_accounts(count: usize, first: usize, prefix: &str) -> Result<()> {
    let accounts: Vec<_> = (0..count)
        .map(|i| {
            let m = dev_mnemonic(first + i);
            let k = Key::from_mnemonic(&m)?;
            Ok(serde_json::json!({
                "name": format!("{prefix}{i}"),
                "address": k.address.to_bech32(),
                "mnemonic": m,
            }))
        })
        .collect::<Result<_>>()?;
    println!("{}", serde_json::to_string_pretty(&accounts)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every option and argument of every command says what it is in `--help`.
    #[test]
    fn every_flag_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if id != "help" && id != "version" && a.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (no about)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        let cmd = Cli::command();
        cmd.clone().debug_assert();
        walk(&cmd, "gliad", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:#?}");
    }
}
