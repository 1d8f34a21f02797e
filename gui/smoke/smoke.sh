#!/usr/bin/env bash
# Smoke run of the desktop app in a real window under Xvfb: builds duet,
# starts `duet serve --open` on a loopback port and `duet bot` answering
# with synthetic media, then opens the app signed in, lets it place a video
# call to the bot, and waits until the remote video shows. The app saves a
# screenshot (OUT/smoke.png) and the figures it measured during the call
# (OUT/smoke.json: frames decoded and drawn per second, CPU, RSS), and quits.
#
#   gui/smoke/smoke.sh            # OUT defaults to bin/smoke
#   MEASURE=20s gui/smoke/smoke.sh
#
# Needs xvfb-run (apt-get install xvfb xauth) and Mesa's software GL.
set -euo pipefail

cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/bin/smoke}
MEASURE=${MEASURE:-10s}
mkdir -p "$OUT"
rm -f "$OUT/smoke.png" "$OUT/smoke.json"
export LANG=${LANG:-C.UTF-8}
# Keep the run's preferences, logs and database apart from the user's.
export XDG_CONFIG_HOME="$OUT/config" HOME="$OUT/home"
mkdir -p "$XDG_CONFIG_HOME" "$HOME"

echo "smoke: building duet"
go build -o "$OUT/duet" .

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
status=0
timeout 120 xvfb-run -a -s "-screen 0 1280x800x24" \
	"$OUT/duet" --server "$url" --account smoke --synthetic --device smoke-desktop \
	--call smokebot --screenshot "$OUT/smoke.png" --measure "$MEASURE" >"$OUT/app.log" 2>&1 || status=$?

if [ ! -s "$OUT/smoke.json" ]; then
	echo "smoke: FAILED (exit $status), no report; see $OUT/app.log"
	tail -20 "$OUT/app.log"
	exit 1
fi
cat "$OUT/smoke.json"
if [ "$status" -ne 0 ] || grep -q '"error"' "$OUT/smoke.json"; then
	echo "smoke: FAILED (exit $status); see $OUT/app.log"
	exit 1
fi
echo "smoke: OK — screenshot $OUT/smoke.png"
