// A section's shared text in the browser: the Yjs document people type into together
// (docs/coediting.md). What this person types is sent as updates, one request at a time
// (what piles up meanwhile goes as one merged update), each with an idempotency key so a
// retry after a dropped connection records it once; the server records an update before
// anyone else sees it, and colleagues' updates arrive as events of the live connection.
// Typing never waits for the network: a lost connection keeps the text here and sends it
// when the server answers again. Carets travel with presence, never in the log.

import { Awareness, Y } from "/vendor/coediting.js";
import { get, request, trialPath } from "./api.js";

const REMOTE = "remote";
const RETRY_MS = [250, 500, 1000, 2000, 5000];
const CURSOR_EVERY_MS = 120;
const PALETTE = ["#b3261e", "#1b6e3a", "#1f4fa8", "#8a4b00", "#6b2fa0", "#00696b", "#a3195b", "#4d5b00"];

/** What a page says of a shared text's saving: one phrasing for every page. */
export function savingStatus(text) {
  if (text.refused) return `Not saved: ${text.refused.detail || text.refused.title}`;
  if (text.unreachable) return "Not sent yet: the server cannot be reached. What you type stays here and is sent when it can be.";
  return text.unsaved ? "Saving…" : "All changes saved.";
}

/** Every shared text open in this page: leaving it while one has unsent text warns. */
const open = new Set();
window.addEventListener("beforeunload", (event) => {
  if ([...open].some((text) => text.unsaved)) event.preventDefault();
});

export function colourOf(userId) {
  let hash = 0;
  for (const c of userId) hash = (hash * 31 + c.codePointAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

/** The shared text of a section of the draft protocol. */
export function sectionText(context, number, handlers) {
  return new SharedText(context, {
    number,
    stream: `trial/${context.trialId}/text/section/${number}`,
    path: trialPath(context.trialId, "protocol", "sections", number, "text"),
    ...handlers,
  });
}

/** The shared text of the change an amendment proposes to a section (presence names the
 * section and the amendment, so carets meet only in the same text). */
export function amendmentText(context, amendmentId, number, handlers) {
  return new SharedText(context, {
    number,
    amendment: amendmentId,
    stream: `trial/${context.trialId}/text/amendment/${amendmentId}/${number}`,
    path: trialPath(context.trialId, "amendments", amendmentId, "texts", number),
    ...handlers,
  });
}

export class SharedText {
  constructor(context, { number, amendment = null, stream, path, onChange, onRefused }) {
    this.context = context;
    this.number = number;
    this.amendment = amendment;
    this.stream = stream;
    this.path = path;
    this.doc = new Y.Doc();
    this.awareness = new Awareness(this.doc);
    this.onChange = onChange;
    this.onRefused = onRefused;
    this.pending = [];
    this.sending = false;
    this.refused = null;
    this.loaded = false;
    this.early = [];
    this.info = null;
    this.lastCursor = 0;
    this.doc.on("update", (update, origin) => {
      if (origin === REMOTE) return;
      this.pending.push(update);
      this.changed();
      this.flush();
    });
    this.awareness.on("change", (_, origin) => {
      if (origin === "local") this.sendCursor();
    });
    open.add(this);
  }

  /** Load the document. A text nobody has written in yet comes as its first state (the
   * same bytes on every server); the first update sent says which revision it was of, and
   * the server records that first state with it. */
  async open() {
    const answer = await get(this.path);
    this.info = answer;
    this.basedOn = answer.started ? null : answer.base_revision;
    Y.applyUpdate(this.doc, fromBase64(answer.state), REMOTE);
    this.loaded = true;
    this.receive(this.early.splice(0));
    return answer;
  }

  /** Colleagues' updates, as the live connection delivers events. */
  receive(events) {
    for (const event of events) {
      if (event.stream !== this.stream || !event.data.update) continue;
      if (this.info) this.info.started = true;
      if (!this.loaded) this.early.push(event);
      else Y.applyUpdate(this.doc, fromBase64(event.data.update), REMOTE);
    }
  }

  /** True when nobody has written in the text and the revision it would start from is no
   * longer the latest: open it again. */
  outdated(revision) {
    return this.loaded && !this.info.started && this.pending.length === 0 && !this.sending && revision !== this.info.base_revision;
  }

  /** True while something typed here is not yet recorded. */
  get unsaved() {
    return this.pending.length > 0 || this.sending;
  }

  changed() {
    if (this.closed && !this.unsaved) open.delete(this);
    if (!this.closed) this.onChange?.(this);
  }

  async flush() {
    if (this.sending || this.refused || !this.pending.length || !this.loaded) return;
    this.sending = true;
    const batch = this.pending.splice(0);
    const body = { update: toBase64(Y.mergeUpdates(batch)) };
    if (this.basedOn !== null) body.based_on = this.basedOn;
    const headers = { "Idempotency-Key": newKey() };
    for (let failures = 0; ; failures += 1) {
      try {
        await request("POST", `${this.path}/updates`, body, { headers, quiet: true });
        this.basedOn = null;
        this.info.started = true;
        this.unreachable = false;
        break;
      } catch (problem) {
        if (retryable(problem)) {
          this.unreachable = problem.status === 0;
          this.changed();
          await pause(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]);
          continue;
        }
        this.refused = problem;
        this.pending.unshift(...batch);
        this.onRefused?.(problem);
        break;
      }
    }
    this.sending = false;
    this.changed();
    if (this.pending.length) this.flush();
  }

  /** Tell colleagues where this person's caret is (at most every CURSOR_EVERY_MS). */
  sendCursor() {
    if (this.closed) return; // a closed text no longer says where the person is
    const wait = this.lastCursor + CURSOR_EVERY_MS - Date.now();
    if (wait > 0) {
      clearTimeout(this.cursorTimer);
      this.cursorTimer = setTimeout(() => this.sendCursor(), wait);
      return;
    }
    this.lastCursor = Date.now();
    const cursor = this.awareness.getLocalState()?.cursor ?? null;
    this.context.live?.setPresence(this.number, "editing", cursor, this.amendment);
  }

  /** Show colleagues' carets from the trial's roster. */
  showCursors(present) {
    const shown = new Set();
    for (const person of present ?? []) {
      if (person.section !== this.number || (person.amendment ?? null) !== this.amendment || !person.cursor) continue;
      const id = clientIdOf(person.user_id);
      shown.add(id);
      this.awareness.states.set(id, {
        user: { name: person.name, color: colourOf(person.user_id) },
        cursor: person.cursor,
      });
    }
    const removed = [];
    for (const id of this.awareness.states.keys()) {
      if (id !== this.doc.clientID && !shown.has(id)) removed.push(id);
    }
    for (const id of removed) this.awareness.states.delete(id);
    this.awareness.emit("change", [{ added: [], updated: [...shown], removed }, REMOTE]);
  }

  /** Stop showing the text; what is still unsent goes on being sent (and leaving the
   * page warns until it is). */
  close() {
    this.closed = true;
    clearTimeout(this.cursorTimer);
    this.awareness.destroy();
    this.changed();
  }
}

/** Worth sending again (the same update, the same key): the network, the server's load,
 * or other writers who kept the stream busy. A refusal of the update itself is not. */
function retryable(problem) {
  const busy = problem.status === 409 && String(problem.body?.type ?? "").endsWith("/concurrent-change");
  return busy || problem.status === 0 || problem.status === 408 || problem.status === 429 || problem.status >= 500;
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function clientIdOf(userId) {
  let hash = 7;
  for (const c of userId) hash = (hash * 33 + c.codePointAt(0)) >>> 0;
  return hash;
}

function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
