// Package media is the per-call media session: one Pion PeerConnection
// between the two members of a call's room, negotiated through the
// signaling server's relay, sending the local capture and decoding what the
// peer sends.
//
// Who offers: the member that was in the room first. It learns of the peer
// from clientJoin and sends the offer at once; the member that joins second
// sees the peer in syncDone and waits for that offer. Exactly one side
// offers, so offers never collide, and the offer is only made when the peer
// is there to receive it.
//
// Lost paths: when ICE stays disconnected or fails, the side that made the
// first offer restarts ICE (an offer with new credentials, answered as any
// other) and retries with backoff until ICE connects; the peer connection,
// tracks and receivers stay. RestartICE restarts from either side, and a
// fresh clientJoin (the peer reconnected) restarts too. If offers cross,
// the first offerer keeps its own and the other side answers it.
//
// Relay kinds: "offer" and "answer" ({type, sdp}), "candidate" (an
// ICECandidateInit, trickled as gathered) and "media" ({audio, video}: the
// sender's microphone and camera are on; with "ask": true, sent after the
// sender's signaling came back, the receiver announces its own in reply).
package media
