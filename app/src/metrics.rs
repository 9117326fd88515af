//! Prometheus metrics of a node (`GET /metrics` on the HTTP API), in the text exposition
//! format: the chain as this node sees it (height, block interval, txs by result code, tasks
//! and jobs by what happened to them, vote extension sizes, escrow held by the modules) and this
//! validator's own work (its executor's queue, busy time and images per device, its solver's
//! runs, and every penalty the chain gave its executor). CometBFT's own metrics (consensus,
//! p2p, mempool) are on its Prometheus port; `localnet/grafana/glia.json` shows both.
//!
//! Observation only: nothing here feeds back into consensus, so wall-clock durations are fine.
//! Everything is counted from what the node already has — FinalizeBlock's results and events,
//! the executor's and the solver's own timings — with no extra state reads but two balances
//! per block.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};

/// Upper bounds of the duration histograms, in seconds.
const SECONDS_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Upper bounds of the vote-extension size histogram, in bytes.
const BYTES_BUCKETS: &[f64] = &[64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0];

#[derive(Clone, Debug, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, buckets: &[f64], v: f64) {
        if self.counts.len() != buckets.len() {
            self.counts = vec![0; buckets.len()];
        }
        for (i, b) in buckets.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str, buckets: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in buckets.iter().enumerate() {
            let c = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Default)]
struct Inner {
    height: u64,
    block_time_nanos: Option<i128>,
    block_interval: Histogram,
    finalize: Histogram,
    txs: BTreeMap<(String, u32), u64>,
    events: BTreeMap<String, u64>,
    tasks_settled: BTreeMap<String, u64>,
    jobs_closed: BTreeMap<String, u64>,
    vote_ext_own: Histogram,
    vote_ext_verified: Histogram,
    vote_ext_rejected: u64,
    escrow: BTreeMap<String, u128>,
    // This validator's own work.
    own_operator: Option<String>,
    queue_depth: u64,
    images: BTreeMap<String, u64>,
    image_seconds: BTreeMap<String, Histogram>,
    busy_seconds: BTreeMap<String, f64>,
    task_failures: u64,
    solver_runs: u64,
    solver_seconds: f64,
    solver_solved: u64,
    commitments: u64,
    penalties: BTreeMap<String, u64>,
}

/// The node's metrics.
pub struct Metrics(Mutex<Inner>);

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(|| Metrics(Mutex::new(Inner::default())))
}

/// `"a"` → `a="…"` with the value escaped as the exposition format wants.
fn label(k: &str, v: &str) -> String {
    let v = v
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("{k}=\"{v}\"")
}

fn attr<'a>(e: &'a tendermint_proto::v0_38::abci::Event, key: &str) -> Option<&'a str> {
    e.attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

/// What a penalty event says about an executor, if it is one: (kind, executor attribute key).
fn penalty_kind(t: &str) -> Option<(&'static str, &'static str)> {
    match t {
        "executor_outvoted" => Some(("outvoted", "executor")),
        "executor_jailed" => Some(("jailed", "operator")),
        "task_reassigned" => Some(("replaced", "silent")),
        _ => None,
    }
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The operator account of this node's executor: its penalties are counted and logged.
    pub fn set_own_operator(&self, operator: &str) {
        self.lock().own_operator = Some(operator.to_string());
    }

    /// A finalized block: its height and time, each tx's result code, every event, and how
    /// long executing and hashing it took here.
    pub fn block(
        &self,
        height: u64,
        time_nanos: i128,
        txs: &[tendermint_proto::v0_38::abci::ExecTxResult],
        block_events: &[tendermint_proto::v0_38::abci::Event],
        finalize_seconds: f64,
    ) {
        let mut m = self.lock();
        m.height = height;
        if let Some(prev) = m.block_time_nanos {
            let dt = (time_nanos - prev) as f64 / 1e9;
            if dt >= 0.0 {
                m.block_interval.observe(SECONDS_BUCKETS, dt);
            }
        }
        m.block_time_nanos = Some(time_nanos);
        m.finalize.observe(SECONDS_BUCKETS, finalize_seconds);
        for r in txs {
            let codespace = if r.code == 0 { "" } else { &r.codespace };
            *m.txs.entry((codespace.to_string(), r.code)).or_default() += 1;
        }
        let events = txs
            .iter()
            .filter(|r| r.code == 0)
            .flat_map(|r| r.events.iter())
            .chain(block_events.iter());
        for e in events {
            *m.events.entry(e.r#type.clone()).or_default() += 1;
            match e.r#type.as_str() {
                "task_settled" => {
                    let s = attr(e, "status").unwrap_or("unknown").to_string();
                    *m.tasks_settled.entry(s).or_default() += 1;
                }
                "job_closed" => {
                    let s = attr(e, "status").unwrap_or("unknown").to_string();
                    *m.jobs_closed.entry(s).or_default() += 1;
                }
                t => {
                    let Some((kind, key)) = penalty_kind(t) else {
                        continue;
                    };
                    let who = attr(e, key).unwrap_or_default();
                    if m.own_operator.as_deref() == Some(who) {
                        *m.penalties.entry(kind.to_string()).or_default() += 1;
                        let task = attr(e, "task_id").unwrap_or("-");
                        match kind {
                            "outvoted" => tracing::warn!(
                                height,
                                task,
                                "your executor was outvoted: its image differed from the \
                                 majority's and its quality falls; check its model files and \
                                 device (`gliad query inference executors` shows its quality)"
                            ),
                            "replaced" => tracing::warn!(
                                height,
                                task,
                                "your executor missed its deadline and was replaced: check \
                                 its log and its --work-per-block (the work it promises per \
                                 block)"
                            ),
                            _ => tracing::warn!(
                                height,
                                until = attr(e, "jailed_until").unwrap_or("-"),
                                quality_bps = attr(e, "quality_bps").unwrap_or("-"),
                                "your executor is jailed: it is drawn for no task until its \
                                 term ends, then restarts at the jail threshold's quality"
                            ),
                        }
                    }
                }
            }
        }
    }

    /// The coins the image and job modules hold in escrow after a block (uglia).
    pub fn escrow(&self, module: &str, amount: u128) {
        self.lock().escrow.insert(module.to_string(), amount);
    }

    /// This node's vote extension for a height, as it signs it.
    pub fn own_vote_extension(&self, bytes: usize) {
        self.lock()
            .vote_ext_own
            .observe(BYTES_BUCKETS, bytes as f64);
    }

    /// Another validator's vote extension, verified (`accepted`) or rejected.
    pub fn verified_vote_extension(&self, bytes: usize, accepted: bool) {
        let mut m = self.lock();
        m.vote_ext_verified.observe(BYTES_BUCKETS, bytes as f64);
        if !accepted {
            m.vote_ext_rejected += 1;
        }
    }

    /// The tasks assigned to this executor that it has not answered yet.
    pub fn queue_depth(&self, n: usize) {
        self.lock().queue_depth = n as u64;
    }

    /// One image made on `device` in `seconds` of its time.
    pub fn image(&self, device: &str, seconds: f64) {
        let mut m = self.lock();
        *m.images.entry(device.to_string()).or_default() += 1;
        *m.busy_seconds.entry(device.to_string()).or_default() += seconds;
        m.image_seconds
            .entry(device.to_string())
            .or_default()
            .observe(SECONDS_BUCKETS, seconds);
    }

    /// A task this executor could not run.
    pub fn task_failed(&self) {
        self.lock().task_failures += 1;
    }

    /// One solver run of a job: how long it ran and whether it met the job's goal.
    pub fn solver_run(&self, seconds: f64, solved: bool) {
        let mut m = self.lock();
        m.solver_runs += 1;
        m.solver_seconds += seconds;
        if solved {
            m.solver_solved += 1;
        }
    }

    /// A solution commitment this node's solver sent.
    pub fn commitment_sent(&self) {
        self.lock().commitments += 1;
    }

    /// Every metric, in Prometheus's text format.
    pub fn render(&self) -> String {
        let m = self.lock();
        let mut o = String::new();
        let head = |o: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(
            &mut o,
            "glia_height",
            "gauge",
            "Last block finalized by this node.",
        );
        let _ = writeln!(o, "glia_height {}", m.height);
        head(
            &mut o,
            "glia_block_interval_seconds",
            "histogram",
            "Time between consecutive blocks, by their header times.",
        );
        m.block_interval
            .render(&mut o, "glia_block_interval_seconds", "", SECONDS_BUCKETS);
        head(
            &mut o,
            "glia_finalize_block_seconds",
            "histogram",
            "Wall time of FinalizeBlock here (executing and hashing the block).",
        );
        m.finalize
            .render(&mut o, "glia_finalize_block_seconds", "", SECONDS_BUCKETS);
        head(
            &mut o,
            "glia_txs_total",
            "counter",
            "Txs in finalized blocks by result (code 0: success).",
        );
        for ((cs, code), n) in &m.txs {
            let _ = writeln!(
                o,
                "glia_txs_total{{{},{}}} {n}",
                label("codespace", cs),
                label("code", &code.to_string())
            );
        }
        head(
            &mut o,
            "glia_events_total",
            "counter",
            "Events of successful txs and of blocks, by type (generate_image, task_settled, \
             submit_job, solution_paid, executor_jailed, ...).",
        );
        for (t, n) in &m.events {
            let _ = writeln!(o, "glia_events_total{{{}}} {n}", label("type", t));
        }
        head(
            &mut o,
            "glia_tasks_settled_total",
            "counter",
            "Image tasks settled, by final status.",
        );
        for (s, n) in &m.tasks_settled {
            let _ = writeln!(o, "glia_tasks_settled_total{{{}}} {n}", label("status", s));
        }
        head(
            &mut o,
            "glia_jobs_closed_total",
            "counter",
            "Neuromorphic jobs closed, by final status.",
        );
        for (s, n) in &m.jobs_closed {
            let _ = writeln!(o, "glia_jobs_closed_total{{{}}} {n}", label("status", s));
        }
        head(
            &mut o,
            "glia_escrow_uglia",
            "gauge",
            "Coins held in escrow by a module (inference: image requests; neuro: jobs).",
        );
        for (module, n) in &m.escrow {
            let _ = writeln!(o, "glia_escrow_uglia{{{}}} {n}", label("module", module));
        }
        head(
            &mut o,
            "glia_vote_extension_bytes",
            "histogram",
            "Vote extension sizes: this node's own (own) and other validators' (verified).",
        );
        m.vote_ext_own.render(
            &mut o,
            "glia_vote_extension_bytes",
            &label("source", "own"),
            BYTES_BUCKETS,
        );
        m.vote_ext_verified.render(
            &mut o,
            "glia_vote_extension_bytes",
            &label("source", "verified"),
            BYTES_BUCKETS,
        );
        head(
            &mut o,
            "glia_vote_extensions_rejected_total",
            "counter",
            "Other validators' vote extensions this node rejected.",
        );
        let _ = writeln!(
            o,
            "glia_vote_extensions_rejected_total {}",
            m.vote_ext_rejected
        );
        head(
            &mut o,
            "glia_executor_queue_depth",
            "gauge",
            "Tasks assigned to this node's executor and not yet answered.",
        );
        let _ = writeln!(o, "glia_executor_queue_depth {}", m.queue_depth);
        head(
            &mut o,
            "glia_executor_images_total",
            "counter",
            "Images this node's executor made, by device.",
        );
        for (d, n) in &m.images {
            let _ = writeln!(
                o,
                "glia_executor_images_total{{{}}} {n}",
                label("device", d)
            );
        }
        head(
            &mut o,
            "glia_executor_busy_seconds_total",
            "counter",
            "Device time this node's executor spent making images, by device.",
        );
        for (d, s) in &m.busy_seconds {
            let _ = writeln!(
                o,
                "glia_executor_busy_seconds_total{{{}}} {s}",
                label("device", d)
            );
        }
        head(
            &mut o,
            "glia_executor_image_seconds",
            "histogram",
            "Device time per image, by device.",
        );
        for (d, h) in &m.image_seconds {
            h.render(
                &mut o,
                "glia_executor_image_seconds",
                &label("device", d),
                SECONDS_BUCKETS,
            );
        }
        head(
            &mut o,
            "glia_executor_task_failures_total",
            "counter",
            "Tasks this node's executor could not run (see its log).",
        );
        let _ = writeln!(o, "glia_executor_task_failures_total {}", m.task_failures);
        head(
            &mut o,
            "glia_executor_penalties_total",
            "counter",
            "Penalties the chain gave this node's executor: outvoted, replaced (missed its \
             deadline), jailed.",
        );
        for kind in ["outvoted", "replaced", "jailed"] {
            let n = m.penalties.get(kind).copied().unwrap_or(0);
            let _ = writeln!(
                o,
                "glia_executor_penalties_total{{{}}} {n}",
                label("kind", kind)
            );
        }
        head(
            &mut o,
            "glia_solver_runs_total",
            "counter",
            "Neuromorphic jobs this node's solver worked on.",
        );
        let _ = writeln!(o, "glia_solver_runs_total {}", m.solver_runs);
        head(
            &mut o,
            "glia_solver_solved_total",
            "counter",
            "Solver runs that met the job's goal (satisfied, or reached its target).",
        );
        let _ = writeln!(o, "glia_solver_solved_total {}", m.solver_solved);
        head(
            &mut o,
            "glia_solver_busy_seconds_total",
            "counter",
            "Wall time this node's solver spent on jobs.",
        );
        let _ = writeln!(o, "glia_solver_busy_seconds_total {}", m.solver_seconds);
        head(
            &mut o,
            "glia_solver_commitments_total",
            "counter",
            "Solution commitments this node's solver sent.",
        );
        let _ = writeln!(o, "glia_solver_commitments_total {}", m.commitments);
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tendermint_proto::v0_38::abci::{Event, EventAttribute, ExecTxResult};

    fn event(t: &str, attrs: &[(&str, &str)]) -> Event {
        Event {
            r#type: t.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| EventAttribute {
                    key: (*k).into(),
                    value: (*v).into(),
                    index: true,
                })
                .collect(),
        }
    }

    /// Every sample line is `name{labels} value` with a number, under a `# TYPE` of its
    /// family; the counts follow the blocks given.
    #[test]
    fn blocks_are_counted_and_rendered_in_the_exposition_format() {
        let m = Metrics(Mutex::new(Inner::default()));
        m.set_own_operator("glia1me");
        let ok = ExecTxResult {
            code: 0,
            events: vec![event("generate_image", &[("task_id", "1")])],
            ..Default::default()
        };
        let bad = ExecTxResult {
            code: 7,
            codespace: "inference".into(),
            events: vec![event("generate_image", &[])],
            ..Default::default()
        };
        let block_events = vec![
            event("task_settled", &[("status", "TASK_STATUS_COMPLETED")]),
            event("executor_outvoted", &[("executor", "glia1me")]),
            event("executor_outvoted", &[("executor", "glia1other")]),
        ];
        m.block(5, 10_000_000_000, &[ok.clone(), bad], &block_events, 0.02);
        m.block(6, 11_500_000_000, &[ok], &[], 0.01);
        m.image("cpu", 0.04);
        m.own_vote_extension(300);
        let text = m.render();
        let mut families = std::collections::BTreeSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                families.insert(rest.split(' ').next().unwrap().to_string());
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let (name, value) = line.rsplit_once(' ').expect("name value");
            value.parse::<f64>().unwrap_or_else(|_| panic!("{line}"));
            let base = name.split('{').next().unwrap();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| base.strip_suffix(s))
                .filter(|f| families.contains(*f))
                .unwrap_or(base);
            assert!(families.contains(family), "{line}: no # TYPE {family}");
        }
        for want in [
            "glia_height 6",
            "glia_txs_total{codespace=\"\",code=\"0\"} 2",
            "glia_txs_total{codespace=\"inference\",code=\"7\"} 1",
            // A failed tx's events are not counted.
            "glia_events_total{type=\"generate_image\"} 2",
            "glia_tasks_settled_total{status=\"TASK_STATUS_COMPLETED\"} 1",
            "glia_executor_penalties_total{kind=\"outvoted\"} 1",
            "glia_block_interval_seconds_count 1",
            "glia_block_interval_seconds_bucket{le=\"2.5\"} 1",
            "glia_block_interval_seconds_bucket{le=\"1\"} 0",
            "glia_executor_images_total{device=\"cpu\"} 1",
            "glia_vote_extension_bytes_count{source=\"own\"} 1",
        ] {
            assert!(text.contains(want), "no {want:?} in\n{text}");
        }
    }
}
