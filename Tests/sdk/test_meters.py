"""Usage-based billing through the official SDK: billing meters, meter events and their
adjustments and summaries, metered prices billed in arrears at each renewal, and the legacy
usage records of API versions before 2025-03-31.basil.

Every amount is worked out by hand in the comment next to it. Test clocks start at
2026-01-01T00:00Z (T0); January has 31 days, February 28.
"""

import datetime
import json
import urllib.parse

import pytest
import stripe

from conftest import DAY, HOUR, T0


def ts(y, m, d, h=0, mi=0):
    return int(datetime.datetime(y, m, d, h, mi, tzinfo=datetime.timezone.utc).timestamp())


FEB1 = ts(2026, 2, 1)
MAR1 = ts(2026, 3, 1)
APR1 = ts(2026, 4, 1)
LEGACY = {"Stripe-Version": "2024-06-20"}


def _error(fn):
    with pytest.raises(stripe.InvalidRequestError) as e:
        fn()
    return e.value


def _meter(event_name="api_calls", formula="sum", **kw):
    return stripe.billing.Meter.create(
        display_name="API calls", event_name=event_name, default_aggregation={"formula": formula}, **kw
    )


def _metered_price(meter, **kw):
    prod = stripe.Product.create(name="API")
    params = {"unit_amount": 5} if "tiers" not in kw else {}
    params.update(kw)
    return stripe.Price.create(
        product=prod.id, currency="usd", recurring={"interval": "month", "usage_type": "metered", "meter": meter.id}, **params
    )


def _usage(customer, value, timestamp=None, identifier=None, event_name="api_calls"):
    params = {"event_name": event_name, "payload": {"stripe_customer_id": customer.id, "value": str(value)}}
    if timestamp is not None:
        params["timestamp"] = timestamp
    if identifier is not None:
        params["identifier"] = identifier
    return stripe.billing.MeterEvent.create(**params)


def _latest_invoice(sub_id):
    return stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub_id).latest_invoice)


# --- meters -------------------------------------------------------------------------------


def test_meter_create_update_deactivate_reactivate_and_events(billing):
    m = _meter(
        customer_mapping={"event_payload_key": "customer", "type": "by_id"},
        value_settings={"event_payload_key": "calls"},
        event_time_window="day",
    )
    assert m.object == "billing.meter" and m.id.startswith("mtr_")
    assert (m.status, m.event_name, m.event_time_window) == ("active", "api_calls", "day")
    assert m.customer_mapping.to_dict() == {"event_payload_key": "customer", "type": "by_id"}
    assert m.value_settings.event_payload_key == "calls"
    assert m.default_aggregation.formula == "sum"
    assert m.status_transitions.deactivated_at is None
    assert stripe.billing.Meter.retrieve(m.id).display_name == "API calls"
    assert stripe.billing.Meter.modify(m.id, display_name="Calls").display_name == "Calls"
    off = stripe.billing.Meter.deactivate(m.id)
    assert off.status == "inactive" and off.status_transitions.deactivated_at is not None
    assert [x.id for x in stripe.billing.Meter.list(status="inactive").data] == [m.id]
    assert stripe.billing.Meter.list(status="active").data == []
    assert _error(lambda: stripe.billing.Meter.deactivate(m.id)).http_status == 400
    assert stripe.billing.Meter.reactivate(m.id).status == "active"
    types = [e.type for e in billing.all_events()]
    assert types == ["billing.meter.created", "billing.meter.updated", "billing.meter.deactivated", "billing.meter.reactivated"]
    upd = stripe.Event.list(type="billing.meter.updated").data[0]
    assert upd.data.previous_attributes.display_name == "API calls"
    assert _error(lambda: stripe.billing.Meter.retrieve("mtr_missing")).code == "resource_missing"


@pytest.mark.parametrize(
    "params, param",
    [
        ({"event_name": "e", "default_aggregation": {"formula": "sum"}}, "display_name"),
        ({"display_name": "x", "default_aggregation": {"formula": "sum"}}, "event_name"),
        ({"display_name": "x", "event_name": "e"}, "default_aggregation[formula]"),
        ({"display_name": "x", "event_name": "e", "default_aggregation": {"formula": "avg"}}, "default_aggregation[formula]"),
        ({"display_name": "x", "event_name": "e", "default_aggregation": {"formula": "sum"}, "event_time_window": "week"}, "event_time_window"),
        ({"display_name": "x", "event_name": "e", "default_aggregation": {"formula": "sum"},
          "customer_mapping": {"event_payload_key": "c"}}, "customer_mapping[type]"),
        ({"display_name": "x", "event_name": "e", "default_aggregation": {"formula": "sum"}, "colour": "red"}, "colour"),
    ],
)
def test_meter_create_errors(params, param):
    e = _error(lambda: stripe.billing.Meter.create(**params))
    assert e.http_status == 400 and e.param == param


def test_meter_event_validation_on_the_customers_clock(billing):
    _meter()
    clock = billing.clock()
    cus = billing.customer(clock)
    ev = _usage(cus, 7, identifier="call-1")
    assert ev.object == "billing.meter_event"
    assert (ev.identifier, ev.timestamp, ev.payload.value) == ("call-1", T0, "7")
    dup = _error(lambda: _usage(cus, 7, identifier="call-1"))
    assert dup.param == "identifier"
    # 35 days back and 5 minutes ahead of the customer's (test) clock are the limits.
    assert _usage(cus, 1, timestamp=T0 - 35 * DAY).timestamp == T0 - 35 * DAY
    assert _error(lambda: _usage(cus, 1, timestamp=T0 - 35 * DAY - 1)).param == "timestamp"
    assert _usage(cus, 1, timestamp=T0 + 300).timestamp == T0 + 300
    assert _error(lambda: _usage(cus, 1, timestamp=T0 + 301)).param == "timestamp"
    missing = _error(lambda: stripe.billing.MeterEvent.create(event_name="api_calls", payload={"value": "1"}))
    assert (missing.param, missing.code) == ("payload[stripe_customer_id]", "parameter_missing")
    assert _error(lambda: _usage(cus, "1.5")).param == "payload[value]"


def test_event_summaries_by_day_and_cancel_adjustment(billing):
    m = _meter()
    clock = billing.clock()
    cus = billing.customer(clock)
    billing.advance(clock, T0 + 2 * DAY)
    _usage(cus, 10, timestamp=T0 + HOUR)
    _usage(cus, 5, timestamp=T0 + DAY + HOUR, identifier="mistake")
    _usage(cus, 3, timestamp=T0 + DAY + 2 * HOUR)
    by_day = stripe.billing.Meter.list_event_summaries(
        m.id, customer=cus.id, start_time=T0, end_time=T0 + 2 * DAY, value_grouping_window="day"
    )
    assert [(s.start_time, s.end_time, s.aggregated_value) for s in by_day.data] == [
        (T0, T0 + DAY, 10), (T0 + DAY, T0 + 2 * DAY, 8)
    ]
    adj = stripe.billing.MeterEventAdjustment.create(event_name="api_calls", type="cancel", cancel={"identifier": "mistake"})
    assert (adj.object, adj.type, adj.cancel.identifier) == ("billing.meter_event_adjustment", "cancel", "mistake")
    whole = stripe.billing.Meter.list_event_summaries(m.id, customer=cus.id, start_time=T0, end_time=T0 + 2 * DAY)
    assert [s.aggregated_value for s in whole.data] == [13]  # 10 + 3
    assert _error(lambda: stripe.billing.Meter.list_event_summaries(
        m.id, customer=cus.id, start_time=T0 + 1, end_time=T0 + DAY)).param == "start_time"


# --- metered subscriptions ----------------------------------------------------------------


def test_graduated_metered_plan_billed_in_arrears_each_month(billing):
    m = _meter()
    # Graduated: the first 1,000 calls at 2¢, the rest at 1¢.
    price = _metered_price(m, billing_scheme="tiered", tiers_mode="graduated",
                           tiers=[{"up_to": 1000, "unit_amount": 2}, {"up_to": "inf", "unit_amount": 1}])
    clock = billing.clock()
    cus = billing.customer(clock)
    quantity = _error(lambda: stripe.Subscription.create(customer=cus.id, items=[{"price": price.id, "quantity": 3}]))
    assert quantity.param == "items[0][quantity]"
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    assert sub.status == "active" and "quantity" not in sub["items"].data[0]
    first = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (first.total, first.lines.data[0].quantity) == (0, 0)  # nothing used yet

    billing.advance(clock, ts(2026, 1, 20))
    _usage(cus, 1200)
    _usage(cus, 300)
    # The preview shows January so far: 1000 × 2 + 500 × 1 = 2500.
    preview = stripe.Invoice.create_preview(customer=cus.id, subscription=sub.id)
    assert (preview.total, preview.lines.data[0].quantity) == (2500, 1500)

    billing.advance(clock, FEB1 + HOUR + 60)
    feb = _latest_invoice(sub.id)
    assert (feb.status, feb.total, feb.amount_paid) == ("paid", 2500, 2500)
    line = feb.lines.data[0]
    assert (line.quantity, line.amount, line.period.start, line.period.end) == (1500, 2500, T0, FEB1)

    billing.advance(clock, ts(2026, 2, 10))
    _usage(cus, 300)
    billing.advance(clock, MAR1 + HOUR + 60)
    mar = _latest_invoice(sub.id)
    assert (mar.total, mar.lines.data[0].quantity) == (600, 300)  # 300 × 2¢

    billing.advance(clock, APR1 + HOUR + 60)
    apr = _latest_invoice(sub.id)
    assert (apr.total, apr.lines.data[0].quantity, apr.status) == (0, 0, "paid")  # an idle month


def test_volume_metered_price_with_count_meter_and_transform(billing):
    m = _meter(event_name="logins", formula="count")
    volume = _metered_price(m, billing_scheme="tiered", tiers_mode="volume",
                            tiers=[{"up_to": 5, "unit_amount": 100}, {"up_to": "inf", "unit_amount": 80, "flat_amount": 50}])
    m2 = _meter(event_name="bytes")
    per_gb = _metered_price(m2, unit_amount=40, transform_quantity={"divide_by": 1000, "round": "up"})
    assert per_gb.transform_quantity.to_dict() == {"divide_by": 1000, "round": "up"}
    clock = billing.clock()
    cus = billing.customer(clock)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": volume.id}, {"price": per_gb.id}])
    for _ in range(7):
        stripe.billing.MeterEvent.create(event_name="logins", payload={"stripe_customer_id": cus.id})
    _usage(cus, 2500, event_name="bytes")
    billing.advance(clock, FEB1 + HOUR + 60)
    inv = _latest_invoice(sub.id)
    # Volume: 7 logins all at 80¢ + 50¢ flat = 610; bytes: ceil(2500 / 1000) = 3 × 40¢ = 120.
    assert [(l.quantity, l.amount) for l in inv.lines.data] == [(7, 610), (2500, 120)]
    assert inv.total == 730


def test_billing_threshold_invoices_early(billing):
    m = _meter()
    price = _metered_price(m)  # 5¢ a call
    clock = billing.clock()
    cus = billing.customer(clock)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], billing_thresholds={"amount_gte": 2000})
    assert sub.billing_thresholds.amount_gte == 2000
    billing.advance(clock, ts(2026, 1, 10))
    _usage(cus, 300)  # $15.00: not yet
    assert stripe.Subscription.retrieve(sub.id).latest_invoice == sub.latest_invoice
    _usage(cus, 120)  # $21.00: invoiced now, in arrears of the 420 calls so far
    early = _latest_invoice(sub.id)
    assert (early.billing_reason, early.status, early.total) == ("subscription_threshold", "paid", 2100)
    assert early.lines.data[0].quantity == 420
    billing.advance(clock, ts(2026, 1, 20))
    _usage(cus, 60)
    billing.advance(clock, FEB1 + HOUR + 60)
    feb = _latest_invoice(sub.id)
    assert (feb.billing_reason, feb.total, feb.lines.data[0].quantity) == ("subscription_cycle", 300, 60)  # 60 × 5¢


def test_metered_price_errors():
    m = _meter()
    prod = stripe.Product.create(name="API")
    no_meter = _error(lambda: stripe.Price.create(product=prod.id, currency="usd", unit_amount=1,
                                                  recurring={"interval": "month", "usage_type": "metered"}))
    assert no_meter.param == "recurring[meter]"
    licensed = _error(lambda: stripe.Price.create(product=prod.id, currency="usd", unit_amount=1,
                                                  recurring={"interval": "month", "meter": m.id}))
    assert licensed.param == "recurring[meter]"
    legacy = _error(lambda: stripe.Price.create(product=prod.id, currency="usd", unit_amount=1,
                                                recurring={"interval": "month", "usage_type": "metered", "meter": m.id,
                                                           "aggregate_usage": "sum"}))
    assert legacy.param == "recurring[aggregate_usage]"


# --- legacy usage records (before basil) -----------------------------------------------------


def _form(d):
    return urllib.parse.urlencode(d)


def test_legacy_usage_records_before_basil_only(billing, raw):
    status, _, price = raw("POST", "/v1/prices", _form({
        "currency": "usd", "product_data[name]": "Calls", "unit_amount": "2", "recurring[interval]": "month",
        "recurring[usage_type]": "metered", "recurring[aggregate_usage]": "last_during_period"}), headers=LEGACY)
    assert status == 200 and price["recurring"]["aggregate_usage"] == "last_during_period"
    clock = billing.clock()
    cus = billing.customer(clock)
    status, _, sub = raw("POST", "/v1/subscriptions", _form({"customer": cus.id, "items[0][price]": price["id"]}), headers=LEGACY)
    assert status == 200
    item = sub["items"]["data"][0]["id"]
    path = f"/v1/subscription_items/{item}/usage_records"
    status, _, rec = raw("POST", path, _form({"quantity": "40", "timestamp": str(T0 + 60)}), headers=LEGACY)
    assert status == 200 and rec["object"] == "usage_record" and rec["quantity"] == 40
    raw("POST", path, _form({"quantity": "25", "timestamp": str(T0 + 120)}), headers=LEGACY)
    raw("POST", path, _form({"quantity": "5", "timestamp": str(T0 + 120), "action": "increment"}), headers=LEGACY)
    status, _, summaries = raw("GET", f"/v1/subscription_items/{item}/usage_record_summaries", headers=LEGACY)
    assert summaries["data"][0]["total_usage"] == 30  # the last record: 25 + 5 at the same second
    # From basil on, Stripe has no such routes.
    status, _, err = raw("POST", path, _form({"quantity": "1"}))
    assert status == 404 and "Unrecognized request URL" in err["error"]["message"]
    billing.advance(clock, FEB1 + HOUR + 60)
    inv = _latest_invoice(sub["id"])
    assert (inv.total, inv.lines.data[0].quantity) == (60, 30)  # 30 × 2¢
