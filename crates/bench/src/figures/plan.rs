//! Figure 9 (docs/SPEC.md §14, fourth bar, second half): preview + apply by plan. A 10 000-token batch (the
//! floor's body: three fields) is previewed (`PUT /api/token/batch?dry_run=true&size=100`, whose answer
//! carries `plan.plan_id` and the first page of results, as a client showing the preview reads it; the rest
//! is paged by the plan) and then applied with the body `{"plan_id": …}`; the two
//! requests together against the floor's plain UPDATE of the same tokens ([`PlainSql::update`]). A plan is
//! applied once (a second apply replays its answer), so every round previews a plan of its own.

use std::time::{Duration, Instant};

use crate::client::{batch_body, plan_body, HttpConnection, Values};
use crate::figures::{fastest, ids, median, Rounds};
use crate::fixture::{BoxError, Engine, Fixture};
use crate::plain::PlainSql;
use crate::report::print_timings;

/// The preview's first page of per-token results.
const FIRST_PAGE: usize = 100;

pub struct Plan {
    pub engine: Engine,
    pub tokens: usize,
    /// The dry run, the apply, and the two together.
    pub preview: Vec<Duration>,
    pub apply: Vec<Duration>,
    pub both: Vec<Duration>,
    pub sql: Vec<Duration>,
}

impl Plan {
    /// Of the medians, preview + apply: the figure the target applies to.
    pub fn ratio(&self) -> f64 {
        self.median_ratio(&self.both)
    }

    pub fn ratio_of_minimums(&self) -> f64 {
        fastest(&self.both).as_secs_f64() / fastest(&self.sql).as_secs_f64()
    }

    pub fn median_ratio(&self, samples: &[Duration]) -> f64 {
        median(samples).as_secs_f64() / median(&self.sql).as_secs_f64()
    }
}

/// `rounds` of preview + apply and of the plain UPDATE on the benchmark user's tokens `1..=tokens`, taking
/// turns (each goes first every other round), after one of each unrecorded.
pub async fn plan(
    fx: &Fixture,
    tokens: i64,
    rounds: usize,
    next: &Rounds,
) -> Result<Plan, BoxError> {
    let ids = ids(tokens);
    let plain = PlainSql::connect(&fx.location).await?;
    let mut http = HttpConnection::connect(fx.addr, &fx.user).await?;
    let mut result = Plan {
        engine: fx.engine,
        tokens: ids.len(),
        preview: Vec::new(),
        apply: Vec::new(),
        both: Vec::new(),
        sql: Vec::new(),
    };
    preview_and_apply(&mut http, &ids, next.next()).await?;
    plain.update(fx.user.id, &ids, next.next()).await?;
    for round in 0..rounds {
        for step in 0..2 {
            let values = next.next();
            if (round + step) % 2 == 0 {
                let (preview, apply) = preview_and_apply(&mut http, &ids, values).await?;
                result.preview.push(preview);
                result.apply.push(apply);
                result.both.push(preview + apply);
            } else {
                let started = Instant::now();
                plain.update(fx.user.id, &ids, values).await?;
                result.sql.push(started.elapsed());
            }
        }
    }
    plain.close().await;
    Ok(result)
}

/// Previews the batch writing `values` to `ids`, checks its plan pins and would change every one of them,
/// applies it and checks every one changed; the time of each request.
async fn preview_and_apply(
    http: &mut HttpConnection,
    ids: &[i64],
    values: Values,
) -> Result<(Duration, Duration), BoxError> {
    let body = batch_body(ids, values);
    let started = Instant::now();
    let query = format!("?dry_run=true&size={FIRST_PAGE}");
    let preview = http.put_batch_with(&query, body, ids.len()).await?;
    let previewed = started.elapsed();
    let plan = preview.plan.ok_or("the preview answered no plan")?;
    let count = ids.len() as u64;
    if plan.count != count || plan.changed != count {
        return Err(
            format!("the preview's plan is not {count} tokens all changing: {plan:?}").into(),
        );
    }
    let first_page = FIRST_PAGE.min(ids.len());
    if preview.results.map(|results| results.0) != Some(first_page) {
        return Err(format!("the preview did not answer its first {first_page} results").into());
    }
    let body = plan_body(&plan.plan_id);
    let started = Instant::now();
    http.put_batch(body, ids.len()).await?;
    Ok((previewed, started.elapsed()))
}

pub fn print(figure: &Plan) {
    println!(
        "\n(9) plan, {}: a {}-token batch of 3 fields previewed then applied by plan_id, {} runs each, taking turns",
        figure.engine.name(),
        figure.tokens,
        figure.both.len()
    );
    print_timings(
        38,
        &[
            ("preview (?dry_run=true&size=100)", &figure.preview),
            ("apply ({\"plan_id\"})", &figure.apply),
            ("preview + apply", &figure.both),
            ("the floor's plain UPDATE, same tokens", &figure.sql),
        ],
    );
    println!(
        "  ratio {:.2}× of the medians (target ≤ 2.5×); {:.2}× of the fastest runs; preview {:.2}×, apply {:.2}×",
        figure.ratio(),
        figure.ratio_of_minimums(),
        figure.median_ratio(&figure.preview),
        figure.median_ratio(&figure.apply)
    );
}
