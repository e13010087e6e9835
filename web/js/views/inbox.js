// The inbox: what waits for the signed-in person in every trial (GET /api/inbox), kept
// current by one live connection to all the trials they may read; the header's count,
// the #/inbox page, and a trial's share of it on its overview.

import { get } from "../api.js";
import { h, timeElement } from "../dom.js";
import { LiveConnection } from "../live.js";
import { link, mountPage } from "../page.js";

const KIND_WORDS = {
  signature: "Sign",
  review: "Review",
  vote: "Vote",
  dispute: "Dispute",
  merge: "Merge",
  disposition: "Disposition",
  site_approval: "Site approval",
  site_activation: "Site activation",
  own_amendment: "Your amendment",
  erasure_approval: "Erasure",
};

/** Who is told when the inbox changes: the header's count and an open inbox page. */
const watchers = new Set();
let latest = null;
let live = null;
let fetching = null;
let again = false;

/** Follow the person's inbox: fetch it, then again after every event of their trials
 * (a burst of events costs one more fetch). ``trialIds``: the trials they may read; the
 * live connection listens to those it was opened with, so it is opened again when they
 * change (with none, there is nothing to listen to). */
let listening = null;

export function watchInbox(trialIds) {
  const key = [...trialIds].sort().join(" ");
  if (live && key === listening) return refreshInbox();
  stopWatchingInbox();
  listening = key;
  if (key) {
    live = new LiveConnection(null, {
      onEvents: () => refreshInbox(),
      onPresence: () => {},
      onReady: () => refreshInbox(),
      // Closed by the server (signed out: also when this page changed the password and
      // carries on with a new session; a trial no longer readable): opened again by the
      // next page shown (``inboxFollowed``), whose requests say whether the session ended.
      onStatus: (status) => {
        if (status === "offline" || status === "revoked") stopListening();
      },
      onSignedOut: () => {},
    });
  }
  return refreshInbox();
}

export function stopWatchingInbox() {
  stopListening();
  latest = null;
}

function stopListening() {
  live?.close();
  live = null;
  listening = null;
}

/** Whether the inbox is followed: its live connection open (or being opened), or the
 * person may read no trial to listen to. */
export function inboxFollowed() {
  return listening !== null;
}

/** Fetch the inbox again and tell every watcher; calls made while one runs fold into
 * one more fetch. */
export async function refreshInbox() {
  if (fetching) {
    again = true;
    return fetching;
  }
  fetching = (async () => {
    do {
      again = false;
      try {
        latest = await get("/api/inbox");
      } catch {
        latest = null; // signed out meanwhile, or the server is restarting: said elsewhere
      }
      for (const watcher of watchers) watcher(latest);
    } while (again);
  })();
  try {
    await fetching;
  } finally {
    fetching = null;
  }
}

/** ``watcher(inbox)`` after every change (and at once with the latest); returns a
 * function that stops it. */
export function onInbox(watcher) {
  watchers.add(watcher);
  if (latest) watcher(latest);
  return () => watchers.delete(watcher);
}

let headerLink = null;

/** The header's "Inbox" link with its count, updated in place (the focus stays on it);
 * one element, however often the header is drawn. */
export function inboxLink() {
  headerLink ??= makeInboxLink();
  return headerLink;
}

function makeInboxLink() {
  // The link's name is its own text ("Inbox, 3 waiting"; the words around the count
  // are for screen readers only), so what it shows is part of what it is called.
  const count = h("span", { class: "count" });
  const said = h("span", { class: "visually-hidden" });
  const anchor = h("a", { href: "#/inbox", class: "inbox-link" }, "Inbox", said, " ", count, " ", h("span", { class: "visually-hidden" }, "waiting"));
  const show = (inbox) => {
    const n = inbox?.count ?? 0;
    said.textContent = n ? "," : ", nothing";
    count.textContent = n ? String(n) : "";
    count.hidden = !n;
    anchor.setAttribute("aria-current", location.hash.startsWith("#/inbox") ? "page" : "false");
  };
  show(latest);
  onInbox(show);
  window.addEventListener("hashchange", () => show(latest));
  return anchor;
}

function itemRow(item, { showTrial = false } = {}) {
  return h(
    "li",
    { class: `inbox-item kind-${item.kind}` },
    h("span", { class: "badge inbox-kind" }, KIND_WORDS[item.kind] ?? item.kind),
    " ",
    link(item.link, item.title),
    showTrial && item.trial_title ? h("span", { class: "meta" }, ` in ${item.trial_title}`) : null,
    item.since ? h("span", { class: "meta" }, " · waiting since ", timeElement(item.since)) : null,
  );
}

/** The items grouped by trial, in the order their oldest item waits. */
function byTrial(items) {
  const groups = new Map();
  for (const item of items) {
    const key = item.trial_id || "";
    if (!groups.has(key)) groups.set(key, { trialId: key, title: item.trial_title, items: [] });
    groups.get(key).items.push(item);
  }
  return [...groups.values()];
}

/** The page #/inbox: everything that waits, by trial, rebuilt whenever it changes. */
export function mountInbox(me, box) {
  let shown = null;
  const view = mountPage(box, async () => {
    shown ??= await get("/api/inbox");
    const inbox = shown;
    const groups = byTrial(inbox.items);
    return h(
      "section",
      { class: "inbox" },
      h("h1", {}, "Inbox"),
      h(
        "p",
        { class: "hint", role: "status" },
        inbox.count
          ? `${inbox.count} ${inbox.count === 1 ? "thing waits" : "things wait"} for you, ${me.printed_name}, oldest first. It updates as your trials change.`
          : "Nothing waits for you.",
      ),
      groups.map((group, index) => {
        const headingId = `inbox-trial-${index}`;
        return h(
          "section",
          { "aria-labelledby": headingId, class: "inbox-trial" },
          h("h2", { id: headingId }, group.trialId ? group.title || group.trialId : "Accounts"),
          h("ul", { class: "inbox-items" }, group.items.map((item) => itemRow(item))),
        );
      }),
      recentUpdates(inbox.updates ?? []),
    );
  });
  const stop = onInbox((inbox) => {
    if (!inbox || inbox === shown) return;
    shown = inbox;
    view.refresh();
  });
  return { ...view, onEvents: () => {}, dispose: stop };
}

/** What became of the person's own comments and amendments lately, newest first (not
 * counted: nothing waits on them). */
function recentUpdates(updates) {
  return h(
    "section",
    { "aria-labelledby": "inbox-updates", class: "inbox-updates" },
    h("h2", { id: "inbox-updates" }, "Recent updates"),
    updates.length
      ? h(
          "ul",
          { class: "inbox-items" },
          updates.map((update) =>
            h(
              "li",
              { class: `inbox-update update-${update.kind}` },
              link(update.link, update.title),
              update.trial_title ? h("span", { class: "meta" }, ` in ${update.trial_title}`) : null,
              h("span", { class: "meta" }, " · ", timeElement(update.at)),
            ),
          ),
        )
      : h("p", {}, "Nothing new about your comments and amendments in the last 30 days."),
  );
}

/** A trial overview's part of the inbox: what waits for the person in this trial. */
export async function trialInboxSection(context) {
  const inbox = await get(`/api/inbox?trial=${encodeURIComponent(context.trialId)}`);
  return h(
    "section",
    { "aria-labelledby": "waiting-heading", class: "waiting" },
    h("h2", { id: "waiting-heading" }, "Waiting for you"),
    inbox.items.length
      ? h("ul", { class: "inbox-items" }, inbox.items.map((item) => itemRow(item)))
      : h("p", {}, "Nothing waits for you in this trial."),
  );
}
