//! The end-to-end tests: one test binary whose modules are the files beside this one, rather than a binary per
//! file, each linking the server, sqlx with three drivers, tonic, reqwest and redis again. Test names keep
//! their file: `cargo test -p tokenbatch-e2e -- authorization::` runs one file's tests.
//!
//! Tests run in parallel threads of this one process. What is process-wide stays harmless:
//! `limits_slow_connections` raises the soft RLIMIT_NOFILE (only upwards, which no other test minds); tests
//! that need their own process state (a descriptor limit of 1 024, SIGKILL, a full disk) run the server as a
//! child process ([`SERVER_BINARY`]), and `full_disk` mounts its tmpfs on a directory of its own.

/// The shipped binary (`crates/server/src/main.rs`, built in this package as `tokenbatch-e2e-server`:
/// cargo gives integration tests only their own package's binaries).
const SERVER_BINARY: &str = env!("CARGO_BIN_EXE_tokenbatch-e2e-server");

mod authorization;
mod authorization_cross_user;
mod binary;
mod concurrency;
mod crash;
mod cross_group_retry;
mod database_down;
mod database_faults;
mod filter_batches;
mod filter_limit;
mod filter_properties;
mod filters;
mod full_disk;
mod fuzz_regressions;
mod grpc;
mod grpc_operations;
mod grpc_refusals;
mod history;
mod history_grpc;
mod history_retention;
mod history_revert;
mod history_revert_conflicts;
mod history_support;
mod http_batch;
mod http_batch_refusals;
mod http_batch_writes;
mod idempotency;
mod limits;
mod limits_slow_connections;
mod list_many;
mod newapi_schema;
mod operation_properties;
mod operations;
mod ops;
mod ops_cors_metrics;
mod ops_grpc;
mod plan_counts;
mod plan_pages;
mod plan_processes;
mod plan_refusals;
mod plans;
mod preview_summary;
mod redis_cache;
mod replicas;
mod revert_many;
mod revert_under_load;
mod root_batches;
mod root_batches_history;
mod root_lists;
mod rules_store_properties;
mod search_patterns;
mod secrets;
mod sorted_lists;
mod usable_groups;
mod user_self;
