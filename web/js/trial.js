// What the pages of one trial share: the workspace (people, organizations, charter),
// what the signed-in person may attempt in it, and the protocol.

import { Problem, get, trialPath } from "./api.js";

export class TrialContext {
  constructor(trialId, me) {
    this.trialId = trialId;
    this.me = me;
    this.trial = null;
    this.access = { roles: [], actions: [] };
    this.protocol = null;
    this.live = null;
  }

  async load() {
    await Promise.all([this.loadWorkspace(), this.loadProtocol()]);
  }

  async loadWorkspace() {
    const [trial, access] = await Promise.all([
      get(trialPath(this.trialId)),
      get(trialPath(this.trialId, "access")),
    ]);
    this.trial = trial;
    this.access = access;
  }

  async loadProtocol() {
    try {
      this.protocol = await get(trialPath(this.trialId, "protocol"));
    } catch (error) {
      if (!(error instanceof Problem) || error.status !== 404) throw error;
      this.protocol = null;
    }
  }

  /** True when the person's roles allow them to attempt ``action`` (rbac.Action value). */
  can(action) {
    return this.access.actions.includes(action);
  }

  name(userId) {
    return this.trial?.members?.[userId]?.printed_name ?? userId;
  }

  get member() {
    return this.trial?.members?.[this.me.user_id] ?? null;
  }

  get organizationKind() {
    const member = this.member;
    return member ? this.trial.organizations[member.organization_id]?.kind : null;
  }

  /** True when the person may give a signature of ``signatories`` ({roles, organization_kinds}). */
  admits(signatories) {
    return (
      signatories.roles.some((role) => this.access.roles.includes(role)) &&
      signatories.organization_kinds.includes(this.organizationKind)
    );
  }

  isParticipantFacing(number) {
    const facing = this.trial?.charter?.approval?.participant_facing_sections ?? [];
    return facing.some((s) => number === s || number.startsWith(`${s}.`));
  }

  section(number) {
    return this.protocol?.sections.find((s) => s.number === number) ?? null;
  }

  get published() {
    return (this.protocol?.current_version ?? 0) > 0;
  }
}

/** Members' names in order, for choosing people. */
export function membersOf(context) {
  return Object.values(context.trial.members).sort((a, b) =>
    a.printed_name.localeCompare(b.printed_name),
  );
}
