#!/usr/bin/env python3
"""benchmarks/mockbench.py: `effinity stripe` beside stripe-mock, the same requests, in one run.

stripe-mock is the stateless mock in the CI of every official SDK; teams pick it when speed
matters.  This drives both servers with wrk (1 thread, N connections, fixed duration) on the same
requests, interleaved (stripe-mock, ours in memory, ours on a --db file, then again), and prints a
Markdown table of medians and ratios (ours / stripe-mock; above 1.0 means faster).

    STRIPE_MOCK_BIN=/path/to/stripe-mock python3 benchmarks/mockbench.py \
        --bin .build-release/release/effinity [--runs 2] [--seconds 5] [--out results.jsonl]

Without STRIPE_MOCK_BIN the stripe-mock column is skipped (the ours columns are still measured).
stripe-mock is not vendored here: build it from its public source (it vendors its Go modules;
`go build` with Debian's Go works for its 2022 releases, with the OpenAPI spec of that time in
`openapi/`).

Requests (each a row, at c1 and c8):
  GET  /v1/customers/{id}           one stored customer
  POST /v1/customers                email + name
  GET  /v1/subscriptions/{id}       one stored subscription
  POST /v1/subscriptions            customer with a default card, one price: ours also bills it
                                    (invoice, payment intent, charge, events); stripe-mock only
                                    validates the parameters and answers a fixture
  GET  /v1/customers?limit=100      ours: 150 stored customers, 100 per page; stripe-mock's list
                                    fixture has one item, so its row does less work
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stripeload import parse_wrk  # noqa: E402

KEY = "sk_test_mockbench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, fields=None):
    data = None
    if fields is not None:
        data = "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in fields.items()).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def wait_up(base, proc, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode} before answering")
        try:
            urllib.request.urlopen(urllib.request.Request(base + "/v1/customers/cus_x",
                                                          headers={"Authorization": f"Bearer {KEY}"}), timeout=1)
            return
        except urllib.error.HTTPError:
            return  # a 404 is an answer
        except OSError:
            time.sleep(0.02)
    raise SystemExit("server did not answer within 30 s")


class Server:
    """One server under test: started, seeded, measured, stopped."""

    def __init__(self, name, argv, port):
        self.name, self.argv, self.port = name, argv, port
        self.base = f"http://127.0.0.1:{port}"

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up(self.base, self.proc)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def seed(self, mock):
        """The ids the rows read and the customer the subscription row bills."""
        if mock:
            return {"customer": "cus_123", "subscription": "sub_123", "payer": "cus_123", "price": "price_123"}
        product = call(self.base, "POST", "/v1/products", {"name": "Bench"})
        price = call(self.base, "POST", "/v1/prices", {"product": product["id"], "unit_amount": 1500,
                                                        "currency": "usd", "recurring[interval]": "month"})
        payer = call(self.base, "POST", "/v1/customers", {"email": "payer@example.com"})
        pm = call(self.base, "POST", "/v1/payment_methods/pm_card_visa/attach", {"customer": payer["id"]})
        call(self.base, "POST", f"/v1/customers/{payer['id']}", {"invoice_settings[default_payment_method]": pm["id"]})
        sub = call(self.base, "POST", "/v1/subscriptions", {"customer": payer["id"], "items[0][price]": price["id"]})
        for n in range(150):
            call(self.base, "POST", "/v1/customers", {"email": f"c{n}@example.com", "name": f"Customer {n}"})
        return {"customer": payer["id"], "subscription": sub["id"], "payer": payer["id"], "price": price["id"]}


def rows(ids):
    form = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
    return [
        ("GET /v1/customers/{id}", f"/v1/customers/{ids['customer']}", ""),
        ("POST /v1/customers", "/v1/customers", form + 'wrk.body = "email=bench%40example.com&name=Bench"\n'),
        ("GET /v1/subscriptions/{id}", f"/v1/subscriptions/{ids['subscription']}", ""),
        ("POST /v1/subscriptions", "/v1/subscriptions",
         form + f'wrk.body = "customer={ids["payer"]}&items[0][price]={ids["price"]}"\n'),
        ("GET /v1/customers?limit=100", "/v1/customers?limit=100", ""),
    ]


def drive(base, path, script, conc, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(f'wrk.headers["Authorization"] = "Bearer {KEY}"\n' + script)
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{conc}", f"-d{seconds}s", "--timeout", "10s", "--latency",
                              "-s", f.name, base + path], capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(f.name)
    return parse_wrk(out.stdout) or {"error": (out.stdout + out.stderr)[-300:]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=".build-release/release/effinity")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--only", help="substring of the row names to run")
    ap.add_argument("--servers", default="stripe-mock,memory,file")
    ap.add_argument("--out", help="append JSON lines here")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    mock_bin = os.environ.get("STRIPE_MOCK_BIN")
    wanted = args.servers.split(",")
    if not mock_bin and "stripe-mock" in wanted:
        print("STRIPE_MOCK_BIN unset: the stripe-mock column is skipped", file=sys.stderr)
        wanted.remove("stripe-mock")
    results = {}  # (row, conc, server) -> [rps]
    latencies = {}
    out = open(args.out, "a") if args.out else None
    for run in range(args.runs):
        for server in wanted:
            port = free_port()
            if server == "stripe-mock":
                argv = [mock_bin, "-http-port", str(port)]
            else:
                argv = [args.bin, "stripe", "--port", str(port), "--log-level", "error"]
                if server == "file":
                    folder = tempfile.mkdtemp(prefix="mockbench-")
                    argv += ["--db", os.path.join(folder, "stripe.db")]
            with Server(server, argv, port) as s:
                ids = s.seed(server == "stripe-mock")
                for name, path, script in rows(ids):
                    if args.only and args.only not in name:
                        continue
                    for conc in (1, 8):
                        fig = drive(s.base, path, script, conc, args.seconds)
                        line = {"metric": "mockbench", "run": run, "server": server, "row": name,
                                "concurrency": conc, **fig}
                        print(json.dumps(line), file=sys.stderr)
                        if out:
                            out.write(json.dumps(line) + "\n")
                        if "rps" in fig and not fig.get("errors"):
                            results.setdefault((name, conc, server), []).append(fig["rps"])
                            latencies.setdefault((name, conc, server), []).append(fig["p50_ms"])
    print("| request | conc | " + " | ".join(f"{s} req/s" for s in wanted) + " | "
          + " | ".join(f"{s} ÷ stripe-mock" for s in wanted if s != "stripe-mock") + " |")
    print("|---|---|" + "---|" * (len(wanted) + len([s for s in wanted if s != "stripe-mock"])))
    for name, _, _ in rows({"customer": "", "subscription": "", "payer": "", "price": ""}):
        for conc in (1, 8):
            cells, ratios = [], []
            mock = results.get((name, conc, "stripe-mock"))
            for s in wanted:
                v = results.get((name, conc, s))
                cells.append(f"{statistics.median(v):,.0f}" if v else "–")
                if s != "stripe-mock":
                    ratios.append(f"{statistics.median(v) / statistics.median(mock):.2f}×" if v and mock else "–")
            if any(c != "–" for c in cells):
                print(f"| `{name}` | {conc} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")


if __name__ == "__main__":
    main()
