// The M11 amendment details form (opening and revising) and the section-change form.

import { get } from "../api.js";
import { field, h, uid } from "../dom.js";

let reasonsCache = null;

/** The M11 list of amendment reasons, as the server's OpenAPI document states it. */
export async function amendmentReasons() {
  if (!reasonsCache) {
    const document = await get("/openapi.json");
    reasonsCache = document.components.schemas.AmendmentDetails.properties.primary_reason.enum;
  }
  return reasonsCache;
}

function impactQuestion(name, question, initial) {
  const id = uid(name);
  // The group's name is stable (one form holds each question once), so an answer survives
  // a live rebuild of the page; the ids only pair labels.
  const yes = h("input", { type: "radio", name: `${name}-likely`, value: "yes", id: `${id}-yes`, required: true, checked: initial?.likely === true });
  const no = h("input", { type: "radio", name: `${name}-likely`, value: "no", id: `${id}-no`, checked: initial?.likely === false });
  const explanation = h("textarea", { name: `${name}-explanation`, rows: 2, required: true, value: initial?.explanation ?? "" });
  const node = h(
    "fieldset",
    { class: "question" },
    h("legend", {}, question),
    h("div", { class: "choices" }, h("label", { for: yes.id }, yes, " Yes"), h("label", { for: no.id }, no, " No")),
    field("Explanation", explanation),
  );
  return { node, value: () => ({ likely: yes.checked, explanation: explanation.value }) };
}

/** Fields for the M11 amendment details; ``value()`` gives the API's AmendmentDetails. */
export function detailsFields(reasons, initial) {
  const summary = h("textarea", { name: "summary", rows: 2, required: true, value: initial?.summary ?? "" });
  const primary = h(
    "select",
    { name: "primary_reason", required: true },
    h("option", { value: "" }, "Choose the primary reason"),
    reasons.map((r) => h("option", { value: r, selected: initial?.primary_reason === r }, r)),
  );
  const secondary = reasons.map((r) => {
    const box = h("input", { type: "checkbox", name: "secondary_reasons", value: r, id: uid("reason"), checked: initial?.secondary_reasons?.includes(r) });
    return { reason: r, box, node: h("label", { for: box.id }, box, ` ${r}`) };
  });
  const safety = impactQuestion(
    "safety",
    "Is the amendment likely to have a substantial impact on the safety or rights of participants?",
    initial?.safety_or_rights_impact,
  );
  const data = impactQuestion(
    "data",
    "Is the amendment likely to have a substantial impact on the reliability and robustness of the data?",
    initial?.data_reliability_impact,
  );
  const enrollment = h("input", { type: "number", name: "enrollment", min: 0, required: true, value: String(initial?.enrollment?.value ?? 0) });
  const unit = h(
    "select",
    { name: "enrollment_unit" },
    ["percent", "participants"].map((u) => h("option", { value: u, selected: initial?.enrollment?.unit === u }, u)),
  );
  const countries = h("input", { name: "countries", value: (initial?.scope?.countries ?? []).join(", ") });
  const sites = h("input", { name: "sites", value: (initial?.scope?.sites ?? []).join(", ") });
  const list = (input) => input.value.split(",").map((s) => s.trim()).filter(Boolean);
  const nodes = [
    field("Amendment summary", summary),
    field("Primary reason", primary),
    h("fieldset", { class: "reasons" }, h("legend", {}, "Secondary reasons"), h("div", { class: "checks" }, secondary.map((s) => s.node))),
    safety.node,
    data.node,
    h("div", { class: "row" }, field("Enrollment at the time of the amendment", enrollment), field("Counted as", unit)),
    h(
      "div",
      { class: "row" },
      field("Countries (scope)", countries, "Comma-separated; leave both empty for a global amendment."),
      field("Sites (scope)", sites),
    ),
  ];
  const value = () => ({
    summary: summary.value,
    primary_reason: primary.value,
    secondary_reasons: secondary.filter((s) => s.box.checked).map((s) => s.reason),
    safety_or_rights_impact: safety.value(),
    data_reliability_impact: data.value(),
    enrollment: { value: Number(enrollment.value), unit: unit.value },
    scope: { countries: list(countries), sites: list(sites) },
  });
  return { nodes, value };
}
