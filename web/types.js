// @ts-check
// The shapes the page reads, for `tsc --noEmit` only (scripts/test-web.sh): the server's JSON answers as
// crates/server/src/openapi.json describes them, and the verdicts the rules module returns as JSON text
// (crates/wasm/src/verdict.rs). The browser never loads this file: the other modules name these types in JSDoc
// (`@import`), which the page's JavaScript does not execute. Keep each type in step with its source.

// ---- new-api's envelope and the server's answers ------------------------------------------------------------

/**
 * One problem of a request, as the server's `errors` entries carry it (openapi `FieldError`).
 * @typedef {object} FieldError
 * @property {string} field The path of the value: "group", "ids", "ids[3]", "allow_ips".
 * @property {string} code A stable code: "ids.empty", "group.not_allowed".
 * @property {string} message A sentence in the caller's language.
 */

/**
 * A warning about a value that is allowed (openapi `Notice`).
 * @typedef {object} Notice
 * @property {string} field
 * @property {string} code "expired_time.past"
 * @property {string} message
 */

/**
 * What every answer of the server starts with, success or not (new-api's envelope); `call` in api.js resolves
 * to one whose `success` is true and leaves `data` to the route's own answer type.
 * @typedef {object} Envelope
 * @property {boolean} success
 * @property {string} message
 * @property {unknown} [data]
 * @property {string} [code] On a refusal: the first problem's code, or new-api's AUTH_UNAUTHORIZED.
 * @property {FieldError[]} [errors] On a refusal of invalid input: one per problem.
 */

/**
 * A refusal (openapi `Failure`, `BatchFailure`): nothing was written.
 * @typedef {object} Failure
 * @property {false} success
 * @property {string} message
 * @property {null | 0} data
 * @property {string} code
 * @property {FieldError[]} [errors]
 */

/**
 * A field a batch can write (openapi `FieldName`).
 * @typedef {"group" | "expired_time" | "remain_quota" | "unlimited_quota" | "model_limits"
 *   | "model_limits_enabled" | "allow_ips" | "mj_image_mode" | "mj_custom_proxy" | "status"} FieldName
 */

/** 1 enabled, 2 disabled, 3 expired, 4 exhausted; another number is shown as it is. @typedef {number} TokenStatus */

/**
 * One token as the list and search routes give it (openapi `Token`); `key` is always masked.
 * @typedef {object} Token
 * @property {number} id
 * @property {number} user_id
 * @property {string} key
 * @property {TokenStatus} status
 * @property {string} name
 * @property {number} created_time
 * @property {number} accessed_time
 * @property {number} expired_time Unix seconds; -1 is never.
 * @property {number} remain_quota
 * @property {boolean} unlimited_quota
 * @property {boolean} model_limits_enabled
 * @property {string} model_limits Comma-separated.
 * @property {string} allow_ips One per line.
 * @property {number} used_quota
 * @property {string} group
 * @property {boolean} cross_group_retry
 * @property {string} mj_image_mode
 * @property {string} mj_custom_proxy
 * @property {string} [username] The owner's name, in root's lists with `user_id` (docs/SPEC.md §13).
 */

/**
 * One page of GET /api/token/ or /api/token/search (openapi `TokenPage`).
 * @typedef {object} TokenPage
 * @property {Token[]} items
 * @property {number} total
 * @property {number} page
 * @property {number} page_size
 */

/**
 * GET /api/token/ and /api/token/search.
 * @typedef {{ success: true, message: string, data: TokenPage }} TokenPageAnswer
 */

/**
 * One group the user may put on tokens; `ratio` is "自动" for auto.
 * @typedef {object} GroupInfo
 * @property {number | "自动"} ratio
 * @property {string} desc
 */

/**
 * GET /api/user/self/groups: the usable groups by name.
 * @typedef {{ success: true, message: string, data: Record<string, GroupInfo> }} GroupsAnswer
 */

/**
 * GET /api/status (openapi `ServerStatus`).
 * @typedef {object} ServerStatus
 * @property {"tokenbatch"} name
 * @property {string} version
 * @property {string} rules_version
 * @property {"sqlite" | "postgres" | "mysql"} engine
 * @property {Record<string, number>} column_limits The database's narrower columns: field name → characters.
 */

/** GET /api/status. @typedef {{ success: true, message: string, data: ServerStatus }} StatusAnswer */

/**
 * The values of a token a batch can change, before or after it (openapi `TokenValues`).
 * @typedef {object} TokenValues
 * @property {TokenStatus} status
 * @property {string} group
 * @property {number} expired_time
 * @property {number} remain_quota
 * @property {boolean} unlimited_quota
 * @property {string} model_limits
 * @property {boolean} model_limits_enabled
 * @property {string} allow_ips
 * @property {string} mj_image_mode
 * @property {string} mj_custom_proxy
 */

/**
 * One token's line of a batch answer with `validate_only` or `details` (openapi `BatchResult`).
 * @typedef {object} BatchResult
 * @property {number} id
 * @property {"updated" | "unchanged"} outcome
 * @property {TokenValues} before
 * @property {TokenValues} after
 */

/**
 * PUT /api/token/batch when the batch ran, or would run in a dry run (openapi `BatchSuccess`).
 * @typedef {object} BatchAnswer
 * @property {true} success
 * @property {string} message Empty, or the warnings as sentences.
 * @property {number} data Tokens whose values changed (would change, in a dry run).
 * @property {number} unchanged Tokens that already held the values.
 * @property {FieldName[]} ignored
 * @property {Notice[]} warnings
 * @property {boolean} validate_only
 * @property {string} rules_version
 * @property {true} [replayed] Only on the recorded answer to a retry with the same Idempotency-Key.
 * @property {BatchResult[]} [results] With `validate_only` or `details`: one per id, ascending.
 * @property {Plan} [plan] On a dry run: the plan that applies exactly what it previewed.
 * @property {number} [change_id] On an applied batch: the change set that records it (absent when none was).
 * @property {ChangeSummary} [summary] On a dry run: its changes counted per column over all its tokens.
 */

/**
 * A dry run's changes counted over every token (not only the results answered): per column the tokens whose value
 * changes (`status` first, then the field table's order), per status reached (as a string key) how many reach it.
 * @typedef {{ fields: Record<string, number>, statuses: Record<string, number> }} ChangeSummary
 */

/**
 * A selection by conditions (docs/SPEC.md §9): every key optional, all combined with AND. The list and search
 * routes take the same keys as query parameters; a batch takes the object as its `filter`.
 * @typedef {object} TokenFilter
 * @property {number[]} [status] 1 enabled, 2 disabled, 3 expired, 4 exhausted.
 * @property {string} [name] new-api's search pattern (exact unless `%`).
 * @property {string} [key] new-api's search pattern on the key.
 * @property {string} [group] A whole entry of the token's group list.
 * @property {string} [model] A whole entry of the token's model limits.
 * @property {number} [expires_before] Unix seconds, strict.
 * @property {number} [expires_after] Unix seconds, inclusive.
 * @property {boolean} [never_expires]
 * @property {number} [accessed_before] Unix seconds: unused since.
 * @property {number} [remain_quota_below]
 * @property {number} [remain_quota_at_least]
 * @property {boolean} [unlimited_quota]
 * @property {number | "*"} [user_id] Root only: another user's tokens, or every user's ("*").
 */

/**
 * What a dry run keeps to apply later (docs/SPEC.md §10); `applied` only on the plan's own route.
 * @typedef {object} Plan
 * @property {string} plan_id
 * @property {number} count Tokens pinned.
 * @property {number} changed Of them, those that would change.
 * @property {number} expires_at Unix seconds.
 * @property {boolean} [applied]
 */

/**
 * GET /api/token/batch/plans/{plan_id}: one page of a plan's per-token results, the plan beside it.
 * @typedef {{ success: true, message: string, data: { items: BatchResult[], total: number, page: number,
 *   page_size: number }, plan: Plan }} PlanPageAnswer
 */

// ---- history and revert (docs/SPEC.md §12) -----------------------------------------------------------------

/**
 * A recorded request: a batch's normalized body (`ids` or `filter`, `update_fields`, each field's value or
 * operation object, `status` 1 or 2), or a revert's `{ revert, strict }`.
 * @typedef {{ revert: number, strict: boolean } | ({ ids?: number[], filter?: Record<string, unknown>,
 *   update_fields?: string[] } & Record<string, unknown>)} ChangeRequest
 */

/**
 * One change set of GET /api/token/batch/changes.
 * @typedef {object} ChangeSet
 * @property {number} id
 * @property {number} user_id
 * @property {number} created_time Unix seconds.
 * @property {"http" | "grpc" | "plan" | "revert"} source
 * @property {ChangeRequest} request
 * @property {number} changed
 * @property {number} unchanged
 * @property {number | null} reverts The change set a revert reverted.
 * @property {number | null} reverted_by The revert of this change set.
 */

/**
 * A recorded token of a change set: only the columns the batch recorded, before and after.
 * @typedef {{ id: number, owner_id: number, before: Record<string, unknown>, after: Record<string, unknown> }}
 *   ChangedToken
 */

/** new-api's page object. @template T @typedef {{ items: T[], total: number, page: number, page_size: number }} Page */

/** GET /api/token/batch/changes. @typedef {{ success: true, message: string, data: Page<ChangeSet> }} ChangesAnswer */

/**
 * GET /api/token/batch/changes/{id}: a page of its tokens and the change set.
 * @typedef {{ success: true, message: string, data: Page<ChangedToken>, change: ChangeSet }} ChangeAnswer
 */

/** Why a revert leaves a token as it is. @typedef {"changed_since" | "deleted" | "owner_changed"} SkipReason */

/**
 * POST /api/token/batch/changes/{id}/revert: `data` the tokens restored (would be, in a dry run); `results`
 * each one's values now (`before`) and restored (`after`), in a dry run or with `?details=true` only.
 * @typedef {object} RevertAnswer
 * @property {true} success
 * @property {string} message
 * @property {number} data
 * @property {boolean} dry_run
 * @property {number} change_id
 * @property {number | null} revert_id The revert's own change set (null in a dry run or when nothing was restored).
 * @property {number} unchanged
 * @property {{ id: number, reason: SkipReason }[]} skipped
 * @property {Notice[]} warnings
 * @property {BatchResult[]} [results] The first `size` restored tokens (a dry run's, or with `details`).
 * @property {ChangeSummary} [summary] A dry run's: per column, the tokens whose value it restores.
 */

/**
 * What a batch selects: a list of ids, or every token matching a filter (then `total` is how many matched
 * when it was chosen, as the table showed it).
 * `scope`: root's ids batch reaching other users' tokens (docs/SPEC.md §13).
 * @typedef {{ ids: number[], scope?: "all_users" } | { filter: TokenFilter, total: number }} Selection
 */

// ---- what the page keeps ---------------------------------------------------------------------------------

/**
 * Who is signed in: new-api's user id and system access token (this tab's sessionStorage only).
 * @typedef {object} Session
 * @property {string} userId
 * @property {string} accessToken
 */

/**
 * An Apply whose answer was lost: its Idempotency-Key, the body it sent and whose it was.
 * @typedef {object} PendingApply
 * @property {string} key
 * @property {string} body
 * @property {string} userId
 */

// ---- the rules module's verdicts (JSON text from web/pkg, parsed) -------------------------------------------

/**
 * An error of the rules: a FieldError, plus `line` (1-based) for a rule about one line of a list.
 * @typedef {FieldError & { line?: number }} RulesError
 */

/**
 * validateBody's verdict on a body the server would accept (before looking at the database).
 * @typedef {object} BodyVerdictOk
 * @property {true} ok
 * @property {string} message The warnings as the server's envelope would word them.
 * @property {null} code
 * @property {RulesError[]} errors Empty.
 * @property {Notice[]} warnings
 * @property {FieldName[]} ignored
 * @property {number} id_count
 * @property {FieldName[]} update_fields
 * @property {Partial<Record<FieldName, string | number | boolean>>} values The normalized values to write.
 * @property {string} rules_version
 */

/**
 * validateBody's verdict on a body the server would refuse.
 * @typedef {object} BodyVerdictRefused
 * @property {false} ok
 * @property {string} message Every problem, as the server's envelope would word them.
 * @property {string} code The first problem's code.
 * @property {RulesError[]} errors
 * @property {Notice[]} warnings Empty.
 * @property {FieldName[]} ignored Empty.
 * @property {null} id_count
 * @property {FieldName[]} update_fields Empty.
 * @property {null} values
 * @property {string} rules_version
 */

/** @typedef {BodyVerdictOk | BodyVerdictRefused} BodyVerdict */

/**
 * validateField's verdict on one field's value.
 * @typedef {object} FieldVerdict
 * @property {boolean} ok
 * @property {string} field
 * @property {RulesError[]} errors
 * @property {Notice[]} warnings
 */

/**
 * validateFilter's verdict on a filter object.
 * @typedef {object} FilterVerdict
 * @property {boolean} ok
 * @property {string} message
 * @property {string | null} code
 * @property {RulesError[]} errors
 * @property {string[]} keys The filter's keys, when it is valid.
 */

/**
 * How a field is entered on the form.
 * @typedef {"comma_list" | "line_list" | "choice" | "integer" | "unix_seconds" | "toggle" | "url" | "status"}
 *   EntryKind ("status" is the page's own: the writable status, enabled or disabled)
 */

/**
 * One writable field as describeFields gives it; a limit the field does not have is null.
 * @typedef {object} FieldDescription
 * @property {FieldName} name
 * @property {"string" | "integer" | "boolean"} kind The JSON type of its value.
 * @property {EntryKind} entry
 * @property {string} label In the language asked for.
 * @property {string} help
 * @property {number | null} min
 * @property {number | null} max
 * @property {number | null} never The value meaning "never" (the expiry's -1).
 * @property {number | null} max_entry_chars
 * @property {number | null} max_total_chars
 * @property {number | null} max_entries
 * @property {string[]} choices For a "choice" field.
 */

/**
 * describeFields: every writable field and the rules' limits.
 * @typedef {object} FieldsDescription
 * @property {string} rules_version
 * @property {number} max_ids
 * @property {number} quota_per_usd
 * @property {FieldDescription[]} fields
 */

/**
 * The rules' error or warning the page words (the server's come in the same shape).
 * @typedef {RulesError | Notice} RulesItem
 */

export {};
