// @ts-check
// The form's labels from the rules module, by language: the names the page uses for fields in every message
// (never the API's names), and the page's sentence for one of the rules' or the server's errors and warnings.

import { describeFields } from "./pkg/tokenbatch_wasm.js";
import { tIn, lang } from "./i18n.js";
import { pageMessage } from "./messages.js";

/** @import { FieldsDescription, RulesItem } from "./types.js" */

/** The rules module's description of the fields in language `tag`, parsed. */
export const describe = (/** @type {string} */ tag) => /** @type {FieldsDescription} */ (JSON.parse(describeFields(tag)));

/** @type {Map<string, Map<string, string>>} */
const labelCache = new Map();

/**
 * Field name → the form's label in language `tag`; the selection and the ticked fields named too.
 * @param {string} tag
 */
export function labelsFor(tag) {
  if (!labelCache.has(tag)) {
    /** @type {Map<string, string>} */
    const labels = new Map(describe(tag).fields.map((field) => [field.name, field.label]));
    labels.set("status", tIn(tag, "statusField"));
    labels.set("ids", tIn(tag, "selectionName"));
    labels.set("update_fields", tIn(tag, "fieldsName"));
    labelCache.set(tag, labels);
  }
  return /** @type {Map<string, string>} */ (labelCache.get(tag));
}

/** The page's sentence for one of the rules' (or the server's) errors and warnings written in language `tag`. */
export const wording = (/** @type {RulesItem} */ item, /** @type {string} */ tag = lang()) =>
  pageMessage(item, labelsFor(tag));
