// The application shell: who is signed in (and whether they must first choose their own
// password), which trial is open, the live connection, and which page the address
// (#/t/{trial}/..., #/account, #/accounts/...) shows.

import { Problem, del, get, post, setCsrfToken } from "./api.js";
import { field, fill, h, problemBox } from "./dom.js";
import { LiveConnection } from "./live.js";
import { actionForm, hashFor } from "./page.js";
import { TrialContext } from "./trial.js";
import { mountAccount, passwordChangeForm } from "./views/account.js";
import { mountAccountPage } from "./views/account-page.js";
import { mountAccounts } from "./views/accounts.js";
import { ADMINISTER, mountAdministration, roleWaiting } from "./views/admin.js";
import { mountErasureRequests } from "./views/erasure.js";
import { mountAmendment, mountAmendmentList, mountNewAmendment } from "./views/amendments.js";
import { mountAudit } from "./views/audit.js";
import { mountDispute, mountDisputeList } from "./views/disputes.js";
import { mountDocument } from "./views/document.js";
import { inboxFollowed, inboxLink, mountInbox, stopWatchingInbox, watchInbox } from "./views/inbox.js";
import { mountMotion, mountMotionList } from "./views/motions.js";
import { mountProtocol } from "./views/protocol.js";
import { mountTrialHome, mountTrialList } from "./views/trials.js";

const main = document.getElementById("main");
const nav = document.getElementById("trial-nav");
const who = document.getElementById("who");
const liveStatus = document.getElementById("live-status");

/** ``me``: the signed-in user; ``systemRoles``: their roles across the installation
 * (system_admin, trial_creator, account_auditor), from ``GET /api/session``. */
const state = { me: null, systemRoles: [], context: null, opening: null, view: null, page: "", signedOutWhy: "" };

/** Whether the signed-in person may read account trails (the audit page links them). */
function readsAccounts() {
  return state.systemRoles.includes("system_admin") || state.systemRoles.includes("account_auditor");
}

const STATUS_TEXT = {
  connecting: "Connecting to live updates…",
  live: "Live",
  reconnecting: "Live updates interrupted; reconnecting…",
  revoked: "You may no longer read this trial.",
  offline: "Signed out.",
};

async function start() {
  window.addEventListener("concord:signed-out", () => signedOut());
  window.addEventListener("concord:password-change-required", passwordChangeRequired);
  window.addEventListener("hashchange", () => route());
  // After a change this page made, show it at once (live events confirm it later).
  window.addEventListener("concord:changed", () => state.view?.refresh?.());
  try {
    await loadSession();
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    if (error.status !== 401) fill(main, problemBox(error));
  }
  await route();
}

/** Who is signed in, with their system roles (the sign-in's answer names the user only). */
async function loadSession() {
  const session = await get("/api/session");
  state.systemRoles = session.system_roles ?? [];
  signedIn(session.user, session.csrf_token);
}

async function refreshSystemRoles() {
  let session;
  try {
    session = await get("/api/session");
  } catch (error) {
    // The session ended elsewhere (a password changed, an account disabled).
    if (error instanceof Problem && error.status === 401) {
      signedOut();
      return;
    }
    throw error;
  }
  const roles = session.system_roles ?? [];
  if (roles.join() !== state.systemRoles.join()) {
    state.systemRoles = roles;
    drawWho();
  }
}

function signedIn(user, csrfToken) {
  state.me = user;
  setCsrfToken(csrfToken);
  drawWho();
  followInbox();
}

/** Keep the header's inbox count current: one live connection to every trial the person
 * may read (opened again when those trials change; asked on the way to the trial list). */
async function followInbox() {
  if (!state.me || state.me.must_change_password) return;
  try {
    const trials = await get("/api/trials");
    const readable = trials.filter((t) => t.roles.length).map((t) => t.trial_id);
    if (state.me) watchInbox(readable);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
  }
}

/** The header's right side: who is signed in, their own pages, signing out. */
function drawWho() {
  const user = state.me;
  const signOut = h("button", { type: "button", class: "link" }, "Sign out");
  signOut.addEventListener("click", async () => {
    try {
      await del("/api/session");
    } finally {
      signedOut(null); // asked for: nothing to explain
    }
  });
  const roles = new Set(state.systemRoles);
  // Nothing but signing out is offered until the person has chosen their own password.
  const places = user.must_change_password
    ? []
    : [
        inboxLink(),
        h("a", { href: "#/account" }, "Your account"),
        roles.has("system_admin") || roles.has("account_auditor") ? h("a", { href: "#/accounts" }, "Accounts") : null,
      ];
  fill(who, h("span", { class: "me" }, user.printed_name), places, signOut);
}

/** The session ended: here (Sign out), or by the server (``reason``: what its live
 * connection said on closing, e.g. the account disabled), or a request answered 401. */
function signedOut(reason = "") {
  const wasSignedIn = state.me !== null;
  // The server's reasons are short phrases ("your account was disabled", "signed out:
  // sign in again"): made into one sentence.
  const said = (reason ?? "").replace(/^signed out:?\s*/i, "").replace(/\.$/, "");
  const why = said ? `You were signed out: ${said}.` : reason ? "You were signed out." : "Your session has ended. Sign in again to continue.";
  state.signedOutWhy = wasSignedIn && reason !== null ? why : "";
  state.me = null;
  state.systemRoles = [];
  stopWatchingInbox();
  setCsrfToken(null);
  closeTrial();
  fill(who);
  route();
}

/** The server refused a request until the password is changed (an administrator reset
 * it): show the form and nothing else. */
function passwordChangeRequired() {
  if (!state.me || state.me.must_change_password) return;
  state.me = { ...state.me, must_change_password: true };
  drawWho();
  route();
}

function showPasswordChange() {
  const form = passwordChangeForm({
    label: "Choose your own password",
    submit: "Set my password",
    onChanged: async (answer) => {
      setCsrfToken(answer.csrf_token);
      await loadSession();
      await route();
    },
  });
  fill(
    main,
    h(
      "section",
      { class: "narrow", "aria-labelledby": "choose-heading" },
      h("h1", { id: "choose-heading" }, "Choose your own password"),
      h(
        "p",
        {},
        `Welcome, ${state.me.printed_name}. Your password was set by someone else (an administrator, when creating your account or resetting its password), so it is not yours alone. Choose your own before using Concord: nothing else opens until you do.`,
      ),
      form,
    ),
  );
  form.querySelector("input")?.focus();
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
        await loadSession();
        await route();
      },
    },
    field("Username", username),
    field("Password", password),
  );
  const why = state.signedOutWhy ? h("p", { class: "warning", role: "status" }, state.signedOutWhy) : null;
  state.signedOutWhy = "";
  fill(main, h("section", { class: "narrow" }, h("h1", {}, "Sign in to Concord"), why, form));
  username.focus();
}

function closeTrial() {
  state.opening = null;
  state.view?.dispose?.();
  state.view = null;
  state.context?.live?.close();
  state.context = null;
  fill(nav);
  liveStatus.textContent = "";
}

/** The trial's context, opened once: two addresses of the same trial followed in quick
 * succession (a page's first route still loading when the next begins) share one opening
 * and one live connection. */
async function openTrial(trialId) {
  if (state.context?.trialId === trialId) return state.context;
  if (state.opening?.trialId === trialId) return state.opening.promise;
  closeTrial();
  const opening = { trialId };
  opening.promise = loadTrial(trialId, opening);
  state.opening = opening;
  try {
    return await opening.promise;
  } finally {
    if (state.opening === opening) state.opening = null;
  }
}

async function loadTrial(trialId, opening) {
  const context = new TrialContext(trialId, state.me);
  await context.load();
  // Another trial (or none) was asked for meanwhile: this one is not installed.
  if (state.opening !== opening) return context;
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
  "TrainingAttestationWithdrawn",
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
  audit: (c, rest, box) => mountAudit(c, box, readsAccounts()),
  admin: (c, rest, box) => mountAdministration(c, box),
};

/** The pages outside any trial: ``#/account``, ``#/accounts``, ``#/accounts/{user_id}``. */
const PERSONAL = {
  account: (rest, box) => mountAccount(state.me, box),
  inbox: (rest, box) => mountInbox(state.me, box),
  "erasure-requests": (rest, box) => mountErasureRequests(state.me, state.systemRoles, box),
  accounts: (rest, box) =>
    rest[0] ? mountAccountPage(state.me, state.systemRoles, rest[0], box) : mountAccounts(state.systemRoles, box),
};

/** Counts routes begun: a route that awaited while a later one began gives way to it. */
let routes = 0;

async function route() {
  const ticket = (routes += 1);
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (!state.me) {
    closeTrial();
    showSignIn();
    return;
  }
  if (state.me.must_change_password) {
    state.view?.dispose?.();
    state.view = null;
    closeTrial();
    showPasswordChange();
    return;
  }
  state.view?.dispose?.();
  state.view = null;
  const box = h("div", { class: "page" });
  fill(main, box);
  try {
    const personal = PERSONAL[parts[0]];
    if (personal || parts[0] !== "t" || !parts[1]) {
      closeTrial();
      // System roles granted or revoked since sign-in change what these pages offer
      // ("New trial", "Accounts"): asked again on the way in.
      await refreshSystemRoles();
      if (ticket !== routes || !state.me) return;
      if (!personal) followInbox(); // a trial joined since is listened to from here on
      state.view = personal ? personal(parts.slice(1), box) : mountTrialList(state.me, state.systemRoles, box);
    } else {
      const context = await openTrial(parts[1]);
      if (ticket !== routes) return;
      const page = (state.page = parts[2] ?? "");
      fill(nav, trialNav(context, page));
      const mount = PAGES[page];
      state.view = mount ? mount(context, parts.slice(3), box) : null;
      if (!mount) fill(box, problemBox({ title: "No such page", detail: location.hash }));
    }
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    if (ticket !== routes) return;
    closeTrial();
    // A member without a role yet (refused as anyone who may not read the trial): a page
    // that says so and opens the trial once a role arrives.
    const waiting = [403, 404].includes(error.status) && parts[0] === "t" ? await roleWaiting(parts[1], box, () => route()) : null;
    if (ticket !== routes) {
      waiting?.dispose();
      return;
    }
    if (waiting) state.view = waiting;
    else fill(box, problemBox(error));
  }
  // The inbox's connection was closed (a password changed on this page): opened again
  // once a page has been shown with the session (an ended one has signed out by now).
  if (state.me && !inboxFollowed()) followInbox();
  main.focus({ preventScroll: true });
}

start();
