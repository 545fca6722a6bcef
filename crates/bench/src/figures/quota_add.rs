//! Figure 8 (docs/SPEC.md §14, second bar): `"remain_quota": {"add": n}` on 10 000 tokens through
//! `PUT /api/token/batch`, against the plain `UPDATE tokens SET remain_quota = remain_quota + ?` of the same
//! ids with sqlx on the same database and rows. On SQLite a batch without `details` takes the counted path
//! (the new quota computed in SQL, after a SELECT counting the tokens it would take below zero or above the
//! maximum); beside it, reported, the same batch with `?details=true`, which reads every row to answer its
//! values before and after.

use std::time::{Duration, Instant};

use crate::client::{quota_add_body, Count, HttpConnection};
use crate::figures::{fastest, ids, median};
use crate::fixture::{BoxError, Engine, Fixture};
use crate::plain::PlainSql;
use crate::report::ms;

/// What every batch of the figure adds: each one changes every row it names.
const AMOUNT: i64 = 1_000;

pub struct QuotaAdd {
    pub engine: Engine,
    pub tokens: usize,
    pub http: Vec<Duration>,
    /// The same batch with `?details=true`.
    pub details: Vec<Duration>,
    pub sql: Vec<Duration>,
}

impl QuotaAdd {
    /// Of the medians, without `details`: the figure the target applies to.
    pub fn ratio(&self) -> f64 {
        median(&self.http).as_secs_f64() / median(&self.sql).as_secs_f64()
    }

    /// Of the medians, with `details`.
    pub fn details_ratio(&self) -> f64 {
        median(&self.details).as_secs_f64() / median(&self.sql).as_secs_f64()
    }

    pub fn ratio_of_minimums(&self) -> f64 {
        fastest(&self.http).as_secs_f64() / fastest(&self.sql).as_secs_f64()
    }
}

/// `rounds` of each of the three on the benchmark user's tokens `1..=tokens`, each taking every place in
/// the order in turn, after one of each unrecorded.
pub async fn quota_add(fx: &Fixture, tokens: i64, rounds: usize) -> Result<QuotaAdd, BoxError> {
    let ids = ids(tokens);
    let plain = PlainSql::connect(&fx.location).await?;
    let mut http = HttpConnection::connect(fx.addr, &fx.user).await?;
    let mut result = QuotaAdd {
        engine: fx.engine,
        tokens: ids.len(),
        http: Vec::new(),
        details: Vec::new(),
        sql: Vec::new(),
    };
    let body = quota_add_body(&ids, AMOUNT);
    http.put_batch(body.clone(), ids.len()).await?;
    details(&mut http, body.clone(), ids.len()).await?;
    plain.add_quota(fx.user.id, &ids, AMOUNT).await?;
    for round in 0..rounds {
        for step in 0..3 {
            let started = Instant::now();
            match (round + step) % 3 {
                0 => {
                    http.put_batch(body.clone(), ids.len()).await?;
                    result.http.push(started.elapsed());
                }
                1 => {
                    details(&mut http, body.clone(), ids.len()).await?;
                    result.details.push(started.elapsed());
                }
                _ => {
                    plain.add_quota(fx.user.id, &ids, AMOUNT).await?;
                    result.sql.push(started.elapsed());
                }
            }
        }
    }
    plain.close().await;
    Ok(result)
}

/// The batch with `?details=true`, checked to answer a result per id.
async fn details(
    http: &mut HttpConnection,
    body: bytes::Bytes,
    count: usize,
) -> Result<(), BoxError> {
    let answer = http.put_batch_with("?details=true", body, count).await?;
    match answer.results {
        Some(Count(results)) if results == count => Ok(()),
        other => Err(format!("?details=true answered {other:?} results for {count} ids").into()),
    }
}

pub fn print(figure: &QuotaAdd) {
    println!(
        "\n(8) quota add, {}: \"remain_quota\": {{\"add\": {AMOUNT}}} on {} tokens, {} runs each, taking turns",
        figure.engine.name(),
        figure.tokens,
        figure.http.len()
    );
    println!(
        "  PUT /api/token/batch                          median {}  min {}",
        ms(median(&figure.http)),
        ms(fastest(&figure.http))
    );
    println!(
        "  the same with ?details=true (rows read)       median {}  min {}",
        ms(median(&figure.details)),
        ms(fastest(&figure.details))
    );
    println!(
        "  UPDATE … SET remain_quota = remain_quota + ?  median {}  min {}",
        ms(median(&figure.sql)),
        ms(fastest(&figure.sql))
    );
    println!(
        "  ratio {:.2}× of the medians (target ≤ 1.5×); {:.2}× of the fastest runs; {:.2}× with details",
        figure.ratio(),
        figure.ratio_of_minimums(),
        figure.details_ratio()
    );
}
