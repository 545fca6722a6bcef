//! Figure 1: the batch against the same UPDATE issued with sqlx, and over gRPC beside it.

use std::time::{Duration, Instant};

use tokenbatch_proto::token_v1::BatchResultView;

use super::{fastest, ids, median, Rounds};
use crate::client::{batch_body, GrpcConnection, HttpConnection};
use crate::fixture::{BoxError, Engine, Fixture};
use crate::plain::PlainSql;

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
