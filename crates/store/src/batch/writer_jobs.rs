//! What SQLite's group-commit writer ([`super::writer`]) is handed: batches that write, and reverts (docs/SPEC.md
//! §12: a revert "runs through the same batch path (locks, group commit …)"), each with everything it borrows
//! copied and the channel its answer goes back on.

use tokenbatch_rules::ValidBatch;
use tokio::sync::oneshot;

use crate::history::revert::{RevertOutcome, RevertRequest};
use crate::history::{ChangeSource, HistoryEntry};
use crate::plans::{NewPlan, PlanStep, StoredPlan};
use crate::requests::RequestKey;
use crate::{AppliedBatch, StoreError};

use super::{BatchPlan, Owners};

/// One job in the writer's queue.
pub(super) enum WriteJob {
    Batch(Box<BatchJob>),
    Revert(RevertJob),
}

/// A batch handed to the writer.
pub(super) struct BatchJob {
    user_id: i64,
    /// [`Owners::Among`]'s owners; None for [`Owners::Caller`].
    owners: Option<Vec<i64>>,
    pub(super) batch: ValidBatch,
    now: i64,
    /// A dry run that keeps a plan (the writer runs no other dry run).
    dry_run: bool,
    keys: bool,
    full_states: bool,
    /// Request id and fingerprint.
    request: Option<(String, String)>,
    plan: Option<OwnedPlanStep>,
    /// The history's source and request.
    history: Option<(ChangeSource, String)>,
    pub(super) reply: oneshot::Sender<Result<AppliedBatch, StoreError>>,
}

/// A revert handed to the writer (never a dry run: those only read, on a connection of their own).
pub(super) struct RevertJob {
    pub(super) request: RevertRequest,
    pub(super) reply: oneshot::Sender<Result<RevertOutcome, StoreError>>,
}

/// A job's result, to go back on its own channel.
pub(super) enum JobResult {
    Batch(Result<AppliedBatch, StoreError>),
    Revert(Result<RevertOutcome, StoreError>),
}

/// [`PlanStep`], owned.
enum OwnedPlanStep {
    Create(NewPlan),
    Apply(StoredPlan),
}

impl OwnedPlanStep {
    fn new(step: PlanStep<'_>) -> OwnedPlanStep {
        match step {
            PlanStep::Create(new) => OwnedPlanStep::Create(new.clone()),
            PlanStep::Apply(stored) => OwnedPlanStep::Apply(stored.clone()),
        }
    }

    fn step(&self) -> PlanStep<'_> {
        match self {
            OwnedPlanStep::Create(new) => PlanStep::Create(new),
            OwnedPlanStep::Apply(stored) => PlanStep::Apply(stored),
        }
    }
}

impl BatchJob {
    pub(super) fn new(
        plan: &BatchPlan<'_>,
        reply: oneshot::Sender<Result<AppliedBatch, StoreError>>,
    ) -> BatchJob {
        BatchJob {
            user_id: plan.user_id,
            owners: match plan.owners {
                Owners::Caller => None,
                Owners::Among(owners) => Some(owners.to_vec()),
            },
            batch: plan.batch.clone(),
            now: plan.now,
            dry_run: plan.dry_run,
            keys: plan.keys,
            full_states: plan.full_states,
            request: plan
                .request
                .map(|key| (key.request_id.to_owned(), key.fingerprint.to_owned())),
            plan: plan.plan.map(OwnedPlanStep::new),
            history: plan
                .history
                .map(|entry| (entry.source, entry.request.to_owned())),
            reply,
        }
    }

    pub(super) fn plan(&self) -> BatchPlan<'_> {
        BatchPlan {
            user_id: self.user_id,
            owners: match &self.owners {
                None => Owners::Caller,
                Some(owners) => Owners::Among(owners),
            },
            batch: &self.batch,
            now: self.now,
            dry_run: self.dry_run,
            keys: self.keys,
            full_states: self.full_states,
            request: self
                .request
                .as_ref()
                .map(|(request_id, fingerprint)| RequestKey {
                    request_id,
                    fingerprint,
                }),
            plan: self.plan.as_ref().map(OwnedPlanStep::step),
            history: self.history.as_ref().map(|(source, request)| HistoryEntry {
                source: *source,
                request,
            }),
        }
    }
}

impl WriteJob {
    /// How many ids the job names, towards the group's bound; a revert's tokens are only known once it reads
    /// its change set, and a revert ends its group ([`WriteJob::ends_group`]).
    pub(super) fn ids(&self) -> usize {
        match self {
            WriteJob::Batch(job) => job.batch.ids().len(),
            WriteJob::Revert(_) => 0,
        }
    }

    /// A revert (up to 100 000 tokens) is the last job of its group: the batches queued before it share its
    /// commit, those after it wait for the next one.
    pub(super) fn ends_group(&self) -> bool {
        matches!(self, WriteJob::Revert(_))
    }

    /// `error` as this job's result.
    pub(super) fn failed(&self, error: StoreError) -> JobResult {
        match self {
            WriteJob::Batch(_) => JobResult::Batch(Err(error)),
            WriteJob::Revert(_) => JobResult::Revert(Err(error)),
        }
    }

    /// Sends `result` back; a caller that went away no longer wants it (its job is committed all the same).
    pub(super) fn answer(self, result: JobResult) {
        match (self, result) {
            (WriteJob::Batch(job), JobResult::Batch(result)) => {
                let _ = job.reply.send(result);
            }
            (WriteJob::Revert(job), JobResult::Revert(result)) => {
                let _ = job.reply.send(result);
            }
            // The writer answers each job with a result of its own kind; were that ever broken, the caller
            // gets an error rather than waiting forever.
            (job, _) => {
                let reason = "the writer answered a job with another kind's result";
                let failed = job.failed(StoreError::Data(reason.to_owned()));
                job.answer(failed);
            }
        }
    }
}
