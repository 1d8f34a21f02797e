package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionFromBuild(t *testing.T) {
	stamped := func(mainVersion string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: "duet", Version: mainVersion}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "dev"},
		{"no vcs", stamped("(devel)"), "dev"},
		{"go install at a version", stamped("v1.2.0"), "v1.2.0"},
		{"clean commit", stamped("v0.0.0-20261124-d9f0b93abcde", "vcs.revision", "d9f0b93abcdef0123456789", "vcs.modified", "false"), "d9f0b93"},
		{"uncommitted changes", stamped("(devel)", "vcs.revision", "d9f0b93abcdef0123456789", "vcs.modified", "true"), "d9f0b93-dirty"},
	} {
		if got := versionFromBuild(tc.info); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
