"""pysub: a small subscription service (teams, plans, Checkout, the billing portal, webhooks,
a feature gate) on the standard library and the official stripe package, pinned to 7.x, which
speaks API version 2023-10-16. It is the example app of `effinity scenarios run --project`.

    python app.py migrate    # create the schema in $DATABASE_PATH
    python app.py            # serve on $PORT
"""
import json
import os
import secrets
import sqlite3
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe

stripe.api_key = os.environ.get("STRIPE_SECRET_KEY", "")
stripe.api_base = os.environ.get("STRIPE_API_BASE", stripe.api_base)
stripe.max_network_retries = 1  # one retry (same idempotency key) before a 5xx reaches the user
WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
DB_PATH = os.environ.get("DATABASE_PATH", "pysub.sqlite")
PORT = int(os.environ.get("PORT", "8000"))
APP_URL = os.environ.get("APP_URL", f"http://127.0.0.1:{PORT}")
CLOCK_URL = os.environ.get("EFFINITY_CLOCK_URL")  # set only under test: the fake's virtual clock
TEST_MODE = os.environ.get("TEST_MODE") == "1"

PLANS = {
    "basic": {"lookup_key": "basic_monthly", "name": "Basic", "amount": 1900, "trial_days": 0},
    "pro": {"lookup_key": "pro_monthly", "name": "Pro", "amount": 4900, "trial_days": 14},
}
PLAN_BY_LOOKUP_KEY = {p["lookup_key"]: name for name, p in PLANS.items()}
ENTITLED = ("active", "trialing")
LIVE = ("active", "trialing", "past_due", "unpaid")
PRICES = {}  # plan name -> price id, filled at start
WRITE_LOCK = threading.Lock()  # one writer at a time: duplicate deliveries may race

SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS teams (id TEXT PRIMARY KEY, name TEXT NOT NULL,
  stripe_customer_id TEXT UNIQUE, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
  team_id TEXT NOT NULL REFERENCES teams(id), role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
  token TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (team_id TEXT PRIMARY KEY REFERENCES teams(id),
  stripe_subscription_id TEXT NOT NULL, plan TEXT, status TEXT NOT NULL, current_period_end INTEGER,
  cancel_at_period_end INTEGER NOT NULL, trial_end INTEGER, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS invoices (id TEXT PRIMARY KEY, team_id TEXT NOT NULL REFERENCES teams(id),
  subscription_id TEXT, status TEXT NOT NULL, billing_reason TEXT, amount_due INTEGER NOT NULL,
  amount_paid INTEGER NOT NULL, attempt_count INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_events (id TEXT PRIMARY KEY, type TEXT NOT NULL,
  deliveries INTEGER NOT NULL, received_at INTEGER NOT NULL);
INSERT OR IGNORE INTO schema_migrations (version) VALUES (1);
"""


class HTTPError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def connect():
    db = sqlite3.connect(DB_PATH, timeout=10, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    return db


def migrate():
    with connect() as db:
        db.executescript(SCHEMA)


def now(headers=None):
    """Virtual time under the scenario runner (the request's header, else the fake's clock), else wall time."""
    if headers is not None and headers.get("Effinity-Clock-Now"):
        return int(headers["Effinity-Clock-Now"])
    if CLOCK_URL:
        with urllib.request.urlopen(CLOCK_URL, timeout=5) as r:
            return int(json.load(r)["now"])
    return int(time.time())


def transaction(db, work):
    """Runs `work(db)` in one write transaction, so a failure leaves no half-written record."""
    with WRITE_LOCK:
        db.execute("BEGIN IMMEDIATE")
        try:
            result = work(db)
            db.execute("COMMIT")
            return result
        except BaseException:
            db.execute("ROLLBACK")
            raise


def ensure_prices():
    """Finds each plan's price by lookup_key, creating what is missing (idempotently: restarts and
    several servers never make two)."""
    keys = [p["lookup_key"] for p in PLANS.values()]
    for price in stripe.Price.list(lookup_keys=keys, limit=100).data:
        PRICES[PLAN_BY_LOOKUP_KEY[price.lookup_key]] = price.id
    for name, plan in PLANS.items():
        if name not in PRICES:
            price = stripe.Price.create(
                currency="usd", unit_amount=plan["amount"], recurring={"interval": "month"},
                lookup_key=plan["lookup_key"], product_data={"name": f"pysub {plan['name']}"},
                idempotency_key=f"pysub-price-{plan['lookup_key']}-{plan['amount']}")
            PRICES[name] = price.id


# --- routes -----------------------------------------------------------------------------------

def create_test_user(db, body, ts):
    if not TEST_MODE:
        raise HTTPError(404, "not_found", "No such route.")
    email, team, role = body.get("email"), body.get("team"), body.get("role") or "owner"
    if not email or not team or role not in ("owner", "member"):
        raise HTTPError(400, "invalid_request", "email and team are required; role is owner or member.")
    token = "tok_" + secrets.token_hex(16)

    def work(db):
        db.execute("INSERT OR IGNORE INTO teams (id, name, created_at) VALUES (?, ?, ?)",
                   (team, body.get("team_name") or team, ts))
        if db.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
            raise HTTPError(409, "email_taken", f"A user with email {email} exists.")
        db.execute("INSERT INTO users (email, team_id, role, token, created_at) VALUES (?, ?, ?, ?, ?)",
                   (email, team, role, token, ts))
    transaction(db, work)
    return 201, {"token": token}


def require_owner(user):
    if user["role"] != "owner":
        raise HTTPError(403, "owner_only", "Only the team's owner manages billing.")


def subscribe(db, user, body, ts):
    require_owner(user)
    plan = body.get("plan")
    if plan not in PLANS:
        raise HTTPError(400, "invalid_plan", f"plan must be one of {', '.join(PLANS)}.")
    team = db.execute("SELECT * FROM teams WHERE id = ?", (user["team_id"],)).fetchone()
    sub = db.execute("SELECT * FROM subscriptions WHERE team_id = ?", (team["id"],)).fetchone()
    if sub and sub["status"] in LIVE:
        raise HTTPError(409, "already_subscribed",
                        f"The team already has a {sub['plan']} subscription ({sub['status']}); change it in the portal.")
    customer = team["stripe_customer_id"]
    if not customer:
        customer = stripe.Customer.create(email=user["email"], name=team["name"], metadata={"team_id": team["id"]},
                                          idempotency_key=f"pysub-customer-{team['id']}").id
        transaction(db, lambda db: db.execute("UPDATE teams SET stripe_customer_id = ? WHERE id = ?", (customer, team["id"])))
    subscription_data = {"metadata": {"team_id": team["id"], "plan": plan}}
    if PLANS[plan]["trial_days"] and sub is None:  # a trial only for a team's first subscription
        subscription_data["trial_period_days"] = PLANS[plan]["trial_days"]
    session = stripe.checkout.Session.create(
        mode="subscription", customer=customer, client_reference_id=team["id"],
        line_items=[{"price": PRICES[plan], "quantity": 1}], subscription_data=subscription_data,
        success_url=f"{APP_URL}/billing?session_id={{CHECKOUT_SESSION_ID}}", cancel_url=f"{APP_URL}/billing")
    return 200, {"url": session.url, "id": session.id}


def portal(db, user, body, ts):
    require_owner(user)
    team = db.execute("SELECT * FROM teams WHERE id = ?", (user["team_id"],)).fetchone()
    if not team["stripe_customer_id"]:
        raise HTTPError(400, "no_customer", "The team has no billing account yet: subscribe first.")
    session = stripe.billing_portal.Session.create(customer=team["stripe_customer_id"], return_url=f"{APP_URL}/billing")
    return 200, {"url": session.url, "id": session.id}


def billing(db, user, body, ts):
    sub = db.execute("SELECT * FROM subscriptions WHERE team_id = ?", (user["team_id"],)).fetchone()
    invoices = db.execute("SELECT id, status, amount_due, amount_paid FROM invoices WHERE team_id = ? ORDER BY rowid",
                          (user["team_id"],)).fetchall()
    return 200, {"team": user["team_id"], "plan": sub["plan"] if sub else None, "status": sub["status"] if sub else "none",
                 "current_period_end": sub["current_period_end"] if sub else None,
                 "cancel_at_period_end": bool(sub["cancel_at_period_end"]) if sub else False,
                 "trial_end": sub["trial_end"] if sub else None, "invoices": [dict(i) for i in invoices]}


def reports(db, user, body, ts):
    sub = db.execute("SELECT * FROM subscriptions WHERE team_id = ?", (user["team_id"],)).fetchone()
    if not sub or sub["plan"] != "pro" or sub["status"] not in ENTITLED:
        where = f"{sub['plan']} ({sub['status']})" if sub else "no plan"
        raise HTTPError(402, "upgrade_required", f"Reports need an active Pro subscription; the team has {where}.")
    paid = db.execute("SELECT COUNT(*), COALESCE(SUM(amount_paid), 0) FROM invoices WHERE team_id = ? AND status = 'paid'",
                      (user["team_id"],)).fetchone()
    return 200, {"team": user["team_id"], "invoices_paid": paid[0], "amount_paid": paid[1]}


# --- webhooks ---------------------------------------------------------------------------------

def subscription_writer(sub, ts):
    """The write that mirrors a subscription just read from Stripe (never the event's copy, which
    may be older than one already applied when deliveries come out of order)."""
    price = sub["items"]["data"][0]["price"] if sub["items"]["data"] else None
    plan = PLAN_BY_LOOKUP_KEY.get(price["lookup_key"]) if price else None

    def write(db):
        team = db.execute("SELECT id FROM teams WHERE stripe_customer_id = ?", (sub.customer,)).fetchone()
        if team is None:
            return
        row = db.execute("SELECT * FROM subscriptions WHERE team_id = ?", (team["id"],)).fetchone()
        if row and row["stripe_subscription_id"] != sub.id and sub.status not in LIVE:
            return  # an older subscription ending does not end the current one
        db.execute("""INSERT INTO subscriptions (team_id, stripe_subscription_id, plan, status, current_period_end,
                      cancel_at_period_end, trial_end, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                      ON CONFLICT (team_id) DO UPDATE SET stripe_subscription_id = excluded.stripe_subscription_id,
                      plan = excluded.plan, status = excluded.status, current_period_end = excluded.current_period_end,
                      cancel_at_period_end = excluded.cancel_at_period_end, trial_end = excluded.trial_end,
                      updated_at = excluded.updated_at""",
                   (team["id"], sub.id, plan, sub.status, sub.current_period_end, int(sub.cancel_at_period_end),
                    sub.trial_end, ts))
    return write


def invoice_writer(inv, ts):
    def write(db):
        team = db.execute("SELECT id FROM teams WHERE stripe_customer_id = ?", (inv.customer,)).fetchone()
        if team is None:
            return
        db.execute("""INSERT INTO invoices (id, team_id, subscription_id, status, billing_reason, amount_due, amount_paid,
                      attempt_count, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                      ON CONFLICT (id) DO UPDATE SET status = excluded.status, amount_due = excluded.amount_due,
                      amount_paid = excluded.amount_paid, attempt_count = excluded.attempt_count,
                      updated_at = excluded.updated_at""",
                   (inv.id, team["id"], inv.subscription, inv.status, inv.billing_reason, inv.amount_due,
                    inv.amount_paid, inv.attempt_count, ts))
    return write


def event_writers(event, ts):
    """Reads what the event is about from Stripe (before any write) and returns the writes."""
    kind, obj = event["type"], event["data"]["object"]
    if kind == "checkout.session.completed":
        def link(db):  # the session's customer belongs to the team that opened it
            db.execute("UPDATE teams SET stripe_customer_id = ? WHERE id = ? AND stripe_customer_id IS NULL",
                       (obj["customer"], obj["client_reference_id"]))
        subscription = [subscription_writer(stripe.Subscription.retrieve(obj["subscription"]), ts)] if obj.get("subscription") else []
        return [link] + subscription
    if kind in ("customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"):
        return [subscription_writer(stripe.Subscription.retrieve(obj["id"]), ts)]
    if kind in ("invoice.paid", "invoice.payment_failed", "invoice.payment_action_required"):
        inv = stripe.Invoice.retrieve(obj["id"])
        writes = [invoice_writer(inv, ts)]
        if inv.subscription:
            writes.append(subscription_writer(stripe.Subscription.retrieve(inv.subscription), ts))
        return writes
    return []


def receive_webhook(db, payload, signature, ts):
    try:
        event = stripe.Webhook.construct_event(payload, signature, WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError) as e:
        raise HTTPError(400, "bad_signature", f"Webhook rejected: {e}")
    seen = "UPDATE webhook_events SET deliveries = deliveries + 1 WHERE id = ?"
    if transaction(db, lambda db: db.execute(seen, (event.id,)).rowcount):
        return 200, {"received": event.id, "duplicate": True}
    writes = event_writers(event, ts)

    def apply(db):
        if db.execute(seen, (event.id,)).rowcount:  # a copy delivered meanwhile was applied first
            return True
        for write in writes:
            write(db)
        db.execute("INSERT INTO webhook_events (id, type, deliveries, received_at) VALUES (?, ?, 1, ?)",
                   (event.id, event.type, ts))
        return False
    return 200, {"received": event.id, "duplicate": transaction(db, apply)}


# --- HTTP -------------------------------------------------------------------------------------

ROUTES = {
    ("POST", "/api/subscribe"): subscribe,
    ("POST", "/api/portal"): portal,
    ("GET", "/api/billing"): billing,
    ("GET", "/api/reports"): reports,
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_request(self, method):
        path = self.path.split("?", 1)[0]
        db = connect()
        try:
            if not (self.headers.get("Content-Length") or "0").isdigit():
                self.close_connection = True  # the body's end is unknown
                raise HTTPError(400, "invalid_request", "Content-Length must be a number of bytes.")
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if (method, path) == ("GET", "/healthz"):
                return self.answer(200, {"ok": True})
            ts = now(self.headers)
            if (method, path) == ("POST", "/webhooks/stripe"):
                return self.answer(*receive_webhook(db, raw, self.headers.get("Stripe-Signature", ""), ts))
            try:
                body = json.loads(raw or b"{}")
                assert isinstance(body, dict)
            except (ValueError, AssertionError):
                raise HTTPError(400, "invalid_json", "The request body must be a JSON object.")
            if (method, path) == ("POST", "/test/users"):
                return self.answer(*create_test_user(db, body, ts))
            route = ROUTES.get((method, path))
            if route is None:
                raise HTTPError(404, "not_found", f"No route {method} {path}.")
            auth = self.headers.get("Authorization", "")
            user = db.execute("SELECT * FROM users WHERE token = ?", (auth.removeprefix("Bearer "),)).fetchone()
            if not auth.startswith("Bearer ") or user is None:
                raise HTTPError(401, "unauthorized", "Send Authorization: Bearer <token>.")
            return self.answer(*route(db, user, body, ts))
        except HTTPError as e:
            self.answer(e.status, {"error": {"code": e.code, "message": e.message}})
        except stripe.error.CardError as e:
            self.answer(402, {"error": {"code": "card_declined", "message": e.user_message or str(e)}})
        except stripe.error.StripeError as e:
            self.log_error("stripe: %s", e)
            self.answer(502, {"error": {"code": "stripe_unavailable", "message":
                              f"Stripe is unavailable (HTTP {e.http_status or 'none'}): nothing was started; try again in a moment."}})
        except Exception as e:  # never a crash: the caller gets JSON, the log the cause
            self.log_error("internal error: %r", e)
            self.answer(500, {"error": {"code": "internal", "message": "Something went wrong on our side."}})
        finally:
            db.close()

    def do_GET(self):
        self.handle_request("GET")

    def do_POST(self):
        self.handle_request("POST")


if __name__ == "__main__":
    if sys.argv[1:] == ["migrate"]:
        migrate()
        sys.exit(0)
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)  # listening now: early webhooks wait in the backlog
    ensure_prices()
    print(f"pysub on {APP_URL} (Stripe at {stripe.api_base})", flush=True)
    server.serve_forever()
