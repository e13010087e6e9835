// Building the page. Every piece of text goes in as a text node (never as HTML), so
// whatever a user typed — "<script>" included — is shown as the characters they typed.

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "hidden", "open"]);

/** h("button", {type: "submit", onclick: f}, "Save") -> an element; children may be
 * strings, numbers, nodes, arrays of them, or null/false (skipped). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      element.className = value;
    } else if (PROPERTIES.has(name)) {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replace an element's content. */
export function fill(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

let nextId = 0;
/** A unique id for label/field pairs. */
export function uid(prefix = "f") {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A labelled field: label above the control; ``control`` gets the label's id. */
export function field(label, control, hint) {
  const id = control.id || uid();
  control.id = id;
  const hintNode = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), hintNode, control);
}

/** A problem (RFC 9457) shown to the person: its title and detail, never a stack trace. */
export function problemBox(problem) {
  return h(
    "div",
    { class: "problem", role: "alert" },
    h("strong", {}, problem.title),
    problem.detail ? h("p", {}, problem.detail) : null,
  );
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

export function humanize(value) {
  return String(value ?? "").replaceAll("_", " ");
}

/** The one time format people read (issue 21): the log's UTC, to the second. Kept as a
 * name for the pages that called it before: the same text as ``utc()``. */
export function when(text) {
  return utc(text);
}

const ISO_TIME = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?\s*(Z|UTC|[+-]\d\d:?\d\d)?$/i;

/** A server time as people read it everywhere: "2026-11-21 10:04:21 UTC", to the second
 * (the log's microseconds say nothing a person reads). A time recorded at another offset
 * is converted to UTC (the log is UTC; the page never shows two formats); a time without
 * a zone is the log's UTC. A bare date ("2026-11-21") stays a date; anything else that is
 * not a time is shown as it was given. */
export function utc(text) {
  if (!text) return "";
  const millis = utcMillis(text);
  if (Number.isNaN(millis)) return String(text);
  const date = new Date(millis);
  const pad = (value) => String(value).padStart(2, "0");
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`
  );
}

/** Milliseconds since the epoch of a server time (its offset applied; no zone is UTC), or
 * NaN when the text is not a time. */
export function utcMillis(text) {
  const match = ISO_TIME.exec(String(text ?? "").trim());
  if (!match) return Number.NaN;
  const [, year, month, day, hour, minute, second = "00", zone = "Z"] = match;
  let millis = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (/^[+-]/.test(zone)) {
    const digits = zone.replace(":", "");
    const offset = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
    millis -= (zone.startsWith("-") ? -1 : 1) * offset * 60000;
  }
  return millis;
}

/** The time as an element: <time datetime="ISO" title="ISO">2026-11-21 10:04:21 UTC</time>;
 * hovering shows the full recorded value. Empty text gives an empty <time>. */
export function timeElement(text) {
  if (!text) return h("time", {});
  return h("time", { datetime: String(text), title: String(text) }, utc(text));
}

/** How far a time is from the reader's clock, in words: "in 3 days", "2 hours ago" (a
 * hint beside the time itself; the server decides whether a deadline has passed). */
export function untilWords(text, now = new Date()) {
  const millis = utcMillis(text);
  if (Number.isNaN(millis)) return "";
  const seconds = Math.round((millis - now.getTime()) / 1000);
  const span = Math.abs(seconds);
  const [count, unit] =
    span >= 86400 * 2
      ? [Math.round(span / 86400), "day"]
      : span >= 3600 * 2
        ? [Math.round(span / 3600), "hour"]
        : span >= 120
          ? [Math.round(span / 60), "minute"]
          : [span, "second"];
  const amount = `${count} ${unit}${count === 1 ? "" : "s"}`;
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`;
}

const XHTML = "http://www.w3.org/1999/xhtml";
/** The elements server/formats/xhtml.py writes (ins and del in a tracked change). */
const WRITTEN = new Set(["p", "br", "ul", "ol", "li", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "strong", "em", "ins", "del"]);
/** After these a newline keeps words apart in the element's text (a copy, textContent);
 * the page does not show it (white-space: normal). */
const SEPARATED = new Set(["p", "br", "li", "h5", "h6", "th", "td", "tr", "ul", "ol", "table"]);
/** The one attribute the writer sets: a table row added or removed in a tracked change. */
const ROW_CLASSES = new Set(["inserted", "deleted"]);

/** The server's XHTML of a section's text (``html``, or ``tracked_html`` with ins and del)
 * as nodes of this page; null when there is none that parses. Parsed as XML, never as a
 * page, so nothing in it runs; copied element by element, keeping only the writer's
 * elements (anything else keeps its text) and no attribute but a tracked row's class.
 * Sub-headings (h5, h6) become the two heading levels below ``level``. */
export function xhtmlNodes(html, { level = 2 } = {}) {
  if (!html) return null;
  const parsed = new DOMParser().parseFromString(html, "application/xhtml+xml");
  const root = parsed.documentElement;
  if (root.namespaceURI !== XHTML || root.localName !== "div" || parsed.getElementsByTagName("parsererror").length) {
    return null;
  }
  const nodes = [...root.childNodes].flatMap((child) => copiedXhtml(child, level));
  return nodes.length ? nodes : null;
}

function copiedXhtml(node, level) {
  if (node.nodeType === Node.TEXT_NODE) return [document.createTextNode(node.data)];
  if (node.nodeType !== Node.ELEMENT_NODE) return [];
  const name = node.localName;
  if (node.namespaceURI !== XHTML || !WRITTEN.has(name)) return [document.createTextNode(node.textContent)];
  const tag = name === "h5" ? `h${Math.min(level + 1, 6)}` : name === "h6" ? `h${Math.min(level + 2, 6)}` : name;
  const element = document.createElement(tag);
  const rowClass = name === "tr" ? node.getAttribute("class") : null;
  if (ROW_CLASSES.has(rowClass)) element.className = rowClass;
  element.append(...[...node.childNodes].flatMap((child) => copiedXhtml(child, level)));
  // A wide table scrolls in its own box rather than the page sideways (390 px).
  const placed = name === "table" ? h("div", { class: "table-scroll" }, element) : element;
  return SEPARATED.has(name) ? [placed, document.createTextNode("\n")] : [placed];
}
