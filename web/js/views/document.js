// The protocol read as one document: every section in M11 order under its number and
// heading, its recorded text as rich text, a contents list, and a search that highlights
// what it finds and steps from match to match. Colleagues' recorded revisions arrive live,
// each briefly highlighted and announced.

import { fill, h, uid, xhtmlNodes } from "../dom.js";
import { hashFor } from "../page.js";

/** True when a section has nothing written in it. */
export function isEmpty(section) {
  return !section.text.trim();
}

/** "Dr Ivy Chen recorded revision 3 of section 5.2": a SectionRevised event, for people. */
export function revisionNews(context, event) {
  const { number, revision, revised_by: by } = event.data;
  const where = number === "lay-summary" ? "the lay summary" : `section ${number}`;
  return `${context.name(by)} recorded revision ${revision} of ${where}`;
}

/** Someone else's recorded revision of a section: what to highlight and announce. */
export function othersRevision(context, event) {
  return event.type === "SectionRevised" && event.data.revised_by !== context.me.user_id;
}

/** Draw the eye to ``element`` for a moment (the animation, app.css, ends by itself). */
export function highlightArrival(element) {
  element.classList.remove("arrived");
  void element.offsetWidth; // restart the animation when a second revision follows
  element.classList.add("arrived");
  element.addEventListener("animationend", () => element.classList.remove("arrived"), { once: true });
}

/** The heading level of a section (M11 depth 1 under the page's h1 is an h2). */
function headingLevel(number) {
  const depth = number === "lay-summary" ? 1 : number.split(".").length;
  return Math.min(depth + 1, 6);
}

const title = (s) => `${s.number === "lay-summary" ? "" : s.number} ${s.heading}`.trim();

export function mountDocument(context, number, box) {
  const queryId = uid("search");
  const query = h("input", { type: "search", id: queryId, name: "query", autocomplete: "off", spellcheck: "false" });
  const previous = h("button", { type: "button", class: "secondary", "aria-label": "Previous match", "aria-keyshortcuts": "Shift+Enter" }, "Previous");
  const next = h("button", { type: "button", class: "secondary", "aria-label": "Next match", "aria-keyshortcuts": "Enter" }, "Next");
  const found = h("p", { class: "search-status", role: "status" });
  const news = h("p", { class: "flash", role: "status" });
  const contentsList = h("ol", {});
  const contents = h(
    "details",
    { class: "doc-contents", open: window.matchMedia("(min-width: 48rem)").matches },
    h("summary", {}, "Contents"),
    contentsList,
  );
  const body = h("div", { class: "doc-body" });
  const heading = h("h1", { id: uid("document") });
  const meta = h("p", { class: "meta" });
  const search = h(
    "form",
    { class: "doc-search", role: "search", "aria-label": "Search the document" },
    h("label", { for: queryId }, "Search the document"),
    h("div", { class: "doc-search-row" }, query, previous, next),
    found,
  );
  const page = h(
    "div",
    { class: "whole-document" },
    h("header", { class: "doc-header" }, heading, meta, h("p", {}, h("a", { href: hashFor(context.trialId, "protocol") }, "Back to the protocol's sections"))),
    h("div", { class: "doc-toolbar" }, search, news),
    h(
      "div",
      { class: "doc-layout" },
      h("nav", { class: "doc-contents-nav", "aria-label": "Contents" }, contents),
      h("article", { class: "doc-article", "aria-labelledby": heading.id }, body),
    ),
  );
  /** number -> {section, node, item}: what is drawn of each section, redrawn only when it changes. */
  const drawn = new Map();
  let matches = [];
  let current = -1;
  let counted = 0;
  let newsTimer = null;

  function render() {
    const protocol = context.protocol;
    if (!protocol) {
      fill(box, h("h1", {}, "Protocol"), h("p", {}, "This trial has no protocol yet."));
      drawn.clear();
      return;
    }
    if (!box.contains(page)) fill(box, page);
    fill(heading, protocol.title);
    fill(meta, protocol.current_version ? `Version ${protocol.current_version}, read as one document` : "Draft, read as one document (recorded revisions)");
    const live = new Set();
    let nodeBefore = null;
    let itemBefore = null;
    for (const section of protocol.sections) {
      live.add(section.number);
      let shown = drawn.get(section.number);
      if (!shown || changed(shown.section, section)) {
        const fresh = { section, node: sectionNode(section), item: contentsItem(section) };
        if (shown) {
          shown.node.replaceWith(fresh.node);
          shown.item.replaceWith(fresh.item);
        }
        drawn.set(section.number, (shown = fresh));
      }
      // In order, moving only what is out of place (a moved node would lose the focus).
      const nodeAfter = nodeBefore ? nodeBefore.nextSibling : body.firstChild;
      if (nodeAfter !== shown.node) body.insertBefore(shown.node, nodeAfter);
      const itemAfter = itemBefore ? itemBefore.nextSibling : contentsList.firstChild;
      if (itemAfter !== shown.item) contentsList.insertBefore(shown.item, itemAfter);
      nodeBefore = shown.node;
      itemBefore = shown.item;
    }
    for (const [gone, shown] of drawn) {
      if (live.has(gone)) continue;
      shown.node.remove();
      shown.item.remove();
      drawn.delete(gone);
    }
    find({ keep: true });
  }

  function changed(before, after) {
    return before.revision !== after.revision || before.heading !== after.heading || before.html !== after.html;
  }

  function sectionNode(section) {
    const level = headingLevel(section.number);
    const headingId = `doc-heading-${section.number}`;
    const text = isEmpty(section) ? null : xhtmlNodes(section.html, { level });
    return h(
      "section",
      // Not a named region: a hundred landmarks would drown the page's own; headings lead.
      { class: "doc-section", id: `doc-section-${section.number}`, "data-number": section.number },
      h(
        `h${level}`,
        { id: headingId, tabindex: "-1" },
        h("a", { href: hashFor(context.trialId, "protocol", section.number) }, section.number === "lay-summary" ? "" : h("span", { class: "number" }, section.number), " ", section.heading),
      ),
      isEmpty(section)
        ? h("p", { class: "empty-section" }, "This section is empty.")
        : h("div", { class: `doc-text ${text ? "rendered-text" : "plain-text"}` }, text ?? section.text),
    );
  }

  function contentsItem(section) {
    const target = hashFor(context.trialId, "document", section.number);
    const anchor = h("a", { href: target }, h("span", { class: "number" }, section.number === "lay-summary" ? "" : section.number), " ", section.heading);
    anchor.addEventListener("click", (event) => {
      event.preventDefault();
      jumpTo(section.number);
    });
    return h(
      "li",
      { class: `depth-${section.number === "lay-summary" ? 1 : section.number.split(".").length}`, "data-number": section.number },
      anchor,
      isEmpty(section) ? h("span", { class: "empty-marker" }, "(empty)") : null,
      h("span", { class: "match-count" }),
    );
  }

  /** Show the section at the top and put the focus on its heading; the address names it. */
  function jumpTo(target) {
    const shown = drawn.get(target);
    if (!shown) return;
    history.replaceState(null, "", hashFor(context.trialId, "document", target));
    for (const { section, item } of drawn.values()) {
      const anchor = item.querySelector("a");
      if (section.number === target) anchor.setAttribute("aria-current", "location");
      else anchor.removeAttribute("aria-current");
    }
    const sectionHeading = shown.node.firstChild;
    sectionHeading.scrollIntoView({ block: "start" });
    sectionHeading.focus({ preventScroll: true });
  }

  /** Highlight every match of the search in headings and text; with ``keep`` (a live
   * update), stay on the match the person was at as far as it still exists. */
  function find({ keep = false } = {}) {
    for (const mark of body.querySelectorAll("mark.search-match")) {
      const parent = mark.parentNode;
      mark.replaceWith(...mark.childNodes);
      parent.normalize();
    }
    const words = query.value.trim();
    matches = words ? marked(body, words) : [];
    const counts = new Map();
    for (const mark of matches) {
      const n = mark.closest(".doc-section").dataset.number;
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    for (const { section, item } of drawn.values()) {
      const count = counts.get(section.number) ?? 0;
      item.hidden = Boolean(words) && count === 0;
      fill(item.querySelector(".match-count"), count ? `${count} ${count === 1 ? "match" : "matches"}` : "");
    }
    previous.disabled = next.disabled = matches.length === 0;
    const before = counted;
    counted = matches.length;
    current = keep ? Math.min(current, matches.length - 1) : -1;
    if (current >= 0) matches[current].classList.add("current");
    // A live update says nothing unless what the search finds changed.
    if (!keep || counted !== before) fill(found, words ? summary(words) : "");
  }

  function summary(words) {
    const n = matches.length;
    if (!n) return `No match for “${words}”.`;
    const sections = new Set(matches.map((m) => m.closest(".doc-section"))).size;
    return `${n} ${n === 1 ? "match" : "matches"} for “${words}” in ${sections} ${sections === 1 ? "section" : "sections"}. Enter goes to the next, Shift+Enter to the previous.`;
  }

  function step(by) {
    if (!matches.length) return;
    matches[current]?.classList.remove("current");
    current = (current + by + matches.length) % matches.length;
    const mark = matches[current];
    mark.classList.add("current");
    mark.scrollIntoView({ block: "center" });
    const section = drawn.get(mark.closest(".doc-section").dataset.number).section;
    fill(found, `Match ${current + 1} of ${matches.length}, in ${title(section)}.`);
  }

  query.addEventListener("input", () => find());
  query.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    step(event.shiftKey ? -1 : 1);
  });
  search.addEventListener("submit", (event) => event.preventDefault());
  previous.addEventListener("click", () => step(-1));
  next.addEventListener("click", () => step(1));

  function eventsArrived(events) {
    if (!events.some((event) => event.stream.endsWith("/protocol"))) return;
    render();
    const arrived = events.filter((event) => othersRevision(context, event) && drawn.has(event.data.number));
    for (const event of arrived) highlightArrival(drawn.get(event.data.number).node);
    if (!arrived.length) return;
    fill(news, arrived.map((event) => `${revisionNews(context, event)}.`).join(" "));
    // Said and seen; then out of the way of the reading (the toolbar stays on screen).
    clearTimeout(newsTimer);
    newsTimer = setTimeout(() => fill(news), 20000);
  }

  context.live.setPresence(null);
  render();
  // After the shell has put the focus on the page (main.js's route), not before.
  if (number) requestAnimationFrame(() => jumpTo(number));
  return { refresh: render, onEvents: eventsArrived, dispose: () => clearTimeout(newsTimer) };
}

/** Wrap each case-insensitive occurrence of ``words`` in the text under ``root`` in a
 * mark (within one text node: a match across bold and plain text is not found). */
function marked(root, words) {
  const pattern = new RegExp(words.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "giu");
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement.closest(".empty-section") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode);
  const marks = [];
  for (const node of texts) {
    const pieces = [];
    let at = 0;
    for (const match of node.data.matchAll(pattern)) {
      if (!match[0]) break;
      if (match.index > at) pieces.push(node.data.slice(at, match.index));
      const mark = h("mark", { class: "search-match" }, match[0]);
      pieces.push(mark);
      marks.push(mark);
      at = match.index + match[0].length;
    }
    if (!pieces.length) continue;
    if (at < node.data.length) pieces.push(node.data.slice(at));
    node.replaceWith(...pieces);
  }
  return marks;
}
