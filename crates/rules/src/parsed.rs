//! A request read but not yet checked ([`ParsedBody`]): from a body ([`crate::read_body`]) or arriving typed
//! (gRPC, [`ParsedBody::typed`]), with the shape problems found on the way and the body's plan keys.

use crate::{body, filter, plan, BatchInput, FieldSet, Lang, Problem, Violation};

/// A request read as far as it could be: the typed input plus the shape problems found on the way. The
/// server and the browser both go read -> [`crate::check_parsed`], so they report the same list for any body.
#[derive(Debug)]
pub struct ParsedBody {
    pub(crate) input: BatchInput,
    pub(crate) reported: body::Reported,
    pub(crate) options: plan::BodyOptions,
}

impl ParsedBody {
    /// A request that arrived typed (gRPC): selection, values, operations and status as given,
    /// update_fields as names still to resolve (unknown names become `update_fields.unknown` violations,
    /// reported together with the value rules). `input.update_fields` and `input.update_status` are set
    /// from the names.
    pub fn typed(mut input: BatchInput, update_field_names: Option<&[&str]>) -> ParsedBody {
        let mut reported = body::Reported::default();
        let mut status = false;
        input.update_fields = update_field_names.map(|names| {
            let mut fields = FieldSet::new();
            for (index, name) in names.iter().enumerate() {
                if let Err(problem) = body::add_field_name(name, &mut fields, &mut status) {
                    let path = format!("update_fields[{index}]");
                    reported.violations.push(Violation::new(path, problem));
                }
            }
            reported.update_fields = !reported.violations.is_empty();
            fields
        });
        input.update_status = status;
        if input.filter.is_some() && !input.ids.is_empty() {
            let problem = Problem::Filter(filter::FilterProblem::Ambiguous);
            reported.violations.push(Violation::new("filter", problem));
            reported.selection = true;
        }
        ParsedBody {
            input,
            reported,
            options: plan::BodyOptions::default(),
        }
    }

    /// The body's `"dry_run": true` (docs/SPEC.md §10); the query's `dry_run` / `validate_only` is the
    /// caller's to combine with it: either turns the dry run on.
    pub fn dry_run(&self) -> bool {
        self.options.dry_run
    }

    /// The parameter by which the request names other users (docs/SPEC.md §13), if any: `scope` (of any
    /// value) or the filter's `user_id`. Only root may: the server refuses anyone else before the rules
    /// speak, so that nothing is revealed.
    pub fn other_users_parameter(&self) -> Option<&'static str> {
        if self.input.scope.is_some() || self.reported.scope {
            return Some("scope");
        }
        let user_id = self
            .input
            .filter
            .as_ref()
            .is_some_and(|f| f.user_id.is_some());
        user_id.then_some("user_id")
    }

    /// The body's `lang`, which wins over the query's and over `Accept-Language`.
    pub fn lang(&self) -> Option<Lang> {
        self.options.lang
    }

    /// For a body applying a plan (it has `plan_id`): the plan's id, or every problem of the body's shape
    /// (`plan.exclusive`, `plan_id.type`, `lang.invalid`, a repeated key). None for a batch body, which goes
    /// to [`crate::check_parsed`].
    pub fn plan_id(&self) -> Option<Result<&str, &[Violation]>> {
        if !self.options.plan_body {
            return None;
        }
        Some(
            match (&self.options.plan_id, self.reported.violations.is_empty()) {
                (Some(id), true) => Ok(id),
                _ => Err(&self.reported.violations),
            },
        )
    }
}
