package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// kvOperationHeader marks a key-value bucket's delete and purge markers, as
// the bucket's own Delete and Purge write them.
const kvOperationHeader = "KV-Operation"

// readBusy reads a busy key from its bucket's leader. A key-value Get
// may be answered by any replica of the bucket (a direct get), a moment
// behind the leader: a key freed a moment ago could read as held, and an
// account be refused as busy for a call that is over. found is false for
// a key that never was.
func (c *cluster) readBusy(ctx context.Context, key string) (cur busyRev, found bool, err error) {
	req, _ := json.Marshal(struct {
		LastBySubject string `json:"last_by_subj"`
	}{busySubject(key)})
	msg, err := c.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.KV_"+busyBucket, req)
	if err != nil {
		return busyRev{}, false, fmt.Errorf("read busy key %s: %w", key, err)
	}
	cur, found, err = parseBusyRead(msg.Data)
	if err != nil {
		return busyRev{}, false, fmt.Errorf("read busy key %s: %w", key, err)
	}
	return cur, found, nil
}

// parseBusyRead reads JetStream's answer to a leader's get of a busy
// key. A key deleted or purged by hand reads as free.
func parseBusyRead(data []byte) (cur busyRev, found bool, err error) {
	var resp struct {
		Message *struct {
			Seq     uint64 `json:"seq"`
			Headers []byte `json:"hdrs"`
			Data    []byte `json:"data"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return busyRev{}, false, fmt.Errorf("unreadable answer: %w", err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return busyRev{}, false, nil
	case resp.Error != nil:
		return busyRev{}, false, resp.Error
	case resp.Message == nil || resp.Message.Seq == 0:
		return busyRev{}, false, errors.New("an answer without a message")
	}
	cur.rev = resp.Message.Seq
	if len(resp.Message.Headers) > 0 {
		h, err := nats.DecodeHeadersMsg(resp.Message.Headers)
		if err != nil {
			return busyRev{}, false, fmt.Errorf("unreadable headers: %w", err)
		}
		if op := h.Get(kvOperationHeader); op == "DEL" || op == "PURGE" {
			return cur, true, nil
		}
	}
	if len(resp.Message.Data) > 0 && json.Unmarshal(resp.Message.Data, &cur.held) != nil {
		cur.held = busyEntry{} // not ours to judge: free, as an empty value is
	}
	return cur, true, nil
}
