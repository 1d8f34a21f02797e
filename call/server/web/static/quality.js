// How the call is going, at a glance: the verdict the desktop app's signal
// bars give (call/media/quality.go), with the same thresholds and the same
// patience, read from the browser's own statistics once a second.

export const Level = Object.freeze({ Unknown: 0, Good: 1, Fair: 2, Poor: 3 });
export const levelNames = ['unknown', 'good', 'fair', 'poor'];

// Fair at the first value, poor at the second; why these values is
// explained beside them in quality.go.
const limits = {
  loss: [0.03, 0.10], // share of packets
  rttMs: [300, 800],
  jitterMs: [30, 75],
  targetKbps: [350, 150], // lower is worse
  freezeMs: [300, 600], // in the last second
  concealedPct: [8, 20],
};

function grade(v, [fair, poor]) {
  if (v >= poor) return Level.Poor;
  if (v >= fair) return Level.Fair;
  return Level.Good;
}

function gradeLow(v, [fair, poor]) {
  if (v < poor) return Level.Poor;
  if (v < fair) return Level.Fair;
  return Level.Good;
}

// classify judges one second: the worst signal sets the level, and the
// side whose signals reach it is blamed, ours on a tie. A figure the
// browser does not report (undefined) says nothing.
export function classify(s) {
  const known = (v) => typeof v === 'number' && Number.isFinite(v);
  let local = Level.Good;
  let remote = Level.Good;
  if (known(s.sentLoss)) local = Math.max(local, grade(s.sentLoss, limits.loss));
  if (known(s.rttMs)) local = Math.max(local, grade(s.rttMs, limits.rttMs));
  if (s.sendingVideo && known(s.targetKbps)) local = Math.max(local, gradeLow(s.targetKbps, limits.targetKbps));
  if (known(s.recvLoss)) remote = Math.max(remote, grade(s.recvLoss, limits.loss));
  if (known(s.jitterMs)) remote = Math.max(remote, grade(s.jitterMs, limits.jitterMs));
  if (s.receivingVideo && known(s.freezeMs)) remote = Math.max(remote, grade(s.freezeMs, limits.freezeMs));
  if (s.receivingAudio && known(s.concealedPct)) remote = Math.max(remote, grade(s.concealedPct, limits.concealedPct));
  if (local === Level.Good && remote === Level.Good) return { level: Level.Good, reason: '' };
  if (local >= remote) return { level: local, reason: 'local' };
  return { level: remote, reason: 'remote' };
}

// A worse verdict must hold this many seconds in a row, a better one
// improveAfter, so one bad second does not flash the indicator.
const worsenAfter = 2;
const improveAfter = 5;

// QualityMeter turns per-second verdicts into the steady one shown.
export class QualityMeter {
  constructor() {
    this.level = Level.Unknown;
    this.reason = '';
    this.run = 0;
    this.worse = false;
    this.runLevel = Level.Unknown;
    this.runReason = '';
  }

  observe(sample) {
    const { level: q, reason: r } = classify(sample);
    const worse = q > this.level || (q === this.level && q !== Level.Good && r !== this.reason);
    const better = q < this.level;
    if (!worse && !better) {
      this.run = 0;
    } else if (this.run > 0 && worse === this.worse) {
      this.run++;
      if (worse) {
        this.runLevel = Math.min(this.runLevel, q);
        this.runReason = r;
      } else if (q >= this.runLevel) {
        this.runLevel = q;
        this.runReason = r;
      }
    } else {
      this.run = 1;
      this.worse = worse;
      this.runLevel = q;
      this.runReason = r;
    }
    if (this.run > 0 && this.run >= (this.worse ? worsenAfter : improveAfter)) {
      this.level = this.runLevel;
      this.reason = this.level === Level.Good ? '' : this.runReason;
      this.run = 0;
    }
    return { level: this.level, reason: this.reason };
  }
}

// QualitySampler reads one second of the call from a getStats report,
// against the totals it kept from the report before.
export class QualitySampler {
  constructor() {
    this.prev = null;
  }

  // sample returns the second's figures; null for the first report, which
  // has nothing to compare with.
  sample(report, peerMedia) {
    const now = { recvPackets: 0, recvLost: 0, concealed: 0, samples: 0, freezeS: undefined, framesDecoded: 0, videoBytesSent: 0 };
    const s = { sentLoss: undefined, rttMs: undefined, jitterMs: undefined, targetKbps: undefined };
    let pathRttMs; // the selected candidate pair's, better than a report's
    let reportRttMs;
    report.forEach((r) => {
      if (r.type === 'inbound-rtp') {
        now.recvPackets += r.packetsReceived || 0;
        now.recvLost += Math.max(0, r.packetsLost || 0);
        if (r.kind === 'audio') {
          now.concealed += r.concealedSamples || 0;
          now.samples += r.totalSamplesReceived || 0;
          if (typeof r.jitter === 'number') s.jitterMs = r.jitter * 1000;
        } else if (r.kind === 'video') {
          now.framesDecoded = r.framesDecoded || 0;
          if (typeof r.totalFreezesDuration === 'number') now.freezeS = r.totalFreezesDuration;
        }
      } else if (r.type === 'remote-inbound-rtp') {
        if (typeof r.fractionLost === 'number') s.sentLoss = Math.max(s.sentLoss || 0, r.fractionLost);
        if (typeof r.roundTripTime === 'number') reportRttMs = r.roundTripTime * 1000;
      } else if (r.type === 'outbound-rtp' && r.kind === 'video') {
        now.videoBytesSent += r.bytesSent || 0;
      } else if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
        if (typeof r.currentRoundTripTime === 'number') pathRttMs = r.currentRoundTripTime * 1000;
        if (typeof r.availableOutgoingBitrate === 'number') s.targetKbps = r.availableOutgoingBitrate / 1000;
      }
    });
    s.rttMs = pathRttMs ?? reportRttMs;
    const prev = this.prev;
    this.prev = now;
    if (!prev) return null;
    const got = now.recvPackets - prev.recvPackets;
    const lost = Math.max(0, now.recvLost - prev.recvLost); // a late packet lowers the count
    if (got + lost > 0) s.recvLoss = lost / (got + lost);
    const samples = now.samples - prev.samples;
    s.receivingAudio = peerMedia.audio && samples > 0;
    if (samples > 0) s.concealedPct = (100 * (now.concealed - prev.concealed)) / samples;
    s.receivingVideo = peerMedia.video && now.framesDecoded > 0;
    if (now.freezeS !== undefined && prev.freezeS !== undefined) s.freezeMs = (now.freezeS - prev.freezeS) * 1000;
    s.sendingVideo = now.videoBytesSent > prev.videoBytesSent;
    return s;
  }
}

// qualityWords is what the indicator says of a verdict.
export function qualityWords({ level, reason }) {
  if (level === Level.Unknown) return '';
  if (level === Level.Good) return 'Connection is good';
  return reason === 'remote' ? 'Their connection is slow' : 'Your connection is slow';
}
