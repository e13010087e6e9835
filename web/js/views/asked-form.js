// A form that asks before it acts (a destructive step: disabling an account, revoking a
// role, erasing personal data): its submission shows the question; confirming runs it,
// keeping returns the form with what was typed. Used by the account pages.

import { field, h } from "../dom.js";
import { actionForm, confirmation, focusIn } from "../page.js";

/** A form whose submission first asks ``question(values)``; confirming runs ``run``. */
export function askedForm(ctx, { key, label, submit, confirm, question, run, done, destructive = true }, ...fields) {
  const className = destructive ? "destructive" : "";
  const { ui } = ctx;
  if (ui.asking?.key === key) {
    const asked = ui.asking;
    const form = confirmation({
      label,
      question: asked.question,
      confirm,
      className,
      keep: "Keep things as they are",
      onConfirm: async () => {
        const outcome = await run(asked.values);
        await ctx.say(done(asked.values, outcome));
      },
      onKeep: async () => {
        // The form comes back with what was typed.
        ui.kept = asked;
        ui.asking = null;
        await ctx.refresh();
        focusIn(ctx.box, `form[aria-label="${CSS.escape(label)}"] button[type="submit"]`);
      },
    });
    return form;
  }
  const form = actionForm(
    {
      label,
      submit,
      className,
      onSubmit: async () => {
        const values = Object.fromEntries(new FormData(form).entries());
        ui.asking = { key, values, question: question(values) };
        await ctx.refresh();
        focusIn(ctx.box, `form[aria-label="${CSS.escape(label)}"] button[type="submit"]`);
      },
    },
    fields,
  );
  if (ui.kept?.key === key) {
    for (const [name, value] of Object.entries(ui.kept.values)) {
      if (form.elements[name]) form.elements[name].value = value;
    }
    ui.kept = null;
  }
  return form;
}

export function reasonField(label) {
  return field(label, h("textarea", { name: "reason", rows: 2, required: true }));
}
