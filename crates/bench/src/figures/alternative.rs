//! Figure 2: the same tokens changed one request at a time, against one batch.

use std::time::{Duration, Instant};

use super::{ids, median, Rounds};
use crate::client::{batch_body, HttpConnection};
use crate::fixture::{BoxError, Fixture};

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
