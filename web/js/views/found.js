// Founding a trial, for trial creators: the trial's id and title and the founder's
// organization. The founder's training is not typed here: the server takes what a system
// administrator attested for the account, and says which course is missing if any.

import { post } from "../api.js";
import { field, h, humanize } from "../dom.js";
import { actionForm, hashFor } from "../page.js";
import { ORGANIZATION_KINDS } from "./charter.js";

const ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}";

/** An id from a name, when the person leaves the id empty. */
function idFrom(name) {
  return name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
}

export function foundingSection(me) {
  const trialId = h("input", { name: "trial_id", required: true, pattern: ID_PATTERN, autocomplete: "off", spellcheck: "false" });
  const title = h("input", { name: "title", required: true, autocomplete: "off" });
  const organization = h("input", { name: "organization_name", required: true, autocomplete: "organization" });
  const organizationId = h("input", { name: "organization_id", pattern: ID_PATTERN, autocomplete: "off", spellcheck: "false" });
  const kind = h(
    "select",
    { name: "organization_kind", required: true },
    h("option", { value: "" }, "Choose a kind"),
    ORGANIZATION_KINDS.map((k) => h("option", { value: k, selected: k === "sponsor" }, humanize(k))),
  );
  const form = actionForm(
    {
      label: "Found a trial",
      submit: "Found trial",
      onSubmit: async () => {
        const id = trialId.value.trim();
        await post("/api/trials", {
          trial_id: id,
          title: title.value.trim(),
          organization_name: organization.value.trim(),
          organization_id: organizationId.value.trim() || idFrom(organization.value),
          organization_kind: kind.value,
        });
        location.hash = hashFor(id);
      },
    },
    h(
      "div",
      { class: "row" },
      field("Trial id", trialId, "Short and permanent, e.g. “copd-202”: letters, digits, dots, dashes."),
      field("Title", title),
    ),
    h(
      "div",
      { class: "row" },
      field("Your organization", organization),
      field("Organization id", organizationId, "Optional; made from the name when empty."),
      field("Kind", kind),
    ),
  );
  return h(
    "details",
    { class: "found-trial" },
    h("summary", {}, "New trial"),
    h(
      "p",
      { class: "hint" },
      `You become the trial's first administrator, as ${me.printed_name} of your organization. Your training comes from what a system administrator attested for your account.`,
    ),
    form,
  );
}
