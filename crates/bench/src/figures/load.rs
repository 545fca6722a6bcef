//! Figure 3: throughput and latency of small batches from many clients at once, over HTTP or gRPC.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokenbatch_proto::token_v1::BatchResultView;

use super::Rounds;
use crate::client::{batch_body, GrpcConnection, HttpConnection};
use crate::fixture::{BoxError, Engine, Fixture};

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
