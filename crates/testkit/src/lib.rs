//! The test kit of the workspace (unpublished): what the end-to-end tests (`tests/`), the benchmarks
//! (`crates/bench`) and the fuzz targets (`fuzz/`) share, so that each exists once.
//!
//! - [`database`]: a fresh, empty database of its own on SQLite, PostgreSQL or MariaDB/MySQL, with a plain sqlx
//!   connection beside tokenbatch's store, dropped again when the value is dropped.
//! - [`seed`]: the users and tokens the tests and benchmarks start from.
//! - [`process`]: waiting for a `tokenbatch serve` child process's ready line.
//! - [`random`]: reproducible pseudo-random choices, and unique names.

pub mod database;
pub mod process;
pub mod random;
pub mod seed;

pub use database::{Engine, RawDb, TestDatabase, MYSQL_ADMIN_URL, POSTGRES_ADMIN_URL};
pub use random::Random;
