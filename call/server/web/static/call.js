// One call, from placing it or its ringing to its end: the netcall flow of
// docs/protocol.md ("Sequences") — call, beCalling, response,
// callerAckSync, callAccepted, callRejected, startRtc, syncDone,
// clientJoin, clientLeave, hangup — and its Peer.

import { Peer } from './peer.js';
import { endWords, callErrorWords, mediaErrorWords, callTypeWord } from './words.js';

const noAnswerMs = 30000; // the caller's client gives up ringing (docs/protocol.md, "Timeouts")

// State is where a call stands; the call panel shows it as data-state.
export const State = Object.freeze({
  Calling: 'calling', // placed, ringing at the callee
  Incoming: 'incoming', // ringing here
  Connecting: 'connecting', // answered, media not flowing yet
  InCall: 'in-call', // media flowing
  Ended: 'ended',
});

// getMedia opens the microphone, and the camera for a video call.
function getMedia(type) {
  if (!navigator.mediaDevices) return Promise.reject(new Error('no media devices'));
  return navigator.mediaDevices.getUserMedia({
    audio: true,
    video: type === 2 ? { width: { ideal: 640 }, height: { ideal: 480 } } : false,
  });
}

export class Call {
  // env: { conn, me, iceServers() → the login's, onChange(call), onEnd(call) }
  constructor(env, { cid, peer, type, outgoing }) {
    this.env = env;
    this.cid = cid;
    this.peerAccount = peer;
    this.type = type;
    this.outgoing = outgoing;
    this.state = outgoing ? State.Calling : State.Incoming;
    this.text = '';
    this.answered = false;
    this.ended = false;
    this.stream = null; // local microphone and camera
    this.remote = null; // remote MediaStream
    this.peer = null; // Peer, from startRtc's reply on
    this.peerMedia = { audio: true, video: true, screen: false };
    this.peerRecording = false; // the peer said it records the call
    this.muted = false;
    this.cameraOff = false;
    this.connectedAt = 0;
    this.timer = 0;
    this.rejoining = false;
  }

  get video() { return this.type === 2; }

  changed(text) {
    if (text !== undefined) this.text = text;
    this.env.onChange(this);
  }

  // place opens the devices and calls peer.
  static place(env, peer, type) {
    const c = new Call(env, { cid: '', peer, type, outgoing: true });
    c.changed('Calling ' + peer + '…');
    c.dial();
    return c;
  }

  async dial() {
    try {
      this.stream = await getMedia(this.type);
    } catch (err) {
      this.end(mediaErrorWords(err));
      return;
    }
    if (this.ended) {
      this.stopTracks();
      return;
    }
    this.changed(); // the local preview
    let r;
    try {
      r = await this.env.conn.request('call', { type: this.type, callee: this.peerAccount });
    } catch (err) {
      this.end(callErrorWords(err, this.peerAccount));
      return;
    }
    this.cid = r.cid;
    if (this.ended) {
      // Hung up while the call was being placed.
      this.env.conn.request('hangup', { cid: this.cid }).catch(() => {});
      return;
    }
    this.timer = setTimeout(() => this.noAnswer(), noAnswerMs);
  }

  // incoming is a beCalling.
  static incoming(env, be) {
    const c = new Call(env, { cid: be.cid, peer: be.caller, type: be.type, outgoing: false });
    c.custom = be.custom || '';
    c.changed(be.caller + ' is calling you (' + callTypeWord(be.type) + ').');
    return c;
  }

  async answer() {
    if (this.state !== State.Incoming) return;
    this.state = State.Connecting;
    this.changed('Answering…');
    try {
      this.stream = await getMedia(this.type);
    } catch (err) {
      this.env.conn.request('response', { cid: this.cid, accepted: false }).catch(() => {});
      this.end(mediaErrorWords(err));
      return;
    }
    if (this.ended) {
      this.stopTracks();
      return;
    }
    try {
      await this.env.conn.request('response', { cid: this.cid, accepted: true, caller: this.peerAccount, type: this.type });
    } catch (err) {
      if (err.code === 'wrong_state') this.end('Answered on another device.');
      else if (err.code === 'no_such_call') this.end('The call ended before you answered.');
      else this.end('Could not answer: ' + err.message);
      return;
    }
    this.answered = true;
    this.changed('Connecting…');
    await this.join();
  }

  decline() {
    if (this.state !== State.Incoming) return;
    this.env.conn.request('response', { cid: this.cid, accepted: false }).catch(() => {});
    this.end('You declined the call.');
  }

  // hangup ends the call on the user's word: cancel, reject or end.
  hangup() {
    if (this.ended) return;
    let words = 'You hung up.';
    if (!this.answered) words = this.outgoing ? 'You cancelled the call.' : 'You declined the call.';
    if (this.cid) {
      this.env.conn.request('hangup', { cid: this.cid }).catch((err) => {
        // Sent once signed in again (docs/protocol.md, "Reconnecting").
        if (err.code === 'offline' || err.code === 'timeout') this.env.hangupLater(this.cid);
      });
    }
    this.end(words);
  }

  noAnswer() {
    if (this.ended || this.answered) return;
    this.env.conn.request('hangup', { cid: this.cid, reason: 'timeout' }).catch(() => {});
    this.end('No answer from ' + this.peerAccount + '.');
  }

  // join enters the call's room; syncDone and clientJoin follow.
  async join() {
    let r;
    try {
      r = await this.env.conn.request('startRtc', { cid: this.cid, mode: 0 });
    } catch (err) {
      if (err.code === 'no_such_call') this.end('The call ended.');
      else console.warn('duet: startRtc', err);
      return;
    }
    if (this.ended || this.peer) return;
    this.peer = new Peer({
      iceServers: r.iceServers || this.env.iceServers(),
      stream: this.stream,
      relay: (kind, payload) => this.relay(kind, payload),
      onRemote: (stream) => { this.remote = stream; this.changed(); },
      onState: (s) => this.mediaState(s),
      onPeerMedia: (m) => { this.peerMedia = m; this.changed(); },
      onPeerRecording: (on) => { this.peerRecording = on; this.changed(); },
    });
    this.peer.setMedia(!this.muted, this.video && !this.cameraOff);
  }

  relay(kind, payload) {
    return this.env.conn.request('relay', { cid: this.cid, kind, payload }).catch((err) => {
      console.warn('duet: relay ' + kind, err.code, err.message);
    });
  }

  mediaState(s) {
    if (this.ended) return;
    if (s === 'connected') {
      if (!this.connectedAt) this.connectedAt = Date.now();
      this.state = State.InCall;
      this.changed('In call with ' + this.peerAccount + '.');
    } else if (s === 'disconnected' || s === 'failed') {
      this.changed('The media path to ' + this.peerAccount + ' is down; reconnecting…');
    }
  }

  // event handles a server event about this call.
  event(type, d) {
    if (this.ended) return;
    const who = { me: this.env.me, peer: this.peerAccount, outgoing: this.outgoing, answered: this.answered };
    switch (type) {
      case 'callAccepted':
        this.accepted();
        break;
      case 'callRejected':
        this.end(endWords(d.reason, this.peerAccount, who));
        break;
      case 'callerAckSync':
        if (!this.answered) {
          this.end(d.accepted ? 'Answered on another device (' + d.fromClientType + ').' : 'Declined on another device.');
        }
        break;
      case 'syncDone':
        if (this.rejoining && (d.userlist || []).length > 0 && this.peer) this.peer.sendMedia(true);
        this.rejoining = false;
        break;
      case 'clientJoin':
        if (!this.peer) break;
        if (this.peer.described) this.peer.peerRejoined();
        else this.peer.offerFirst();
        break;
      case 'relay':
        if (this.peer) this.peer.handle(d.kind, d.payload);
        break;
      case 'clientLeave':
        this.changed(d.account + ' left the call.');
        break;
      case 'hangup':
        this.end(endWords(d.reason, d.account, who));
        break;
    }
  }

  accepted() {
    if (this.answered) return;
    clearTimeout(this.timer);
    this.answered = true;
    this.state = State.Connecting;
    this.changed(this.peerAccount + ' answered. Connecting…');
    this.join();
  }

  // resumed follows a login on a new connection: the call goes on, comes
  // back to the room, or ended while the connection was away.
  resumed(result) {
    if (this.ended || !this.cid) return;
    const ac = result.activeCall && result.activeCall.cid === this.cid ? result.activeCall : null;
    if (!this.answered && !this.outgoing) {
      const ringing = (result.ringing || []).some((b) => b.cid === this.cid);
      if (!ringing && !ac) this.end('The call ended while the connection to the server was lost.');
      return;
    }
    if (!ac) {
      this.end('The call ended while the connection to the server was lost.');
      return;
    }
    if (!ac.answered) return; // still ringing at the callee
    if (!this.answered) {
      this.accepted(); // answered while we were away
      return;
    }
    this.rejoining = true;
    this.join();
  }

  // setMute and setCamera turn the microphone and camera off and on.
  setMute(muted) {
    this.muted = muted;
    if (this.stream) for (const t of this.stream.getAudioTracks()) t.enabled = !muted;
    if (this.peer) this.peer.setMedia(!muted, this.video && !this.cameraOff);
    this.changed();
  }

  setCamera(off) {
    this.cameraOff = off;
    if (this.stream) for (const t of this.stream.getVideoTracks()) t.enabled = !off;
    if (this.peer) this.peer.setMedia(!this.muted, this.video && !off);
    this.changed();
  }

  stopTracks() {
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
  }

  // end is the one way a call ends here, whoever ended it: close the peer
  // connection, then the devices.
  end(text) {
    if (this.ended) return;
    this.ended = true;
    this.state = State.Ended;
    clearTimeout(this.timer);
    if (this.peer) this.peer.close();
    this.stopTracks();
    this.changed('Call ended: ' + text);
    this.env.onEnd(this);
  }
}
