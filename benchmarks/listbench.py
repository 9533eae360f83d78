#!/usr/bin/env python3
"""List throughput and latency as the number of stored customers grows.

Reuses the shared harness (`stripebench.py`: its HTTP client, bounded phase
runner, server start/stop and RSS sampling) so the figures are measured the
same way as the other phases.  For each checkpoint N it creates customers until
N are stored (concurrently, with a time cap), then runs
`GET /v1/customers?limit=100` at every concurrency for at most `--requests`
requests or `--max-seconds`, and emits one JSON line (`metric: "list_load"`)
with ops/s, p50/p99, errors (non-2xx, unusable body, or a page that does not
have min(limit, N) items) and the server's RSS.

    python3 benchmarks/listbench.py --base-url http://127.0.0.1:18427 --name ours \
        --server-cmd ".build-release/release/effinity stripe --port 18427" \
        --checkpoints 1000,50000 --out results/list-ours.jsonl
"""
import argparse
import asyncio
import importlib.util
import json
import os
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_HARNESS = os.environ.get("STRIPEBENCH", os.path.join(HERE, "..", "..", "shared", "bench", "stripebench.py"))


def load_harness(path):
    spec = importlib.util.spec_from_file_location("stripebench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


async def seed(sb, args, target, have, deadline):
    """Create customers until `target` are stored; returns (created ok, record)."""
    cl = sb.Client(args.base_url, args.api_key, args.seed_concurrency)
    st = sb.Stats()
    tag = sb.rnd(6)

    async def op(i):
        s, js, dt, e = await cl.req("POST", "/v1/customers",
                                    {"email": f"l{tag}{i}@example.com", "name": "List bench"})
        st.add(s, dt, isinstance(js, dict) and str(js.get("id", "")).startswith("cus_"), e)

    try:
        n, el, stopped = await sb.run_bounded(args.seed_concurrency, target - have,
                                              max(0.0, deadline - time.perf_counter()), op)
    finally:
        await cl.close()
    return st.ok, {"seed_requests": n, "seed_errors": st.errors, "seed_seconds": sb.r3(el),
                   "seed_creates_per_s": sb.r3(n / el) if el > 0 else None,
                   "seed_stopped_by": stopped}


async def list_phase(sb, args, conc, stored):
    cl = sb.Client(args.base_url, args.api_key, conc)
    st = sb.Stats()
    want = min(args.limit, stored)

    async def op(i):
        s, js, dt, e = await cl.req("GET", "/v1/customers", {"limit": str(args.limit)})
        good = (isinstance(js, dict) and isinstance(js.get("data"), list) and len(js["data"]) == want)
        st.add(s, dt, good, e)
        if not (sb.ok(s) and good) and len(st.samples) < 3:
            got = len(js["data"]) if isinstance(js, dict) and isinstance(js.get("data"), list) else None
            st.samples.append({"status": s, "error": e or sb.err_msg(js), "items": got, "wanted": want})

    try:
        n, el, stopped = await sb.run_bounded(conc, args.requests, args.max_seconds, op)
    finally:
        await cl.close()
    return sb.phase_record(f"list_customers_limit{args.limit}", conc, st, n, el, stopped)


async def run(sb, args, emit, pid):
    checkpoints = sorted(int(x) for x in args.checkpoints.split(",") if x)
    concs = [int(c) for c in args.concurrency.split(",")]
    deadline = time.perf_counter() + args.seed_max_seconds
    stored = 0
    for cp in checkpoints:
        got, seedrec = await seed(sb, args, cp, stored, deadline)
        stored += got
        for conc in concs:
            sampler = sb.RssSampler(pid) if pid else None
            if sampler:
                sampler.__enter__()
            try:
                rec = await list_phase(sb, args, conc, stored)
            finally:
                if sampler:
                    sampler.__exit__(None, None, None)
            rec.update({"metric": "list_load", "objects": stored, "target": cp, "limit": args.limit})
            rec.update(seedrec)
            if pid:
                rec["rss_peak_kb"] = sampler.peak
                rec["rss_after_kb"] = sb.proc_tree_rss_kb(pid)
            emit(rec)
        if stored < cp:
            emit({"metric": "list_load_stopped", "objects": stored, "target": cp,
                  "reason": f"seeding time cap {args.seed_max_seconds}s"})
            break


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--server-cmd", required=True)
    ap.add_argument("--api-key", default="sk_test_bench")
    ap.add_argument("--checkpoints", default="1000,50000")
    ap.add_argument("--seed-concurrency", type=int, default=8)
    ap.add_argument("--seed-max-seconds", type=float, default=300.0, help="time cap for all seeding")
    ap.add_argument("--concurrency", default="1,8")
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--max-seconds", type=float, default=10.0)
    ap.add_argument("--harness", default=DEFAULT_HARNESS, help="path to stripebench.py")
    ap.add_argument("--log-dir", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    sb = load_harness(args.harness)

    outf = open(args.out, "a") if args.out else None

    def emit(rec):
        rec = {"server": args.name, "run": 0, "ts": round(time.time(), 3), **rec}
        line = json.dumps(rec)
        print(line, flush=True)
        if outf:
            outf.write(line + "\n")
            outf.flush()

    def _on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)

    log_dir = args.log_dir or tempfile.mkdtemp(prefix="listbench-")
    srv = sb.Server(args.server_cmd, args.base_url, args.api_key, os.path.join(log_dir, f"server-list-{args.name}.log"))
    try:
        ms, _ = srv.start()
        emit({"metric": "list_startup", "startup_ms": sb.r3(ms)})
        asyncio.run(run(sb, args, emit, srv.pid))
    finally:
        srv.stop()
        if outf:
            outf.close()


if __name__ == "__main__":
    sys.exit(main())
