// What may be decided about an amendment, offered only to those the server would let
// decide it: submitting (its authors), merging (who may merge, once approved), rejecting
// (an approver who did not write it) and withdrawing (its opener or the sponsor's
// signatories). Rejecting and withdrawing cannot be undone: they are styled as
// destructive and asked first, with the reason.

import { post } from "../api.js";
import { field, h } from "../dom.js";
import { actionButton, actionForm, confirmation, focusIn } from "../page.js";
import { today } from "./protocol.js";

const OPEN = new Set(["draft", "submitted", "approved"]);

/** Whether the person could reject: the amendment is submitted, they did not write it,
 * and an approval it requires admits their roles (as the domain's rule). */
export function mayReject(context, amendment) {
  return (
    amendment.status === "submitted" &&
    context.can("amendment:reject") &&
    !amendment.authors.includes(context.me.user_id) &&
    amendment.required_signatures.some((r) => r.meaning === "approval" && context.admits(r.signatories))
  );
}

/** Whether the person could withdraw: an open amendment they opened, or one the sponsor's
 * approvers may withdraw (the route needs amendment:author). */
export function mayWithdraw(context, amendment) {
  if (!OPEN.has(amendment.status) || !context.can("amendment:author")) return false;
  const sponsor = context.trial?.charter?.approval?.sponsor_approval;
  return amendment.opened_by === context.me.user_id || Boolean(sponsor && context.admits(sponsor));
}

/** The header's actions. ``ui.asking`` is "reject" or "withdraw" while that question is
 * open; ``ui.say`` announces what happened. */
export function decisions(context, amendment, path, ui) {
  const isAuthor = amendment.authors.includes(context.me.user_id);
  const items = [];
  if (amendment.status === "draft" && isAuthor && context.can("amendment:author")) {
    items.push(
      actionButton("Submit for review", async () => {
        await post(path("submission"), {});
        ui.say("Submitted for review: the signatures it needs are asked for.");
      }),
    );
  }
  if (amendment.status === "approved" && context.can("amendment:merge")) {
    const date = h("input", { type: "date", name: "effective_date", required: true, value: today() });
    items.push(
      actionForm(
        {
          label: "Merge",
          submit: "Merge into a new protocol version",
          className: "compact",
          onSubmit: async () => {
            await post(path("merge"), { effective_date: date.value });
            ui.say("Merged: the protocol has a new version.");
          },
        },
        field("Effective date", date),
      ),
    );
  }
  for (const [kind, allowed] of [
    ["reject", mayReject(context, amendment)],
    ["withdraw", mayWithdraw(context, amendment)],
  ]) {
    if (!allowed) continue;
    items.push(ui.asking === kind ? question(context, amendment, kind, path, ui) : opener(kind, ui));
  }
  return items.length ? h("div", { class: "amendment-actions", role: "group", "aria-label": "Decide" }, items) : null;
}

const WORDS = {
  reject: {
    open: "Reject…",
    question: (id) => `Reject amendment ${id}? It is closed for good: nobody can sign or merge it afterwards. Its authors are told your reason.`,
    confirm: "Reject amendment",
    keep: "Keep it under review",
    label: "Reason for rejecting",
    route: "rejection",
    done: (id) => `Amendment ${id} is rejected.`,
  },
  withdraw: {
    open: "Withdraw…",
    question: (id) => `Withdraw amendment ${id}? It is closed for good: nobody can sign or merge it afterwards.`,
    confirm: "Withdraw amendment",
    keep: "Keep it open",
    label: "Reason for withdrawing",
    route: "withdrawal",
    done: (id) => `Amendment ${id} is withdrawn.`,
  },
};

function opener(kind, ui) {
  const button = h("button", { type: "button", class: "destructive", "data-ask": kind }, WORDS[kind].open);
  button.addEventListener("click", async () => {
    ui.asking = kind;
    await ui.refresh();
    focusIn(ui.box, `form[data-asking="${kind}"] textarea`);
  });
  return button;
}

function question(context, amendment, kind, path, ui) {
  const words = WORDS[kind];
  const reason = h("textarea", { name: `${kind}_reason`, rows: 2, required: true });
  const form = confirmation(
    {
      label: words.confirm,
      question: words.question(amendment.amendment_id),
      confirm: words.confirm,
      keep: words.keep,
      className: "destructive",
      onConfirm: async () => {
        await post(path(words.route), { reason: reason.value });
        ui.asking = null;
        ui.say(words.done(amendment.amendment_id));
      },
      onKeep: async () => {
        ui.asking = null;
        await ui.refresh();
        focusIn(ui.box, `button[data-ask="${kind}"]`);
      },
    },
    field(words.label, reason),
  );
  form.dataset.asking = kind;
  return form;
}
