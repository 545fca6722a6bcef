//! `check_field` on an arbitrary field name and value (see `tokenbatch_fuzz::rules::field`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokenbatch_fuzz::rules::field(data));
