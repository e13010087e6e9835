// Rebasing an amendment in conflict: another amendment, merged meanwhile, changed a
// section this one changes too. For each section in conflict the author sees the text the
// current version has and writes the text to propose now (starting from what this
// amendment proposed), or drops this amendment's change to it; the amendment then rests on
// the current version (AmendmentRebased, in the log). The content changes, so signatures
// given before no longer count.

import { post } from "../api.js";
import { field, h } from "../dom.js";
import { actionForm } from "../page.js";

export function rebasePanel(context, amendment, path) {
  const conflict = amendment.conflict;
  const onto = context.protocol?.current_version;
  if (!conflict || !onto || !context.can("amendment:author")) return null;
  const rows = conflict.sections.map((number) => {
    const change = amendment.changes[number];
    // a change that removes the section keeps removing it: no text to write
    const removes = change.text === null;
    const text = removes ? null : h("textarea", { name: `text-${number}`, rows: 8, value: change.text });
    const drop = h("input", { type: "checkbox", name: `drop-${number}` });
    return { number, change, text, drop };
  });
  const note = h("input", { name: "rebase_note" });
  const resolutions = () =>
    rows.map(({ number, change, text, drop }) => ({
      number,
      change: drop.checked
        ? null
        : {
            number,
            heading: change.heading,
            text: text ? text.value : null,
            description: change.description,
            rationale: change.rationale,
          },
    }));
  return h(
    "section",
    { class: "rebase", "aria-labelledby": "rebase-heading" },
    h("h2", { id: "rebase-heading" }, `Rebase onto version ${onto}`),
    h(
      "p",
      {},
      `This amendment was written against version ${amendment.base_version}; `,
      `${conflict.merged_amendments.join(", ")} changed ${conflict.sections.join(", ")} since. `,
      `Write the text each section should have on version ${onto}, or drop this amendment's change to it. `,
      "Rebasing changes the content: signatures given before no longer count.",
    ),
    actionForm(
      {
        label: "Rebase",
        submit: `Rebase onto version ${onto}`,
        onSubmit: () => post(path("rebase"), { onto_version: onto, resolutions: resolutions(), note: note.value }),
      },
      rows.map(({ number, change, text, drop }) =>
        h(
          "fieldset",
          {},
          h("legend", {}, `${number} ${change?.heading ?? ""}`.trim()),
          h(
            "figure",
            {},
            h("figcaption", {}, `Section ${number} on version ${onto}`),
            h("pre", { class: "conflict-text" }, context.section(number)?.text ?? "(no longer in the protocol)"),
          ),
          text
            ? field(`Text of ${number} to propose on version ${onto}`, text, "Starts from what this amendment proposed.")
            : h("p", {}, `This amendment removes section ${number}; rebasing keeps the removal unless you drop the change.`),
          h("label", { class: "check" }, drop, ` Drop this amendment's change to ${number}`),
        ),
      ),
      field("Note (optional)", note),
    ),
  );
}
