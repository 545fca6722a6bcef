//! The measurements. Each figure is measured against its baseline in the same run, alternating the two
//! where they can be, so that whatever the machine is doing meanwhile weighs on both alike.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokenbatch_store::Location;
use tokenbatch_testkit::process;

use crate::client::{batch_body, GrpcConnection, HttpConnection, Values};
use crate::fixture::{self, BoxError, Engine, Fixture};
use crate::plain::PlainSql;
use tokenbatch_proto::token_v1::BatchResultView;

#[path = "../../rules/benches/support/body.rs"]
mod body;

/// Hands out batch rounds: every batch of a run writes values no batch before it wrote.
#[derive(Clone, Default)]
pub struct Rounds(Arc<AtomicI64>);

impl Rounds {
    pub fn next(&self) -> Values {
        Values {
            round: self.0.fetch_add(1, Ordering::Relaxed) + 1,
        }
    }
}

/// The fastest of the samples (zero for none).
pub fn fastest(samples: &[Duration]) -> Duration {
    samples.iter().min().copied().unwrap_or_default()
}

pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

pub fn ids(count: i64) -> Vec<i64> {
    (1..=count).collect()
}

/// Figure 1: the batch through `PUT /api/token/batch` against the same UPDATE issued with sqlx; beside it the
/// same batch over gRPC, in the full view (every token's values before and after, so the rows are read) and in
/// the counts view.
pub struct Floor {
    pub engine: Engine,
    pub tokens: usize,
    pub http: Vec<Duration>,
    pub grpc: Vec<Duration>,
    pub grpc_counts: Vec<Duration>,
    pub sql: Vec<Duration>,
}

impl Floor {
    /// Of the medians: the figure the target applies to.
    pub fn ratio(&self) -> f64 {
        self.median_ratio(&self.http)
    }

    /// Of the fastest runs: less sensitive to a noisy fsync on either side, shown beside the median's.
    pub fn ratio_of_minimums(&self) -> f64 {
        fastest(&self.http).as_secs_f64() / fastest(&self.sql).as_secs_f64()
    }

    /// gRPC's median (full view) against the same baseline.
    pub fn grpc_ratio(&self) -> f64 {
        self.median_ratio(&self.grpc)
    }

    /// gRPC's median in the counts view against the same baseline.
    pub fn grpc_counts_ratio(&self) -> f64 {
        self.median_ratio(&self.grpc_counts)
    }

    fn median_ratio(&self, samples: &[Duration]) -> f64 {
        median(samples).as_secs_f64() / median(&self.sql).as_secs_f64()
    }
}

pub async fn floor(
    fx: &Fixture,
    tokens: i64,
    rounds: usize,
    next: &Rounds,
) -> Result<Floor, BoxError> {
    let ids = ids(tokens);
    let plain = PlainSql::connect(&fx.location).await?;
    let mut http = HttpConnection::connect(fx.addr, &fx.user).await?;
    let mut grpc = GrpcConnection::connect(fx.addr, &fx.user).await?;
    let mut result = Floor {
        engine: fx.engine,
        tokens: ids.len(),
        http: Vec::new(),
        grpc: Vec::new(),
        grpc_counts: Vec::new(),
        sql: Vec::new(),
    };
    // One of each first, unrecorded: statement caches, page cache, connections.
    http.put_batch(batch_body(&ids, next.next()), ids.len())
        .await?;
    grpc.batch(&ids, next.next(), BatchResultView::Full, ids.len())
        .await?;
    grpc.batch(&ids, next.next(), BatchResultView::Counts, ids.len())
        .await?;
    plain.update(fx.user.id, &ids, next.next()).await?;
    for round in 0..rounds {
        // Each takes every place in the order in turn, so none always follows the same one.
        for step in 0..4 {
            let values = next.next();
            let body = batch_body(&ids, values);
            let started = Instant::now();
            match (round + step) % 4 {
                0 => {
                    http.put_batch(body, ids.len()).await?;
                    result.http.push(started.elapsed());
                }
                1 => {
                    grpc.batch(&ids, values, BatchResultView::Full, ids.len())
                        .await?;
                    result.grpc.push(started.elapsed());
                }
                2 => {
                    grpc.batch(&ids, values, BatchResultView::Counts, ids.len())
                        .await?;
                    result.grpc_counts.push(started.elapsed());
                }
                _ => {
                    plain.update(fx.user.id, &ids, values).await?;
                    result.sql.push(started.elapsed());
                }
            }
        }
    }
    plain.close().await;
    Ok(result)
}

/// Figure 2: the same tokens changed one request at a time (sequential, one kept-alive connection), against
/// one batch.
pub struct Alternative {
    pub tokens: usize,
    pub one_by_one: Duration,
    pub batch: Vec<Duration>,
}

impl Alternative {
    pub fn ratio(&self) -> f64 {
        self.one_by_one.as_secs_f64() / median(&self.batch).as_secs_f64()
    }
}

pub async fn alternative(
    fx: &Fixture,
    tokens: i64,
    batch_rounds: usize,
    next: &Rounds,
) -> Result<Alternative, BoxError> {
    let ids = ids(tokens);
    let mut http = HttpConnection::connect(fx.addr, &fx.user).await?;
    let mut batch = Vec::new();
    for _ in 0..batch_rounds {
        let body = batch_body(&ids, next.next());
        let started = Instant::now();
        http.put_batch(body, ids.len()).await?;
        batch.push(started.elapsed());
    }
    let values = next.next();
    let bodies: Vec<_> = ids.iter().map(|id| batch_body(&[*id], values)).collect();
    let started = Instant::now();
    for body in bodies {
        http.put_batch(body, 1).await?;
    }
    let one_by_one = started.elapsed();
    Ok(Alternative {
        tokens: ids.len(),
        one_by_one,
        batch,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Grpc,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP/1.1 PUT /api/token/batch",
            Protocol::Grpc => "gRPC BatchUpdateTokens",
        }
    }
}

/// Figure 3: small batches from many clients at once.
pub struct Load {
    pub engine: Engine,
    pub protocol: Protocol,
    pub concurrency: usize,
    pub batch: usize,
    pub requests: u64,
    pub elapsed: Duration,
    /// Microseconds per request.
    pub latency: Histogram<u64>,
}

impl Load {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile_ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// `concurrency` clients, each on a connection of its own, send `batch`-id batches back to back for
/// `warmup + measure`; the requests sent and answered within the measured window count. Client `c` only
/// ever names id sets `s` with `s % concurrency == c`, so no two requests in flight share a token: on
/// SQLite, overlapping batches would only measure its single writer waiting on itself.
/// What one throughput run sends.
#[derive(Clone, Copy, Debug)]
pub struct LoadSpec {
    pub protocol: Protocol,
    pub concurrency: usize,
    /// Ids per batch.
    pub batch: usize,
    /// Tokens `1..=pool_tokens` of the benchmark user are shared out among the clients.
    pub pool_tokens: i64,
    pub warmup: Duration,
    pub measure: Duration,
}

pub async fn load(fx: &Fixture, spec: LoadSpec, next: &Rounds) -> Result<Load, BoxError> {
    let LoadSpec {
        protocol,
        concurrency,
        batch,
        pool_tokens,
        warmup,
        measure,
    } = spec;
    let sets = (pool_tokens as usize / batch) / concurrency * concurrency;
    if sets == 0 {
        return Err("not enough tokens for one id set per client".into());
    }
    let started = Instant::now() + Duration::from_millis(50);
    let window_start = started + warmup;
    let window_end = window_start + measure;
    let mut workers = Vec::new();
    for client in 0..concurrency {
        let next = next.clone();
        let addr = fx.addr;
        let user = fx.user.clone();
        workers.push(tokio::spawn(async move {
            let mut http = None;
            let mut grpc = None;
            match protocol {
                Protocol::Http => http = Some(HttpConnection::connect(addr, &user).await?),
                Protocol::Grpc => grpc = Some(GrpcConnection::connect(addr, &user).await?),
            }
            tokio::time::sleep_until(started.into()).await;
            let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
            let mut counted = 0u64;
            let mut ids = vec![0i64; batch];
            for sequence in 0usize.. {
                let set = (sequence * concurrency + client) % sets;
                for (offset, id) in ids.iter_mut().enumerate() {
                    *id = (set * batch + offset + 1) as i64;
                }
                let values = next.next();
                let sent = Instant::now();
                match (&mut http, &mut grpc) {
                    (Some(http), _) => http.put_batch(batch_body(&ids, values), batch).await?,
                    (_, Some(grpc)) => {
                        grpc.batch(&ids, values, BatchResultView::Full, batch)
                            .await?
                    }
                    _ => unreachable!("one client per protocol"),
                }
                let answered = Instant::now();
                if answered > window_end {
                    break;
                }
                if sent >= window_start {
                    latency.record((answered - sent).as_micros().max(1) as u64)?;
                    counted += 1;
                }
            }
            Ok::<_, BoxError>((counted, latency))
        }));
    }
    let mut requests = 0;
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for worker in workers {
        let (counted, histogram) = worker.await??;
        requests += counted;
        latency.add(&histogram)?;
    }
    Ok(Load {
        engine: fx.engine,
        protocol,
        concurrency,
        batch,
        requests,
        elapsed: measure,
        latency,
    })
}

/// Figure 4 (native side): the rules on the 10 000-id body with every field.
pub struct Validation {
    pub body_bytes: usize,
    /// `tokenbatch_rules::check_body`, what the server runs.
    pub check_body: Duration,
    /// `validateBody`'s own code (the context, `check_body` and the JSON verdict), run natively: the
    /// baseline of the WebAssembly comparison.
    pub body_verdict: Duration,
}

pub fn validation(ids: usize, runs: usize) -> Result<Validation, BoxError> {
    let text = body::full_body(ids);
    let ctx = body::context();
    let batch = tokenbatch_rules::check_body(&text, &ctx)
        .map_err(|violations| format!("the bench body is invalid: {violations:?}"))?;
    if batch.ids().len() != ids || batch.fields().len() != 9 {
        return Err("the bench body did not keep every id and field".into());
    }
    let time = |f: &dyn Fn()| {
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            f();
            samples.push(started.elapsed());
        }
        median(&samples)
    };
    let check_body = time(&|| {
        std::hint::black_box(tokenbatch_rules::check_body(
            std::hint::black_box(&text),
            &ctx,
        ))
        .ok();
    });
    let body_verdict = time(&|| {
        let ctx =
            tokenbatch_wasm::verdict::context(body::NOW as f64, Some(body::allowed_groups()), None);
        let verdict = tokenbatch_wasm::verdict::body_verdict(
            std::hint::black_box(&text),
            &ctx,
            tokenbatch_rules::Lang::ZhCn,
        );
        std::hint::black_box(verdict);
    });
    Ok(Validation {
        body_bytes: text.len(),
        check_body,
        body_verdict,
    })
}

/// The body the WebAssembly comparison times, byte for byte the native one.
pub fn validation_body(ids: usize) -> String {
    body::full_body(ids)
}

pub fn validation_now() -> i64 {
    body::NOW
}

pub fn validation_groups() -> Vec<String> {
    body::allowed_groups()
}

/// Figure 5: the real binary's footprint and start, and the browser module's size.
pub struct Footprint {
    pub tokens: i64,
    pub ready: Vec<Duration>,
    pub idle_rss_kib: Vec<u64>,
    pub wasm_raw: u64,
    pub wasm_gzip: u64,
}

/// Starts `tokenbatch serve` `starts` times on one SQLite file holding `tokens` tokens (created and
/// closed beforehand, so each start opens an existing database), timing process start to the ready line,
/// then reads the idle process's resident memory.
pub async fn footprint(binary: &Path, tokens: i64, starts: usize) -> Result<Footprint, BoxError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("existing.db");
    fixture::seed(&Location::SqliteFile(path.clone()), tokens / 2).await?;
    let mut ready = Vec::new();
    let mut idle_rss_kib = Vec::new();
    for _ in 0..starts {
        let started = Instant::now();
        let mut child = tokio::process::Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--sqlite"])
            .arg(&path)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env_remove("SQL_DSN")
            .env_remove("REDIS_CONN_STRING")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let deadline = Duration::from_secs(20);
        let found = tokio::time::timeout(deadline, process::ready(&mut child)).await;
        let elapsed = started.elapsed();
        let Ok(Ok(line)) = found else {
            let _ = child.kill().await;
            return Err(format!("{} never logged its ready line", binary.display()).into());
        };
        ready.push(elapsed);
        // Keep reading the logs so the child never blocks on a full pipe, and let it settle.
        line.drain();
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let pid = child.id().ok_or("the server exited")?;
        idle_rss_kib.push(vm_rss_kib(pid)?);
        child.kill().await?;
    }
    let wasm = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/pkg/tokenbatch_wasm_bg.wasm");
    let wasm_raw = std::fs::metadata(&wasm)?.len();
    let gzip = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(&wasm)
        .output()?;
    if !gzip.status.success() {
        return Err("gzip failed".into());
    }
    Ok(Footprint {
        tokens,
        ready,
        idle_rss_kib,
        wasm_raw,
        wasm_gzip: gzip.stdout.len() as u64,
    })
}

fn vm_rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .ok_or("no VmRSS line")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("malformed VmRSS line")?
        .parse()?)
}
