//! A batch before validation ([`BatchInput`]), what the rules need to know to check it ([`Context`]), and
//! the batch validation let through ([`ValidBatch`]).

use crate::{filter, operation, Field, FieldSet, Patch, Warning};

/// A parsed request before validation. `update_fields: None` = the body had no update_fields key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchInput {
    pub ids: Vec<i64>,
    pub patch: Patch,
    pub update_fields: Option<FieldSet>,
    /// The tokens a filter selects, instead of `ids` (docs/SPEC.md §9).
    pub filter: Option<filter::TokenFilter>,
    /// How many tokens the caller expects the filter to select right now (the count guard).
    pub expected_count: Option<i64>,
    /// Fields given as operation objects (§11) instead of absolute values.
    pub ops: operation::Operations,
    /// The `status` to write: 1 (enable) or 2 (disable).
    pub status: Option<i64>,
    /// `update_fields` names `status`.
    pub update_status: bool,
    /// Root's `scope` as sent (docs/SPEC.md §13): `"all_users"` lets an `ids` batch reach every user's tokens.
    pub scope: Option<String>,
}

/// What the server and page know that the rules need.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Unix seconds, for the "expiry in the past" warning.
    pub now: i64,
    /// None = do not check group membership ("auto" is always allowed).
    pub allowed_groups: Option<Vec<String>>,
    /// Character limits of the target database's columns, where they are narrower than the rules' own
    /// (new-api on MySQL keeps `group` and `allow_ips` in varchar(191)). Empty = no such limits.
    pub column_limits: Vec<(Field, usize)>,
}

impl Context {
    /// The database's character limit for `field`, if it has one.
    pub fn column_limit(&self, field: Field) -> Option<usize> {
        self.column_limits
            .iter()
            .find(|(limited, _)| *limited == field)
            .map(|(_, max)| *max)
    }
}

/// A validated batch: ids deduplicated and sorted ascending, `values` holds normalized values for exactly
/// the fields in `fields` (every other field None), `ignored` = fields present in the body but not in
/// update_fields. Only the rules build one (the members are private to this crate), so whoever holds a
/// `ValidBatch` holds what validation guarantees: the store writes nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidBatch {
    pub(crate) ids: Vec<i64>,
    pub(crate) fields: FieldSet,
    pub(crate) values: Patch,
    pub(crate) ignored: FieldSet,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) filter: Option<filter::TokenFilter>,
    pub(crate) expected_count: Option<i64>,
    pub(crate) ops: operation::Operations,
    pub(crate) status: Option<i64>,
    pub(crate) column_limits: Vec<(Field, usize)>,
    pub(crate) all_users: bool,
}

impl ValidBatch {
    /// The batch reaches other users' tokens (docs/SPEC.md §13): an `ids` batch with `"scope": "all_users"`
    /// or a filter naming `user_id`. Only root may send either: the server's check.
    pub fn crosses_users(&self) -> bool {
        self.all_users || self.filter.as_ref().is_some_and(|f| f.user_id.is_some())
    }

    /// An `ids` batch with `"scope": "all_users"`.
    pub fn all_users(&self) -> bool {
        self.all_users
    }

    /// The groups the batch puts on tokens, which their owners must be able to use
    /// ([`group_usable`](crate::group_usable)): an absolute `group`'s names or a group operation's added and
    /// prepended ones, distinct, sorted. Removing a group needs no right to it.
    pub fn written_groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = match (self.ops().get(Field::Group), &self.values().group) {
            (Some(operation::Operation::List { add, prepend, .. }), _) => {
                add.iter().chain(prepend).map(String::as_str).collect()
            }
            (None, Some(group)) if self.fields().contains(Field::Group) => {
                group.split(',').collect()
            }
            _ => Vec::new(),
        };
        groups.retain(|group| !group.is_empty());
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    /// The fields written by an operation (§11) rather than an absolute value; their [`ValidBatch::values`]
    /// are None.
    pub fn ops(&self) -> &operation::Operations {
        &self.ops
    }

    /// The status to write (1 enable, 2 disable), when `update_fields` names it.
    pub fn status(&self) -> Option<i64> {
        self.status
    }

    /// The database's character limits the batch was checked against (see [`Context::column_limits`]): a
    /// list operation's per-token result must fit them too.
    pub fn column_limit(&self, field: Field) -> Option<usize> {
        self.column_limits
            .iter()
            .find(|(limited, _)| *limited == field)
            .map(|(_, max)| *max)
    }

    /// Distinct, ascending; at least one, at most [`MAX_IDS`](crate::MAX_IDS); for a batch by filter, empty
    /// until [`ValidBatch::with_selected_ids`] pins what the filter selected.
    pub fn ids(&self) -> &[i64] {
        &self.ids
    }

    /// The filter selecting the tokens, when the request had one instead of ids.
    pub fn filter(&self) -> Option<&filter::TokenFilter> {
        self.filter.as_ref()
    }

    /// The count the caller expects the filter to select (`expected_count`).
    pub fn expected_count(&self) -> Option<i64> {
        self.expected_count
    }

    /// A batch by filter with the ids its filter selected (by the store, at most
    /// [`filter::MAX_FILTER_MATCHES`]): what is written is then exactly as for those ids.
    pub fn with_selected_ids(mut self, mut ids: Vec<i64>) -> ValidBatch {
        ids.sort_unstable();
        ids.dedup();
        self.ids = ids;
        self
    }

    /// The fields to write; never empty.
    pub fn fields(&self) -> FieldSet {
        self.fields
    }

    /// Normalized values for the [`ValidBatch::fields`] written with an absolute value (the others are in
    /// [`ValidBatch::ops`]).
    pub fn values(&self) -> &Patch {
        &self.values
    }

    /// Fields the body carried but update_fields did not name.
    pub fn ignored(&self) -> FieldSet {
        self.ignored
    }

    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}
