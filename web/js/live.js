// The live connection of one trial, or of all the person's trials (docs/live.md): events
// as they commit, presence, and reconnection that resumes after the last position seen,
// so nothing is missed.

const RETRY_MS = [500, 1000, 2000, 5000, 10000];
/** The server sends a heartbeat every 15 s: after this long without a word, the
 * connection is taken for dead even if it never closed (the network gone, a half-open
 * TCP connection) and a new one resumes after the last position seen. */
const SILENT_MS = 35000;

export class LiveConnection {
  constructor(trialId, { onEvents, onPresence, onReady, onStatus, onSignedOut }) {
    this.trialId = trialId;
    this.handlers = { onEvents, onPresence, onReady, onStatus, onSignedOut };
    this.position = null;
    this.presence = { section: null, activity: "viewing" };
    this.socket = null;
    this.closed = false;
    this.failures = 0;
    this.connect();
  }

  connect() {
    // No trial: every trial the person may read (the inbox's connection).
    const query = new URLSearchParams(this.trialId ? { trial: this.trialId } : {});
    if (this.position !== null) query.set("after", String(this.position));
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/api/live?${query}`);
    this.socket = socket;
    this.handlers.onStatus("connecting");
    socket.addEventListener("message", (message) => {
      this.watch();
      this.receive(JSON.parse(message.data));
    });
    socket.addEventListener("close", (closing) => this.closedBy(socket, closing.code, closing.reason));
    this.watch();
  }

  /** (Re)start waiting for the next word from the server. */
  watch() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.silent(), SILENT_MS);
  }

  /** Nothing came for SILENT_MS: drop the connection (its late close is not ours any
   * more) and connect again. */
  silent() {
    if (this.closed || !this.socket) return;
    const dead = this.socket;
    this.socket = null;
    dead.close();
    this.retry();
  }

  receive(message) {
    switch (message.type) {
      case "events":
        for (const event of message.events) this.advance(event.position);
        this.handlers.onEvents(message.events);
        break;
      case "presence":
        if (message.trial === this.trialId) this.handlers.onPresence(message.present);
        break;
      case "ready":
        this.advance(message.position);
        this.failures = 0;
        this.sendPresence();
        this.handlers.onStatus("live");
        this.handlers.onReady();
        break;
      case "heartbeat":
      case "pong":
        this.advance(message.position);
        break;
      case "revoked":
        this.handlers.onStatus("revoked");
        break;
      default:
        break;
    }
  }

  advance(position) {
    if (this.position === null || position > this.position) this.position = position;
  }

  /** ``reason``: what the server said on closing (a disabled account, a password reset),
   * passed on to be shown when the person is signed out. */
  closedBy(socket, code, reason = "") {
    if (socket !== this.socket || this.closed) return;
    if (code === 4401) {
      this.handlers.onStatus("offline");
      this.handlers.onSignedOut(reason);
      return;
    }
    if (code === 4403) {
      this.handlers.onStatus("revoked");
      return;
    }
    this.retry();
  }

  retry() {
    clearTimeout(this.watchdog);
    this.handlers.onStatus("reconnecting");
    const wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)];
    this.failures += 1;
    this.timer = setTimeout(() => this.connect(), wait);
  }

  /** Say where this person is in the trial: a section number (or null) and whether they
   * are viewing or editing it. */
  setPresence(section, activity = "viewing", cursor = null, amendment = null) {
    const presence = { section, activity, ...(cursor ? { cursor } : {}), ...(amendment ? { amendment } : {}) };
    if (JSON.stringify(presence) === JSON.stringify(this.presence)) return;
    this.presence = presence;
    this.sendPresence();
  }

  sendPresence() {
    if (!this.trialId || this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify({ type: "presence", trial: this.trialId, ...this.presence }));
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.socket?.close(1000);
  }
}
