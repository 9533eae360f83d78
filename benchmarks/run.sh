#!/usr/bin/env bash
# benchmarks/run.sh: reproduces every figure in BENCHMARKS.md, then regenerates it.
#
#   bash benchmarks/run.sh              # full run (~20-25 min on 2 cores), writes
#                                       # benchmarks/results/*.jsonl and BENCHMARKS.md
#   bash benchmarks/run.sh --no-build   # use the release binary as it is
#   bash benchmarks/run.sh --quick      # smoke test with small counts; writes to
#                                       # /tmp/effinity-bench-quick/ (BENCHMARKS.md untouched)
#   BIN=/path/to/effinity bash benchmarks/run.sh --quick --no-build
#                                       # measure another binary (e.g. a debug build); the
#                                       # report names the binary it measured
#
# What it does (see BENCHMARKS.md, "Method"):
#   1. builds the release binary (`swift build -c release --static-swift-stdlib --product effinity
#      --scratch-path .build-release`: the Swift runtime and Foundation linked in, as one would ship it);
#   2. installs localstripe (pinned) into a venv ($LS_VENV, default /tmp/benchvenv) if missing;
#      without it the localstripe figures are skipped and the report says so;
#   3. runs the in-repo harness benchmarks/stripeload.py (Python stdlib only) against
#      `effinity stripe` and localstripe, runs interleaved (ours, localstripe, ours, ...);
#   4. stripeload.py --scale (RSS, create rate, list latency vs stored customers) for both;
#   5. benchmarks/listbench.py: GET /v1/customers?limit=100 throughput at 1k and 50k customers;
#   6. `effinity bench webhooks` (also with one dead endpoint), `effinity bench isolation` (another
#      tenant's latency during a long advance), `effinity bench clock` (1,000 and 10,000 subscriptions) and
#      `effinity bench scenarios` (the scenario suite's wall time and median per scenario);
#   7. benchmarks/report.py turns the JSON lines into BENCHMARKS.md (ratios computed there).
# Every load generator talks to 127.0.0.1 only and stops by itself (request counts and time caps).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/benchmarks"
HARNESS="$BENCH/stripeload.py"
LS_VENV=${LS_VENV:-/tmp/benchvenv}
LS_VERSION=${LS_VERSION:-1.15.10}
SCRATCH="$ROOT/.build-release"
DEFAULT_BIN="$SCRATCH/release/effinity"
BIN=${BIN:-$DEFAULT_BIN}
PY=${PYTHON:-python3}

BUILD=1
QUICK=0
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    --quick) QUICK=1 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 0 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done

if [ "$QUICK" = 1 ]; then
  OUT=${OUT:-/tmp/effinity-bench-quick}
  REPORT=${REPORT:-$OUT/BENCHMARKS.md}
  RUNS=1; REQUESTS=300; FLOWS=30; MAXS=5; WRKS=2
  SCALE_OURS=1000,5000; SCALE_LS=500,1000; SCALE_LS_MAX=60
  LIST_OURS=1000,5000; LIST_LS=1000; LIST_REQ=200; LIST_MAXS=3
  HOOK_EVENTS=500; CLOCK_SUBS="100 300"; CLOCK_TIMEOUT=300; ISOLATION_SUBS=100
else
  OUT=${OUT:-$BENCH/results}
  REPORT=${REPORT:-$ROOT/BENCHMARKS.md}
  RUNS=${RUNS:-3}; REQUESTS=2000; FLOWS=200; MAXS=10; WRKS=5
  SCALE_OURS=1000,10000,50000; SCALE_LS=1000,2000,5000; SCALE_LS_MAX=${SCALE_LS_MAX:-180}
  LIST_OURS=1000,50000; LIST_LS=1000; LIST_REQ=1000; LIST_MAXS=10
  HOOK_EVENTS=2000; CLOCK_SUBS="1000 10000"; CLOCK_TIMEOUT=${CLOCK_TIMEOUT:-1500}; ISOLATION_SUBS=1000
fi
LOGS="$OUT/logs"
mkdir -p "$OUT" "$LOGS"
rm -rf "$OUT"/*.jsonl "$LOGS"/*
T0=$(date +%s)
say() { printf '[%4ds] %s\n' $(( $(date +%s) - T0 )) "$*" >&2; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- 1. release binary -----------------------------------------------------------------------
if [ "$BUILD" = 1 ] && [ "$BIN" != "$DEFAULT_BIN" ]; then
  say "BIN=$BIN given: not building the release binary"
elif [ "$BUILD" = 1 ]; then
  say "building release binary (scratch path $SCRATCH)"
  (cd "$ROOT" && nice swift build -c release --static-swift-stdlib --product effinity --scratch-path "$SCRATCH") >"$LOGS/build.log" 2>&1 \
    || { echo "release build failed, see $LOGS/build.log" >&2; exit 1; }
fi
[ -x "$BIN" ] || { echo "no executable binary at $BIN (run without --no-build, or set BIN)" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")   # absolute: some steps run from another folder

# ---- 2. peers and tools ----------------------------------------------------------------------
LS_NOTE=""
if [ ! -x "$LS_VENV/bin/localstripe" ]; then
  say "installing localstripe==$LS_VERSION into $LS_VENV"
  { "$PY" -m venv "$LS_VENV" && "$LS_VENV/bin/pip" install -q "localstripe==$LS_VERSION"; } >"$LOGS/localstripe-install.log" 2>&1 \
    || LS_NOTE="localstripe could not be installed (see $LOGS/localstripe-install.log)"
fi
[ -x "$LS_VENV/bin/localstripe" ] || LS_NOTE=${LS_NOTE:-"localstripe not available"}
if [ -n "$LS_NOTE" ]; then say "SKIPPING localstripe: $LS_NOTE"; fi
if ! command -v wrk >/dev/null 2>&1; then
  { apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; } >"$LOGS/wrk-install.log" 2>&1 \
    || say "wrk not installed: the wrk cross-check is skipped"
fi

machine_info() {  # $1 = phase (start|end)
  "$PY" - "$1" "$ROOT" "$LS_VENV" "$LS_NOTE" "$QUICK" "$BIN" <<'EOF' >>"$OUT/machine.jsonl"
import json, os, re, subprocess, sys, time
phase, root, venv, ls_note, quick, binary = sys.argv[1:7]
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:
        return None
rec = {"metric": "machine", "phase": phase, "ts": round(time.time(), 3),
       "date_utc": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
       "loadavg": open("/proc/loadavg").read().split()[:3]}
if phase == "start":
    cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
    mem = [l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal:")]
    rec.update({
        "nproc": int(sh("nproc") or os.cpu_count()),
        "cpu_model": cpu[0] if cpu else None,
        "mem_total_gib": round(int(mem[0]) / 1024 / 1024, 1) if mem else None,
        "kernel": sh("uname -sr"),
        "swift": (sh("swift --version 2>&1") or "").splitlines()[0] if sh("command -v swift") else None,
        "python": sh("python3 --version"),
        "git_commit": sh(f"git -C {root} rev-parse --short HEAD"),
        # the results this run rewrites do not make the measured tree dirty
        "git_dirty": bool(sh(f"git -C {root} status --porcelain --untracked-files=no -- . "
                             f"':(exclude)benchmarks/results' ':(exclude)BENCHMARKS.md'")),
        "localstripe": None if ls_note else sh(f"{venv}/bin/pip show localstripe 2>/dev/null | sed -n 's/^Version: //p'"),
        "localstripe_note": ls_note or None,
        "wrk": sh("wrk -v 2>&1 | head -1") if sh("command -v wrk") else None,
        "quick": quick == "1",
        "binary": binary,
        # a subcommand whose name mentions scenarios, in the SUBCOMMANDS part of the help
        "scenario_runner": bool(re.search(r"(?m)^  \S*scenario\S*(\s|$)",
                                          (sh(f"{binary} --help 2>&1") or "").partition("SUBCOMMANDS:")[2].lower())),
    })
print(json.dumps(rec))
EOF
}
machine_info start

# ---- 3. the HTTP workload, ours and localstripe, interleaved runs ----------------------------
PORT_OURS=$(free_port)
PORT_LS=$(free_port)
OURS_CMD="$BIN stripe --port $PORT_OURS"
LS_CMD="$LS_VENV/bin/localstripe --port $PORT_LS --from-scratch"
mkdir -p "$LOGS/ours" "$LOGS/localstripe"   # server logs, one folder per server
SB_ARGS=(--runs 1 --requests "$REQUESTS" --flows "$FLOWS" --max-seconds "$MAXS" --wrk --wrk-seconds "$WRKS")
for i in $(seq 1 "$RUNS"); do
  say "stripeload run $i/$RUNS: ours"
  timeout 600 "$PY" "$HARNESS" --base-url "http://127.0.0.1:$PORT_OURS" --name ours \
    --server-cmd "$OURS_CMD" "${SB_ARGS[@]}" --log-dir "$LOGS/ours" --out "$OUT/http-ours.jsonl" >/dev/null 2>>"$LOGS/stripeload-ours.log" \
    || say "stripeload ours run $i failed (see $LOGS/stripeload-ours.log)"
  if [ -z "$LS_NOTE" ]; then
    say "stripeload run $i/$RUNS: localstripe"
    timeout 900 "$PY" "$HARNESS" --base-url "http://127.0.0.1:$PORT_LS" --name localstripe \
      --server-cmd "$LS_CMD" "${SB_ARGS[@]}" --log-dir "$LOGS/localstripe" --out "$OUT/http-localstripe.jsonl" >/dev/null 2>>"$LOGS/stripeload-localstripe.log" \
      || say "stripeload localstripe run $i failed (see $LOGS/stripeload-localstripe.log)"
  fi
done

# ---- 3b. the HTTP floor: a 404 answered without touching the database -------------------------
# The most any handler could reach through this HTTP stack on this machine (wrk, like the write
# and single-read figures). It bounds the ratios that small requests at concurrency 1 can show.
if command -v wrk >/dev/null 2>&1; then
  say "HTTP floor (wrk, unknown path, c1 and c8)"
  PORT_FLOOR=$(free_port)
  "$BIN" stripe --port "$PORT_FLOOR" --log-level error >"$LOGS/floor-server.log" 2>&1 &
  FLOOR_PID=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT_FLOOR/v1/customers" && break; sleep 0.05; done
  printf 'wrk.headers["Authorization"] = "Bearer sk_test_floor"\n' > "$LOGS/floor.lua"
  for c in 1 8; do
    t=$(( c < 2 ? 1 : 2 ))
    wrk -t"$t" -c"$c" -d5s --latency -s "$LOGS/floor.lua" "http://127.0.0.1:$PORT_FLOOR/v1/__floor" >"$LOGS/floor-c$c.txt" 2>&1 || true
    "$PY" - "$c" "$LOGS/floor-c$c.txt" >>"$OUT/floor-ours.jsonl" <<'PYEOF'
import json, re, sys
c, path = int(sys.argv[1]), sys.argv[2]
text = open(path).read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = re.search(r"Requests/sec:\s+([0-9.]+)", text)
p50 = re.search(r"^\s+50%\s+([0-9.]+)(us|ms|s)", text, re.M)
p99 = re.search(r"^\s+99%\s+([0-9.]+)(us|ms|s)", text, re.M)
print(json.dumps({"metric": "floor", "concurrency": c, "path": "/v1/__floor (404)",
                  "rps": float(rps.group(1)) if rps else None,
                  "p50_ms": ms(*p50.groups()) if p50 else None, "p99_ms": ms(*p99.groups()) if p99 else None}))
PYEOF
  done
  kill "$FLOOR_PID" 2>/dev/null || true; wait "$FLOOR_PID" 2>/dev/null || true
fi

# ---- 4. scale mode: RSS, create rate and list latency vs stored customers --------------------
say "stripeload --scale: ours ($SCALE_OURS)"
timeout 900 "$PY" "$HARNESS" --base-url "http://127.0.0.1:$PORT_OURS" --name ours --server-cmd "$OURS_CMD" \
  --scale --scale-checkpoints "$SCALE_OURS" --scale-max-seconds 600 --log-dir "$LOGS/ours" \
  --out "$OUT/scale-ours.jsonl" >/dev/null 2>>"$LOGS/scale-ours.log" || say "scale ours failed"
if [ -z "$LS_NOTE" ]; then
  say "stripeload --scale: localstripe ($SCALE_LS, cap ${SCALE_LS_MAX}s)"
  timeout $(( SCALE_LS_MAX + 300 )) "$PY" "$HARNESS" --base-url "http://127.0.0.1:$PORT_LS" --name localstripe \
    --server-cmd "$LS_CMD" --scale --scale-checkpoints "$SCALE_LS" --scale-max-seconds "$SCALE_LS_MAX" --log-dir "$LOGS/localstripe" \
    --out "$OUT/scale-localstripe.jsonl" >/dev/null 2>>"$LOGS/scale-localstripe.log" || say "scale localstripe failed"
fi

# ---- 5. list throughput at 1k and 50k stored customers ---------------------------------------
LB_ARGS=(--requests "$LIST_REQ" --max-seconds "$LIST_MAXS" --log-dir "$LOGS")
say "listbench: ours ($LIST_OURS)"
timeout 900 "$PY" "$BENCH/listbench.py" --base-url "http://127.0.0.1:$PORT_OURS" --name ours --server-cmd "$OURS_CMD" \
  --checkpoints "$LIST_OURS" --seed-max-seconds 600 "${LB_ARGS[@]}" --out "$OUT/list-ours.jsonl" >/dev/null \
  2>>"$LOGS/list-ours.log" || say "listbench ours failed"
if [ -z "$LS_NOTE" ]; then
  say "listbench: localstripe ($LIST_LS)"
  timeout 600 "$PY" "$BENCH/listbench.py" --base-url "http://127.0.0.1:$PORT_LS" --name localstripe --server-cmd "$LS_CMD" \
    --checkpoints "$LIST_LS" --seed-max-seconds 240 "${LB_ARGS[@]}" --out "$OUT/list-localstripe.jsonl" >/dev/null \
    2>>"$LOGS/list-localstripe.log" || say "listbench localstripe failed"
fi

# ---- 6. in-process engine benchmarks ----------------------------------------------------------
say "effinity bench webhooks --events $HOOK_EVENTS"
"$PY" "$BENCH/engine.py" --name "webhooks_$HOOK_EVENTS" --timeout 600 --out "$OUT/engine.jsonl" -- \
  "$BIN" bench webhooks --events "$HOOK_EVENTS" >&2 || say "webhook bench wrapper failed"
say "effinity bench webhooks --events $HOOK_EVENTS --dead-endpoints 1 (one refusing endpoint beside the live one)"
"$PY" "$BENCH/engine.py" --name "webhooksdead_$HOOK_EVENTS" --timeout 600 --out "$OUT/engine.jsonl" -- \
  "$BIN" bench webhooks --events "$HOOK_EVENTS" --dead-endpoints 1 >&2 || say "webhook bench (dead endpoint) wrapper failed"
say "effinity bench isolation --subscriptions $ISOLATION_SUBS (another tenant's latency during a year's advance)"
"$PY" "$BENCH/engine.py" --name "isolation_$ISOLATION_SUBS" --timeout 900 --out "$OUT/engine.jsonl" -- \
  "$BIN" bench isolation --subscriptions "$ISOLATION_SUBS" >&2 || say "isolation bench wrapper failed"
for n in $CLOCK_SUBS; do
  say "effinity bench clock --subscriptions $n (cap ${CLOCK_TIMEOUT}s)"
  "$PY" "$BENCH/engine.py" --name "clock_$n" --timeout "$CLOCK_TIMEOUT" --out "$OUT/engine.jsonl" -- \
    "$BIN" bench clock --subscriptions "$n" >&2 || say "clock bench wrapper failed"
done

say "effinity bench scenarios (the whole suite, $(nproc) jobs)"
(cd "$ROOT" && "$PY" "$BENCH/engine.py" --name "scenarios" --timeout 600 --out "$OUT/engine.jsonl" -- \
  "$BIN" bench scenarios scenarios) >&2 || say "scenario bench wrapper failed"

machine_info end

# ---- 7. the report -----------------------------------------------------------------------------
say "writing $REPORT"
"$PY" "$BENCH/report.py" --results "$OUT" --out "$REPORT"
say "done in $(( $(date +%s) - T0 )) s; raw results in $OUT"
