// The signed-in connection: login, and reconnecting after a loss the way
// docs/protocol.md ("Close codes", "Reconnecting") says, with the same
// deviceId so a call in progress comes back.

import { Signaling, RequestError, socketURL } from './signaling.js';
import { closeWords } from './words.js';

const firstBackoffMs = 250;
const maxBackoffMs = 8000;

// deviceKey names where this browser keeps its deviceId for an account.
const deviceKey = (account) => 'duet.device.' + account;

export class Connection {
  // handlers: onEvent(type, data); onSignedIn(result, again) after every
  // successful login; onLost(words) when a connection drops and a new one
  // is being made; onFinal(words) when the connection ends for good.
  constructor(creds, handlers) {
    this.creds = creds;
    this.h = handlers;
    this.sig = null;
    this.ready = false; // signed in on this.sig
    this.stopped = false;
    this.backoff = firstBackoffMs;
    this.timer = 0;
  }

  get account() { return this.creds.account; }

  // start connects and signs in once; it rejects with what went wrong, so
  // the sign-in form can say it. Later losses reconnect on their own.
  async start() {
    await this.connect(false);
  }

  async connect(again) {
    const sig = new Signaling(socketURL(location), {
      onEvent: (type, data) => { if (this.sig === sig) this.h.onEvent(type, data); },
      onClose: (code, reason) => { if (this.sig === sig) this.closed(code, reason); },
    });
    this.sig = sig;
    await sig.open();
    const login = { account: this.creds.account, clientType: 'web' };
    if (this.creds.token) login.token = this.creds.token;
    const device = localStorage.getItem(deviceKey(this.creds.account));
    if (device) login.deviceId = device;
    let result;
    try {
      result = await sig.request('login', login);
    } catch (err) {
      sig.close();
      throw err;
    }
    localStorage.setItem(deviceKey(this.creds.account), result.deviceId);
    this.ready = true;
    this.backoff = firstBackoffMs;
    this.h.onSignedIn(result, again);
  }

  closed(code, reason) {
    this.sig = null;
    this.ready = false;
    const words = closeWords(code, reason);
    if (words.final) {
      this.stopped = true;
      this.h.onFinal(words.text);
      return;
    }
    this.h.onLost(words.text);
    this.retry();
  }

  retry() {
    if (this.stopped) return;
    const wait = this.backoff * (0.75 + Math.random() / 2);
    this.backoff = Math.min(2 * this.backoff, maxBackoffMs);
    this.timer = setTimeout(async () => {
      try {
        await this.connect(true);
      } catch (err) {
        if (err instanceof RequestError && err.code === 'unauthorized') {
          this.stopped = true;
          this.h.onFinal('The server no longer accepts this account or token (' + err.message + '). Sign in again.');
          return;
        }
        this.sig = null;
        this.retry();
      }
    }, wait);
  }

  request(type, data) {
    if (!this.ready) return Promise.reject(new RequestError('offline', 'not connected to the server'));
    return this.sig.request(type, data);
  }

  get online() { return this.ready; }

  stop() {
    this.stopped = true;
    this.ready = false;
    clearTimeout(this.timer);
    if (this.sig) this.sig.close();
    this.sig = null;
  }
}
