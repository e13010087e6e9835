// Helpers every page uses: reloading a page's content, and forms that show the
// server's problem (title and detail) next to the button that caused it.

import { Problem } from "./api.js";
import { fill, h, problemBox } from "./dom.js";

/** A function that (re)builds ``container`` from ``build()``; calls made while one runs
 * are folded into one more run, so a burst of live events costs one reload. What the
 * person typed into a form and has not submitted survives the rebuild, with the focus. */
export function refresher(container, build) {
  let running = null;
  let again = false;
  for (const kind of ["input", "change"]) {
    container.addEventListener(kind, (event) => {
      event.target.dataset.dirty = "1";
    });
  }
  async function run() {
    do {
      again = false;
      try {
        const node = await build();
        if (node) {
          const typed = snapshot(container);
          fill(container, node);
          restore(container, typed);
        }
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        fill(container, problemBox(error));
      }
    } while (again);
  }
  return async function refresh() {
    if (running) {
      again = true;
      return running;
    }
    running = run();
    try {
      await running;
    } finally {
      running = null;
    }
  };
}

function fieldKey(element) {
  const form = element.closest("form");
  if (!form || !element.name) return null;
  const choice = element.type === "radio" || element.type === "checkbox" ? element.value : "";
  return `${form.getAttribute("aria-label")}|${element.name}|${choice}`;
}

function snapshot(container) {
  const values = new Map();
  for (const element of container.querySelectorAll("[data-dirty]")) {
    const key = fieldKey(element);
    if (!key || element.closest("form")?.dataset.busy) continue;
    values.set(key, "checked" in element && /radio|checkbox/.test(element.type) ? element.checked : element.value);
  }
  const active = container.contains(document.activeElement) ? fieldKey(document.activeElement) : null;
  return { values, active };
}

function restore(container, { values, active }) {
  for (const element of container.querySelectorAll("input, textarea, select")) {
    const key = fieldKey(element);
    if (key && key === active) element.focus();
    if (!key || !values.has(key)) continue;
    if (/radio|checkbox/.test(element.type)) element.checked = values.get(key);
    else element.value = values.get(key);
    element.dataset.dirty = "1";
  }
}

/** A page built by ``build()`` into ``box``, rebuilt on every live event of the trial. */
export function mountPage(box, build) {
  const refresh = refresher(box, build);
  refresh();
  return { refresh, onEvents: refresh };
}

/** A form whose submission runs ``action(form)``; a Problem is shown in the form, the
 * submit button is disabled meanwhile. */
export function actionForm({ label, submit, onSubmit, className = "" }, ...fields) {
  const alert = h("div", { class: "form-problem" });
  const button = h("button", { type: "submit" }, submit);
  const form = h(
    "form",
    { class: `action ${className}`.trim(), "aria-label": label },
    fields,
    alert,
    h("div", { class: "buttons" }, button),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(alert);
    button.disabled = true;
    form.dataset.busy = "1";
    try {
      await onSubmit(form);
      for (const element of form.querySelectorAll("[data-dirty]")) delete element.dataset.dirty;
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      fill(alert, problemBox(error));
    } finally {
      button.disabled = false;
      delete form.dataset.busy;
    }
  });
  return form;
}

/** A button that runs ``action()``; a Problem is shown beside it. */
export function actionButton(text, action, { className = "" } = {}) {
  const alert = h("div", { class: "form-problem" });
  const button = h("button", { type: "button", class: className }, text);
  button.addEventListener("click", async () => {
    fill(alert);
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      fill(alert, problemBox(error));
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "action-button" }, button, alert);
}

export function link(href, ...children) {
  return h("a", { href }, children);
}

export function hashFor(trialId, ...segments) {
  return `#/t/${[trialId, ...segments].map((s) => encodeURIComponent(s)).join("/")}`;
}

/** The next readable id in a series ("A-2" after "A-1"), for things the person creates;
 * if someone took it meanwhile the server refuses with 409 and the form says so. */
export function nextId(prefix, existing) {
  const numbers = existing.map((id) => Number(/^[A-Z]+-(\d+)$/.exec(id)?.[1] ?? 0));
  return `${prefix}-${Math.max(0, ...numbers) + 1}`;
}

/** Cards of ``items`` (each drawn by ``draw``), or ``empty`` when there are none. */
export function cards(items, draw, empty) {
  return items.length
    ? h("ul", { class: "cards" }, items.map((item) => h("li", {}, draw(item))))
    : h("p", {}, empty);
}

/** A question asked before an action that cannot be undone: ``question``, any ``fields``,
 * a button that does it (``confirm``) and one that does not (``keep``, which calls
 * ``onKeep``). A problem is shown in the form, as with :func:`actionForm`. */
export function confirmation({ label, question, confirm, keep, onConfirm, onKeep, className = "" }, ...fields) {
  const form = actionForm(
    { label, submit: confirm, onSubmit: onConfirm, className: `confirm ${className}`.trim() },
    h("p", { class: "question" }, question),
    fields,
  );
  const cancel = h("button", { type: "button", class: "secondary" }, keep);
  cancel.addEventListener("click", onKeep);
  form.querySelector(".buttons").append(cancel);
  return form;
}

/** After a rebuild, put the focus on the element ``selector`` finds in ``box`` (the place
 * an action left, or what replaced it), or on ``fallback``. */
export function focusIn(box, selector, fallback = null) {
  const target = box.querySelector(selector) ?? fallback;
  target?.focus();
}
