#!/usr/bin/env bash
# Timeline report at scale: a deployment of OPERATIONS trivial operations (stages of 20) is run,
# then `avdeploy report` is timed (median of REPEAT) and the page is loaded in headless Chromium,
# which measures every attempt bar (all must be wider than zero) and takes a screenshot.
# Prints the report's time, its size, the bars measured and where the screenshot is.
#
# Usage: scripts/bench-report.sh [OPERATIONS] [REPEAT]     (KEEP=1 keeps the work folder)
set -euo pipefail

ops=${1:-1000}
repeat=${2:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
else
  cargo build --quiet --manifest-path "$repo/Cargo.toml"
fi
bin="$repo/target/$profile/avdeploy"
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

dir="$work/deploy"
mkdir -p "$dir/modules/bench/operations"
printf 'bench:\n  name: "report"\n' > "$dir/config.yaml"
{
  printf 'module:\n  id: "bench"\n  name: "bench"\n  operations:\n'
  for ((i = 1; i <= ops; i++)); do
    printf '    - id: "op-%04d"\n      parallel_group: %d\n' "$i" $(((i - 1) / 20 + 1))
  done
} > "$dir/modules/bench/module.yaml"
for ((i = 1; i <= ops; i++)); do
  printf 'operation:\n  id: "op-%04d"\n  duration: { expected: 1, timeout: 60, type: FAST }\n  template:\n    type: "bash-script"\n    command: "true"\n' "$i" \
    > "$dir/modules/bench/operations/op-$i.yaml"
done
"$bin" -C "$dir" run bench --throttle 16 > "$work/run.out"

: > "$work/times"
for ((r = 1; r <= repeat; r++)); do
  start=$(date +%s.%N)
  "$bin" -C "$dir" report -o "$work/report.html" > /dev/null
  echo "$(date +%s.%N) - $start" | bc >> "$work/times"
done
median=$(sort -n "$work/times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync)
sed 's|</body>|<script>const w=[...document.querySelectorAll("rect.attempt")].map(r=>r.getBoundingClientRect().width);const p=document.createElement("pre");p.id="measured";p.textContent=w.length+" "+w.filter(x=>x>0).length+" "+Math.min(...w).toFixed(2);document.body.appendChild(p);</script></body>|' \
  "$work/report.html" > "$work/measure.html"
read -r bars visible narrowest < <(chromium "${flags[@]}" --user-data-dir="$work/p1" --dump-dom "file://$work/measure.html" 2>/dev/null \
  | sed -n 's|.*<pre id="measured">\([^<]*\)</pre>.*|\1|p')
chromium "${flags[@]}" --user-data-dir="$work/p2" --window-size=1400,1600 \
  --screenshot="$work/report.png" "file://$work/report.html" 2> /dev/null

echo "operations: $ops; report (median of $repeat): ${median}s; page: $(du -k "$work/report.html" | cut -f1) KiB"
echo "bars in Chromium: $bars, wider than zero: $visible, narrowest: ${narrowest}px"
echo "screenshot: $work/report.png${KEEP:+ (kept)}"
