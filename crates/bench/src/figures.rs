//! The measurements. Each figure is measured against its baseline in the same run, alternating the two
//! where they can be, so that whatever the machine is doing meanwhile weighs on both alike.
//!
//! Each figure is a submodule (1 to 5 re-exported here, 6 to 10 by their modules); the helpers here serve
//! every figure.

mod alternative;
pub mod filter_batch;
mod floor;
mod footprint;
pub mod large_table;
mod load;
pub mod plan;
pub mod quota_add;
pub mod revert;
mod validation;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::client::Values;

pub use alternative::{alternative, Alternative};
pub use floor::{floor, Floor};
pub use footprint::{footprint, Footprint};
pub use load::{load, Load, LoadSpec, Protocol};
pub use validation::{native_validation_json, validation, Validation};

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
