#!/usr/bin/env python3
"""Run one `effinity bench ...` command with a time cap; emit its figures as one JSON line.

    python3 benchmarks/engine.py --name clock_10000 --timeout 1500 --out results/engine.jsonl -- \
        .build-release/release/effinity bench clock --subscriptions 10000

The command's `key value` / `key=value` lines are parsed into numbers; the wall time
and the peak RSS of the child (getrusage) are added, and so is the raw output.
A command that times out or fails is still recorded (`ok: false`, `reason`).
"""
import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time


def parse(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"^([a-z_]+)\s+([-0-9.]+)\b", line)           # advance_seconds 29.666 (...)
        if m:
            out[m.group(1)] = float(m.group(2))
        for k, v in re.findall(r"([a-z_][a-z0-9_]*)=([-0-9.]+)(?![\w.])", line):  # subscriptions=1000 p50=0.3
            prefix = line.split()[0] + "." if not line.startswith(k) and " " in line else ""
            out[prefix + k] = float(v)
        m = re.search(r"work items run: (\d+)", line)
        if m:
            out["work_items"] = int(m.group(1))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--timeout", type=float, required=True, help="seconds")
    ap.add_argument("--out", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    rec = {"metric": "engine", "name": args.name, "cmd": " ".join(cmd), "ts": round(time.time(), 3)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)

    def _stop(*_):
        os.killpg(proc.pid, signal.SIGKILL)
        sys.exit(130)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        output, _ = proc.communicate(timeout=args.timeout)
        rec["ok"] = proc.returncode == 0
        if proc.returncode != 0:
            rec["reason"] = f"exit status {proc.returncode}"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        rec["ok"] = False
        rec["reason"] = f"did not finish within {args.timeout:.0f} s (killed)"
    rec["wall_seconds"] = round(time.perf_counter() - t0, 3)
    rec["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    rec["figures"] = parse(output or "")
    rec["output"] = (output or "")[-4000:]
    with open(args.out, "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(json.dumps({k: v for k, v in rec.items() if k != "output"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
