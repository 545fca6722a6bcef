//! The plans of the statements themselves: one batch of each kind through servers whose connections load
//! auto_explain, its notices read back from the server log.

use std::path::Path;

use super::tables::{serve, stop, Seeded};
use super::{Phase, FILTER};
use crate::client::{batch_body, filter_batch_body, HttpConnection};
use crate::figures::Rounds;
use crate::fixture::BoxError;

/// One batch of each kind on each table, unrecorded, with the large table's statements explained; returns
/// the phases and the plans.
pub(super) async fn explained(
    tables: [Seeded; 2],
    explain: [bool; 2],
    next: &Rounds,
    server_log: &Path,
) -> Result<([Seeded; 2], [Phase; 2], Vec<String>), BoxError> {
    let logged_before = std::fs::metadata(server_log)?.len();
    let [small, large] = tables;
    let served = [
        serve(small, explain[0]).await?,
        serve(large, explain[1]).await?,
    ];
    for table in &served {
        let count = table.ids.len();
        let mut http = HttpConnection::connect(table.fx.addr, &table.fx.user).await?;
        http.put_batch(filter_batch_body(FILTER, count, next.next()), count)
            .await?;
        http.put_batch(batch_body(&table.ids, next.next()), count)
            .await?;
    }
    let [small, large] = served;
    let (small, small_phase) = stop(small, 2).await?;
    let (large, large_phase) = stop(large, 2).await?;
    let log = std::fs::read(server_log)?;
    let added = String::from_utf8_lossy(&log[logged_before as usize..]).into_owned();
    Ok((
        [small, large],
        [small_phase, large_phase],
        plans_on_tokens(&added),
    ))
}

/// The auto_explain notices in `log` whose statement reads or writes `tokens`: each from its `Query Text:` to
/// the next log line (a line starting with a timestamp).
fn plans_on_tokens(log: &str) -> Vec<String> {
    let is_log_line =
        |line: &str| line.len() > 20 && line.as_bytes()[4] == b'-' && line.as_bytes()[10] == b'T';
    let mut plans = Vec::new();
    let mut current: Option<String> = None;
    for line in log.lines() {
        if is_log_line(line) {
            plans.extend(current.take());
            if line.contains("sqlx::postgres::notice") && line.contains("plan:") {
                current = Some(String::new());
            }
            continue;
        }
        if let Some(plan) = current.as_mut() {
            plan.push_str(line);
            plan.push('\n');
        }
    }
    plans.extend(current);
    // The statements on `tokens` (not the readiness probe's `WHERE 1 = 0` on every table).
    plans.retain(|plan| {
        plan.starts_with("Query Text:") && plan.contains(" tokens") && !plan.contains("WHERE 1 = 0")
    });
    plans.iter().map(|plan| abbreviate_arrays(plan)).collect()
}

/// A custom plan shows the bound id list in full (`'{100,200,…}'::bigint[]`): the first few ids and the count.
fn abbreviate_arrays(plan: &str) -> String {
    let mut out = String::with_capacity(plan.len().min(8192));
    let mut rest = plan;
    while let Some(start) = rest.find("'{") {
        let Some(length) = rest[start..].find("}'") else {
            break;
        };
        let inner = &rest[start + 2..start + length];
        out.push_str(&rest[..start]);
        match inner.len() > 40 {
            true => {
                let shown: Vec<&str> = inner.split(',').take(3).collect();
                let count = inner.split(',').count();
                out.push_str(&format!("'{{{},… {count} ids}}'", shown.join(",")));
            }
            false => out.push_str(&rest[start..start + length + 2]),
        }
        rest = &rest[start + length + 2..];
    }
    out.push_str(rest);
    out
}
