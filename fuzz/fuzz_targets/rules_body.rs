//! The body parser and validator on arbitrary bytes (see `tokenbatch_fuzz::rules::body`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenbatch_fuzz::rules::body(data));
