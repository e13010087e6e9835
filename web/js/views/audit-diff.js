// Comparing the protocol at two moments (`/audit/diff?from=…&to=…`): the sections
// added, removed or changed, as tracked changes (word level) or as the clean text of the
// later document.

import { get } from "../api.js";
import { badge, field, fill, h, humanize } from "../dom.js";
import { actionForm } from "../page.js";
import { trackedRuns } from "../tracked.js";

const MOMENT_HINT = "A log position, a published version (v1, v2, …), a time with its UTC offset, or head.";

/** The "Compare two moments" section (``section``); ``replayed()`` is the position the
 * timeline shows, offered as either end; ``offerVersions(versions)`` suggests the published
 * versions known at the replayed moment. */
export function comparison(diffPath, replayed) {
  const versions = h("datalist", { id: "published-versions" });
  const from = h("input", { name: "from", required: true, autocomplete: "off", list: versions.id });
  const to = h("input", { name: "to", value: "head", required: true, autocomplete: "off", list: versions.id });
  const result = h("div", { class: "comparison" });
  const useReplayed = (input) => () => {
    const position = replayed();
    if (position !== null) input.value = String(position);
  };
  const form = actionForm(
    {
      label: "Compare two moments",
      submit: "Show changes",
      onSubmit: async () => {
        fill(result); // no earlier answer left beside a new question
        const query = new URLSearchParams({ from: from.value.trim(), to: to.value.trim() });
        const diff = await get(`${diffPath}?${query}`);
        fill(result, changes(diff));
      },
    },
    h(
      "div",
      { class: "row" },
      h("div", {}, field("From", from, MOMENT_HINT), h("button", { type: "button", class: "secondary", onclick: useReplayed(from) }, "From the replayed position")),
      h("div", {}, field("To", to, MOMENT_HINT), h("button", { type: "button", class: "secondary", onclick: useReplayed(to) }, "To the replayed position")),
    ),
  );
  const section = h(
    "section",
    { "aria-labelledby": "compare-heading" },
    h("h2", { id: "compare-heading" }, "Compare two moments"),
    form,
    versions,
    result,
  );
  const offerVersions = (published) =>
    fill(
      versions,
      h("option", { value: "head" }, "the latest position"),
      published.map((v) => h("option", { value: `v${v.version}` }, `version ${v.version}, effective ${v.effective_date}`)),
    );
  return { section, offerVersions };
}

function moment(taken) {
  if (taken.version !== undefined) {
    return `published version ${taken.version} (effective ${taken.effective_date}, content ${taken.content_hash})`;
  }
  const state = taken.current_version ? `version ${taken.current_version} in force` : "draft";
  return `position ${taken.position} (${state})`;
}

function changes(diff) {
  let view = "tracked";
  const panel = h("div", { id: "comparison-panel", role: "tabpanel" });
  const tabs = [
    ["tracked", "Tracked changes"],
    ["clean", "Clean text"],
  ].map(([name, label]) =>
    h("button", { type: "button", role: "tab", "aria-controls": panel.id, "data-view": name, onclick: () => show(name) }, label),
  );
  function show(name) {
    view = name;
    for (const tab of tabs) tab.setAttribute("aria-selected", String(tab.dataset.view === view));
    fill(panel, view === "tracked" ? trackedSections(diff.sections) : cleanText(diff.clean));
  }
  show(view);
  const count = diff.sections.length;
  return h(
    "section",
    { "aria-labelledby": "comparison-heading", class: "compared" },
    h("h3", { id: "comparison-heading" }, `Changes from ${moment(diff.from)} to ${moment(diff.to)}`),
    h("p", { role: "status" }, count ? `${count} section${count === 1 ? "" : "s"} changed.` : "No section changed between these moments."),
    h("div", { role: "tablist", "aria-label": "How to show the changes between the two moments" }, tabs),
    panel,
  );
}

function trackedSections(sections) {
  if (!sections.length) return h("p", {}, "Nothing to show: the protocol text is the same.");
  return sections.map((s) =>
    h(
      "section",
      { class: "change", "aria-label": `Section ${s.number}` },
      h("h4", {}, `${s.number} `, s.old_heading !== null && s.new_heading !== null ? trackedRuns(s.tracked_heading) : (s.new_heading ?? s.old_heading), " ", badge(humanize(s.change), `change-${s.change}`)),
      s.tracked_text.length ? h("div", { class: "section-text" }, trackedRuns(s.tracked_text)) : h("p", { class: "note" }, "No text."),
    ),
  );
}

function cleanText(sections) {
  return h(
    "div",
    { class: "clean-text" },
    sections.map((s) => h("section", { "aria-label": `Section ${s.number}` }, h("h4", {}, `${s.number} ${s.heading}`), s.text ? h("div", { class: "section-text" }, s.text) : null)),
  );
}
