package server

import (
	"context"
	"fmt"
	"testing"

	"duet/call/proto"
)

// BenchmarkRecordInsert: one call record written, its open call cleared
// and its seq read back.
func BenchmarkRecordInsert(b *testing.B) {
	st, err := openStore(NewTestDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.close()
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		r := proto.CallRecord{CID: fmt.Sprintf("cid%08d", i), Caller: "alice", Callee: "bob", Type: proto.CallTypeVideo,
			Status: proto.StatusCompleted, CreatedAt: 1, AnsweredAt: 2, EndedAt: 3, Duration: 1}
		if _, err := st.insertRecord(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
