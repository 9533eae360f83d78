#!/usr/bin/env python3
"""Startup of `effinity stripe`: from process start to the first 200 answer to GET /v1/customers.

Usage: python3 benchmarks/startup.py [--bin PATH] [--runs N]
Prints one line per run and the median, in milliseconds.
"""
import argparse
import socket
import statistics
import subprocess
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/effinity")
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    samples = []
    for _ in range(args.runs):
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen([args.bin, "stripe", "--port", str(port)], stdout=subprocess.DEVNULL)
        try:
            deadline = t0 + 10
            while time.perf_counter() < deadline:
                try:
                    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/customers?limit=1",
                                                 headers={"Authorization": "Bearer sk_test_startup"})
                    if urllib.request.urlopen(req, timeout=1).status == 200:
                        break
                except OSError:
                    time.sleep(0.001)
            samples.append((time.perf_counter() - t0) * 1000)
        finally:
            proc.terminate()
            proc.wait()
    for s in samples:
        print(f"startup_ms {s:.1f}")
    print(f"startup_ms_median {statistics.median(samples):.1f} ({args.bin}, {args.runs} runs)")


if __name__ == "__main__":
    main()
