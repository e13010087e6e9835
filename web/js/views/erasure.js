// Erasing a person's personal data, in the web: on an account's page a system administrator
// requests it (for a disabled account), follows its approvals and may withdraw it; those
// who may approve (a trial's erasure approver by its charter, or a second system
// administrator) approve on #/erasure-requests, which their inbox links to. Every step is
// asked first; the server decides, and its refusal is shown beside the button.

import { Problem, get, post } from "../api.js";
import { h, humanize, timeElement } from "../dom.js";
import { actionButton, confirmation, focusIn, link, mountPage } from "../page.js";
import { askedForm, reasonField } from "./asked-form.js";
import { refreshInbox } from "./inbox.js";
import { accountHash, accountPath, notAllowed, statusLine } from "./accounts.js";

export const ERASURE_REQUESTS_HASH = "#/erasure-requests";
const erasurePath = (userId, ...segments) => accountPath(userId, "personal-data", "erasure", ...segments);

/** The trials ``ids`` as the reader may read them: id -> {title, names} (a trial they may
 * not read is left out, and shows by its id). */
export async function readTrials(ids) {
  const trials = new Map();
  await Promise.all(
    [...new Set(ids)].filter(Boolean).map(async (id) => {
      try {
        const trial = await get(`/api/trials/${encodeURIComponent(id)}`);
        const names = new Map(Object.values(trial.members ?? {}).map((m) => [m.user_id, m.printed_name]));
        trials.set(id, { title: trial.title || id, names });
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
      }
    }),
  );
  return trials;
}

/** The people the reader may name: the trials' members, then ``names`` (accounts). */
function namer(trials, names) {
  const known = new Map(names);
  for (const trial of trials.values()) for (const [id, name] of trial.names) if (!known.has(id)) known.set(id, name);
  return (userId) => known.get(userId) ?? userId;
}

const trialTitle = (trials, id) => (id ? trials.get(id)?.title ?? id : "A second system administrator (the person took part in no trial)");

/** When each approval of the pending request was recorded, from the account's trail
 * (``trail``: its entries, oldest first; absent for readers of no trail): trial -> time. */
function approvalTimes(trail) {
  const times = new Map();
  for (const entry of trail ?? []) {
    if (entry.type === "PersonalDataErasureRequested") times.clear();
    if (entry.type === "PersonalDataErasureApproved") times.set(entry.data?.trial_id ?? null, entry.recorded_at);
  }
  return times;
}

/** A pending request: who asked, when and why, then each trial that must approve, with
 * who approved and when, or the roles its charter names and who holds them now. */
function requestState(request, trials, nameOf, trail) {
  const times = approvalTimes(trail);
  const given = new Map(request.approvals.map((a) => [a.trial_id, a]));
  const waiting = new Map(request.awaiting.map((a) => [a.trial_id, a]));
  const concerned = request.trials.length ? request.trials : [null];
  return h(
    "div",
    { class: "erasure-request" },
    h(
      "p",
      {},
      `Requested by ${nameOf(request.requested_by)}`,
      request.requested_at ? [" on ", timeElement(request.requested_at)] : null,
      `. Reason: ${request.reason}`,
    ),
    h(
      "ul",
      { class: "plain erasure-approvals", "aria-label": "Approvals" },
      concerned.map((trialId) => {
        const approval = given.get(trialId);
        const title = h("strong", {}, trialTitle(trials, trialId));
        if (approval) {
          const at = times.get(trialId);
          return h("li", { class: "approved" }, title, `: approved by ${nameOf(approval.approved_by)}`, at ? [" on ", timeElement(at)] : null);
        }
        const still = waiting.get(trialId);
        const roles = (still?.roles ?? []).map(humanize).join(" or ");
        const who = (still?.approvers ?? []).map(nameOf).join(", ") || "nobody holds it now";
        return h("li", { class: "awaiting" }, title, `: awaiting approval by a ${roles || "member its charter names"} (${who})`);
      }),
    ),
  );
}

/** The "Personal data" section of an account's page, for a system administrator:
 * request the erasure (once the account is disabled), follow it, withdraw it. */
export async function erasureSection(ctx, account, trail, names) {
  const request = await get(erasurePath(account.user_id));
  const pending = request.status === "pending";
  const trials = pending ? await readTrials(request.trials) : new Map();
  const nameOf = namer(trials, names);
  const who = account.printed_name;
  let body;
  if (pending) {
    body = [
      h("p", {}, `An erasure of ${who}'s personal data is requested. Nothing is erased until every trial below approves.`),
      requestState(request, trials, nameOf, trail),
      request.awaiting.some((a) => a.trial_id === null) ? h("p", {}, link(ERASURE_REQUESTS_HASH, "Erasures awaiting your approval")) : null,
      h(
        "div",
        { class: "admin-form" },
        h("h3", {}, "Withdraw the request"),
        askedForm(
          ctx,
          {
            key: "erasure-withdraw",
            label: `Withdraw the erasure of ${who}'s personal data`,
            submit: "Withdraw the request…",
            confirm: "Withdraw the request",
            destructive: false,
            question: () => `Withdraw the request to erase ${who}'s personal data? Nothing is erased, and the approvals given no longer count.`,
            run: (v) => post(erasurePath(account.user_id, "withdrawal"), { reason: v.reason }),
            done: () => `The request to erase ${who}'s personal data is withdrawn; nothing was erased.`,
          },
          reasonField("Reason for withdrawing"),
        ),
      ),
    ];
  } else if (account.erased) {
    body = h("p", {}, "This person's personal data is erased: their name reads “[erased]” everywhere.");
  } else if (!account.disabled) {
    body = h("p", { class: "note" }, "An erasure of personal data can be requested only for a disabled account: disable the account first, with its reason (Access, above).");
  } else {
    body = h(
      "div",
      { class: "admin-form" },
      h("h3", {}, "Request erasure of personal data"),
      h("p", { class: "hint" }, "Each trial the person took part in approves through its charter; the last approval erases their data."),
      askedForm(
        ctx,
        {
          key: "erasure-request",
          label: `Request erasure of ${who}'s personal data`,
          submit: "Request erasure of personal data…",
          confirm: "Request erasure",
          question: () => `Request the erasure of ${who}'s personal data? Once every trial they took part in approves, their name, username and other personal data read “[erased]” everywhere, and that cannot be undone.`,
          run: (v) => post(erasurePath(account.user_id), { reason: v.reason }),
          done: () => `The erasure of ${who}'s personal data is requested; it awaits the approvals listed under Personal data.`,
        },
        reasonField("Reason for erasure"),
      ),
    );
  }
  return h("section", { "aria-labelledby": "personal-data-heading" }, h("h2", { id: "personal-data-heading" }, "Personal data"), body);
}

/** #/erasure-requests: the pending erasures the signed-in person may approve, each with
 * its state and an Approve… per trial (or as the second system administrator). */
export function mountErasureRequests(me, systemRoles, box) {
  const admin = systemRoles.includes("system_admin");
  // ``asking``: the approval whose question is open ({key, ...}); ``said``: the outcome.
  const ui = { asking: null, said: "" };
  const refresh = () => view.refresh();
  const say = async (message) => {
    ui.said = message;
    ui.asking = null;
    await refresh();
    focusIn(box, ".accounts-status");
  };
  const view = mountPage(box, async () => {
    if (!me) return notAllowed("Erasures awaiting your approval", "Sign in to see what awaits your approval.");
    const [requests, accounts] = await Promise.all([
      get("/api/personal-data/erasure-requests?awaiting=me"),
      admin ? get("/api/accounts") : Promise.resolve([]),
    ]);
    const trials = await readTrials(requests.flatMap((r) => r.trials));
    const nameOf = namer(trials, new Map([...accounts.map((a) => [a.user_id, a.printed_name]), [me.user_id, me.printed_name]]));
    return h(
      "section",
      {},
      h("p", {}, link("#/inbox", "Inbox")),
      h("h1", {}, "Erasures awaiting your approval"),
      h("p", { class: "meta" }, "A system administrator asked that these people's personal data be erased. Each trial they took part in approves through its charter; the last approval erases it."),
      statusLine(ui.said),
      requests.length
        ? h("ul", { class: "cards" }, requests.map((request) => h("li", {}, requestCard({ ui, say, box, refresh }, request, trials, nameOf, admin))))
        : h("p", {}, "No erasure of personal data awaits your approval."),
    );
  });
  return view;
}

function requestCard(ctx, request, trials, nameOf, admin) {
  const person = nameOf(request.user_id);
  const headingId = `erasure-${request.user_id}`;
  return h(
    "article",
    { "aria-labelledby": headingId },
    h("h2", { id: headingId }, admin ? link(accountHash(request.user_id), `Personal data of ${person}`) : `Personal data of ${person}`),
    requestState(request, trials, nameOf, null),
    request.yours.map((trialId) => approveControl(ctx, request, trialId, person, trials)),
  );
}

function approveControl(ctx, request, trialId, person, trials) {
  const { ui } = ctx;
  const key = `${request.user_id}|${trialId ?? ""}`;
  const forWhom = trialId ? `for ${trialTitle(trials, trialId)}` : "as the second system administrator";
  const label = `Approve erasing ${person}'s personal data ${forWhom}`;
  if (ui.asking?.key !== key) {
    return actionButton(`Approve ${forWhom}…`, async () => {
      ui.asking = { key };
      await ctx.refresh();
      focusIn(ctx.box, `form[aria-label="${CSS.escape(label)}"] button[type="submit"]`);
    }, { className: "destructive" });
  }
  return confirmation({
    label,
    question: `Approve erasing ${person}'s personal data ${forWhom}? When the last approval is given, their name, username and other personal data become “[erased]” everywhere: in every trial, its audit trail and its exports. This cannot be undone.`,
    confirm: "Approve erasure",
    keep: "Do not approve",
    className: "destructive",
    onConfirm: async () => {
      const answer = await post(erasurePath(request.user_id, "approvals"), { trial_id: trialId });
      refreshInbox(); // the header's count: an erasure is no trial's live event
      if (answer.status === "erased") {
        await ctx.say(`${person}'s personal data is erased: it now reads “[erased]” everywhere.`);
      } else {
        const left = answer.awaiting.map((a) => trialTitle(trials, a.trial_id)).join(", ");
        await ctx.say(`Your approval ${forWhom} is recorded. Still awaiting: ${left}.`);
      }
    },
    onKeep: async () => {
      ui.asking = null;
      await ctx.refresh();
      focusIn(ctx.box, ".action-button button");
    },
  });
}
