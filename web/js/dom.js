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

export function when(text) {
  if (!text) return "";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
}

/** A server time exactly as recorded, in UTC: "2026-11-21 10:04:21.601690 UTC" (audit
 * pages show the recorded time itself, not a conversion to the reader's zone). */
export function utc(text) {
  if (!text) return "";
  // To the second: the log's microseconds say nothing a person reads.
  return String(text).replace("T", " ").replace(/\.\d+(?=Z$|\+00:00$)/, "").replace(/Z$|\+00:00$/, " UTC");
}
