// A call's RTCPeerConnection and the relay kinds of docs/protocol.md
// ("Media conventions"): offer, answer, candidate and media. Everything
// that touches the connection's descriptions runs in order on one promise
// chain, so an offer, an answer and candidates never interleave.

const restartAfterMs = 2000; // ICE disconnected this long: restart it
const repeatEveryMs = 4000; // a restart not connected by then: offer again

export class Peer {
  // relay(kind, payload) sends to the peer; onRemote(stream) once there
  // is remote media; onState(state) on every connection state;
  // onPeerMedia({audio, video, screen}) when the peer's mute, camera or
  // screen share changes;
  // onPeerRecording(on) when the peer starts or stops recording the call.
  constructor({ iceServers, stream, relay, onRemote, onState, onPeerMedia, onPeerRecording }) {
    this.pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    this.relay = relay;
    this.onPeerMedia = onPeerMedia;
    this.onPeerRecording = onPeerRecording || (() => {});
    this.chain = Promise.resolve();
    this.remoteQueue = []; // candidates that came before the remote description
    this.localQueue = []; // candidates gathered before their description was relayed
    this.described = false; // a description of ours went to the peer
    this.firstOfferer = false; // this side made the call's first offer
    this.closed = false;
    this.restartTimer = 0;
    this.media = { audio: true, video: stream.getVideoTracks().length > 0 };
    this.remote = new MediaStream();

    for (const t of stream.getTracks()) this.pc.addTrack(t, stream);
    this.pc.onicecandidate = (e) => this.localCandidate(e.candidate);
    this.pc.ontrack = (e) => {
      this.remote.addTrack(e.track);
      onRemote(this.remote);
    };
    this.pc.oniceconnectionstatechange = () => this.iceChanged();
    this.pc.onconnectionstatechange = () => onState(this.pc.connectionState);
  }

  // run queues f behind everything queued before it.
  run(f) {
    this.chain = this.chain.then(() => (this.closed ? undefined : f())).catch((err) => {
      if (!this.closed) console.warn('duet: media', err);
    });
    return this.chain;
  }

  // offerFirst makes the call's first offer: this side was in the room
  // first and the peer has just joined.
  offerFirst() {
    this.firstOfferer = true;
    return this.offer(false);
  }

  // peerRejoined answers a fresh clientJoin with a fresh offer, restarting
  // ICE if the path is down.
  peerRejoined() {
    return this.offer(!this.iceUp());
  }

  offer(iceRestart) {
    return this.run(async () => {
      if (this.pc.signalingState === 'have-local-offer') {
        await this.relay('offer', this.description()); // the relay may have failed: repeat
        return;
      }
      await this.pc.setLocalDescription(await this.pc.createOffer({ iceRestart }));
      await this.sendDescription('offer');
    });
  }

  // handle applies one relay event from the peer.
  handle(kind, payload) {
    switch (kind) {
      case 'offer': return this.run(() => this.gotOffer(payload));
      case 'answer': return this.run(() => this.gotAnswer(payload));
      case 'candidate': return this.run(() => this.gotCandidate(payload));
      case 'media':
        if (payload && typeof payload === 'object') {
          this.onPeerMedia({ audio: payload.audio !== false, video: payload.video !== false, screen: payload.screen === true });
          if (payload.ask && this.described) this.sendMedia();
        }
        return undefined;
      case 'recording':
        if (payload && typeof payload === 'object') this.onPeerRecording(payload.recording === true);
        return undefined;
      default:
        return undefined; // unknown kinds are ignored
    }
  }

  async gotOffer(p) {
    if (!p || typeof p.sdp !== 'string') return;
    if (this.pc.signalingState === 'have-local-offer') {
      // Offer collision: the call's first offerer keeps its own offer.
      if (this.firstOfferer) {
        await this.relay('offer', this.description());
        return;
      }
      await this.pc.setLocalDescription({ type: 'rollback' });
    }
    await this.pc.setRemoteDescription({ type: 'offer', sdp: p.sdp });
    await this.flushRemote();
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.sendDescription('answer');
  }

  async gotAnswer(p) {
    // An answer with no offer of ours waiting answers one already settled.
    if (!p || typeof p.sdp !== 'string' || this.pc.signalingState !== 'have-local-offer') return;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: p.sdp });
    await this.flushRemote();
  }

  async gotCandidate(p) {
    if (!p || !p.candidate) return; // end of candidates: nothing to do
    if (!this.pc.remoteDescription) {
      this.remoteQueue.push(p);
      return;
    }
    await this.addCandidate(p);
  }

  async flushRemote() {
    const queued = this.remoteQueue;
    this.remoteQueue = [];
    for (const c of queued) await this.addCandidate(c);
  }

  async addCandidate(c) {
    try {
      await this.pc.addIceCandidate(c);
    } catch (err) {
      console.warn('duet: candidate dropped', err); // e.g. one of an older ICE generation
    }
  }

  description() {
    const d = this.pc.localDescription;
    return { type: d.type, sdp: d.sdp };
  }

  async sendDescription(kind) {
    await this.relay(kind, this.description());
    this.described = true;
    const queued = this.localQueue;
    this.localQueue = [];
    for (const c of queued) this.relay('candidate', c);
    this.sendMedia();
  }

  localCandidate(c) {
    if (!c || !c.candidate) return; // Duet needs no end-of-candidates message
    const init = c.toJSON();
    if (!this.described) this.localQueue.push(init);
    else this.relay('candidate', init);
  }

  // setMedia says the microphone and camera are on or off, to the peer too.
  setMedia(audio, video) {
    this.media = { audio, video };
    if (this.described) this.sendMedia();
  }

  sendMedia(ask) {
    const payload = { audio: this.media.audio, video: this.media.video };
    if (ask) payload.ask = true;
    this.relay('media', payload);
  }

  iceUp() {
    const s = this.pc.iceConnectionState;
    return s === 'connected' || s === 'completed';
  }

  iceChanged() {
    if (this.iceUp()) {
      clearTimeout(this.restartTimer);
      this.restartTimer = 0;
      return;
    }
    // The side that made the first offer restarts ICE (docs/protocol.md).
    if (!this.firstOfferer || this.closed) return;
    const s = this.pc.iceConnectionState;
    if (s === 'failed') this.restart();
    else if (s === 'disconnected' && !this.restartTimer) {
      this.restartTimer = setTimeout(() => this.restart(), restartAfterMs);
    }
  }

  // restart offers new ICE credentials, and again every repeatEveryMs
  // until ICE is up.
  restart() {
    clearTimeout(this.restartTimer);
    if (this.closed || this.iceUp()) {
      this.restartTimer = 0;
      return;
    }
    this.restartTimer = setTimeout(() => this.restart(), repeatEveryMs);
    this.offer(true);
  }

  // stats are what arrives: decoded video frames, picture size and rate;
  // report is the whole of getStats, for the quality indicator.
  async stats() {
    const report = await this.pc.getStats();
    const out = { framesDecoded: 0, width: 0, height: 0, fps: 0, audioPackets: 0, report };
    report.forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      if (r.kind === 'video') {
        out.framesDecoded = r.framesDecoded || 0;
        out.width = r.frameWidth || 0;
        out.height = r.frameHeight || 0;
        out.fps = r.framesPerSecond || 0;
      } else if (r.kind === 'audio') {
        out.audioPackets = r.packetsReceived || 0;
      }
    });
    return out;
  }

  close() {
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.pc.close();
  }
}
