# Duet build, run and test. `make run` and `make test` work on a fresh Debian
# machine with Go installed: `deps` installs the system packages first.

GO        ?= go
BIN       := bin/duet
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
DEB_PKGS  := gcc g++ pkg-config libvpx-dev libopus-dev libwebrtc-audio-processing-dev libgl1-mesa-dev libx11-dev libxcursor-dev \
             libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth x11-xserver-utils chromium firefox-esr \
             pulseaudio pulseaudio-utils postgresql xz-utils
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build run run-two smoke package test bench netbench loadtest loadtest-cluster fuzz clean cjk-font

# Installs the Debian packages the build and tests need, only if one is missing.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

# Opens the app on its embedded server, with the Echo test and Test bot contacts.
run: build
	./$(BIN)

# Two app windows, alice and bob, on one local server: manual QA on one machine.
run-two: build
	@mkdir -p out
	./$(BIN) serve --open --addr 127.0.0.1:7601 --db out/run-two.db & srv=$$!; \
	sleep 1; \
	./$(BIN) --server ws://127.0.0.1:7601/ws --account alice --device alice-window --synthetic & a=$$!; \
	./$(BIN) --server ws://127.0.0.1:7601/ws --account bob --device bob-window --synthetic; \
	kill $$a $$srv 2>/dev/null; wait

# The real app under Xvfb in a video call with `duet bot`: a screenshot of
# the X display in out/smoke.png, taken while the app lingers in the call
# after writing its figures (Fyne's own canvas capture reads back black from
# Xvfb's software GL), and the figures measured in out/smoke.json.
SMOKE_URL := ws://127.0.0.1:7602/ws
smoke: build
	@command -v import >/dev/null || $(SUDO) apt-get install -y -qq --no-install-recommends imagemagick
	@mkdir -p out
	@rm -f out/smoke.db* out/smoke.png out/smoke.json
	./$(BIN) serve --open --addr 127.0.0.1:7602 --db out/smoke.db 2>out/smoke-serve.log & srv=$$!; \
	./$(BIN) bot --server $(SMOKE_URL) --account smokebot --answer accept --tone 660 2>out/smoke-bot.log & bot=$$!; \
	sleep 1; \
	HOME=$$(mktemp -d) xvfb-run -a -s "-screen 0 1280x800x24" sh -c '\
		./$(BIN) --server $(SMOKE_URL) --account tester --synthetic --call smokebot \
			--screenshot out/smoke-canvas.png --measure 10s 2>out/smoke-app.log & app=$$!; \
		for i in $$(seq 120); do [ -f out/smoke-canvas.json ] && break; sleep 0.5; done; \
		import -window root out/smoke.png; wait $$app'; \
	rc=$$?; kill $$bot $$srv 2>/dev/null; wait; mv out/smoke-canvas.json out/smoke.json; cat out/smoke.json; exit $$rc

# The Linux packages, Duet.tar.xz (fyne package) and duet_VERSION_ARCH.deb,
# with libvpx, libopus and the audio processing module linked statically:
# see packaging/build.sh.
package: deps
	GO=$(GO) VERSION=$(VERSION) sh packaging/build.sh .

# The server's tests run a second time on PostgreSQL (started by the
# tests). The browser tests and the package test (a static build of the
# whole app) run on their own after the rest: beside the media tests they
# would starve both on a 2-core machine. The pion/ice line tests Duet's
# changes to its copy of pion/ice (third_party/pion-ice, its own module).
PACKAGE_TEST := TestPackageNeedsOnlyGlibcGLAndX11
test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m -skip '^$(PACKAGE_TEST)$$' $$($(GO) list ./... | grep -v /call/server/web)
	DUET_TEST_DB=postgres $(GO) test -race -count=1 -timeout 30m ./call/server
	$(GO) test -race -count=1 -timeout 30m ./call/server/web
	$(GO) test -race -count=1 -timeout 10m github.com/pion/ice/v4
	$(GO) test -race -count=1 -timeout 30m -run '^$(PACKAGE_TEST)$$' .

# Benchmarks print their figures; nothing here fails on a time.
# Scenario benchmarks run once and report their own figures (latency
# percentiles, flows/s, memory per client, CPU per call minute); the micro
# benchmarks run as usual.
SCENARIOS := CallToBeCalling|CallFlow|IdleClientMemory|AcceptToFirstFrame|VideoCall
bench: deps
	$(GO) test -run '^$$' -bench '$(SCENARIOS)' -benchtime 1x -timeout 30m ./call/server/ ./call/phone/
	$(GO) test -run '^$$' -bench 'ICERestartRecovery' -benchtime 1x -timeout 30m ./call/media/
	$(GO) test -run '^$$' -bench 'RecordInsert' -benchmem ./call/server/
	$(GO) test -run '^$$' -bench 'TokenCheck|BucketTake|CallLimitsPlacing|PeekRequest' -benchmem ./call/server/
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./devices/...
	$(GO) test -run '^$$' -bench . -benchmem ./call/media/jitter/

# Video calls between two phones over emulated links (pion's vnet: a
# bottleneck queue, delay, jitter, loss), one row per scenario and
# direction, then a libwebrtc-like sender calling Duet; about six minutes
# in real time. NETBENCH=name picks
# scenarios, NETBENCH_TRACE=1 prints every second.
netbench: deps
	$(GO) test -run '^$$' -bench 'NetworkScenarios' -benchtime 1x -timeout 30m ./call/media/

# Loads a server of its own (a child process on loopback) with 1,000 and then
# 10,000 signed-in clients placing calls, and prints latency, errors and memory.
loadtest: build
	./$(BIN) loadtest --clients 1000 --rate 200 --calls 2000 --hold 1s
	./$(BIN) loadtest --clients 10000 --rate 200 --calls 2000 --hold 1s

# The same 10,000 clients and calls on a cluster of three nodes (child
# processes) on NATS and a PostgreSQL of its own: each call crosses nodes.
# The figures to set beside the last line of `make loadtest`.
loadtest-cluster: build
	./$(BIN) loadtest --cluster 3 --clients 10000 --rate 200 --calls 2000 --hold 1s

# Runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 1m
FUZZ_TARGETS = \
	call/proto:FuzzDecodeEnvelope \
	call/server:FuzzServerConnection call/server:FuzzPeekRequest call/server:FuzzParseTURNUsername \
	call/server:FuzzParseToken call/server:FuzzParseHash call/server:FuzzParseGate call/server:FuzzParseLimitNews \
	call/media:FuzzVP8Assembler call/media:FuzzICEUfrag call/media:FuzzHandleRelay \
	call/media/jitter:FuzzJitterBuffer \
	devices:FuzzReadFrameStamp devices:FuzzVP8Decoder devices:FuzzOpusDecoder devices:FuzzDecodeWAV devices:FuzzY4MHeader \
	gui:FuzzTailLines
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t#*:} ($${t%%:*}) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) ./$${t%%:*}/; \
	done

# The Chinese font the GUI embeds, cut down to the translation's characters
# (assets/fonts/subset.sh): run it after gui/translations/zh-Hans.json
# gains characters, which gui's TestCJKFontCoversTranslation points out.
cjk-font:
	@/usr/bin/python3 -c 'import fontTools' 2>/dev/null && [ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || \
		$(SUDO) apt-get install -y -qq --no-install-recommends python3-fonttools fonts-noto-cjk
	assets/fonts/subset.sh

clean:
	rm -rf bin
