// @ts-check
// The page's reads of tokens for the signed-in user: a page of the list or search (narrowed by a filter, sorted
// as the table asks), a page of a plan's per-token results, and whether the user is new-api's root (who may see
// and select every user's tokens, docs/SPEC.md §13).

import { call } from "./api.js";
import { filterQuery } from "./filters.js";

/**
 * @import { PlanPageAnswer, Session, TokenPageAnswer } from "./types.js"
 * @import { PageQuery } from "./table.js"
 */

/** new-api's role of its root user (`users.role`). */
export const ROOT_ROLE = 100;

/** @param {() => Session | null} session who is signed in, asked at each call */
export function tokenReads(session) {
  return {
    /**
     * One page of the list, or of the search when a keyword or key is given, narrowed and sorted; `signal` aborts
     * the read (Cancel).
     * @param {PageQuery} query
     */
    async fetchPage({ keyword, token, filter, page, size, sort, signal }) {
      const searching = keyword || token;
      const path = searching ? "/api/token/search" : "/api/token/";
      /** @type {Record<string, string | number>} */
      const query = { ...filterQuery(filter), ...(searching ? { keyword, token } : {}), p: page, size };
      if (sort) Object.assign(query, { sort: sort.key, order: sort.order });
      return /** @type {TokenPageAnswer} */ (await call(session(), "GET", path, { query, signal })).data;
    },

    /**
     * One page of a plan's per-token results; `signal` aborts the read (Cancel).
     * @param {string} planId
     * @param {number} p
     * @param {number} size
     * @param {AbortSignal} [signal]
     */
    async planPage(planId, p, size, signal) {
      const path = `/api/token/batch/plans/${encodeURIComponent(planId)}`;
      return /** @type {PlanPageAnswer} */ (await call(session(), "GET", path, { query: { p, size }, signal })).data.items;
    },

    /**
     * Whether the signed-in user is root, from new-api's GET /api/user/self (`data.role`). A server without the
     * route, or any failure, counts as not root: the page then offers nothing beyond the user's own tokens.
     */
    async isRoot() {
      try {
        const answer = /** @type {{ data?: { role?: unknown } }} */ (await call(session(), "GET", "/api/user/self"));
        return answer.data?.role === ROOT_ROLE;
      } catch {
        return false;
      }
    },
  };
}
