/* tslint:disable */
/* eslint-disable */

/**
 * Every writable field: JSON type, how it is entered, limits, label and help.
 */
export function describeFields(lang: string): string;

/**
 * Unix seconds as the rules' messages print them ("2026-04-17 07:28:43 UTC").
 */
export function formatUtc(unix_seconds: number): string;

/**
 * The rules' version; the server reports the same string at GET /api/status when it runs the same rules.
 */
export function rulesVersion(): string;

/**
 * Judges a whole request body (JSON or JSONC text, as the server takes it).
 */
export function validateBody(body: string, lang: string, now: number, allowed_groups?: string[] | null, column_limits?: string[] | null): string;

/**
 * Judges one field's value, given as the JSON text it would have inside the body.
 */
export function validateField(field: string, json_value: string, lang: string, now: number, allowed_groups?: string[] | null, column_limits?: string[] | null): string;

/**
 * Judges a filter object (JSON text, docs/SPEC.md §9) with the server's codes and words.
 */
export function validateFilter(filter_json: string, lang: string): string;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly describeFields: (a: number, b: number, c: number) => void;
    readonly formatUtc: (a: number, b: number) => void;
    readonly rulesVersion: (a: number) => void;
    readonly validateBody: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number) => void;
    readonly validateField: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number) => void;
    readonly validateFilter: (a: number, b: number, c: number, d: number, e: number) => void;
    readonly __wbindgen_export: (a: number, b: number) => number;
    readonly __wbindgen_export2: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_add_to_stack_pointer: (a: number) => number;
    readonly __wbindgen_export3: (a: number, b: number, c: number) => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
