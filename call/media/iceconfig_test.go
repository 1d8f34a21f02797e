package media

import (
	"testing"
	"time"
)

func TestRetryDelayBacksOffToRestartRetry(t *testing.T) {
	cfg := ICEConfig{RestartRetry: 4 * time.Second}.withDefaults()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
	for i, w := range want {
		if got := cfg.retryDelay(i + 1); got != w {
			t.Errorf("attempt %d: delay %s, want %s", i+1, got, w)
		}
	}
	if got := cfg.retryDelay(1000); got != 4*time.Second {
		t.Errorf("attempt 1000: delay %s, want the cap", got)
	}
}

func TestICEConfigDefaults(t *testing.T) {
	got := ICEConfig{RestartAfter: -1}.withDefaults()
	want := ICEConfig{DisconnectedTimeout: 5 * time.Second, FailedTimeout: 25 * time.Second,
		KeepaliveInterval: 2 * time.Second, RestartAfter: -1, RestartRetry: 5 * time.Second}
	if got != want {
		t.Fatalf("defaults %+v, want %+v (a negative RestartAfter stays)", got, want)
	}
}
