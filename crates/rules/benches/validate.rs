//! Validation of a 10 000-id request with every field (docs/SPEC.md §8: at most 1 ms natively), and its parts.
//!
//!     cargo bench -p tokenbatch-rules --bench validate

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/body.rs"]
mod body;

fn validate(c: &mut Criterion) {
    let ctx = body::context();
    let mut group = c.benchmark_group("validate");
    for ids in [10, 10_000] {
        let text = body::full_body(ids);
        // Every run must judge the body valid, or the figure would time an early exit.
        let batch = tokenbatch_rules::check_body(&text, &ctx).expect("the bench body is valid");
        assert_eq!(batch.ids().len(), ids);
        assert_eq!(batch.fields().len(), 9);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("check_body/{ids}_ids_every_field"), |b| {
            b.iter(|| tokenbatch_rules::check_body(black_box(&text), &ctx))
        });
        group.bench_function(format!("read_body/{ids}_ids_every_field"), |b| {
            b.iter(|| tokenbatch_rules::read_body(black_box(&text)))
        });
        group.bench_function(format!("check_body_bytes/{ids}_ids_every_field"), |b| {
            b.iter(|| tokenbatch_rules::check_body_bytes(black_box(text.as_bytes()), &ctx))
        });
    }
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
