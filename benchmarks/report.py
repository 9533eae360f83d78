#!/usr/bin/env python3
"""Turn benchmarks/results/*.jsonl into BENCHMARKS.md.  Every figure and ratio comes from the
JSON lines written by benchmarks/run.sh; nothing here is typed by hand.

    python3 benchmarks/report.py --results benchmarks/results --out BENCHMARKS.md
"""
import argparse
import glob
import json
import os
import statistics

# the targets
T_WRITES, T_READS, T_FLOWS = 100.0, 10.0, 100.0
T_STARTUP_MS, T_IDLE_RSS_MIB, T_CLOCK_10K_S = 50.0, 40.0, 5.0
T_SCENARIOS_S = 10.0
T_FLAT = 1.5   # list p50 at the largest checkpoint at most this many times the p50 at 1k


def load(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def num(v, unit=""):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        s = f"{v:,.0f}"
    elif abs(v) >= 100:
        s = f"{v:.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}"
    return s + unit


def ratio(a, b):
    """a / b, or None."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def rx(r):
    if r is None:
        return "–"
    return f"{r:,.0f}×" if r >= 10 else f"{r:.1f}×" if r >= 1 else f"{r:.2f}×"


def mib(kb):
    return None if kb is None else kb / 1024


def verdict(ok):
    return "–" if ok is None else ("**met**" if ok else "**not met**")


class Http:
    """Medians over runs of one server's stripeload phase lines."""

    def __init__(self, recs):
        self.recs = recs
        self.runs = len([r for r in recs if r.get("metric") == "startup"])
        self.phases = {}
        for r in recs:
            if r.get("metric") == "phase" and not r.get("unsupported"):
                self.phases.setdefault((r["phase"], r["concurrency"]), []).append(r)
        self.wrk = {}
        for r in recs:
            if r.get("metric") == "wrk" and "rps" in r:
                self.wrk.setdefault((r["phase"], r["concurrency"]), []).append(r)
        self.wrk_skipped = any(r.get("metric") == "wrk" and "skipped" in r for r in recs)

    def get(self, phase, conc):
        rs = self.phases.get((phase, conc))
        if not rs:
            return None
        flow = phase == "billing_flow"
        return {
            "ok_per_s": med([r["flows_ok_per_s" if flow else "ok_per_s"] for r in rs]),
            "req_ok_per_s": med([r["ok_per_s"] for r in rs]),
            "p50": med([r["flow_p50_ms" if flow else "p50_ms"] for r in rs]),
            "p99": med([r["flow_p99_ms" if flow else "p99_ms"] for r in rs]),
            "errors": sum(r["errors"] for r in rs), "mismatch": sum(r["mismatch"] for r in rs),
            "requests": sum(r["requests"] for r in rs), "ops": sum(r["ops"] for r in rs),
            "time_capped": sum(1 for r in rs if r.get("stopped_by") == "time"), "n": len(rs),
            "variants": rs[0].get("variants"), "complete": rs[0].get("complete"),
            "steps": {s: med([r["steps"][s]["p50_ms"] for r in rs if s in (r.get("steps") or {})])
                      for s in (rs[0].get("steps") or {})},
        }

    def wrk_get(self, phase, conc):
        rs = self.wrk.get((phase, conc))
        if not rs:
            return None
        return {"rps": med([r["rps"] for r in rs]), "p50": med([r["p50_ms"] for r in rs]),
                "p99": med([r["p99_ms"] for r in rs]), "errors": sum(r["errors"] for r in rs),
                "requests": sum(r["requests"] for r in rs), "n": len(rs)}

    def metric(self, m, key):
        return [r.get(key) for r in self.recs if r.get("metric") == m]

    def startup(self):
        return med(self.metric("startup", "startup_ms"))

    def idle_rss(self):
        return mib(med(self.metric("rss_idle", "rss_kb")))

    def peak_rss(self):
        """Median over runs of the highest RSS sampled during any phase of the run."""
        per_run = {}
        for r in self.recs:
            if r.get("metric") == "phase" and r.get("rss_peak_kb"):
                per_run.setdefault(r.get("_runkey"), []).append(r["rss_peak_kb"])
        return mib(med([max(v) for v in per_run.values()]))

    def end_rss(self):
        return mib(med(self.metric("rss_end", "rss_kb")))

    def errors_total(self):
        e = sum(r.get("errors", 0) for r in self.recs if r.get("metric") == "phase")
        m = sum(r.get("mismatch", 0) for r in self.recs if r.get("metric") == "phase")
        w = sum(r.get("errors", 0) for r in self.recs if r.get("metric") == "wrk")
        req = sum(r.get("requests", 0) for r in self.recs if r.get("metric") == "phase")
        wreq = sum(r.get("requests", 0) for r in self.recs if r.get("metric") == "wrk")
        return e, m, req, w, wreq


def tag_runs(recs):
    """stripeload is started once per run (--runs 1), so each startup line opens a new run."""
    k = -1
    for r in recs:
        if r.get("metric") == "startup":
            k += 1
        r["_runkey"] = k
    return recs


def list_loads(recs):
    out = {}
    for r in recs:
        if r.get("metric") == "list_load":
            out[(r["target"], r["concurrency"])] = r
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default=os.path.join(os.path.dirname(__file__), "results"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "BENCHMARKS.md"))
    args = ap.parse_args()
    R = args.results

    machine = load(R, "machine.jsonl")
    m0 = next((r for r in machine if r.get("phase") == "start"), {})
    m1 = next((r for r in machine if r.get("phase") == "end"), {})
    ours = Http(tag_runs(load(R, "http-ours.jsonl")))
    ls = Http(tag_runs(load(R, "http-localstripe.jsonl")))
    have_ls = bool(ls.recs)
    scale_o, scale_l = load(R, "scale-ours.jsonl"), load(R, "scale-localstripe.jsonl")
    list_o, list_l = list_loads(load(R, "list-ours.jsonl")), list_loads(load(R, "list-localstripe.jsonl"))
    list_stopped = [r for r in load(R, "list-ours.jsonl") + load(R, "list-localstripe.jsonl")
                    if r.get("metric") == "list_load_stopped"]
    engine = {r["name"]: r for r in load(R, "engine.jsonl")}
    floor = {r["concurrency"]: r for r in load(R, "floor-ours.jsonl") if r.get("rps")}
    concs = sorted({c for (_, c) in ours.phases} | {c for (_, c) in ls.phases}) or [1, 8]

    L = []
    w = L.append
    w("# Benchmarks")
    w("")
    w("<!-- generated by benchmarks/report.py from benchmarks/results/*.jsonl; do not edit by hand -->")
    w("")
    w("Measured figures of the release build of `effinity stripe` (the fake Stripe), side by side with "
      "[localstripe](https://pypi.org/project/localstripe/) measured in the same run by the same harness, and "
      "the in-process engine benchmarks. Every figure below, and every ratio, is computed by "
      "`benchmarks/report.py` from the raw JSON lines in `benchmarks/results/`; none is typed by hand.")
    w("")
    w("## Reproduce")
    w("")
    w("```sh")
    w("bash benchmarks/run.sh            # builds the release binary, measures everything, rewrites this file")
    w("```")
    w("")
    w("`--no-build` uses the release binary as it is; `--quick` is a smoke test with small counts that writes to "
      "`/tmp/effinity-bench-quick/` and leaves this file alone. The runner installs localstripe "
      f"{m0.get('localstripe') or ''} into a venv (`$LS_VENV`, default `/tmp/benchvenv`) and `wrk` if missing; "
      "`BIN=/path/to/effinity` measures another binary. The load harness is `benchmarks/stripeload.py`, in this "
      "repository (Python standard library only; `benchmarks/listbench.py` builds on it; its docstring defines every "
      "measurement). A full run takes about 20–25 minutes on 2 cores, "
      "most of it the 10,000-subscription clock advance. Every load generator talks to 127.0.0.1 only and stops by "
      "itself (request counts and time caps).")
    w("")

    # ---------------- machine
    w("## Machine of the latest figures")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| date | {m0.get('date_utc', '–')} (run ended {m1.get('date_utc', '–')}) |")
    w(f"| CPUs (`nproc`) | {m0.get('nproc', '–')} |")
    w(f"| CPU model (`/proc/cpuinfo`) | {m0.get('cpu_model', '–')} |")
    w(f"| RAM | {m0.get('mem_total_gib', '–')} GiB |")
    w(f"| kernel | {m0.get('kernel', '–')} |")
    w(f"| toolchain | {m0.get('swift', '–')}; {m0.get('python', '–')} |")
    w(f"| commit measured | `{m0.get('git_commit', '–')}`{' plus uncommitted changes' if m0.get('git_dirty') else ''} |")
    if m0.get("binary"):
        w(f"| binary measured | `{m0['binary']}` |")
    w(f"| peers | localstripe {m0.get('localstripe') or '(not run: ' + str(m0.get('localstripe_note')) + ')'}; "
      f"{m0.get('wrk') or 'wrk not installed'} |")
    w(f"| load average (1/5/15 min) | start {' '.join(m0.get('loadavg', []))}, end {' '.join(m1.get('loadavg', []))} |")
    w("")
    w("The machine is small and shared (other builds may run on it), and the load generators share its CPUs with the "
      "server under test, so absolute numbers are noisy: compare the ratios, which come from runs interleaved in one "
      "session.")
    w("")
    if m0.get("quick"):
        w("> **These are `--quick` smoke-test figures (small counts), not the real measurement.**")
        w("")

    # ---------------- targets
    def pair_ratios(phase, use_wrk):
        out = {}
        for c in concs:
            if use_wrk:
                a, b = ours.wrk_get(phase, c), ls.wrk_get(phase, c)
                out[c] = ratio(a and a["rps"], b and b["rps"])
            else:
                a, b = ours.get(phase, c), ls.get(phase, c)
                out[c] = ratio(a and a["ok_per_s"], b and b["ok_per_s"])
        return out

    use_wrk = bool(ours.wrk and ls.wrk)
    client = "wrk" if use_wrk else "Python harness"
    rows = []

    def ratios_row(label, target, rs, note):
        vals = [v for v in rs.values() if v is not None]
        ok = (min(vals) >= target) if (vals and len(vals) == len(rs)) else None
        fig = ", ".join(f"c{c}: {rx(v)}" for c, v in rs.items())
        rows.append((label, fig + note, verdict(ok)))
        return ok

    if have_ls:
        ratios_row(f"writes ≥ {T_WRITES:.0f}× localstripe (`POST /v1/customers`, ok/s)", T_WRITES,
                   pair_ratios("create_customer", use_wrk), f" ({client})")
        rr = pair_ratios("retrieve_customer", use_wrk)
        lr = {}
        for c in concs:
            a, b = list_o.get((1000, c)), list_l.get((1000, c))
            lr[c] = ratio(a and a["ok_per_s"], b and b["ok_per_s"])
        rd = {**{f"get {c}": v for c, v in rr.items()}, **{f"list {c}": v for c, v in lr.items()}}
        vals = [v for v in rd.values() if v is not None]
        ok = (min(vals) >= T_READS) if vals and len(vals) == len(rd) else None
        rows.append((f"reads ≥ {T_READS:.0f}× localstripe (`GET /v1/customers/{{id}}` and "
                     "`GET /v1/customers?limit=100` at 1k customers, ok/s)",
                     "get " + ", ".join(f"c{c}: {rx(v)}" for c, v in rr.items()) + f" ({client}); list "
                     + ", ".join(f"c{c}: {rx(v)}" for c, v in lr.items()) + " (harness)", verdict(ok)))
        ratios_row(f"billing flows ≥ {T_FLOWS:.0f}× localstripe (complete flows/s)", T_FLOWS,
                   pair_ratios("billing_flow", False), " (harness)")
    else:
        rows.append(("ratios to localstripe", "localstripe not run: " + str(m0.get("localstripe_note")), "–"))
    st = ours.startup()
    st_s = ", ".join(f"{x:.1f}" for x in ours.metric("startup", "startup_ms") if x is not None)
    rows.append((f"startup to first answered request < {T_STARTUP_MS:.0f} ms",
                 f"{st:.1f} ms (median of {ours.runs} runs: {st_s})" if st is not None else "–",
                 verdict(None if st is None else st < T_STARTUP_MS)))
    flat_fig, flat_ok = "–", None
    o_targets = sorted({t for (t, _) in list_o})
    if len(o_targets) >= 2:
        lo, hi = o_targets[0], o_targets[-1]
        parts, oks = [], []
        for c in concs:
            a, b = list_o.get((lo, c)), list_o.get((hi, c))
            if a and b and a.get("p50_ms") and b.get("p50_ms"):
                r = b["p50_ms"] / a["p50_ms"]
                parts.append(f"c{c}: p50 {num(a['p50_ms'])} → {num(b['p50_ms'])} ms ({rx(r)})")
                oks.append(r <= T_FLAT and b["objects"] >= hi)
        flat_fig = f"{lo:,} → {list_o.get((hi, concs[0]), {}).get('objects', hi):,} customers: " + "; ".join(parts)
        flat_ok = all(oks) if oks else None
    rows.append((f"list latency flat from 1k to 50k customers (p50 at 50k ≤ {T_FLAT}× p50 at 1k)", flat_fig,
                 verdict(flat_ok)))
    ir = ours.idle_rss()
    ir_s = ", ".join(f"{x / 1024:.2f}" for x in ours.metric("rss_idle", "rss_kb") if x is not None)
    rows.append((f"idle RSS < {T_IDLE_RSS_MIB:.0f} MiB",
                 f"{ir:.2f} MiB (median of {ours.runs} runs: {ir_s})" if ir is not None else "–",
                 verdict(None if ir is None else ir < T_IDLE_RSS_MIB)))
    c10 = engine.get("clock_10000")
    if c10:
        adv = c10["figures"].get("advance_seconds") if c10.get("ok") else None
        fig = f"{num(adv, ' s')}" if adv is not None else f"not measured: {c10.get('reason')}"
        rf = c10["figures"].get("render_floor_seconds")
        if adv is not None and rf is not None:
            fig += (f" (rendering the {num(c10['figures'].get('stored_json_mib_added'))} MiB of JSON it stores takes "
                    f"at least {num(rf, ' s')} on its own; see the engine section)")
        rows.append((f"10,000 subscriptions, clock advanced a year < {T_CLOCK_10K_S:.0f} s", fig,
                     verdict(None if adv is None else adv < T_CLOCK_10K_S) if adv is not None else "**not met**"))
    else:
        rows.append((f"10,000 subscriptions, clock advanced a year < {T_CLOCK_10K_S:.0f} s", "not run", "–"))
    sc = engine.get("scenarios")
    if sc and sc.get("figures", {}).get("wall_seconds") is not None:
        f = sc["figures"]
        rows.append((f"scenario suite < {T_SCENARIOS_S:.0f} s (release)",
                     f"{num(f['wall_seconds'], ' s')} for {int(f.get('scenarios', 0))} scenarios, median {num(f.get('median_seconds'), ' s')}",
                     verdict(f["wall_seconds"] < T_SCENARIOS_S and sc.get("ok"))))
    else:
        rows.append((f"scenario suite < {T_SCENARIOS_S:.0f} s (release)", "not run", "–"))
    w("## Targets")
    w("")
    w("| target | latest figure | |")
    w("|---|---|---|")
    for a, b, c in rows:
        w(f"| {a} | {b} | {c} |")
    w("")
    if floor:
        ls_get = ls.wrk_get("retrieve_customer", 1)
        parts = [f"c{c}: {num(r['rps'])} req/s (p50 {num(r.get('p50_ms'))} ms)" for c, r in sorted(floor.items())]
        bound = ""
        if ls_get and floor.get(1):
            bound = (f" At concurrency 1 that is {rx(floor[1]['rps'] / ls_get['rps'])} localstripe's single-read rate, so no handler "
                     f"could show a larger read ratio at c1 on this machine.")
        w(f"HTTP floor: an unknown path (a 404 answered without touching the database) through the same server: "
          f"{'; '.join(parts)}.{bound}")
        w("")
    # The harness's own cost per request: the same GET against the same server, p50 through the
    # Python harness minus p50 through wrk. A flow of N requests can never take less than N times
    # that at concurrency 1, whatever the server.
    h_get, w_get = ours.get("retrieve_customer", 1), ours.wrk_get("retrieve_customer", 1)
    o_flow, l_flow = ours.get("billing_flow", 1), ls.get("billing_flow", 1) if have_ls else None
    if h_get and w_get and o_flow and l_flow and o_flow["ops"]:
        per_req = h_get["p50"] - w_get["p50"]
        n_req = o_flow["requests"] / o_flow["ops"]
        if per_req > 0:
            max_flows = 1000.0 / (per_req * n_req)
            w(f"Harness floor for flows: the Python harness adds {num(per_req)} ms to each request at concurrency 1 "
              f"(`GET /v1/customers/{{id}}` p50 {num(h_get['p50'])} ms through it, {num(w_get['p50'])} ms through wrk, same "
              f"server), so a flow of {n_req:.0f} requests takes at least {num(per_req * n_req)} ms of client time: at most "
              f"{num(max_flows)} flows/s, {rx(max_flows / l_flow['ok_per_s'])} localstripe's c1 flow rate, for a server "
              f"that answered instantly.")
            w("")
    w(f"A ratio target counts as met only if it holds at every concurrency (c1 = 1 client, c8 = 8 concurrent "
      f"clients). Writes and single reads are judged on the {client} figures "
      "(the Python harness shares the CPUs with the server and costs more per request than wrk, so it understates "
      "a fast server); "
      "flows and list reads only have harness figures.")
    w("")

    # ---------------- HTTP workload
    w("## HTTP API: `effinity stripe` vs localstripe")
    w("")
    w(f"Harness `benchmarks/stripeload.py`, {ours.runs} run(s) per server, interleaved (ours, localstripe, ours, …); "
      "each run starts the server fresh (ours in memory; localstripe `--from-scratch`) and runs create, retrieve "
      "and billing-flow phases at concurrency 1 and 8, each phase stopping after its request count or time cap. "
      "Figures are medians over the runs; **ratio** is ours ÷ localstripe for throughput and localstripe ÷ ours for "
      "latency (how many times faster). Throughput counts successful answers only (`ok/s`; complete flows for "
      "the billing flow).")
    w("")
    w("| workload | conc | ours ok/s | localstripe ok/s | ratio | ours p50 / p99 ms | localstripe p50 / p99 ms | "
      "p50 ratio | errors ours / ls | mismatches ours / ls |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    labels = {"create_customer": "`POST /v1/customers`", "retrieve_customer": "`GET /v1/customers/{id}`",
              "billing_flow": "billing flow (7 steps, 8 requests)"}

    def row(label, c, a, b, extra=""):
        fa = lambda d, k: None if not d else d.get(k)
        w(f"| {label}{extra} | {c} | {num(fa(a, 'ok_per_s'))} | {num(fa(b, 'ok_per_s'))} | "
          f"{rx(ratio(fa(a, 'ok_per_s'), fa(b, 'ok_per_s')))} | {num(fa(a, 'p50'))} / {num(fa(a, 'p99'))} | "
          f"{num(fa(b, 'p50'))} / {num(fa(b, 'p99'))} | {rx(ratio(fa(b, 'p50'), fa(a, 'p50')))} | "
          f"{fa(a, 'errors') if a else '–'} / {fa(b, 'errors') if b else '–'} | "
          f"{fa(a, 'mismatch') if a else '–'} / {fa(b, 'mismatch') if b else '–'} |")

    for ph in ("create_customer", "retrieve_customer", "billing_flow"):
        for c in concs:
            row(labels[ph], c, ours.get(ph, c), ls.get(ph, c))
    for t in sorted({t for (t, _) in list_o} | {t for (t, _) in list_l}):
        for c in concs:
            def lrec(d):
                r = d.get((t, c))
                return None if not r else {"ok_per_s": r["ok_per_s"], "p50": r["p50_ms"], "p99": r["p99_ms"],
                                           "errors": r["errors"], "mismatch": r["mismatch"]}
            n_o = list_o.get((t, c), {}).get("objects")
            n_l = list_l.get((t, c), {}).get("objects")
            lab = f"`GET /v1/customers?limit=100`, {t:,} customers"
            if n_o is not None and n_o != t:
                lab += f" (ours reached {n_o:,})"
            if n_l is not None and n_l != t:
                lab += f" (localstripe reached {n_l:,})"
            row(lab, c, lrec(list_o), lrec(list_l))
    w("")
    # request counts and caps
    caps = []
    for name, h in (("ours", ours), ("localstripe", ls)):
        capped = sorted({f"{p} c{c}" for (p, c), rs in h.phases.items() if any(r.get("stopped_by") == "time" for r in rs)})
        if capped:
            caps.append(f"{name}: {', '.join(capped)}")
    w("Phases stop after their request count or their time cap, whichever comes first; phases that hit the time cap: " + ("; ".join(caps) if caps else "none") + ". "
      "The list rows come from `benchmarks/listbench.py` (one server process, customers created up to each "
      "checkpoint, then `limit=100` pages for a bounded count or time).")
    w("")
    fo = ours.get("billing_flow", concs[0])
    fl = ls.get("billing_flow", concs[0])
    if fo or fl:
        steps = list((fo or fl)["steps"].keys())
        w(f"Billing flow per step, p50 ms at concurrency {concs[0]} (variants used: ours "
          f"{', '.join(f'{k}={v}' for k, v in (fo or {}).get('variants', {}).items() if v) or '–'}; localstripe "
          f"{', '.join(f'{k}={v}' for k, v in (fl or {}).get('variants', {}).items() if v) or '–'}):")
        w("")
        w("| step | ours p50 ms | localstripe p50 ms | ratio |")
        w("|---|---|---|---|")
        for s in steps:
            a = (fo or {}).get("steps", {}).get(s)
            b = (fl or {}).get("steps", {}).get(s)
            w(f"| {s} | {num(a)} | {num(b)} | {rx(ratio(b, a))} |")
        w("")
        if fl and fl.get("variants", {}).get("price") == "plan":
            w("localstripe has no `/v1/prices`, so its flow creates a legacy plan (`POST /v1/plans`) instead; every "
              "other step is the same request.")
            w("")

    if ours.wrk or ls.wrk:
        w("### `wrk` cross-check (C load generator)")
        w("")
        w("Same requests driven by `wrk` (1 thread, N connections, fixed duration) after the harness phases of "
          "each run; errors are non-2xx answers and socket errors. Medians over runs.")
        w("")
        w("| request | conc | ours req/s | localstripe req/s | ratio | ours p50 / p99 ms | localstripe p50 / p99 ms "
          "| errors ours / ls |")
        w("|---|---|---|---|---|---|---|---|")
        for ph in ("create_customer", "retrieve_customer"):
            for c in concs:
                a, b = ours.wrk_get(ph, c), ls.wrk_get(ph, c)
                g = lambda d, k: None if not d else d[k]
                w(f"| {labels[ph]} | {c} | {num(g(a, 'rps'))} | {num(g(b, 'rps'))} | {rx(ratio(g(a, 'rps'), g(b, 'rps')))} | "
                  f"{num(g(a, 'p50'))} / {num(g(a, 'p99'))} | {num(g(b, 'p50'))} / {num(g(b, 'p99'))} | "
                  f"{g(a, 'errors') if a else '–'} / {g(b, 'errors') if b else '–'} |")
        w("")
    elif ours.wrk_skipped:
        w("`wrk` was not installed, so there is no wrk cross-check.")
        w("")

    # errors
    eo, mo, ro, weo, wro = ours.errors_total()
    el, ml, rl, wel, wrl = ls.errors_total()
    w(f"Errors counted over all harness phases: ours {eo:,} errors and {mo:,} mismatches in {ro:,} requests"
      + (f"; localstripe {el:,} errors and {ml:,} mismatches in {rl:,} requests" if have_ls else "")
      + f". wrk: ours {weo:,} errors in {wro:,} requests" + (f", localstripe {wel:,} in {wrl:,}" if have_ls else "")
      + ". An error is a non-2xx answer, a network error or timeout, or a 2xx answer with an unusable body; a "
      "mismatch is a 2xx answer inconsistent with what was stored (see `benchmarks/stripeload.py`).")
    w("")

    # ---------------- startup and memory
    w("## Startup and memory")
    w("")
    w("| figure | ours | localstripe | ratio |")
    w("|---|---|---|---|")
    so, sl = ours.startup(), ls.startup()
    w(f"| startup: process start to first 2xx on `GET /v1/customers?limit=1` (median; samples ms) | {num(so, ' ms')} "
      f"({', '.join(num(x) for x in ours.metric('startup', 'startup_ms'))}) | {num(sl, ' ms')} "
      f"({', '.join(num(x) for x in ls.metric('startup', 'startup_ms'))}) | {rx(ratio(sl, so))} faster |")
    io_, il = ours.idle_rss(), ls.idle_rss()
    w(f"| idle RSS, 1 s after startup | {'–' if io_ is None else f'{io_:.2f} MiB'} | {'–' if il is None else f'{il:.2f} MiB'} | {rx(ratio(io_, il))} of localstripe |")
    po, pl = ours.peak_rss(), ls.peak_rss()
    w(f"| loaded RSS: peak sampled every 100 ms during the phases | {num(po, ' MiB')} | {num(pl, ' MiB')} | "
      f"{rx(ratio(po, pl))} of localstripe |")
    eo_, el_ = ours.end_rss(), ls.end_rss()
    w(f"| RSS at the end of a run (after the wrk phases) | {num(eo_, ' MiB')} | {num(el_, ' MiB')} | "
      f"{rx(ratio(eo_, el_))} of localstripe |")
    so_max = max((r for r in scale_o if r.get("metric") == "scale"), key=lambda r: r["objects"], default=None)
    sl_max = max((r for r in scale_l if r.get("metric") == "scale"), key=lambda r: r["objects"], default=None)
    if so_max or sl_max:
        w(f"| RSS with N stored customers (scale mode, largest N reached) | "
          f"{num(mib(so_max and so_max.get('rss_kb')), ' MiB')} at {so_max['objects']:,} | "
          + (f"{num(mib(sl_max.get('rss_kb')), ' MiB')} at {sl_max['objects']:,}" if sl_max else "–") + " | |")
    w("")
    w("RSS is VmRSS of the server process and its descendants. Startup is one sample per run (the harness polls "
      "every 5 ms, so a sample can be up to 5 ms late).")
    w("")

    # ---------------- scale
    w("## List latency and memory vs stored customers")
    w("")
    w("`benchmarks/stripeload.py --scale`: one server process; customers are created (8 concurrent clients) up to each "
      "checkpoint, then 30 sequential `GET /v1/customers?limit=10` and `limit=100` are timed. localstripe only goes as "
      "far as its time cap allows (it pickles its whole store to disk on every write, so each create costs O(stored "
      "objects)).")
    w("")
    w("| server | customers | RSS MiB | creates/s (segment) | list limit=10 p50 / p99 ms | list limit=100 p50 / p99 ms | errors |")
    w("|---|---|---|---|---|---|---|")
    for name, recs in (("ours", scale_o), ("localstripe", scale_l)):
        for r in recs:
            if r.get("metric") != "scale" or not r.get("objects"):
                continue
            l10, l100 = r.get("list10") or {}, r.get("list100") or {}
            errs = (r.get("create_errors_total") or 0) + l10.get("errors", 0) + l100.get("errors", 0)
            w(f"| {name} | {r['objects']:,} | {num(mib(r.get('rss_kb')))} | {num(r.get('segment_creates_per_s'))} | "
              f"{num(l10.get('p50_ms'))} / {num(l10.get('p99_ms'))} | {num(l100.get('p50_ms'))} / {num(l100.get('p99_ms'))} | {errs} |")
        for r in recs:
            if r.get("metric") == "scale_stopped":
                w(f"| {name} | stopped at {r['objects']:,} | | | {r['reason']} | | |")
    w("")
    if list_o or list_l:
        w("`benchmarks/listbench.py`: `GET /v1/customers?limit=100` under load (every answer must hold "
          "min(100, N) customers, else it counts as an error):")
        w("")
        w("| server | customers | conc | ok/s | p50 / p99 ms | errors | RSS after MiB | creates/s while seeding |")
        w("|---|---|---|---|---|---|---|---|")
        for name, d in (("ours", list_o), ("localstripe", list_l)):
            for (t, c), r in sorted(d.items()):
                w(f"| {name} | {r['objects']:,} | {c} | {num(r['ok_per_s'])} | {num(r['p50_ms'])} / {num(r['p99_ms'])} | "
                  f"{r['errors']} | {num(mib(r.get('rss_after_kb')))} | {num(r.get('seed_creates_per_s'))} |")
        for r in list_stopped:
            w(f"| {r['server']} | stopped at {r['objects']:,} of {r['target']:,} | | | {r['reason']} | | | |")
        w("")

    # ---------------- engine
    w("## Billing engine and webhooks (in process)")
    w("")
    w("`effinity bench clock --subscriptions N`: N customers with `pm_card_visa`, each with a monthly subscription "
      "(created through the API handler in process, no HTTP), then the account clock is advanced by a year and an "
      "hour, running every renewal, invoice finalization and payment in time order. `effinity bench webhooks "
      "--events N`: N `customer.created` events delivered, signed, over HTTP to a local receiver. Wall time and peak "
      "RSS are those of the whole command (`benchmarks/engine.py`).")
    w("")
    w("| benchmark | setup s | clock advance s | work items | per 1,000 subscriptions s | RSS before → after advance MiB | peak RSS MiB | command wall s | status |")
    w("|---|---|---|---|---|---|---|---|---|")
    for name in sorted((n for n in engine if n.startswith("clock_")), key=lambda n: int(n.split("_")[1])):
        r = engine[name]
        f = r.get("figures", {})
        n = int(name.split("_")[1])
        adv = f.get("advance_seconds")
        w(f"| {n:,} subscriptions, 1 year | {num(f.get('setup_seconds'))} | {num(adv)} | "
          f"{f.get('work_items', '–') if f.get('work_items') is None else format(f['work_items'], ',')} | "
          f"{num(adv / n * 1000 if adv is not None else None)} | {num(f.get('rss_mib_before_advance'))} → "
          f"{num(f.get('rss_mib_after_advance'))} | {num(r.get('peak_rss_mib'))} | {num(r.get('wall_seconds'))} | "
          f"{'ok' if r.get('ok') else r.get('reason')} |")
    w("")
    floors = [(int(n.split("_")[1]), engine[n].get("figures", {})) for n in engine if n.startswith("clock_")]
    floors = [(n, f) for n, f in sorted(floors) if f.get("render_floor_seconds") is not None]
    if floors:
        w("What an advance must at least render: every object and event is stored as the JSON Stripe would send, so "
          "the JSON an advance adds to the store is a lower bound of what it serializes (objects it rewrites count "
          "once), and `JSONWriter` is timed on the last 2,000 stored documents (the fastest of repeated passes over "
          "them, so the floor is not inflated by other load on the machine):")
        w("")
        w("| benchmark | objects and events added | JSON added MiB | bytes per work item | writer MiB/s | rendering alone, at least s | clock advance s |")
        w("|---|---|---|---|---|---|---|")
        for n, f in floors:
            items = f.get("work_items")
            per = f["stored_json_mib_added"] * 1_048_576 / items if items else None
            w(f"| {n:,} subscriptions | {int(f.get('stored_objects_added', 0)):,} | {num(f.get('stored_json_mib_added'))} | "
              f"{num(per)} | {num(f.get('json_render_mib_per_s'))} | {num(f.get('render_floor_seconds'))} | {num(f.get('advance_seconds'))} |")
        w("")
    for name in sorted(n for n in engine if n.startswith("webhooks_")):
        r = engine[name]
        f = r.get("figures", {})
        w(f"Webhooks ({int(f.get('webhook_bench.events', 0)):,} events): **{num(f.get('deliveries_per_second'))} "
          f"deliveries/s**, {int(f.get('webhook_bench.delivered', 0)):,} delivered, delivery round trip p50 "
          f"{num(f.get('delivery_latency_ms.p50'))} ms / p99 {num(f.get('delivery_latency_ms.p99'))} ms; "
          f"status {'ok' if r.get('ok') else r.get('reason')}.")
        w("")
    for name in sorted(n for n in engine if n.startswith("webhooksdead_")):
        r = engine[name]
        f = r.get("figures", {})
        w(f"Webhooks with one dead endpoint ({int(f.get('webhook_bench.events', 0)):,} events to a live receiver and "
          f"to an endpoint whose connections are refused, `--dead-endpoints 1`): the live receiver got "
          f"{int(f.get('webhook_bench.delivered', 0)):,}; **{num(f.get('live_deliveries_per_second'))} live deliveries/s** "
          f"over the whole drain ({num(f.get('deliveries_per_second'))} attempts/s, refused ones included); "
          f"attempt round trip p50 {num(f.get('delivery_latency_ms.p50'))} ms / p99 {num(f.get('delivery_latency_ms.p99'))} ms; "
          f"status {'ok' if r.get('ok') else r.get('reason')}.")
        w("")
    for name in sorted(n for n in engine if n.startswith("isolation_")):
        r = engine[name]
        f = r.get("figures", {})
        w(f"Another tenant during a long advance (`effinity bench isolation`: one tenant advances "
          f"{int(f.get('isolation_bench.subscriptions', 0)):,} monthly subscriptions by a year, "
          f"{int(f.get('isolation_bench.work_items', 0)):,} work items in {num(f.get('isolation_bench.advance_seconds'))} s, "
          f"while another reads its customer and updates it every tenth request): "
          f"{int(f.get('other_tenant_requests', 0)):,} requests, **p99 {num(f.get('other_tenant_requests.p99_ms'))} ms**, "
          f"p50 {num(f.get('other_tenant_requests.p50_ms'))} ms, max {num(f.get('other_tenant_requests.max_ms'))} ms; "
          f"status {'ok' if r.get('ok') else r.get('reason')}.")
        w("")

    # ---------------- scenarios
    w("## Scenario suite")
    w("")
    sc = engine.get("scenarios")
    if sc:
        f = sc.get("figures", {})
        w("`effinity bench scenarios scenarios` runs the whole suite as CI does (a fresh fake Stripe and app per "
          "scenario, in process, over loopback HTTP; goldens compared), with one job per core.")
        w("")
        w("| scenarios | passed | jobs | suite wall s | median per scenario s | slowest s | status |")
        w("|---|---|---|---|---|---|---|")
        w(f"| {int(f.get('scenarios', 0))} | {int(f.get('passed', 0))} | {int(f.get('jobs', 0))} | "
          f"**{num(f.get('wall_seconds'))}** | {num(f.get('median_seconds'))} | {num(f.get('slowest_seconds'))} | "
          f"{'ok' if sc.get('ok') else sc.get('reason')} |")
    elif m0.get("scenario_runner"):
        w("The scenario suite was not timed in this run.")
    else:
        w("The scenario runner does not exist in this binary, so there is no wall time for the scenario suite.")
    w("")

    # ---------------- method notes
    w("## Method notes")
    w("")
    w("* Ours: `.build-release/release/effinity stripe --port P` (state in memory; release build with `--static-swift-stdlib`, the Swift runtime and Foundation linked into the binary as one would ship it: smaller idle RSS and faster startup than loading them as shared libraries). localstripe: "
      "`localstripe --port P --from-scratch` from PyPI, unmodified (its store is pickled to disk on every write, "
      "which is part of what a user of it gets).")
    if m0.get("binary") and not m0["binary"].endswith(".build-release/release/effinity"):
        w(f"* **This run measured `{m0['binary']}` (set with `BIN=`), not the release build described above.**")
    w("* Harness phases, in order per run: create customers, retrieve customers (pool of 100), billing flows; each "
      "at concurrency 1, then 8; then the wrk cross-check. A stateful server therefore holds more objects in later "
      "phases, the same for both servers; localstripe's create rate falls as its store grows.")
    w(f"* Client and server share the {m0.get('nproc', '–')} CPUs; for a fast server the Python harness is the "
      "bottleneck, so its figures are lower bounds and the ratios understate the difference (see the wrk table).")
    w("* Latency percentiles are nearest-rank over every request of the phase, medians over runs.")
    w("* Raw results: `benchmarks/results/*.jsonl` (one JSON object per measurement); server logs and harness "
      "summaries: `benchmarks/results/logs/`.")
    w("")

    with open(args.out, "w") as f:
        f.write("\n".join(L))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
