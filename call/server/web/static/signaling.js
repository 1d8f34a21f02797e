// One WebSocket to the server's /ws: requests matched to their replies by
// id, and events handed on in the order they arrive (docs/protocol.md,
// "Messages").

const requestTimeoutMs = 10000;

// RequestError is a failed reply: switch on code, show message to people.
export class RequestError extends Error {
  constructor(code, message, retryAfterMs) {
    super(message || code);
    this.code = code;
    this.retryAfterMs = retryAfterMs || 0;
  }
}

// socketURL is the server's own /ws, so the page needs no --allow-origin.
export function socketURL(loc) {
  return (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host + '/ws';
}

export class Signaling {
  // onEvent(type, data) gets every event; onClose(code, reason) once, when
  // an open connection ends.
  constructor(url, { onEvent, onClose }) {
    this.url = url;
    this.onEvent = onEvent;
    this.onClose = onClose;
    this.nextId = 1;
    this.pending = new Map(); // id → {resolve, reject, timer}
    this.ws = null;
  }

  // open resolves once the connection is open, and rejects if it closes first.
  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      let opened = false;
      ws.onopen = () => { opened = true; resolve(); };
      ws.onmessage = (e) => this.receive(e.data);
      ws.onclose = (e) => {
        this.failPending(new RequestError('offline', 'the connection to the server closed'));
        if (!opened) {
          reject(new RequestError('offline', 'cannot reach the server (close code ' + e.code + ')'));
          return;
        }
        this.onClose(e.code, e.reason);
      };
    });
  }

  // request sends one request and resolves with its result, or rejects
  // with a RequestError.
  request(type, data) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new RequestError('offline', 'not connected to the server'));
    }
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ type, id, data: data || {} }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timeout', 'the server did not answer ' + type));
      }, requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  receive(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (!m || typeof m.type !== 'string') return;
    if (m.type === 'reply') {
      const p = this.pending.get(m.id);
      if (!p) {
        if (m.error) console.warn('duet: error reply without a request', m.error);
        return;
      }
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error) p.reject(new RequestError(m.error.code, m.error.message, m.error.retryAfterMs));
      else p.resolve(m.result || {});
      return;
    }
    this.onEvent(m.type, m.data || {});
  }

  failPending(err) {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  // close ends the connection on the user's word; onClose is not called.
  close() {
    if (!this.ws) return;
    this.ws.onclose = null;
    this.ws.onmessage = null;
    this.failPending(new RequestError('offline', 'signed out'));
    this.ws.close(1000, 'signed out');
    this.ws = null;
  }
}
