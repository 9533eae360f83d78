"""The smallest app a project file can drive (standard library only): the runner's own tests use
it to check worlds, users, webhooks, snapshots, virtual time and cleanup without the example's
dependencies. Not an example of a billing app: see examples/pysub for that."""
import hashlib, hmac, json, os, sqlite3, sys, time, urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DB = os.environ["DATABASE_PATH"]
STRIPE = os.environ["STRIPE_API_BASE"]
KEY = os.environ["STRIPE_SECRET_KEY"]
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
CLOCK = os.environ.get("EFFINITY_CLOCK_URL")


def db():
    c = sqlite3.connect(DB, timeout=10)
    c.row_factory = sqlite3.Row
    return c


def migrate():
    with db() as c:
        c.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, team TEXT, token TEXT, customer TEXT, created_at TEXT)")
        c.execute("CREATE TABLE events (id TEXT PRIMARY KEY, type TEXT, received_at INTEGER, wall_at REAL)")


def clock_now():
    with urllib.request.urlopen(CLOCK) as r:
        return json.load(r)["now"]


def stripe(method, path, params=None):
    data = urllib.parse.urlencode(params or {}).encode() if method == "POST" else None
    req = urllib.request.Request(STRIPE + path, data=data, method=method, headers={"Authorization": "Bearer " + KEY})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def verify(payload, header):
    parts = dict(p.split("=", 1) for p in header.split(",") if p.startswith("t="))
    sigs = [p[3:] for p in header.split(",") if p.startswith("v1=")]
    t = int(parts["t"])
    if abs(time.time() - t) > 300:
        return False
    expected = hmac.new(SECRET.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in sigs)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        sys.stderr.write("request: " + (a[0] % a[1:]) + "\n")

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def user(self):
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        with db() as c:
            return c.execute("SELECT * FROM users WHERE token = ?", (token,)).fetchone()

    def do_GET(self):
        if self.path == "/healthz":
            return self.answer(200, {"ok": True})
        if self.path == "/api/slow":
            # The cleanup test interrupts the runner while the app is busy here.
            sys.stderr.write("slow request started\n")
            sys.stderr.flush()
            time.sleep(120)
            return self.answer(200, {"slow": True})
        if self.path == "/api/me":
            u = self.user()
            if not u:
                return self.answer(401, {"error": "sign in"})
            return self.answer(200, {"email": u["email"], "team": u["team"], "customer": u["customer"],
                                     "clock": clock_now(), "header_now": int(self.headers.get("Effinity-Clock-Now", "0"))})
        self.answer(404, {"error": "no route"})

    def do_POST(self):
        raw = self.body()
        if self.path == "/test/users":
            b = json.loads(raw)
            token = hashlib.sha256(b["email"].encode()).hexdigest()[:24]
            with db() as c:
                c.execute("INSERT INTO users (email, team, token, created_at) VALUES (?, ?, ?, ?)",
                          (b["email"], b["team"], token, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock_now()))))
            return self.answer(200, {"token": token})
        if self.path == "/api/customer":
            u = self.user()
            if not u:
                return self.answer(401, {"error": "sign in"})
            cus = stripe("POST", "/v1/customers", {"email": u["email"], "metadata[team]": u["team"]})
            with db() as c:
                c.execute("UPDATE users SET customer = ? WHERE id = ?", (cus["id"], u["id"]))
            return self.answer(200, {"customer": cus["id"]})
        if self.path == "/webhooks/stripe":
            if not verify(raw, self.headers.get("Stripe-Signature", "")):
                return self.answer(400, {"error": "bad signature"})
            e = json.loads(raw)
            with db() as c:
                c.execute("INSERT OR IGNORE INTO events (id, type, received_at, wall_at) VALUES (?, ?, ?, ?)",
                          (e["id"], e["type"], int(self.headers["Effinity-Clock-Now"]), time.time()))
            return self.answer(200, {"received": True})
        self.answer(404, {"error": "no route"})


if __name__ == "__main__":
    if sys.argv[1:] == ["migrate"]:
        migrate()
    else:
        ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
