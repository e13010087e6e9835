// The trial at a glance, on its overview: counts, a small timeline (versions published,
// amendments, motions and disputes opened), each open amendment's signatures, and the
// patient-engagement figures (advocates' comments over time, what became of them, how
// long a disposition took). Charts are inline SVG built element by element (no library,
// no style attributes: colours come from classes in app.css); each has a title and a
// description, and its numbers are also in a table beside it.

import { get, trialPath } from "../api.js";
import { h, humanize, timeElement, uid } from "../dom.js";
import { hashFor, link } from "../page.js";
import { loadEach } from "./records.js";

const SVG = "http://www.w3.org/2000/svg";
const OPEN_AMENDMENT = new Set(["draft", "submitted", "approved"]);
const OUTCOMES = [
  ["adopted", "Adopted"],
  ["partly_adopted", "Partly adopted"],
  ["declined", "Declined"],
  ["awaiting", "Awaiting a disposition"],
];
const KIND_WORDS = { version: "Version", amendment: "Amendment", motion: "Motion", dispute: "Dispute" };

/** An SVG element with attributes (never ``style``) and children. */
function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A chart: an ``<svg role="img">`` named by its title and described by ``description``. */
function chart(className, width, height, title, description, ...shapes) {
  const titleId = uid("chart-title");
  const descId = uid("chart-desc");
  return s(
    "svg",
    {
      class: `chart ${className}`,
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": `${titleId} ${descId}`,
      preserveAspectRatio: "xMinYMin meet",
    },
    s("title", { id: titleId }, title),
    s("desc", { id: descId }, description),
    shapes,
  );
}

/** The numbers a chart draws, as a table for those who would rather read them. */
function dataTable(caption, headings, rows) {
  return h(
    "details",
    { class: "chart-data" },
    h("summary", {}, `${caption}: the numbers`),
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) => (i ? h("td", {}, cell) : h("th", { scope: "row" }, cell)))))),
    ),
  );
}

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** A duration in words: "3 days 4 hours", "25 minutes", "under a minute". */
export function durationWords(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) return "under a minute";
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days) return hours ? `${plural(days, "day")} ${plural(hours, "hour")}` : plural(days, "day");
  if (hours) return minutes % 60 ? `${plural(hours, "hour")} ${plural(minutes % 60, "minute")}` : plural(hours, "hour");
  return plural(minutes, "minute");
}

/** The overview's "At a glance" section. It is returned at once and filled when its
 * figures arrive; a rebuild of the page keeps showing the previous figures meanwhile. */
export function trialAtAGlance(context, amendments) {
  const section = h("section", { class: "at-a-glance", "aria-labelledby": "glance-heading", "aria-busy": "true" });
  const kept = shown.get(context);
  section.append(...(kept ?? [h("h2", { id: "glance-heading" }, "At a glance"), h("p", { class: "meta" }, "Counting…")]));
  load(context, amendments).then(
    (nodes) => {
      shown.set(context, nodes);
      section.replaceChildren(...nodes);
      section.removeAttribute("aria-busy");
    },
    (error) => {
      section.replaceChildren(h("h2", { id: "glance-heading" }, "At a glance"), h("p", { class: "problem" }, `The figures could not be read: ${error.title ?? error.message}`));
      section.removeAttribute("aria-busy");
    },
  );
  return section;
}

/** The last figures drawn for each open trial (what a rebuild shows until its own). */
const shown = new WeakMap();

async function load(context, amendments) {
  const [glance, motions, disputes] = await Promise.all([
    get(trialPath(context.trialId, "glance")),
    loadEach(context, "motions"),
    loadEach(context, "disputes"),
  ]);
  const versions = context.protocol?.versions ?? [];
  const open = amendments.filter((a) => OPEN_AMENDMENT.has(a.status));
  return [
    h("h2", { id: "glance-heading" }, "At a glance"),
    counts(context, versions, open, motions.records, disputes.records),
    timeline(context, versions, glance.opened),
    open.length ? progress(context, open) : null,
    engagement(glance),
  ];
}

function counts(context, versions, open, motions, disputes) {
  const openMotions = motions.filter((m) => m.status === "open").length;
  const openDisputes = disputes.filter((d) => !d.resolution).length;
  const figure = (page, label, value, detail) =>
    h(
      "li",
      { class: "count" },
      h("span", { class: "count-value" }, String(value)),
      " ",
      link(hashFor(context.trialId, page), label),
      h("span", { class: "count-detail" }, detail),
    );
  return h(
    "ul",
    { class: "counts", "aria-label": "Counts" },
    figure("protocol", versions.length === 1 ? "version published" : "versions published", versions.length, versions.length ? `latest: version ${versions.at(-1).version}` : "none yet"),
    figure("amendments", open.length === 1 ? "open amendment" : "open amendments", open.length, `${plural(open.filter((a) => a.status === "submitted").length, "awaits", "await")} signatures`),
    figure("motions", motions.length === 1 ? "motion" : "motions", motions.length, `${openMotions} open, ${motions.length - openMotions} closed`),
    figure("disputes", disputes.length === 1 ? "dispute" : "disputes", disputes.length, `${openDisputes} open, ${disputes.length - openDisputes} resolved`),
  );
}

/** Milliseconds of a date ("2026-12-04") or a time the log recorded. */
function millisOf(text) {
  return Date.parse(/^\d{4}-\d\d-\d\d$/.test(text) ? `${text}T00:00:00Z` : text);
}

function timeline(context, versions, opened) {
  const events = [
    ...versions.map((v) => ({ kind: "version", id: `version ${v.version}`, at: v.effective_date, page: ["protocol"] })),
    ...opened.map((o) => ({ kind: o.kind, id: o.id, at: o.at, page: [`${o.kind}s`, o.id] })),
  ]
    .map((e) => ({ ...e, millis: millisOf(e.at) }))
    .filter((e) => !Number.isNaN(e.millis))
    .sort((a, b) => a.millis - b.millis);
  if (!events.length) return h("p", {}, "Nothing has been published or opened yet.");
  const width = 480;
  const height = 70;
  const left = 16;
  const right = width - 16;
  const first = events[0].millis;
  const span = Math.max(events.at(-1).millis - first, 1);
  const x = (millis) => (events.length === 1 ? width / 2 : left + ((millis - first) / span) * (right - left));
  const rows = { version: 18, amendment: 30, motion: 42, dispute: 54 };
  const marks = events.map((e) =>
    s(
      "circle",
      { class: `mark mark-${e.kind}`, cx: x(e.millis).toFixed(1), cy: rows[e.kind], r: 6 },
      s("title", {}, `${KIND_WORDS[e.kind]} ${e.kind === "version" ? e.id.replace("version ", "") : e.id}: ${e.at}`),
    ),
  );
  const description = events.map((e) => `${e.kind === "version" ? e.id : `${e.kind} ${e.id} opened`}, ${dateText(e.at)}`).join("; ");
  return h(
    "figure",
    { class: "chart-figure" },
    h("figcaption", {}, "Timeline: versions published and amendments, motions and disputes opened, from ", dateText(events[0].at), " to ", dateText(events.at(-1).at)),
    chart(
      "timeline-chart",
      width,
      height,
      "Timeline of the trial",
      description,
      s("line", { class: "axis", x1: left, x2: right, y1: 64, y2: 64 }),
      marks,
    ),
    h(
      "ul",
      { class: "chart-legend" },
      ["version", "amendment", "motion", "dispute"].map((kind) => h("li", { class: `key key-${kind}` }, `${KIND_WORDS[kind]}s`)),
    ),
    dataTable(
      "Timeline",
      ["When", "What"],
      events.map((e) => [
        e.kind === "version" ? e.at : timeElement(e.at),
        link(hashFor(context.trialId, ...e.page), e.kind === "version" ? `Version ${e.id.replace("version ", "")} published` : `${KIND_WORDS[e.kind]} ${e.id} opened`),
      ]),
    ),
  );
}

/** A day's date as people read it, or the log's UTC time to the second. */
function dateText(at) {
  return /^\d{4}-\d\d-\d\d$/.test(at) ? at : timeElement(at);
}

function progress(context, open) {
  return h(
    "section",
    { "aria-labelledby": "progress-heading" },
    h("h3", { id: "progress-heading" }, "Open amendments and their signatures"),
    h(
      "ul",
      { class: "amendment-progress" },
      open.map((amendment) => {
        const required = amendment.required_signatures?.length ?? 0;
        const given = required - (amendment.missing_signatures?.length ?? 0);
        const words = amendment.status === "draft" ? "draft, not submitted yet" : `${given} of ${plural(required, "signature")} given`;
        const next = (amendment.missing_signatures ?? []).map((r) => r.name).join(", ");
        return h(
          "li",
          {},
          link(hashFor(context.trialId, "amendments", amendment.amendment_id), `${amendment.amendment_id}: ${amendment.details?.summary ?? ""}`),
          " ",
          h("span", { class: `badge status-${amendment.status}` }, humanize(amendment.status)),
          chart(
            "progress-chart",
            200,
            12,
            `${amendment.amendment_id} signatures`,
            words,
            s("rect", { class: "bar-track", x: 0, y: 0, width: 200, height: 12, rx: 3 }),
            required ? s("rect", { class: "bar-done", x: 0, y: 0, width: ((200 * given) / required).toFixed(1), height: 12, rx: 3 }) : null,
          ),
          h("span", { class: "progress-words" }, words, next && amendment.status !== "draft" ? ` — awaiting ${next}` : ""),
        );
      }),
    ),
  );
}

/** Days with comments, grouped by month when they span more than two months. */
function commentBuckets(days) {
  if (!days.length) return [];
  const span = millisOf(days.at(-1).day) - millisOf(days[0].day);
  if (span <= 62 * 86400000) return days.map((d) => ({ label: d.day, comments: d.comments }));
  const months = new Map();
  for (const d of days) months.set(d.day.slice(0, 7), (months.get(d.day.slice(0, 7)) ?? 0) + d.comments);
  return [...months].map(([label, comments]) => ({ label, comments }));
}

function engagement(glance) {
  const buckets = commentBuckets(glance.advocate_comments);
  const total = buckets.reduce((sum, b) => sum + b.comments, 0);
  const outcomes = glance.dispositions;
  const waited = glance.time_to_disposition;
  return h(
    "section",
    { "aria-labelledby": "engagement-heading", class: "engagement" },
    h("h3", { id: "engagement-heading" }, "Patient engagement"),
    total ? commentsChart(buckets, total) : h("p", {}, "No patient advocate has commented yet."),
    total ? outcomesChart(outcomes, total) : null,
    h(
      "p",
      { class: "time-to-disposition" },
      waited.dispositioned
        ? `Time to disposition: ${durationWords(waited.median_seconds)} at the median, ${durationWords(waited.longest_seconds)} at the longest (${plural(waited.dispositioned, "comment")} dispositioned).`
        : "Time to disposition: no comment has been dispositioned yet.",
    ),
  );
}

function commentsChart(buckets, total) {
  const width = 480;
  const height = 120;
  const top = 16;
  const base = 100;
  const most = Math.max(...buckets.map((b) => b.comments));
  const slot = (width - 20) / buckets.length;
  const barWidth = Math.min(48, slot * 0.7);
  const bars = buckets.map((b, i) => {
    const barHeight = ((base - top) * b.comments) / most;
    const cx = 10 + slot * i + slot / 2;
    return s(
      "g",
      {},
      s("rect", { class: "bar-comments", x: (cx - barWidth / 2).toFixed(1), y: (base - barHeight).toFixed(1), width: barWidth.toFixed(1), height: barHeight.toFixed(1) }, s("title", {}, `${b.label}: ${plural(b.comments, "comment")}`)),
      s("text", { class: "bar-value", x: cx.toFixed(1), y: (base - barHeight - 3).toFixed(1), "text-anchor": "middle" }, String(b.comments)),
      buckets.length <= 12 ? s("text", { class: "bar-label", x: cx.toFixed(1), y: base + 14, "text-anchor": "middle" }, b.label) : null,
    );
  });
  return h(
    "figure",
    { class: "chart-figure" },
    h("figcaption", {}, `Patient advocates' comments over time: ${plural(total, "comment")}`),
    chart(
      "comments-chart",
      width,
      height,
      "Patient advocates' comments over time",
      buckets.map((b) => `${b.label}: ${b.comments}`).join("; "),
      s("line", { class: "axis", x1: 10, x2: width - 10, y1: base, y2: base }),
      bars,
    ),
    dataTable("Patient advocates' comments over time", ["Period", "Comments"], buckets.map((b) => [b.label, String(b.comments)])),
  );
}

function outcomesChart(outcomes, total) {
  const width = 640;
  let at = 0;
  const pieces = OUTCOMES.filter(([key]) => outcomes[key]).map(([key, words]) => {
    const share = outcomes[key] / total;
    const piece = s("rect", { class: `share share-${key}`, x: (at * width).toFixed(1), y: 0, width: (share * width).toFixed(1), height: 24 }, s("title", {}, `${words}: ${outcomes[key]}`));
    at += share;
    return piece;
  });
  const percent = (n) => `${Math.round((100 * n) / total)}%`;
  const described = OUTCOMES.map(([key, words]) => `${words}: ${outcomes[key]} (${percent(outcomes[key])})`).join("; ");
  return h(
    "figure",
    { class: "chart-figure" },
    h("figcaption", {}, "What became of the advocates' comments"),
    chart("share-chart", width, 24, "What became of the advocates' comments", described, pieces),
    h(
      "ul",
      { class: "chart-legend" },
      OUTCOMES.map(([key, words]) => h("li", { class: `key key-${key}` }, `${words}: ${outcomes[key]} (${percent(outcomes[key])})`)),
    ),
    dataTable("What became of the advocates' comments", ["Disposition", "Comments", "Share"], OUTCOMES.map(([key, words]) => [words, String(outcomes[key]), percent(outcomes[key])])),
  );
}
