// The call panel: the state in words, the ringing buttons, the videos,
// and mute, camera and hang up.

import { State } from './call.js';

const $ = (id) => document.getElementById(id);

// bindCallPanel wires the buttons to whatever call current() returns.
export function bindCallPanel(current) {
  const withCall = (f) => () => {
    const c = current();
    if (c && !c.ended) f(c);
  };
  $('answer').onclick = withCall((c) => c.answer());
  $('decline').onclick = withCall((c) => c.decline());
  $('hangup').onclick = withCall((c) => c.hangup());
  $('mute').onclick = withCall((c) => c.setMute(!c.muted));
  $('camera').onclick = withCall((c) => c.setCamera(!c.cameraOff));
}

function attach(video, stream) {
  if (video.srcObject !== stream) video.srcObject = stream;
}

// renderCall shows call (null: no call yet).
export function renderCall(c) {
  const panel = $('call');
  const state = c ? c.state : 'idle';
  panel.dataset.state = state;
  panel.dataset.type = c && c.video ? 'video' : 'audio';
  $('status').textContent = c ? c.text : 'Pick a contact to call.';
  $('incoming').hidden = state !== State.Incoming;
  const live = c !== null && !c.ended && state !== State.Incoming;
  $('controls').hidden = !live;
  $('hangup').textContent = c && !c.answered ? (c.outgoing ? 'Cancel' : 'Decline') : 'Hang up';

  attach($('local'), live && c.video && c.stream ? c.stream : null);
  attach($('remote'), live && c.remote ? c.remote : null);
  const stage = $('stage');
  stage.hidden = !live;
  // An audio call shows the peer's video once the peer turns its camera on
  // mid-call (its renegotiation offer brings the track; docs/protocol.md).
  const remoteHasVideo = c !== null && c.remote !== null && c.remote.getVideoTracks().length > 0;
  stage.dataset.remoteVideo = String(live && (c.video || remoteHasVideo) && c.remote !== null && c.peerMedia.video);
  stage.dataset.localVideo = String(live && c.video && !c.cameraOff);
  $('peer-name').textContent = live ? c.peerAccount : '';
  const theirs = [];
  if (live && c.peer && !c.peerMedia.audio) theirs.push(c.peerAccount + ' is muted');
  if (live && c.peer && c.video && !c.peerMedia.video) theirs.push(c.peerAccount + "'s camera is off");
  if (live && c.peer && c.peerMedia.screen) theirs.push(c.peerAccount + ' is sharing their screen');
  if (live && c.peer && c.peerRecording) theirs.push(c.peerAccount + ' is recording');
  $('peer-media').textContent = theirs.join(' · ');
  if (!live) {
    $('stats').textContent = '';
    $('quality').textContent = '';
    $('quality').dataset.level = 'unknown';
  }

  const mute = $('mute');
  mute.textContent = c && c.muted ? 'Unmute' : 'Mute';
  mute.setAttribute('aria-pressed', String(Boolean(c && c.muted)));
  const cam = $('camera');
  cam.hidden = !(c && c.video);
  cam.textContent = c && c.cameraOff ? 'Camera on' : 'Camera off';
  cam.setAttribute('aria-pressed', String(Boolean(c && c.cameraOff)));
}
