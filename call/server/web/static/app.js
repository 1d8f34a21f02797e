// The page: signing in, the contacts and call records, and the call panel.
// Everything runs on the page's one thread; the connection and the call
// report to it and it redraws from their state.

import { Connection } from './connection.js';
import { Call, State } from './call.js';
import { fromHash, fromText } from './invite.js';
import { renderContacts, renderHistory, mergeRecords } from './lists.js';
import { signInWords, duration } from './words.js';
import { bindCallPanel, renderCall } from './panel.js';
import { QualityMeter, QualitySampler, classify, levelNames, qualityWords } from './quality.js';

const $ = (id) => document.getElementById(id);
const credsKey = 'duet.signin'; // this tab's sign-in, so a reload stays signed in

const app = {
  conn: null,
  me: '',
  iceServers: [],
  contacts: [],
  records: [], // newest first
  next: 0, // history's next page, 0 when none
  call: null, // the current or last Call
  hangupCid: '', // a hangup to send once signed in again
};

// The current call's RTCPeerConnection, for debugging from the console
// (and for the browser test): duet.pc.getStats().
window.duet = {
  get call() { return app.call; },
  get pc() { return app.call && app.call.peer ? app.call.peer.pc : null; },
  quality: { classify, QualityMeter },
};

const active = () => app.call !== null && !app.call.ended;

function show(view) {
  document.body.dataset.view = view;
  $('signin').hidden = view !== 'signin';
  $('home').hidden = view !== 'home';
  $('signout').hidden = view !== 'home';
}

function setLink(state, text) {
  $('link').dataset.state = state;
  $('link').textContent = text;
}

function redrawLists() {
  renderContacts($('contacts'), app.contacts, app.me, {
    canCall: app.conn !== null && app.conn.online && !active(),
    call: placeCall,
  });
  renderHistory($('history'), app.records, app.me);
  $('more').hidden = app.next === 0;
}

function redrawCall() {
  renderCall(app.call);
  document.body.dataset.call = app.call ? app.call.state : 'idle';
  document.title = app.call && app.call.state === State.Incoming ? 'Incoming call — Duet' : 'Duet';
  redrawLists();
}

const env = {
  get conn() { return app.conn; },
  get me() { return app.me; },
  iceServers: () => app.iceServers,
  onChange: () => redrawCall(),
  onEnd: () => redrawCall(),
  hangupLater: (cid) => { app.hangupCid = cid; },
};

function placeCall(account, type) {
  if (active()) return;
  app.call = Call.place(env, account, type);
  redrawCall();
}

async function signIn(creds) {
  $('signin-error').textContent = '';
  $('account').value = creds.account;
  $('token').value = creds.token;
  setLink('connecting', 'Signing in…');
  const conn = new Connection(creds, {
    onEvent: (type, data) => event(type, data),
    onSignedIn: (result, again) => signedIn(result, again),
    onLost: (text) => {
      setLink('reconnecting', text);
      redrawLists();
    },
    onFinal: (text) => signedOut(text),
  });
  app.conn = conn;
  try {
    await conn.start();
  } catch (err) {
    if (app.conn === conn) app.conn = null;
    sessionStorage.removeItem(credsKey);
    setLink('offline', '');
    show('signin');
    $('signin-error').textContent = signInWords(err);
    return;
  }
  sessionStorage.setItem(credsKey, JSON.stringify(creds));
}

async function signedIn(result, again) {
  app.me = result.account;
  app.iceServers = result.iceServers || [];
  $('me').textContent = 'Signed in as ' + result.account;
  setLink('online', 'Connected');
  show('home');
  if (app.hangupCid) {
    const cid = app.hangupCid;
    app.hangupCid = '';
    if (result.activeCall && result.activeCall.cid === cid) app.conn.request('hangup', { cid }).catch(() => {});
  }
  if (again && active()) app.call.resumed(result);
  else if (!again && result.activeCall) leftBehind(result.activeCall);
  try {
    const c = await app.conn.request('contacts', {});
    app.contacts = c.contacts || [];
    const h = await app.conn.request('history', { limit: 20 });
    app.records = mergeRecords(app.records, h.records || []);
    if (!again) app.next = h.next || 0;
  } catch (err) {
    console.warn('duet: lists', err);
  }
  redrawLists();
}

// leftBehind ends a call this device was in before the page was loaded
// (a reload): its media went with the old page.
function leftBehind(ac) {
  app.conn.request('hangup', { cid: ac.cid }).catch(() => {});
}

function signedOut(text) {
  if (active()) app.call.end(text);
  app.conn = null;
  $('me').textContent = '';
  sessionStorage.removeItem(credsKey);
  setLink('offline', '');
  show('signin');
  $('signin-error').textContent = text;
}

function event(type, d) {
  switch (type) {
    case 'presence': {
      const c = app.contacts.find((x) => x.account === d.account);
      if (c) c.presence = d.presence;
      else app.contacts = [...app.contacts, { account: d.account, presence: d.presence }].sort((a, b) => (a.account < b.account ? -1 : 1));
      redrawLists();
      return;
    }
    case 'beCalling':
      if (active() || (app.call && app.call.cid === d.cid)) return; // already known
      app.call = Call.incoming(env, d);
      redrawCall();
      return;
    case 'callRecord':
      app.records = mergeRecords(app.records, [d]);
      redrawLists();
      return;
    default:
      if (app.call && d.cid === app.call.cid) app.call.event(type, d);
  }
}

async function olderCalls() {
  if (!app.next || !app.conn) return;
  try {
    const h = await app.conn.request('history', { before: app.next, limit: 20 });
    app.records = mergeRecords(app.records, h.records || []);
    app.next = h.next || 0;
  } catch (err) {
    console.warn('duet: history', err);
  }
  redrawLists();
}

function signOut() {
  if (active()) app.call.hangup();
  if (app.conn) app.conn.stop();
  app.conn = null;
  app.contacts = [];
  app.records = [];
  app.next = 0;
  sessionStorage.removeItem(credsKey);
  setLink('offline', '');
  $('me').textContent = '';
  $('token').value = '';
  show('signin');
}

function start() {
  bindCallPanel(() => app.call);
  $('signout').onclick = signOut;
  $('more').onclick = olderCalls;
  // A pasted invitation (a link, or the desktop app's text, whose line
  // breaks a one-line field would drop) fills both fields.
  $('account').addEventListener('paste', (e) => {
    const pasted = fromText(e.clipboardData.getData('text'));
    if (!pasted) return;
    e.preventDefault();
    $('account').value = pasted.account;
    $('token').value = pasted.token;
  });
  $('signin-form').onsubmit = (e) => {
    e.preventDefault();
    const typed = $('account').value;
    const pasted = fromText(typed);
    signIn(pasted || { account: typed.trim(), token: $('token').value.trim() });
  };
  // Closing or reloading the page ends its call at once, rather than
  // leaving the peer waiting out the server's grace for a lost device.
  window.addEventListener('pagehide', () => {
    if (active()) app.call.hangup();
  });
  // The stats line and the call's running time.
  setInterval(async () => {
    const c = app.call;
    if (!c || c.ended || !c.peer) return;
    const s = await c.peer.stats();
    const parts = [];
    if (c.connectedAt) parts.push(duration(Date.now() - c.connectedAt));
    if (s.framesDecoded > 0) parts.push('receiving ' + s.width + '×' + s.height + ' at ' + Math.round(s.fps) + ' fps');
    else if (s.audioPackets > 0) parts.push('receiving audio');
    $('stats').textContent = parts.join(' · ');
    $('stats').dataset.frames = String(s.framesDecoded);
    showQuality(c, s.report);
  }, 1000);

  // The quality indicator: each call judged from its own statistics.
  function showQuality(c, report) {
    if (!c.quality) c.quality = { sampler: new QualitySampler(), meter: new QualityMeter() };
    const sample = c.quality.sampler.sample(report, c.peerMedia);
    if (!sample || app.call !== c || c.ended) return;
    const verdict = c.quality.meter.observe(sample);
    const el = $('quality');
    el.dataset.level = levelNames[verdict.level];
    el.dataset.reason = verdict.reason;
    el.textContent = qualityWords(verdict);
  }

  const invite = fromHash(location.hash);
  if (invite) {
    // Keep the token out of the address bar and the browser's history.
    history.replaceState(null, '', location.pathname);
    signIn(invite);
    return;
  }
  const saved = sessionStorage.getItem(credsKey);
  if (saved) {
    try {
      signIn(JSON.parse(saved));
      return;
    } catch {
      sessionStorage.removeItem(credsKey);
    }
  }
  show('signin');
}

start();
