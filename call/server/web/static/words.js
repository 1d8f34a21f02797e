// What the protocol's codes, reasons and statuses mean, in words for people
// (docs/protocol.md, "Enums", "Errors", "Close codes").

// closeWords says why the connection closed and whether to give up.
export function closeWords(code, reason) {
  switch (code) {
    case 4001:
      return { final: true, text: 'Signed in on this device elsewhere. Sign in again to use it here.' };
    case 1008:
      if (reason === 'token revoked') {
        return { final: true, text: 'Your token was revoked. Ask for a new one and sign in again.' };
      }
      return { final: false, text: 'The server closed the connection (' + (reason || 'policy') + '). Reconnecting…' };
    case 1001:
      return { final: false, text: 'The server is restarting. Reconnecting…' };
    default:
      return { final: false, text: 'Connection to the server lost. Reconnecting…' };
  }
}

const typeWords = { 1: 'audio', 2: 'video' };
export const callTypeWord = (type) => typeWords[type] || 'call';

// statusWords is a call record's status (docs/protocol.md, "Enums").
const statusWords = {
  1: 'Completed', 2: 'Cancelled', 3: 'Declined', 4: 'No answer',
  5: 'Busy', 6: 'Offline', 7: 'Connection lost',
};
export const statusWord = (status) => statusWords[status] || 'Ended';

// endWords says why a call ended, from the reason of callRejected, hangup
// or clientLeave and who ended it (account; "" for the server), as seen by
// me. outgoing: I placed the call; answered: it was answered.
export function endWords(reason, by, { me, peer, outgoing, answered }) {
  const who = by === me ? 'You' : (by || peer);
  switch (reason) {
    case 'hangup':
      return by === '' ? 'The server ended the call.' : who + ' hung up.';
    case 'cancelled':
      return by === me ? 'You cancelled the call.' : 'Missed call: ' + peer + ' gave up.';
    case 'rejected':
      return by === me ? 'You declined the call.' : peer + ' declined the call.';
    case 'busy':
      return by === me ? 'You declined the call as busy.' : peer + ' is busy in another call.';
    case 'timeout':
      if (outgoing) return 'No answer from ' + peer + '.';
      return 'Missed call from ' + peer + ': nobody answered.';
    case 'networkLost':
      if (!answered) return 'The call ended: a connection was lost.';
      return by === me ? 'Your connection was away too long: the call ended.'
        : 'The connection to ' + peer + ' was lost: the call ended.';
    case 'offline':
      return peer + ' is offline.';
    default:
      return 'The call ended.';
  }
}

// callErrorWords says why a call could not be placed.
export function callErrorWords(err, callee) {
  switch (err.code) {
    case 'callee_offline': return callee + ' is offline. Try later.';
    case 'busy': return 'You are already in a call on another device. Hang up there first.';
    case 'unknown_account': return 'There is no account ' + callee + ' on this server.';
    case 'rate_limited':
      return 'Too many calls just now. Try again in ' + Math.ceil(err.retryAfterMs / 1000) + ' s.';
    case 'offline': return 'Not connected to the server. Wait until it is back, then call again.';
    default: return 'Could not call ' + callee + ': ' + err.message;
  }
}

// signInWords says why signing in failed, and what to do.
export function signInWords(err) {
  switch (err.code) {
    case 'unauthorized': return 'The server does not know this account and token: ' + err.message +
      '. Check them, or ask for a new invitation.';
    case 'offline': return 'Cannot reach the server. Check that it runs and reload the page.';
    case 'bad_request': return err.message;
    default: return 'Could not sign in: ' + err.message;
  }
}

// mediaErrorWords says why the camera or microphone could not be used.
export function mediaErrorWords(err) {
  if (!window.isSecureContext || !navigator.mediaDevices) {
    return 'This page is not secure (plain http on a network address), so the browser keeps the camera and ' +
      'microphone from it. Open it over https (duet serve --tls-cert), or on this machine at 127.0.0.1.';
  }
  switch (err && err.name) {
    case 'NotAllowedError': return 'The browser was not allowed to use the camera or microphone. Allow them for this page and try again.';
    case 'NotFoundError': return 'No camera or microphone found. Connect one, or make an audio call.';
    case 'NotReadableError': return 'The camera or microphone is busy — close other apps that use it and try again.';
    default: return 'Cannot open the camera or microphone: ' + (err && err.message ? err.message : err);
  }
}

// duration is milliseconds as m:ss or h:mm:ss.
export function duration(ms) {
  const s = Math.floor(ms / 1000);
  const two = (n) => String(n).padStart(2, '0');
  if (s >= 3600) return Math.floor(s / 3600) + ':' + two(Math.floor(s / 60) % 60) + ':' + two(s % 60);
  return Math.floor(s / 60) + ':' + two(s % 60);
}
