//! The whole router on a seeded SQLite file (see `tokenbatch_fuzz::http`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenbatch_fuzz::http::request(data));
