//! Reproducible choices without a dependency, and names no other test picks.

/// xorshift64*: the same seed gives the same sequence on every machine, so a failing run can be replayed.
pub struct Random(pub u64);

impl Random {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `count` distinct elements of `ids`, in random order.
    pub fn pick(&mut self, ids: &[i64], count: usize) -> Vec<i64> {
        let mut pool = ids.to_vec();
        let mut picked = Vec::with_capacity(count);
        while picked.len() < count {
            let index = self.below(pool.len() as u64) as usize;
            picked.push(pool.swap_remove(index));
        }
        picked
    }
}

/// A lowercase name starting with `prefix`, unique across tests and processes sharing one database server
/// (a PostgreSQL schema, a MySQL database).
pub fn unique_name(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        tokenbatch::seed::random_alphanumeric(12).to_lowercase()
    )
}

/// A random secret for one test, so tests sharing a Redis never touch each other's keys.
pub fn random_secret() -> String {
    tokenbatch::seed::random_alphanumeric(24)
}

/// How many cases a property test runs: `PROPTEST_CASES` when set (to run more, or fewer), else `default`.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}
