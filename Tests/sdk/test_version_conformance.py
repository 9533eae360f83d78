"""Every emulated object type, created through the API in a realistic state, rendered at each API
version whose schemas are in the folder EFFINITY_VERSION_SCHEMAS names (per-version schema files,
`<version>.json` with `version` and `schemas`; the test skips when it is not set) and at the newest:
every field that version always sends is there with the right type, and no field a later breaking
change introduced is there.

Deliberate exceptions: fields Stripe added without a breaking change appear at every version (as on
Stripe), so extra fields are not errors unless a breaking change introduced them (BREAKING_ADDITIONS).
"""
import glob
import json
import os

import pytest
import stripe

from conftest import raw_request

VERSIONS_DIR = os.environ.get("EFFINITY_VERSION_SCHEMAS", "")
VERSION_FILES = sorted(glob.glob(os.path.join(VERSIONS_DIR, "*.json"))) if VERSIONS_DIR else []

# Fields that a breaking change put in place of older ones: (first version, object type, field).
BREAKING_ADDITIONS = [
    ("2025-03-31", "subscription_item", "current_period_start"), ("2025-03-31", "subscription_item", "current_period_end"),
    ("2025-03-31", "invoice", "parent"), ("2025-03-31", "invoice", "total_taxes"), ("2025-03-31", "invoice", "amount_overpaid"),
    ("2025-03-31", "invoice", "confirmation_secret"), ("2025-03-31", "line_item", "parent"), ("2025-03-31", "line_item", "pricing"),
    ("2025-03-31", "line_item", "taxes"), ("2025-03-31", "invoiceitem", "parent"), ("2025-03-31", "invoiceitem", "pricing"),
    ("2024-04-10", "product", "marketing_features"),
    ("2022-08-01", "checkout.session", "shipping_details"), ("2022-08-01", "checkout.session", "shipping_cost"),
]
# Fields a breaking change removed, which must be back at older versions: (last version with it, type, field).
REMOVED_LATER = [
    ("2025-02-24", "subscription", "current_period_end"), ("2025-02-24", "invoice", "subscription"),
    ("2025-02-24", "invoice", "paid"), ("2025-02-24", "invoice", "payment_intent"), ("2025-02-24", "line_item", "price"),
    ("2025-02-24", "line_item", "type"), ("2025-02-24", "invoiceitem", "price"), ("2025-02-24", "charge", "invoice"),
    ("2023-10-16", "product", "features"), ("2022-08-01", "payment_intent", "charges"), ("2020-08-27", "customer", "default_currency"),
]

TYPES = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list, "number": (int, float)}


def schema_types(schema, schemas):
    """The JSON types a property schema allows ("null" included when nullable), or None for any."""
    if "$ref" in schema:
        return {"object"}
    if "anyOf" in schema or "oneOf" in schema:
        out = set()
        for alt in schema.get("anyOf") or schema.get("oneOf"):
            t = schema_types(alt, schemas)
            if t is None:
                return None
            out |= t
        return out
    t = schema.get("type")
    if t is None:
        return {"null"} if schema.get("enum") == [None] else None
    return set(t) if isinstance(t, list) else {t}


def check(obj, kind, version, schemas):
    problems = []
    schema = schemas.get(kind)
    if schema is None:
        return problems
    props = schema.get("properties", {})
    for field in schema.get("required", []):
        if field not in obj:
            problems.append(f"{kind}.{field} missing")
            continue
        allowed = schema_types(props.get(field, {}), schemas)
        value = obj[field]
        if allowed is None:
            continue
        if value is None:
            if "null" not in allowed:
                problems.append(f"{kind}.{field} is null, not nullable at {version}")
        elif not any(isinstance(value, TYPES[t]) and not (t == "integer" and isinstance(value, bool))
                     for t in allowed if t in TYPES):
            problems.append(f"{kind}.{field} is {type(value).__name__}, expected {sorted(allowed)}")
    date = version[:10]
    for first, t, field in BREAKING_ADDITIONS:
        if t == kind and date < first and field in obj:
            problems.append(f"{kind}.{field} present at {version}, introduced by the {first} breaking change")
    for last, t, field in REMOVED_LATER:
        if t == kind and date <= last and field not in obj:
            problems.append(f"{kind}.{field} absent at {version}, removed only after {last}")
    return problems


@pytest.fixture
def world(billing, raw):
    """One object of each emulated type in a realistic state; returns (type, path) pairs."""
    price = billing.price(2000, name="Conformance")
    good = stripe.Customer.create(email="c@example.com", payment_method="pm_card_visa",
                                  invoice_settings={"default_payment_method": "pm_card_visa"})
    active = stripe.Subscription.create(customer=good.id, items=[{"price": price.id}])
    trial = stripe.Subscription.create(customer=good.id, items=[{"price": price.id}], trial_period_days=7)
    bad = stripe.Customer.create(email="d@example.com", payment_method="pm_card_chargeCustomerFail",
                                 invoice_settings={"default_payment_method": "pm_card_chargeCustomerFail"})
    failing = stripe.Subscription.create(customer=bad.id, items=[{"price": price.id}], payment_behavior="allow_incomplete")
    canceled = stripe.Subscription.cancel(stripe.Subscription.create(customer=good.id, items=[{"price": price.id}]).id)
    item = stripe.InvoiceItem.create(customer=good.id, amount=300, currency="usd")
    invoice = stripe.Invoice.retrieve(active.latest_invoice)
    pi = invoice["payments"]["data"][0]["payment"]["payment_intent"]
    charge = stripe.PaymentIntent.retrieve(pi).latest_charge
    si = stripe.SetupIntent.create(customer=good.id, payment_method="pm_card_visa", confirm=True)
    session = stripe.checkout.Session.create(mode="subscription", line_items=[{"price": price.id, "quantity": 1}],
                                             success_url="https://example.com/ok", cancel_url="https://example.com/back")
    portal = stripe.billing_portal.Session.create(customer=good.id)
    clock = stripe.test_helpers.TestClock.create(frozen_time=1767225600)
    endpoint = stripe.WebhookEndpoint.create(url="https://example.com/hook", enabled_events=["*"])
    coupon = stripe.Coupon.create(percent_off=10, duration="repeating", duration_in_months=2)
    promo = stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id})
    rate = stripe.TaxRate.create(display_name="VAT", percentage=20, inclusive=True)
    discounted = stripe.Customer.create(email="e@example.com", coupon=coupon.id)
    txn = stripe.Customer.create_balance_transaction(good.id, amount=-100, currency="usd")
    note = stripe.CreditNote.create(invoice=invoice.id, amount=100, credit_amount=100)
    refund = stripe.Refund.create(charge=charge, amount=500)
    sched = stripe.SubscriptionSchedule.create(customer=good.id, phases=[{"items": [{"price": price.id}], "iterations": 2}])
    disputed = stripe.PaymentIntent.create(amount=1500, currency="usd", payment_method="pm_card_createDispute", confirm=True)
    dispute = stripe.Dispute.list(payment_intent=disputed.id).data[0]
    transfer = stripe.PaymentIntent.create(
        amount=5000, currency="jpy", customer=good.id, payment_method_types=["customer_balance"],
        payment_method_data={"type": "customer_balance"},
        payment_method_options={"customer_balance": {"funding_type": "bank_transfer", "bank_transfer": {"type": "jp_bank_transfer"}}},
        confirm=True)
    funded = stripe.Customer.TestHelpers.fund_cash_balance(good.id, amount=2000, currency="jpy")
    return [
        ("payment_intent", f"/v1/payment_intents/{transfer.id}"), ("payment_method", f"/v1/payment_methods/{transfer.payment_method}"),
        ("cash_balance", f"/v1/customers/{good.id}/cash_balance"),
        ("customer_cash_balance_transaction", f"/v1/customers/{good.id}/cash_balance_transactions/{funded.id}"),
        ("coupon", f"/v1/coupons/{coupon.id}"), ("promotion_code", f"/v1/promotion_codes/{promo.id}"),
        ("tax_rate", f"/v1/tax_rates/{rate.id}"), ("customer", f"/v1/customers/{discounted.id}"),
        ("customer_balance_transaction", f"/v1/customers/{good.id}/balance_transactions/{txn.id}"),
        ("credit_note", f"/v1/credit_notes/{note.id}"), ("plan", f"/v1/plans/{price.id}"),
        ("subscription_schedule", f"/v1/subscription_schedules/{sched.id}"),
        ("customer", f"/v1/customers/{good.id}"), ("product", f"/v1/products/{price.product}"), ("price", f"/v1/prices/{price.id}"),
        ("subscription", f"/v1/subscriptions/{active.id}"), ("subscription", f"/v1/subscriptions/{trial.id}"),
        ("subscription", f"/v1/subscriptions/{failing.id}"), ("subscription", f"/v1/subscriptions/{canceled.id}"),
        ("subscription_item", f"/v1/subscription_items/{active['items'].data[0].id}"),
        ("invoice", f"/v1/invoices/{invoice.id}"), ("invoice", f"/v1/invoices/{failing.latest_invoice}"),
        ("invoiceitem", f"/v1/invoiceitems/{item.id}"), ("payment_intent", f"/v1/payment_intents/{pi}"),
        ("charge", f"/v1/charges/{charge}"), ("setup_intent", f"/v1/setup_intents/{si.id}"),
        ("payment_method", f"/v1/payment_methods/{good.invoice_settings.default_payment_method}"),
        ("checkout.session", f"/v1/checkout/sessions/{session.id}"),
        ("billing_portal.configuration", f"/v1/billing_portal/configurations/{portal.configuration}"),
        ("test_helpers.test_clock", f"/v1/test_helpers/test_clocks/{clock.id}"),
        ("webhook_endpoint", f"/v1/webhook_endpoints/{endpoint.id}"),
        ("event", f"/v1/events/{stripe.Event.list(limit=1).data[0].id}"),
        ("refund", f"/v1/refunds/{refund.id}"), ("dispute", f"/v1/disputes/{dispute.id}"),
        ("charge", f"/v1/charges/{disputed.latest_charge}"),
    ]


@pytest.mark.skipif(not VERSION_FILES, reason="EFFINITY_VERSION_SCHEMAS names no folder of per-version schemas")
@pytest.mark.parametrize("path", VERSION_FILES, ids=lambda p: os.path.basename(p)[:-5])
def test_objects_match_the_version_schema(path, world, raw):
    doc = json.load(open(path))
    version, schemas = doc["version"], doc["schemas"]
    problems = []
    for kind, url in world:
        status, headers, obj = raw("GET", url, headers={"Stripe-Version": version})
        assert status == 200, (url, obj)
        assert headers["Stripe-Version"] == version
        problems += check(obj, kind, version, schemas)
        # Lines of invoices and items of subscriptions are objects of their own type.
        for line in (obj.get("lines") or {}).get("data", []) if kind == "invoice" else []:
            problems += check(line, "line_item", version, schemas)
    assert sorted(set(problems)) == []


def test_newest_version_keeps_the_new_shape(world, raw):
    for kind, url in world:
        _, headers, obj = raw("GET", url)
        assert headers["Stripe-Version"] == stripe.api_version
        for first, t, field in REMOVED_LATER:
            if t == kind:
                assert field not in obj, f"{kind}.{field} at the newest version"
