// The trials a person belongs to, the invitations awaiting their answer, and a trial's
// overview: what waits for them there (their inbox's items of the trial).

import { get, post, trialPath } from "../api.js";
import { badge, field, h, humanize, utc } from "../dom.js";
import { actionButton, cards, confirmation, focusIn, hashFor, link, mountPage } from "../page.js";
import { foundingSection } from "./found.js";
import { trialInboxSection } from "./inbox.js";
import { commentsOf, loadAmendments } from "./records.js";
import { trialAtAGlance } from "./overview-charts.js";
import { loadSites, sitesSection } from "./sites.js";

/** ``systemRoles``: a trial creator is offered "New trial" (founding a trial). */
export function mountTrialList(me, systemRoles, box) {
  // Which invitation is being declined (its question stays open across rebuilds); the
  // status line says what the last answer did until the next one.
  const ui = { declining: null };
  const status = h("p", { class: "flash", role: "status", tabindex: "-1" });
  const content = h("div");
  box.append(status, content);
  const say = (...message) => {
    status.replaceChildren(...message);
    status.focus();
  };
  const handle = { box: content, refresh: () => view.refresh() };
  const view = mountPage(content, async () => {
    const [trials, invitations] = await Promise.all([get("/api/trials"), get("/api/invitations")]);
    if (!invitations.some((i) => i.invitation_id === ui.declining)) ui.declining = null;
    return h(
      "section",
      {},
      h("h1", {}, "Your trials"),
      invitations.length ? invitationsSection(me, invitations, ui, handle, say) : null,
      invitations.length ? h("h2", {}, "Trials you are a member of") : null,
      cards(trials, trialCard, `${me.printed_name} is not a member of any trial yet.`),
      systemRoles.includes("trial_creator") ? foundingSection(me) : null,
    );
  });
  return view;
}

function trialCard(trial) {
  // Roles are what let a member read a trial: someone who has just accepted an invitation
  // holds none until an administrator grants one.
  if (!trial.roles.length) {
    return [
      h("strong", {}, trial.title),
      h("p", {}, trial.trial_id),
      h("p", { class: "note" }, "You are a member without a role yet; you can open the trial once its administrators grant you one."),
    ];
  }
  return [link(hashFor(trial.trial_id), h("strong", {}, trial.title)), h("p", {}, trial.trial_id)];
}

function invitationsSection(me, invitations, ui, view, say) {
  return h(
    "section",
    { "aria-labelledby": "invitations-heading", class: "invitations" },
    h("h2", { id: "invitations-heading" }, "Invitations awaiting your answer"),
    h(
      "p",
      { class: "hint" },
      `Accepting makes you a member of the trial as ${me.printed_name}; its administrators can then record your training and grant you roles. Nobody is added without accepting.`,
    ),
    h(
      "ul",
      { class: "cards wide" },
      invitations.map((invitation) => invitationCard(invitation, ui, view, say)),
    ),
  );
}

function invitationCard(invitation, ui, view, say) {
  const { trial_id: trialId, invitation_id: id, trial_title: title, organization } = invitation;
  const path = (answer) => trialPath(trialId, "invitations", id, answer);
  const headingId = `invitation-${id}`;
  const accept = actionButton("Accept", async () => {
    await post(path("acceptance"));
    say(`You joined ${title} for ${organization.name}. It is listed under your trials below; its administrators grant you a role next.`);
  });
  const decline = h("button", { type: "button", class: "secondary", "data-decline": id }, "Decline…");
  decline.addEventListener("click", async () => {
    ui.declining = id;
    await view.refresh();
    focusIn(view.box, `form[data-decline="${CSS.escape(id)}"] textarea`);
  });
  return h(
    "li",
    { "aria-labelledby": headingId, class: "invitation" },
    h("h3", { id: headingId }, title),
    h(
      "p",
      {},
      `${invitation.invited_by} invited you to join for `,
      h("strong", {}, organization.name),
      ` (${humanize(organization.kind)}).`,
    ),
    h("p", { class: "meta" }, "Invited ", h("time", { datetime: invitation.invited_at }, utc(invitation.invited_at))),
    ui.declining === id ? declineForm(invitation, path("decline"), ui, view, say) : h("div", { class: "buttons" }, accept, decline),
  );
}

function declineForm(invitation, path, ui, view, say) {
  const reason = h("textarea", { name: "reason", rows: 2 });
  const { invitation_id: id, trial_title: title } = invitation;
  const form = confirmation(
    {
      label: `Decline the invitation to ${title}`,
      question: `Decline the invitation to ${title}? You will not join the trial. Its administrators will see that you declined, and your reason if you give one.`,
      confirm: "Decline invitation",
      keep: "Keep the invitation",
      onConfirm: async () => {
        await post(path, reason.value.trim() ? { reason: reason.value.trim() } : {});
        ui.declining = null;
        say(`You declined the invitation to ${title}.`);
      },
      onKeep: async () => {
        ui.declining = null;
        await view.refresh();
        focusIn(view.box, `button[data-decline="${CSS.escape(id)}"]`);
      },
    },
    field("Reason (optional)", reason),
  );
  form.dataset.decline = id;
  return form;
}

export function mountTrialHome(context, box) {
  return mountPage(box, async () => {
    const amendments = await loadAmendments(context);
    const waiting = await trialInboxSection(context);
    const mine = await myComments(context);
    const sites = await loadSites(context);
    const protocol = context.protocol;
    return h(
      "section",
      {},
      h("h1", {}, context.trial.title),
      h(
        "p",
        {},
        "Your roles: ",
        context.access.roles.length ? context.access.roles.map(humanize).join(", ") : "none",
      ),
      waiting,
      mine.length
        ? h(
            "section",
            { "aria-labelledby": "comments-heading" },
            h("h2", { id: "comments-heading" }, "Your comments and what became of them"),
            h(
              "ul",
              { class: "my-comments" },
              mine.map(({ kind, id, comment }) =>
                h(
                  "li",
                  {},
                  placeOf(context, kind, id),
                  ": “",
                  comment.text,
                  "” — ",
                  comment.disposition
                    ? h(
                        "span",
                        {},
                        badge(humanize(comment.disposition), comment.disposition),
                        ` by ${context.name(comment.dispositioned_by)}: ${comment.disposition_reason}`,
                      )
                    : comment.needs_disposition
                      ? badge("awaiting disposition", "pending")
                      : "no disposition needed",
                ),
              ),
            ),
          )
        : null,
      trialAtAGlance(context, amendments),
      sitesSection(context, sites),
      h(
        "section",
        { "aria-labelledby": "places-heading" },
        h("h2", { id: "places-heading" }, "In this trial"),
        h(
          "ul",
          { class: "cards" },
          h(
            "li",
            {},
            link(hashFor(context.trialId, "protocol"), h("strong", {}, "Protocol")),
            h(
              "p",
              {},
              !protocol
                ? "Not drafted yet"
                : protocol.current_version
                  ? `Version ${protocol.current_version} published`
                  : "Draft (not yet published)",
            ),
          ),
          h(
            "li",
            {},
            link(hashFor(context.trialId, "amendments"), h("strong", {}, "Amendments")),
            h("p", {}, `${amendments.filter((a) => ["draft", "submitted", "approved"].includes(a.status)).length} open`),
          ),
          h("li", {}, link(hashFor(context.trialId, "motions"), h("strong", {}, "Motions"))),
          h("li", {}, link(hashFor(context.trialId, "disputes"), h("strong", {}, "Disputes"))),
        ),
      ),
    );
  });
}

/** The person's comments on sections and amendments, in the order the threads began,
 * each with the place it is about (read from the trial's list of comment threads). */
async function myComments(context) {
  const listed = await get(trialPath(context.trialId, "comments"));
  const threads = await Promise.all(
    listed.map(async ({ subject_kind: kind, subject_id: id }) => ({ kind, id, thread: await commentsOf(context, kind, id) })),
  );
  return threads.flatMap(({ kind, id, thread }) =>
    Object.values(thread.comments)
      .filter((c) => c.author_id === context.me.user_id)
      .map((comment) => ({ kind, id, comment })),
  );
}

function placeOf(context, kind, id) {
  return kind === "section"
    ? link(hashFor(context.trialId, "protocol", id), `section ${id}`)
    : link(hashFor(context.trialId, "amendments", id), id);
}
