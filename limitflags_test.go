package main

import (
	"flag"
	"io"
	"testing"
	"time"

	"duet/call/server"
)

func TestLimitFlags(t *testing.T) {
	parse := func(args ...string) (*server.Limits, error) {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		l := addLimitFlags(fs)
		return l, fs.Parse(args)
	}
	l, err := parse()
	if err != nil || l.Messages != server.DefaultLimits().Messages || l.Rings != server.DefaultLimits().Rings {
		t.Fatalf("no flags: %+v, %v; want the defaults", l, err)
	}
	l, err = parse("--limit-calls", "2,10s", "--limit-rings", "off", "--limit-messages", "10,100ms")
	if err != nil {
		t.Fatal(err)
	}
	if l.Calls != (server.Rate{Every: 10 * time.Second, Burst: 2}) || l.Rings != (server.Rate{Every: -1}) ||
		l.Messages != (server.Rate{Every: 100 * time.Millisecond, Burst: 10}) || l.FloodStrikes != 0 {
		t.Fatalf("limits %+v", *l)
	}
	if l, err = parse("--no-limits"); err != nil || !l.Off {
		t.Fatalf("--no-limits: %+v, %v", l, err)
	}
	if _, err = parse("--limit-calls", "5"); err == nil {
		t.Fatal("--limit-calls 5 was accepted")
	}
}
