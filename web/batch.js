// @ts-check
// Preview and Apply: the dry run of exactly the form and selection on screen, Apply after a confirmation, and
// the safe retry of an Apply whose answer was lost. A selection of ids is applied as its body with an
// Idempotency-Key (sent again for the same body after an unknown outcome); a selection by filter is previewed a
// page at a time and applied by its plan (docs/SPEC.md §10): exactly the tokens previewed, refused as a whole
// when they changed since (plan.stale), and answered again rather than re-applied when sent twice.

import { t } from "./i18n.js";
import { call, newIdempotencyKey, outcomeUnknown, savePendingApply } from "./api.js";
import { planRefusal, PLAN_PAGE_SIZE } from "./result.js";

/**
 * @import { BatchAnswer, BodyVerdict, PendingApply, Session } from "./types.js"
 * @import { TokenTable } from "./table.js"
 * @import { BatchForm } from "./form.js"
 * @import { ResultView } from "./result.js"
 * @import { ConfirmDialog } from "./confirm.js"
 * @import { Progress } from "./progress.js"
 */

/**
 * The last successful preview: the body it judged, the server's answer and how many tokens were selected; a
 * preview of a selection by filter is applied by its plan (`envelope.plan`).
 * @typedef {{ body: string, envelope: BatchAnswer, total: number, byFilter: boolean }} Preview
 */

/**
 * The page's state that Preview and Apply read and write (app.js owns it).
 * @typedef {object} BatchState
 * @property {Session | null} session
 * @property {boolean} busy
 * @property {PendingApply | null} pendingApply The Idempotency-Key of the last Apply whose fate is unknown.
 * @property {Preview | null} preview
 * @property {boolean} previewStale Whether a preview was cleared because something changed after it.
 * @property {number} epoch Counts sign-outs: an answer to a call made before the last one is dropped.
 */

export class BatchActions {
  /**
   * `element(id)`: the page's element with that id. `show(element, text)`: sets the text, hidden when empty.
   * @param {{
   *   state: BatchState,
   *   form: BatchForm,
   *   table: TokenTable,
   *   result: ResultView,
   *   confirmDialog: ConfirmDialog,
   *   element: (id: string) => HTMLElement,
   *   show: (element: HTMLElement, text: string) => void,
   *   onOutcome?: (applied: boolean, changeId: number | null) => void,
   *   progress: Progress,
   * }} options
   * `onOutcome(applied, changeId)`: a Preview or Apply ended; `changeId`, an applied batch's change set.
   * `progress`: the line shown while a call runs past half a second (a Preview may be cancelled, an Apply not).
   */
  constructor({ state, form, table, result, confirmDialog, element, show, onOutcome = () => {}, progress }) {
    this.progress = progress;
    this.onOutcome = onOutcome;
    this.state = state;
    this.form = form;
    this.table = table;
    this.result = result;
    this.confirmDialog = confirmDialog;
    this.element = element;
    this.show = show;
  }

  /**
   * After every validation: a preview no longer matching the form is dropped (and cleared from the screen);
   * Preview waits while the form shows an error; Apply also needs the preview of exactly this form.
   * @param {BodyVerdict | null} verdict
   */
  renderVerdict(verdict) {
    const body = this.form.bodyText();
    if (this.state.preview && this.state.preview.body !== body) {
      this.state.preview = null;
      this.state.previewStale = true;
    }
    if (this.result.showsPreviewOtherThan(body)) {
      this.result.clear();
      this.state.previewStale = true;
    }
    const off = this.state.busy || !this.state.session;
    const blocked = Boolean(verdict && !verdict.ok && this.form.showsErrors);
    /** @type {HTMLButtonElement} */ (this.element("preview")).disabled = off || blocked;
    const apply = /** @type {HTMLButtonElement} */ (this.element("apply"));
    apply.disabled = off || blocked || !verdict?.ok || !this.state.preview;
    this.show(this.element("form-blocked"), blocked ? t("formBlocked") : "");
    const needsPreview = !off && !blocked && !this.state.preview;
    const hint = this.state.previewStale ? "previewStale" : "previewFirst";
    this.show(this.element("apply-hint"), needsPreview ? t(hint) : "");
  }

  /**
   * The key for applying `body`: the pending one when the same user applies the same body after an attempt that
   * got no definitive answer (the server then answers the first attempt again, or applies the batch if it never
   * arrived), a new one otherwise. Only called while signed in.
   * @param {string} body
   */
  idempotencyKeyFor(body) {
    const userId = /** @type {Session} */ (this.state.session).userId;
    const pending = this.state.pendingApply;
    if (pending && pending.body === body && pending.userId === userId) return pending.key;
    const key = newIdempotencyKey();
    this.setPendingApply({ key, body, userId });
    return key;
  }

  /** @param {PendingApply | null} pending */
  setPendingApply(pending) {
    this.state.pendingApply = pending;
    savePendingApply(pending);
  }

  /** Whether the form may be sent: a form with problems shows all of them (untouched fields too) instead. */
  ready() {
    if (this.state.busy || !this.state.session) return false;
    if (this.form.validate()?.ok) return true;
    this.form.reveal();
    return false;
  }

  /** Apply asks first, with the preview's counts and the values about to be written. */
  confirmApply() {
    if (!this.ready() || !this.state.preview) return;
    const preview = this.state.preview;
    this.confirmDialog.open(() => ({
      changed: preview.envelope.data,
      total: preview.envelope.plan && preview.byFilter ? preview.envelope.plan.count : preview.total,
      changes: this.form.chosen().map(({ label, text }) => [label, text]),
      fields: this.result.summary.forConfirmation() ?? "",
      expires: (this.form.verdict?.warnings ?? []).some((warning) => warning.code === "expired_time.past"),
    }));
  }

  /** @param {boolean} dryRun */
  async send(dryRun) {
    if (!this.ready() || (!dryRun && !this.state.preview)) return;
    const body = this.form.bodyText();
    const selection = this.table.selection();
    const byFilter = "filter" in selection;
    const total = "filter" in selection ? selection.total : selection.ids.length;
    // A selection by filter is previewed a page at a time and applied by its plan: exactly the tokens previewed,
    // safe to send again (a second apply of a plan answers the first result).
    const plan = !dryRun && this.state.preview?.byFilter ? this.state.preview.envelope.plan : undefined;
    const epoch = this.state.epoch;
    /** @type {Record<string, string>} */
    const query = dryRun
      ? { validate_only: "true", ...(byFilter ? { size: String(PLAN_PAGE_SIZE) } : {}) }
      : plan
        ? {}
        : { details: "true" };
    const clicked = /** @type {HTMLButtonElement} */ (dryRun ? this.element("preview") : this.element("apply"));
    const label = clicked.textContent;
    this.state.busy = true;
    this.renderVerdict(this.form.verdict);
    clicked.textContent = t("working");
    /** @type {Record<string, string>} */
    const headers = dryRun || plan ? {} : { "Idempotency-Key": this.idempotencyKeyFor(body) };
    const sent = plan ? JSON.stringify({ plan_id: plan.plan_id }) : body;
    // A preview writes nothing: Cancel aborts it. An apply sent cannot be called back; its line says so.
    const running = this.progress.start(dryRun ? "progressPreview" : "progressApply", {
      cancellable: dryRun,
      busy: this.element("result"),
    });
    try {
      const envelope = /** @type {BatchAnswer} */ (
        await call(this.state.session, "PUT", "/api/token/batch", { query, body: sent, headers, signal: running.signal })
      );
      if (epoch !== this.state.epoch) return;
      // An applied batch changed the tokens: the next Apply needs a new preview.
      this.state.preview = dryRun ? { body, envelope, total, byFilter } : null;
      this.state.previewStale = false;
      if (!dryRun && !plan) this.setPendingApply(null);
      this.result.show({ dryRun, body, envelope }, { byPlan: Boolean(plan) || (dryRun && byFilter) });
      this.onOutcome(!dryRun, dryRun ? null : envelope.change_id ?? null);
      if (!dryRun) await this.table.load();
    } catch (error) {
      if (epoch !== this.state.epoch) return;
      // An apply that may have been applied keeps its preview and key: Apply again is the safe retry.
      const unknown = !dryRun && outcomeUnknown(error);
      if (!unknown) this.state.preview = null;
      if (!dryRun && !unknown && !plan) this.setPendingApply(null);
      // A stale or expired plan is not the form's fault: the hint asks for a new preview, not a changed form.
      if (planRefusal(error)) this.state.previewStale = true;
      this.result.show({ dryRun, body, error, unknown }, { byPlan: Boolean(plan) });
      this.onOutcome(unknown, null);
    } finally {
      running.end();
      this.state.busy = false;
      clicked.textContent = label;
      this.renderVerdict(this.form.validate());
      if (epoch === this.state.epoch) this.element("result-title").focus();
    }
  }
}
