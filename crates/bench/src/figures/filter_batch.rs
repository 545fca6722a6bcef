//! Figure 6 (docs/SPEC.md §14, first bar): a batch by filter on SQLite. The benchmark user owns `total` tokens
//! (100 000) and one in ten has `gpt-4o` among its model limits; the batch `{"filter": {"model": "gpt-4o"},
//! "expected_count": 10000, …}` goes through `PUT /api/token/batch` (the server selects the tokens, checks the
//! count, then writes them as a batch of those ids), against the plain `UPDATE … WHERE <the same filter>`
//! with sqlx on the same file and rows. Another user owns a tenth as many tokens with the same model, so the
//! owner condition is not idle. Beside them, reported: the same batch naming the selected ids (the §8 body),
//! which is what a filter batch becomes once the filter has selected.

use std::time::{Duration, Instant};

use tokenbatch_store::Store;
use tokenbatch_testkit::seed;

use crate::client::{batch_body, filter_batch_body, HttpConnection};
use crate::figures::{fastest, median, Rounds};
use crate::fixture::{BoxError, Engine, Fixture};
use crate::plain::PlainSql;
use crate::report::ms;

/// The filter of the batch.
pub const FILTER: &str = r#"{"model":"gpt-4o"}"#;
/// [`FILTER`] as the store writes it on SQLite (crates/store/src/filter.rs, `push_entry`): the plain
/// statement's WHERE is the filter's own, beside the owner and soft-delete conditions.
const SQLITE_CONDITION: &str = "instr(',' || COALESCE(model_limits, '') || ',', ',gpt-4o,') > 0";

pub struct FilterBatch {
    /// The user's tokens, and how many of them the filter selects.
    pub tokens: i64,
    pub selected: usize,
    pub http: Vec<Duration>,
    /// The same batch by its ids.
    pub by_ids: Vec<Duration>,
    pub sql: Vec<Duration>,
}

impl FilterBatch {
    /// Of the medians: the figure the target applies to.
    pub fn ratio(&self) -> f64 {
        median(&self.http).as_secs_f64() / median(&self.sql).as_secs_f64()
    }

    pub fn ratio_of_minimums(&self) -> f64 {
        fastest(&self.http).as_secs_f64() / fastest(&self.sql).as_secs_f64()
    }
}

pub async fn filter_batch(
    total: i64,
    rounds: usize,
    next: &Rounds,
) -> Result<FilterBatch, BoxError> {
    let db = Fixture::database(Engine::Sqlite, None).await?;
    let store = Store::open(&db.location).await?;
    let user = seed::add_user(&store, "bench", "default").await?;
    let other = seed::add_user(&store, "bench-other", "default").await?;
    store.close().await;
    seed::bulk_tokens(&db, &[user.id], 1..=total, "bench").await;
    seed::bulk_tokens(&db, &[other.id], total + 1..=total + total / 10, "other").await;
    db.execute("UPDATE tokens SET model_limits = 'gpt-4o,gpt-4.1' WHERE id % 10 = 0")
        .await;
    let selected = usize::try_from(total / 10)?;
    let fx = Fixture::serve(db, user).await?;
    let result = measure(&fx, total, selected, rounds, next).await;
    fx.stop().await;
    result
}

async fn measure(
    fx: &Fixture,
    total: i64,
    selected: usize,
    rounds: usize,
    next: &Rounds,
) -> Result<FilterBatch, BoxError> {
    let plain = PlainSql::connect(&fx.location).await?;
    let mut http = HttpConnection::connect(fx.addr, &fx.user).await?;
    let mut result = FilterBatch {
        tokens: total,
        selected,
        http: Vec::new(),
        by_ids: Vec::new(),
        sql: Vec::new(),
    };
    let ids: Vec<i64> = (1..=total).filter(|id| id % 10 == 0).collect();
    // One of each first, unrecorded. Both check that they wrote exactly `selected` rows (the server also
    // checks `expected_count` against what the filter selects), so they write the same selection.
    http.put_batch(filter_batch_body(FILTER, selected, next.next()), selected)
        .await?;
    plain
        .update_where(SQLITE_CONDITION, fx.user.id, next.next(), selected)
        .await?;
    http.put_batch(batch_body(&ids, next.next()), selected)
        .await?;
    for round in 0..rounds {
        // Each takes every place in the order in turn, so none always follows the same one.
        for step in 0..3 {
            let values = next.next();
            let started = Instant::now();
            match (round + step) % 3 {
                0 => {
                    http.put_batch(filter_batch_body(FILTER, selected, values), selected)
                        .await?;
                    result.http.push(started.elapsed());
                }
                1 => {
                    http.put_batch(batch_body(&ids, values), selected).await?;
                    result.by_ids.push(started.elapsed());
                }
                _ => {
                    plain
                        .update_where(SQLITE_CONDITION, fx.user.id, values, selected)
                        .await?;
                    result.sql.push(started.elapsed());
                }
            }
        }
    }
    plain.close().await;
    Ok(result)
}

pub fn print(figure: &FilterBatch) {
    println!(
        "\n(6) filter batch, SQLite: {} of the user's {} tokens selected by {FILTER}, {} runs each, taking turns",
        figure.selected,
        figure.tokens,
        figure.http.len()
    );
    println!(
        "  PUT /api/token/batch with filter and expected_count  median {}  min {}",
        ms(median(&figure.http)),
        ms(fastest(&figure.http))
    );
    println!(
        "  the same batch by its ids (the §8 body)               median {}  min {}",
        ms(median(&figure.by_ids)),
        ms(fastest(&figure.by_ids))
    );
    println!(
        "  UPDATE … WHERE <the same filter> with sqlx            median {}  min {}",
        ms(median(&figure.sql)),
        ms(fastest(&figure.sql))
    );
    println!(
        "  ratio {:.2}× of the medians (target ≤ 1.3×); {:.2}× of the fastest runs",
        figure.ratio(),
        figure.ratio_of_minimums()
    );
}
