//! One sample of every problem, with the path it is reported at: what the message tests render.

use crate::{Field, FieldSet, JsonErrorKind, Problem};

/// One sample of every variant, with the path it is reported at and the name its message must mention.
pub(super) fn samples() -> Vec<(&'static str, Problem)> {
    use Problem::*;
    let some: FieldSet = [Field::Group, Field::ExpiredTime].into_iter().collect();
    let mut samples = vec![
        ("body", BodyEmpty),
        ("body", BodyTooLarge),
        ("body", InvalidUtf8 { line: 2, column: 3 }),
        (
            "body",
            InvalidJson {
                line: 1,
                column: 2,
                reason: JsonErrorKind::UnexpectedEnd,
            },
        ),
        (
            "group",
            InvalidJson {
                line: 1,
                column: 2,
                reason: JsonErrorKind::TooDeep,
            },
        ),
        (
            "body",
            NotObject {
                value: "[1]".into(),
            },
        ),
        (
            "ids",
            DuplicateKey {
                key: "\"ids\"".into(),
            },
        ),
        (
            "idz",
            UnknownField {
                key: "\"idz\"".into(),
            },
        ),
        ("ids", IdsMissing),
        ("ids", IdsType { value: "{}".into() }),
        (
            "ids",
            IdsInvalid {
                entry: "\"x\"".into(),
            },
        ),
        ("ids[3]", IdsInvalid { entry: "0".into() }),
        ("ids", IdsEmptyEntry { position: 2 }),
        ("ids", IdsEmpty),
        ("ids", IdsTooMany { count: 10001 }),
        ("update_fields", UpdateFieldsMissing { present: some }),
        (
            "update_fields",
            UpdateFieldsMissing {
                present: FieldSet::new(),
            },
        ),
        ("update_fields", UpdateFieldsType { value: "1".into() }),
        ("update_fields[1]", UpdateFieldsType { value: "1".into() }),
        (
            "update_fields",
            UpdateFieldsUnknown {
                name: "\"x\"".into(),
            },
        ),
        ("update_fields", UpdateFieldsEmpty),
        ("group", GroupEmpty),
        (
            "group",
            GroupDuplicate {
                name: "\"a\"".into(),
            },
        ),
        (
            "group",
            GroupNotAllowed {
                name: "\"a\"".into(),
                allowed: vec!["auto".into()],
            },
        ),
        (
            "model_limits",
            NotInColumnCharset {
                field: Field::ModelLimits,
                character: '😀',
                charset: "utf8mb3".into(),
            },
        ),
        (
            "group",
            GroupControlChar {
                name: "\"a\\u0000\"".into(),
            },
        ),
        ("expired_time", ExpiredTimeRange { value: "0".into() }),
        (
            "expired_time",
            ExpiredTimeMilliseconds {
                value: 1776410923000,
                seconds: 1776410923,
            },
        ),
        ("expired_time", ExpiredTimePast { value: 1 }),
        ("update_fields", FieldsIgnored { fields: some }),
        ("remain_quota", RemainQuotaRange { value: "-1".into() }),
        (
            "remain_quota",
            RemainQuotaTooLarge {
                value: "500000000000001".into(),
            },
        ),
        ("allow_ips", AllowIpsTooMany { count: 1001 }),
        ("allow_ips", AllowIpsTotalTooLong { chars: 40000 }),
        ("model_limits", ModelLimitsEmptyEntry { position: 1 }),
        (
            "model_limits",
            ModelLimitsTooLong {
                entry: "\"m\"".into(),
                chars: 129,
            },
        ),
        (
            "model_limits",
            ModelLimitsControlChar {
                entry: "\"m\"".into(),
            },
        ),
        ("model_limits", ModelLimitsTotalTooLong { chars: 2000 }),
        (
            "allow_ips",
            AllowIpsInvalid {
                line: 2,
                text: "\"x\"".into(),
                has_comma: true,
            },
        ),
        (
            "allow_ips",
            AllowIpsInvalid {
                line: 2,
                text: "\"x\"".into(),
                has_comma: false,
            },
        ),
        (
            "mj_image_mode",
            MjImageModeInvalid {
                value: "\"x\"".into(),
            },
        ),
        (
            "mj_custom_proxy",
            MjCustomProxyInvalidUrl {
                value: "\"x\"".into(),
            },
        ),
        ("mj_custom_proxy", MjCustomProxyTooLong { chars: 3000 }),
        (
            "allow_ips",
            TooLongForColumn {
                field: Field::AllowIps,
                chars: 200,
                max: 191,
            },
        ),
        ("mj_custom_proxy", MjCustomProxyModeConflict),
    ];
    samples.extend(plan_samples());
    samples.extend(scope_samples());
    for field in Field::ALL {
        samples.push((field.name(), FieldMissing { field }));
        samples.push((
            field.name(),
            WrongType {
                field,
                value: "null".into(),
            },
        ));
    }
    samples
}

/// Root's scope (scope.rs): `scope.invalid` twice (a bad value, beside a filter) and the per-owner
/// `group.not_allowed`.
fn scope_samples() -> Vec<(&'static str, Problem)> {
    use crate::scope::ScopeProblem;
    vec![
        (
            "scope",
            Problem::Scope(ScopeProblem::Invalid {
                value: "\"mine\"".into(),
            }),
        ),
        ("scope", Problem::Scope(ScopeProblem::WithFilter)),
        (
            "group",
            Problem::Scope(ScopeProblem::NotAllowedForOwners {
                name: "\"vip\"".into(),
                users: vec!["#2 alice".into(), "#3 bob".into()],
            }),
        ),
    ]
}

/// The plan body keys' catalogue (plan_messages.rs), one sample of every variant and key.
fn plan_samples() -> Vec<(&'static str, Problem)> {
    use crate::{OptionKey, PlanProblem};
    let mut samples = vec![
        (
            "plan_id",
            Problem::Plan(PlanProblem::Exclusive("\"ids\", \"group\"".into())),
        ),
        ("plan_id", Problem::Plan(PlanProblem::NotABatch)),
    ];
    for key in [OptionKey::DryRun, OptionKey::Lang, OptionKey::PlanId] {
        let value = "7".to_owned();
        let problem = Problem::Plan(PlanProblem::OptionType { key, value });
        samples.push((key.name(), problem));
    }
    samples
}
