// The application shell: who is signed in, which trial is open, the live connection,
// and which page the address (#/t/{trial}/...) shows.

import { Problem, del, get, post, setCsrfToken } from "./api.js";
import { field, fill, h, problemBox } from "./dom.js";
import { LiveConnection } from "./live.js";
import { actionForm, hashFor } from "./page.js";
import { TrialContext } from "./trial.js";
import { ADMINISTER, mountAdministration } from "./views/admin.js";
import { mountAmendment, mountAmendmentList, mountNewAmendment } from "./views/amendments.js";
import { mountAudit } from "./views/audit.js";
import { mountDispute, mountDisputeList } from "./views/disputes.js";
import { mountDocument } from "./views/document.js";
import { mountMotion, mountMotionList } from "./views/motions.js";
import { mountProtocol } from "./views/protocol.js";
import { mountTrialHome, mountTrialList } from "./views/trials.js";

const main = document.getElementById("main");
const nav = document.getElementById("trial-nav");
const who = document.getElementById("who");
const liveStatus = document.getElementById("live-status");

const state = { me: null, context: null, view: null, page: "" };

const STATUS_TEXT = {
  connecting: "Connecting to live updates…",
  live: "Live",
  reconnecting: "Live updates interrupted; reconnecting…",
  revoked: "You may no longer read this trial.",
  offline: "Signed out.",
};

async function start() {
  window.addEventListener("concord:signed-out", signedOut);
  window.addEventListener("hashchange", () => route());
  // After a change this page made, show it at once (live events confirm it later).
  window.addEventListener("concord:changed", () => state.view?.refresh?.());
  try {
    const session = await get("/api/session");
    signedIn(session.user, session.csrf_token);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    if (error.status !== 401) fill(main, problemBox(error));
  }
  await route();
}

function signedIn(user, csrfToken) {
  state.me = user;
  setCsrfToken(csrfToken);
  const signOut = h("button", { type: "button", class: "link" }, "Sign out");
  signOut.addEventListener("click", async () => {
    try {
      await del("/api/session");
    } finally {
      signedOut();
    }
  });
  fill(who, h("span", { class: "me" }, user.printed_name), signOut);
}

function signedOut() {
  state.me = null;
  setCsrfToken(null);
  closeTrial();
  fill(who);
  route();
}

function showSignIn() {
  const username = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const form = actionForm(
    {
      label: "Sign in",
      submit: "Sign in",
      onSubmit: async () => {
        const answer = await post("/api/session", {
          username: username.value,
          password: password.value,
        });
        signedIn(answer.user, answer.csrf_token);
        await route();
      },
    },
    field("Username", username),
    field("Password", password),
  );
  fill(main, h("section", { class: "narrow" }, h("h1", {}, "Sign in to Concord"), form));
  username.focus();
}

function closeTrial() {
  state.view?.dispose?.();
  state.view = null;
  state.context?.live?.close();
  state.context = null;
  fill(nav);
  liveStatus.textContent = "";
}

async function openTrial(trialId) {
  if (state.context?.trialId === trialId) return state.context;
  closeTrial();
  const context = new TrialContext(trialId, state.me);
  await context.load();
  state.context = context;
  context.live = new LiveConnection(trialId, {
    onEvents: (events) => eventsArrived(context, events),
    onPresence: (present) => {
      context.present = present.filter((p) => p.user_id !== state.me.user_id);
      state.view?.onPresence?.();
    },
    onReady: () => state.view?.refresh?.(),
    onStatus: (status) => {
      liveStatus.textContent = STATUS_TEXT[status] ?? "";
      liveStatus.dataset.status = status;
      if (status === "revoked" && state.context === context) state.view?.onRevoked?.();
    },
    onSignedOut: signedOut,
  });
  context.present = [];
  return context;
}

const WORKSPACE_EVENTS = new Set([
  "OrganizationAdmitted",
  "MemberAdded",
  "MemberInvited",
  "InvitationWithdrawn",
  "InvitationAccepted",
  "InvitationDeclined",
  "TrainingAttested",
  "RoleGranted",
  "RoleRevoked",
  "CharterAmended",
]);

async function eventsArrived(context, events) {
  if (events.some((e) => WORKSPACE_EVENTS.has(e.type))) {
    await context.loadWorkspace();
    // A granted or revoked role changes which pages the person is offered (the links are
    // replaced only then, so a focused one keeps the focus).
    const fresh = trialNav(context, state.page);
    if (state.context === context && fresh.textContent !== nav.textContent) fill(nav, fresh);
  }
  if (events.some((e) => e.stream.endsWith("/protocol"))) await context.loadProtocol();
  if (state.context === context) state.view?.onEvents?.(events);
}

function trialNav(context, current) {
  const trialId = context.trialId;
  const items = [
    ["", "Overview"],
    ["protocol", "Protocol"],
    ["document", "Document"],
    ["amendments", "Amendments"],
    ["motions", "Motions"],
    ["disputes", "Disputes"],
    ...(context.can("audit:read") ? [["audit", "Audit"]] : []),
    ...(context.can(ADMINISTER) ? [["admin", "Administration"]] : []),
  ];
  return h(
    "ul",
    {},
    items.map(([page, label]) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            href: page ? hashFor(trialId, page) : hashFor(trialId),
            "aria-current": page === current ? "page" : false,
          },
          label,
        ),
      ),
    ),
  );
}

const PAGES = {
  "": (c, rest, box) => mountTrialHome(c, box),
  protocol: (c, rest, box) => mountProtocol(c, rest[0] ?? null, box),
  document: (c, rest, box) => mountDocument(c, rest[0] ?? null, box),
  amendments: (c, rest, box) =>
    rest[0] === "new" ? mountNewAmendment(c, box) : rest[0] ? mountAmendment(c, rest[0], box) : mountAmendmentList(c, box),
  motions: (c, rest, box) => (rest[0] ? mountMotion(c, rest[0], box) : mountMotionList(c, box)),
  disputes: (c, rest, box) => (rest[0] ? mountDispute(c, rest[0], box) : mountDisputeList(c, box)),
  audit: (c, rest, box) => mountAudit(c, box),
  admin: (c, rest, box) => mountAdministration(c, box),
};

async function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (!state.me) {
    closeTrial();
    showSignIn();
    return;
  }
  state.view?.dispose?.();
  state.view = null;
  const box = h("div", { class: "page" });
  fill(main, box);
  try {
    if (parts[0] !== "t" || !parts[1]) {
      closeTrial();
      state.view = mountTrialList(state.me, box);
    } else {
      const context = await openTrial(parts[1]);
      const page = (state.page = parts[2] ?? "");
      fill(nav, trialNav(context, page));
      const mount = PAGES[page];
      state.view = mount ? mount(context, parts.slice(3), box) : null;
      if (!mount) fill(box, problemBox({ title: "No such page", detail: location.hash }));
    }
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    closeTrial();
    fill(box, problemBox(error));
  }
  main.focus({ preventScroll: true });
}

start();
