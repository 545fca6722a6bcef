/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const describeFields: (a: number, b: number, c: number) => void;
export const formatUtc: (a: number, b: number) => void;
export const rulesVersion: (a: number) => void;
export const validateBody: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number) => void;
export const validateField: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number) => void;
export const validateFilter: (a: number, b: number, c: number, d: number, e: number) => void;
export const __wbindgen_export: (a: number, b: number) => number;
export const __wbindgen_export2: (a: number, b: number, c: number, d: number) => number;
export const __wbindgen_add_to_stack_pointer: (a: number) => number;
export const __wbindgen_export3: (a: number, b: number, c: number) => void;
