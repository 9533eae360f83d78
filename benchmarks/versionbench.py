#!/usr/bin/env python3
"""The cost of rendering an older API version (issue #16): read latency of a subscription and of
its paid invoice at the newest version (no header, the stored bytes as they are) and at older
versions (walked through the version changes), interleaved rounds on one keep-alive connection.

    python3 benchmarks/versionbench.py --bin .build-release/release/effinity [--requests 3000] [--rounds 5]

Prints one line per (object, version) with p50 and p99 in microseconds, and the p50 ratio to the
newest version. Python stdlib only; the fake runs in memory on a free loopback port.
"""
import argparse
import http.client
import json
import socket
import statistics
import subprocess
import time
import urllib.parse

VERSIONS = [None, "2024-06-20", "2022-08-01"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--requests", type=int, default=3000, help="reads per (object, version) per round")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    port = free_port()
    proc = subprocess.Popen([args.bin, "stripe", "--in-memory", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = None
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port)
                conn.request("GET", "/v1/customers", headers={"Authorization": "Bearer sk_test_versionbench"})
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.05)
        headers = {"Authorization": "Bearer sk_test_versionbench", "Content-Type": "application/x-www-form-urlencoded"}

        def call(method, path, form=None, version=None):
            h = dict(headers)
            if version:
                h["Stripe-Version"] = version
            conn.request(method, path, body=urllib.parse.urlencode(form or {}), headers=h)
            r = conn.getresponse()
            body = r.read()
            assert r.status == 200, (path, body[:300])
            return json.loads(body)

        price = call("POST", "/v1/prices", {"currency": "usd", "unit_amount": 2000, "recurring[interval]": "month",
                                             "product_data[name]": "Bench"})
        cus = call("POST", "/v1/customers", {"payment_method": "pm_card_visa", "invoice_settings[default_payment_method]": "pm_card_visa"})
        sub = call("POST", "/v1/subscriptions", {"customer": cus["id"], "items[0][price]": price["id"]})
        objects = [("subscription", f"/v1/subscriptions/{sub['id']}"), ("invoice", f"/v1/invoices/{sub['latest_invoice']}")]
        samples = {(o, v): [] for o, _ in objects for v in VERSIONS}
        for _ in range(args.rounds):
            for name, path in objects:
                for version in VERSIONS:
                    for _ in range(args.requests):
                        t = time.perf_counter_ns()
                        call("GET", path, version=version)
                        samples[(name, version)].append((time.perf_counter_ns() - t) / 1000)
        for name, _ in objects:
            base = statistics.median(samples[(name, None)])
            for version in VERSIONS:
                s = sorted(samples[(name, version)])
                p50, p99 = statistics.median(s), s[int(len(s) * 0.99)]
                print(f"{name:12} {version or 'newest':12} p50 {p50:7.1f} us  p99 {p99:7.1f} us  x{p50 / base:.2f}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
