package main

import "runtime/debug"

// version is set at build time with -ldflags "-X main.version=…" (make
// build). Builds without it, such as `fyne package` and `go install`, are
// named by the commit Go stamped into them.
var version string

func appVersion() string {
	if version != "" {
		return version
	}
	info, _ := debug.ReadBuildInfo()
	return versionFromBuild(info)
}

// versionFromBuild names a build the way `git describe --always --dirty`
// names a commit with no tag: "d9f0b93", or "d9f0b93-dirty" when built from
// uncommitted changes.
func versionFromBuild(info *debug.BuildInfo) string {
	if info == nil {
		return "dev"
	}
	var revision string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision == "" {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v // go install module@version
		}
		return "dev"
	}
	if len(revision) > 7 {
		revision = revision[:7]
	}
	if modified {
		revision += "-dirty"
	}
	return revision
}
