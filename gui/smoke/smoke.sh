#!/usr/bin/env bash
# Smoke run of the desktop app in a real window under Xvfb: builds duet,
# starts `duet serve --open` on a loopback port and `duet bot` answering
# with synthetic media, then opens the app signed in; the app places a video
# call to the bot (--call), measures the call once the remote video shows
# (--screenshot, --measure) and writes OUT/smoke.json: frames decoded and
# drawn per second, CPU, RSS; OUT/smoke.pprof: a CPU profile of that time.
# While it lingers in the call, this script saves the screen as
# OUT/smoke.png (the app's own capture, OUT/app-capture.png, is black under
# Xvfb's software GL, which cannot read back the front buffer).
#
#   gui/smoke/smoke.sh                 # OUT defaults to bin/smoke
#   MEASURE=20s gui/smoke/smoke.sh
#
# Needs xvfb-run and xauth (apt-get install xvfb xauth), Mesa's software GL
# (libgl1-mesa-dri) and ImageMagick's import (apt-get install imagemagick).
set -euo pipefail

cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/bin/smoke}
MEASURE=${MEASURE:-10s}
mkdir -p "$OUT"
rm -f "$OUT"/smoke.png "$OUT"/smoke.json "$OUT"/smoke.pprof "$OUT"/app-capture.*

echo "smoke: building duet"
go build -o "$OUT/duet" .

export LANG=${LANG:-C.UTF-8}
# Keep the run's preferences and logs apart from the user's.
export XDG_CONFIG_HOME="$OUT/config"
mkdir -p "$XDG_CONFIG_HOME"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

"$OUT/duet" serve --open --addr 127.0.0.1:0 --db "$OUT/server.db" >"$OUT/serve.log" 2>&1 &
pids+=($!)
url=""
for _ in $(seq 100); do
	url=$(grep -o 'ws://[^ ]*/ws' "$OUT/serve.log" | head -1 || true)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { echo "smoke: server did not start"; cat "$OUT/serve.log"; exit 1; }
echo "smoke: server at $url"

"$OUT/duet" bot --server "$url" --account smokebot --answer accept >"$OUT/bot.log" 2>&1 &
pids+=($!)

echo "smoke: app calling smokebot under Xvfb (measuring $MEASURE)"
export OUT MEASURE url
status=0
timeout 180 xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
	"$OUT/duet" --server "$url" --account smoke --synthetic --device smoke-desktop \
		--call smokebot --screenshot "$OUT/app-capture.png" --measure "$MEASURE" >"$OUT/app.log" 2>&1 &
	app=$!
	for _ in $(seq 1200); do
		[ -s "$OUT/app-capture.json" ] && break
		kill -0 $app 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$OUT/app-capture.json" ] && import -window root "$OUT/smoke.png"
	wait $app
' || status=$?

if [ ! -s "$OUT/app-capture.json" ]; then
	echo "smoke: FAILED (exit $status), no report; see $OUT/app.log"
	grep -v "^ALSA\|cannot find card" "$OUT/app.log" | tail -20
	exit 1
fi
mv "$OUT/app-capture.json" "$OUT/smoke.json"
[ -f "$OUT/app-capture.pprof" ] && mv "$OUT/app-capture.pprof" "$OUT/smoke.pprof"
cat "$OUT/smoke.json"
if [ -f "$OUT/smoke.pprof" ]; then
	echo "smoke: where the app's CPU went (Go's view; cgo = libvpx, opus, GL):"
	go tool pprof -top -nodecount=15 "$OUT/duet" "$OUT/smoke.pprof" 2>/dev/null | sed -n '1,22p' || true
fi
if [ "$status" -ne 0 ] || grep -q '"error"' "$OUT/smoke.json" || [ ! -s "$OUT/smoke.png" ]; then
	echo "smoke: FAILED (exit $status); see $OUT/app.log"
	exit 1
fi
echo "smoke: OK — screenshot $OUT/smoke.png"
