// The contacts with their presence, and the call records (话单).

import { statusWord, callTypeWord, duration } from './words.js';

const presenceWords = { online: 'online', inCall: 'in a call', offline: 'offline' };

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

// renderContacts lists every account but mine, each with call buttons
// while it is online (opts.canCall: this page may call now).
export function renderContacts(ul, contacts, me, opts) {
  const items = [];
  for (const c of contacts) {
    if (c.account === me) continue;
    const li = el('li', { className: 'contact' });
    li.dataset.account = c.account;
    li.dataset.presence = c.presence;
    const name = el('span', { className: 'name', textContent: c.account });
    const pres = el('span', { className: 'presence', textContent: presenceWords[c.presence] || c.presence });
    const buttons = el('span', { className: 'buttons' });
    for (const [type, label] of [[1, 'Audio'], [2, 'Video']]) {
      const b = el('button', { type: 'button', textContent: label, className: 'call-' + callTypeWord(type) });
      b.title = callTypeWord(type) + ' call ' + c.account;
      b.disabled = !opts.canCall || c.presence === 'offline';
      b.onclick = () => opts.call(c.account, type);
      buttons.append(b);
    }
    li.append(name, pres, buttons);
    items.push(li);
  }
  if (items.length === 0) items.push(el('li', { className: 'empty', textContent: 'Nobody else has an account here yet.' }));
  ul.replaceChildren(...items);
}

// mergeRecords adds records to a list kept newest first, each call once.
export function mergeRecords(list, records) {
  const bySeq = new Map(list.map((r) => [r.seq, r]));
  for (const r of records) bySeq.set(r.seq, r);
  return [...bySeq.values()].sort((a, b) => b.seq - a.seq);
}

// renderHistory shows the records: direction, who, what kind, how it ended.
export function renderHistory(ul, records, me) {
  const items = records.map((r) => {
    const outgoing = r.caller === me;
    const peer = outgoing ? r.callee : r.caller;
    const li = el('li', { className: 'record' });
    li.dataset.cid = r.cid;
    li.dataset.status = String(r.status);
    li.dataset.endedBy = r.endedBy;
    let how = statusWord(r.status);
    if (r.status === 1) how += ', ' + duration(r.duration);
    const when = new Date(r.createdAt);
    const today = when.toDateString() === new Date().toDateString();
    const at = today ? when.toLocaleTimeString([], { timeStyle: 'short' })
      : when.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
    li.append(
      el('span', { className: 'dir', textContent: outgoing ? '↗' : '↙', title: outgoing ? 'you called' : 'called you' }),
      el('span', { className: 'name', textContent: peer }),
      el('span', { className: 'kind', textContent: callTypeWord(r.type) }),
      el('span', { className: 'how', textContent: how }),
      el('time', { dateTime: when.toISOString(), textContent: at }),
    );
    return li;
  });
  if (items.length === 0) items.push(el('li', { className: 'empty', textContent: 'No calls yet.' }));
  ul.replaceChildren(...items);
}
