# Duet build, run and test. `make run` and `make test` work on a fresh Debian
# machine with Go installed: `deps` installs the system packages first.

GO        ?= go
BIN       := bin/duet
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
DEB_PKGS  := gcc g++ pkg-config libvpx-dev libgl1-mesa-dev libx11-dev libxcursor-dev \
             libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build run test bench fuzz clean

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

run: build
	./$(BIN) serve --open

test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

# Benchmarks print their figures; nothing here fails on a time.
# Scenario benchmarks run once and report their own figures (latency
# percentiles, flows/s, memory per client, CPU per call minute); the micro
# benchmarks run as usual.
SCENARIOS := CallToBeCalling|CallFlow|IdleClientMemory|AcceptToFirstFrame|VideoCall
bench: deps
	$(GO) test -run '^$$' -bench '$(SCENARIOS)' -benchtime 1x -timeout 30m ./call/server/ ./call/phone/
	$(GO) test -run '^$$' -bench 'RecordInsert' -benchmem ./call/server/
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./devices/...

# Runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 1m
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecodeEnvelope -fuzztime $(FUZZTIME) ./call/proto/
	$(GO) test -run '^$$' -fuzz FuzzServerConnection -fuzztime $(FUZZTIME) ./call/server/
	$(GO) test -run '^$$' -fuzz FuzzVP8Assembler -fuzztime $(FUZZTIME) ./call/media/
	$(GO) test -run '^$$' -fuzz FuzzReadFrameStamp -fuzztime $(FUZZTIME) ./devices/
	$(GO) test -run '^$$' -fuzz FuzzVP8Decoder -fuzztime $(FUZZTIME) ./devices/
	$(GO) test -run '^$$' -fuzz FuzzOpusDecoder -fuzztime $(FUZZTIME) ./devices/

clean:
	rm -rf bin
