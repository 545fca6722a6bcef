//! What a batch answers: its outcome, the options it ran with, and the service's own warnings.

use tokenbatch_rules::{FieldSet, Lang, Warning};
use tokenbatch_store::{BatchChange, ChangeSource, PlanSummary};

#[cfg(doc)]
use super::{App, PREVIEW_RESULTS};
use crate::request_id::RequestId;

/// Something the service itself has to tell about a committed batch (not a rule of the request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceWarning {
    /// Redis could not be reached: the batch is committed, new-api may serve cached old values for a while.
    CacheNotInvalidated,
    /// Redis is configured but no secret is known to compute new-api's cache keys.
    CacheSecretMissing,
}

impl ServiceWarning {
    /// The warning as answers list it.
    pub fn notice(self, lang: Lang) -> Notice {
        Notice {
            field: "cache".to_owned(),
            code: self.code(),
            message: self.message(lang).to_owned(),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ServiceWarning::CacheNotInvalidated => "cache.not_invalidated",
            ServiceWarning::CacheSecretMissing => "cache.secret_missing",
        }
    }

    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ServiceWarning::CacheNotInvalidated, Lang::ZhCn) => {
                "修改已保存，但无法连接 Redis 清除 new-api 的令牌缓存：缓存过期前 new-api 可能仍按旧值执行。"
            }
            (ServiceWarning::CacheNotInvalidated, Lang::En) => {
                "the changes are saved, but Redis could not be reached to clear new-api's token cache: new-api may \
                 enforce the old values until its cache entries expire."
            }
            (ServiceWarning::CacheSecretMissing, Lang::ZhCn) => {
                "修改已保存，但未设置 CRYPTO_SECRET 或 SESSION_SECRET，无法计算 new-api 的缓存键：缓存过期前 new-api 可能仍按旧值执行。"
            }
            (ServiceWarning::CacheSecretMissing, Lang::En) => {
                "the changes are saved, but neither CRYPTO_SECRET nor SESSION_SECRET is set, so new-api's cache keys \
                 cannot be computed: new-api may enforce the old values until its cache entries expire."
            }
        }
    }
}

/// A warning as both faces render it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Notice {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// What a batch did (or, in a dry run, would do).
#[derive(Debug)]
pub struct BatchOutcome {
    /// Every token before and after; empty unless [`BatchOptions::details`], a dry run or a request id asked
    /// for them (the store may count the changes without reading the tokens). A dry run holds at most the
    /// first [`PREVIEW_RESULTS`]: its plan's other results are paged ([`App::plan_results`]).
    pub changes: Vec<BatchChange>,
    pub(super) changed: usize,
    pub(super) unchanged: usize,
    pub warnings: Vec<Warning>,
    pub service_warnings: Vec<ServiceWarning>,
    pub ignored: FieldSet,
    pub validate_only: bool,
    /// The answer of an earlier batch with the same request id, or of the plan's first apply: nothing was
    /// written this time.
    pub replayed: bool,
    /// The plan a dry run made (docs/SPEC.md §10): every dry run has one; nothing else does.
    pub plan: Option<PlanSummary>,
    /// The change set recording the batch (docs/SPEC.md §12), to read or revert it; None when nothing was
    /// recorded (a dry run, a replay, a batch that changed nothing).
    pub change_id: Option<i64>,
    /// A dry run's changes counted per column and per status reached, over every token (not only the
    /// answered page); None for anything but a dry run.
    pub summary: Option<super::ChangeSummary>,
}

/// How to run a batch, besides its body.
#[derive(Clone, Debug, Default)]
pub struct BatchOptions {
    /// Check everything, write nothing.
    pub validate_only: bool,
    /// The caller wants every token's values before and after (gRPC results, HTTP `details`, a dry run);
    /// without it a batch on SQLite reads only the columns it writes.
    pub details: bool,
    /// A client-chosen id making the batch idempotent (gRPC `request_id`, HTTP `Idempotency-Key`).
    pub request_id: Option<RequestId>,
    /// The face the batch came through, as its history records it (a plan's apply records `plan`).
    pub source: ChangeSource,
}

impl BatchOutcome {
    pub fn changed(&self) -> usize {
        self.changed
    }

    pub fn unchanged(&self) -> usize {
        self.unchanged
    }

    /// Every warning, the rules' first, in the caller's language.
    pub fn notices(&self, lang: Lang) -> Vec<Notice> {
        let rules = self.warnings.iter().map(|warning| Notice {
            field: warning.field.clone(),
            code: warning.code(),
            message: warning.message(lang),
        });
        let service = self
            .service_warnings
            .iter()
            .map(|warning| warning.notice(lang));
        rules.chain(service).collect()
    }
}
