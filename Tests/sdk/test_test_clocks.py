"""Test clocks and the account clock: trials, renewals and the events timed work produces.

Everything runs on simulated time (Stripe test clocks starting 2026-01-01T00:00Z, or the account
clock frozen via the emulator control API), so every timestamp below is exact.
"""

import datetime

import pytest
import stripe

from conftest import DAY, HOUR, T0


def ts(y, m, d, h=0, mi=0):
    return int(datetime.datetime(y, m, d, h, mi, tzinfo=datetime.timezone.utc).timestamp())


FEB1 = ts(2026, 2, 1)

# The $0 invoice a trialing subscription starts with: created, finalized and paid at once, no charge.
TRIAL_CREATE_EVENTS = [
    "test_helpers.test_clock.created",
    "customer.created",
    "payment_method.attached",
    "customer.subscription.created",
    "invoice.created",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
]

# A renewal: at period end the period rolls and a draft appears; an hour later it is finalized and charged.
RENEWAL_PAID_EVENTS = [
    "customer.subscription.updated",
    "invoice.created",
    "invoice.finalized",
    "payment_intent.created",
    "charge.succeeded",
    "payment_intent.succeeded",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice_payment.paid",
    "invoice.updated",
]


# --- test clock object ------------------------------------------------------------------


def test_test_clock_create_retrieve_list_and_advance_shape(billing):
    clock = billing.clock(name="shape")
    assert clock.id.startswith("clock_")
    assert clock.object == "test_helpers.test_clock"
    assert clock.frozen_time == T0
    assert clock.status == "ready"
    assert clock.name == "shape"
    assert clock.livemode is False

    got = stripe.test_helpers.TestClock.retrieve(clock.id)
    assert got.frozen_time == T0
    assert [c.id for c in stripe.test_helpers.TestClock.list().data] == [clock.id]

    adv = stripe.test_helpers.TestClock.advance(clock.id, frozen_time=T0 + 5 * DAY)
    # The emulator does all due work synchronously: the clock is ready at the target at once.
    assert adv.status == "ready"
    assert adv.frozen_time == T0 + 5 * DAY
    assert stripe.test_helpers.TestClock.retrieve(clock.id).frozen_time == T0 + 5 * DAY

    types = [e.type for e in billing.all_events() if billing.obj(e)["id"] == clock.id]
    assert types == [
        "test_helpers.test_clock.created",
        "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.ready",
    ]
    ready = stripe.Event.list(type="test_helpers.test_clock.ready").data[0]
    assert ready.data.object.frozen_time == T0 + 5 * DAY
    assert ready.data.object.status == "ready"


def test_test_clock_cannot_move_backwards_or_stand_still(billing):
    clock = billing.clock()
    billing.advance(clock, T0 + HOUR)
    for target in (T0, T0 + HOUR):
        with pytest.raises(stripe.InvalidRequestError) as ei:
            stripe.test_helpers.TestClock.advance(clock.id, frozen_time=target)
        assert ei.value.http_status == 400
        assert ei.value.param == "frozen_time"
    assert stripe.test_helpers.TestClock.retrieve(clock.id).frozen_time == T0 + HOUR


def test_objects_on_a_clock_use_clock_time(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    assert cus.test_clock == clock.id
    assert cus.created == T0
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    assert sub.test_clock == clock.id
    assert sub.created == T0
    assert sub.start_date == T0
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (T0, FEB1)
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert inv.created == T0
    assert inv.test_clock == clock.id
    # list filter by clock
    assert [s.id for s in stripe.Subscription.list(test_clock=clock.id).data] == [sub.id]
    other = billing.clock()
    assert stripe.Subscription.list(test_clock=other.id).data == []
    assert [c.id for c in stripe.Customer.list(test_clock=clock.id).data] == [cus.id]


def test_deleting_a_clock_deletes_its_customers_and_subscriptions(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    gone = stripe.test_helpers.TestClock.delete(clock.id)
    assert (gone.id, gone.deleted) == (clock.id, True)
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.test_helpers.TestClock.retrieve(clock.id)
    assert ei.value.http_status == 404
    assert stripe.Customer.retrieve(cus.id).to_dict().get("deleted") is True
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Subscription.retrieve(sub.id)
    assert stripe.Subscription.list(status="all").data == []
    assert [e.data.object.id for e in stripe.Event.list(type="test_helpers.test_clock.deleted").data] == [clock.id]


# --- trial -> active ----------------------------------------------------------------------


def test_trial_to_active_exact_event_sequence(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(2000, name="Pro")
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], trial_period_days=14)
    trial_end = T0 + 14 * DAY
    assert sub.status == "trialing"
    assert (sub.trial_start, sub.trial_end) == (T0, trial_end)
    assert sub["items"].data[0].current_period_end == trial_end

    first = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (first.status, first.amount_due, first.amount_paid) == ("paid", 0, 0)
    assert first.billing_reason == "subscription_create"
    assert first.parent.subscription_details.subscription == sub.id

    assert billing.types_for(cus.id, clock.id) == TRIAL_CREATE_EVENTS
    before = billing.seen()

    billing.advance(clock, trial_end + 2 * HOUR)

    evs = billing.events_for(cus.id, clock.id, exclude=before)
    assert [e.type for e in evs] == [
        "test_helpers.test_clock.advancing",
        "customer.subscription.trial_will_end",
        *RENEWAL_PAID_EVENTS,
        "test_helpers.test_clock.ready",
    ]
    by_type = {}
    for e in evs:
        by_type.setdefault(e.type, e)
    # Each event carries the simulated moment it happened at.
    assert by_type["customer.subscription.trial_will_end"].created == trial_end - 3 * DAY
    assert by_type["customer.subscription.updated"].created == trial_end
    assert by_type["invoice.created"].created == trial_end
    assert by_type["invoice.finalized"].created == trial_end + HOUR
    assert by_type["charge.succeeded"].created == trial_end + HOUR
    assert by_type["test_helpers.test_clock.ready"].created == trial_end + 2 * HOUR
    # Automatic work has no originating request.
    for t in ("customer.subscription.trial_will_end", "customer.subscription.updated", "invoice.paid"):
        assert by_type[t].request.id is None, t

    upd = by_type["customer.subscription.updated"]
    assert upd.data.object.status == "active"
    assert upd.data.previous_attributes.status == "trialing"

    created = by_type["invoice.created"].data.object
    assert (created.status, created.billing_reason, created.amount_due) == ("draft", "subscription_cycle", 2000)

    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "active"
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (trial_end, trial_end + 31 * DAY)
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert inv.id == created.id
    assert (inv.status, inv.amount_paid, inv.attempt_count) == ("paid", 2000, 1)
    assert inv.status_transitions.finalized_at == trial_end + HOUR
    assert inv.status_transitions.paid_at == trial_end + HOUR
    pi_id = inv.payments.data[0].payment.payment_intent
    assert by_type["payment_intent.succeeded"].data.object.id == pi_id
    pi = stripe.PaymentIntent.retrieve(pi_id)
    assert (pi.status, pi.amount, pi.customer) == ("succeeded", 2000, cus.id)


def test_renewal_draft_waits_one_hour_before_finalizing(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], trial_period_days=10)
    trial_end = T0 + 10 * DAY

    billing.advance(clock, trial_end + 59 * 60)
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "active"
    draft = stripe.Invoice.retrieve(sub.latest_invoice)
    assert draft.status == "draft"
    assert draft.billing_reason == "subscription_cycle"
    assert draft.automatically_finalizes_at == trial_end + HOUR
    assert draft.amount_due == 1000
    assert [i.id for i in stripe.Invoice.list(customer=cus.id, status="draft").data] == [draft.id]
    assert stripe.Charge.list(customer=cus.id).data == []

    billing.advance(clock, trial_end + 61 * 60)
    inv = stripe.Invoice.retrieve(draft.id)
    assert inv.status == "paid"
    assert inv.number is not None
    assert stripe.Invoice.list(customer=cus.id, status="draft").data == []
    assert [c.status for c in stripe.Charge.list(customer=cus.id).data] == ["succeeded"]


def test_renewal_update_event_carries_the_new_latest_invoice(billing):
    """The subscription's `latest_invoice` moves to the renewal invoice; that change must be
    visible in an event (webhook consumers never see it otherwise)."""
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    old_invoice = sub.latest_invoice

    billing.advance(clock, FEB1 + 2 * HOUR)
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.latest_invoice != old_invoice
    last_update = stripe.Event.list(type="customer.subscription.updated", limit=1).data[0]
    assert last_update.data.object.latest_invoice == sub.latest_invoice
    assert last_update.data.previous_attributes.to_dict().get("latest_invoice") == old_invoice


def test_trial_will_end_fires_immediately_when_less_than_three_days_left(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], trial_end=T0 + 2 * DAY)
    twe = stripe.Event.list(type="customer.subscription.trial_will_end").data
    assert [e.data.object.id for e in twe] == [sub.id]
    assert twe[0].created == T0


@pytest.mark.parametrize(
    "behavior,status,renewal_invoice",
    [("cancel", "canceled", False), ("pause", "paused", False), ("create_invoice", "past_due", True)],
)
def test_trial_end_without_payment_method(billing, behavior, status, renewal_invoice):
    clock = billing.clock()
    cus = billing.customer(clock, pm=None)
    price = billing.price(1000)
    sub = stripe.Subscription.create(
        customer=cus.id,
        items=[{"price": price.id}],
        trial_period_days=5,
        trial_settings={"end_behavior": {"missing_payment_method": behavior}},
    )
    assert sub.trial_settings.end_behavior.missing_payment_method == behavior
    billing.advance(clock, T0 + 5 * DAY + 2 * HOUR)
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == status
    invs = stripe.Invoice.list(subscription=sub.id).data
    reasons = [(i.billing_reason, i.status) for i in invs]
    if renewal_invoice:
        assert reasons == [("subscription_cycle", "open"), ("subscription_create", "paid")]
        assert invs[0].amount_remaining == 1000
    else:
        assert reasons == [("subscription_create", "paid")]
    assert stripe.Charge.list(customer=cus.id).data == []
    types = billing.types_for(cus.id)
    if behavior == "cancel":
        assert types[-1] == "customer.subscription.deleted"
    if behavior == "pause":
        assert types[-2:] == ["customer.subscription.updated", "customer.subscription.paused"]


# --- renewals -------------------------------------------------------------------------------


def test_twelve_monthly_renewals_give_thirteen_paid_invoices(client, billing):
    """StripeClient style; one advance per month (Stripe caps an advance at two intervals)."""
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0, "name": "year"})
    cus = client.v1.customers.create(
        params={
            "test_clock": clock.id,
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    prod = client.v1.products.create(params={"name": "Monthly"})
    price = client.v1.prices.create(
        params={"product": prod.id, "unit_amount": 1500, "currency": "usd", "recurring": {"interval": "month"}}
    )
    sub = client.v1.subscriptions.create(params={"customer": cus.id, "items": [{"price": price.id}]})
    assert sub.status == "active"

    for k in range(1, 13):
        target = ts(2026 + k // 12, k % 12 + 1, 1, 2)  # 02:00 on the 1st, after finalization + charge
        c = client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": target})
        assert (c.status, c.frozen_time) == ("ready", target)

    invoices = list(client.v1.invoices.list(params={"customer": cus.id, "limit": 5}).auto_paging_iter())
    assert len(invoices) == 13
    assert all(i.status == "paid" and i.amount_paid == 1500 for i in invoices)
    assert [i.billing_reason for i in invoices] == ["subscription_cycle"] * 12 + ["subscription_create"]
    expected_created = [ts(2026 + k // 12, k % 12 + 1, 1) for k in range(12, -1, -1)]
    assert [i.created for i in invoices] == expected_created
    assert len(set(i.number for i in invoices)) == 13
    # Each renewal line covers exactly the calendar month starting at the invoice date.
    for inv, start in zip(invoices[:-1], expected_created[:-1]):
        (line,) = inv.lines.data
        assert line.period.start == start
        nxt = datetime.datetime.fromtimestamp(start, datetime.timezone.utc)
        nxt = nxt.replace(year=nxt.year + nxt.month // 12, month=nxt.month % 12 + 1)
        assert line.period.end == int(nxt.timestamp())

    paid = client.v1.invoices.list(params={"subscription": sub.id, "status": "paid", "limit": 100})
    assert len(paid.data) == 13
    charges = list(client.v1.charges.list(params={"customer": cus.id, "limit": 100}).auto_paging_iter())
    assert len(charges) == 13 and all(c.status == "succeeded" for c in charges)

    sub = client.v1.subscriptions.retrieve(sub.id)
    item = sub["items"].data[0]
    assert sub.status == "active"
    assert (item.current_period_start, item.current_period_end) == (ts(2027, 1, 1), ts(2027, 2, 1))

    # auto_paging_iter over events (several pages) yields each event once, newest first,
    # and the renewals show up exactly 12 times.
    evs = list(client.v1.events.list(params={"limit": 7}).auto_paging_iter())
    assert len(evs) > 100
    assert len({e.id for e in evs}) == len(evs)
    created = [e.created for e in evs]
    assert created == sorted(created, reverse=True)
    one_page = list(client.v1.events.list(params={"limit": 100}).auto_paging_iter())
    assert [e.id for e in one_page] == [e.id for e in evs]
    counts = {}
    for e in evs:
        counts[e.type] = counts.get(e.type, 0) + 1
    assert counts["invoice.paid"] == 13
    assert counts["invoice_payment.paid"] == 13
    assert counts["charge.succeeded"] == 13
    assert counts["customer.subscription.updated"] == 12
    assert counts["test_helpers.test_clock.ready"] == 12
    inv_created = [e for e in evs if e.type == "invoice.created"]
    assert [e.data.object.billing_reason for e in inv_created].count("subscription_cycle") == 12


def test_each_renewal_event_sequence_is_identical(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000)
    stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    for month in (2, 3, 4):
        before = billing.seen()
        billing.advance(clock, ts(2026, month, 1, 3))
        assert billing.types_for(cus.id, clock.id, exclude=before) == [
            "test_helpers.test_clock.advancing",
            *RENEWAL_PAID_EVENTS,
            "test_helpers.test_clock.ready",
        ], month


def test_advancing_two_periods_at_once_renews_twice_in_order(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000)
    stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    before = billing.seen()
    billing.advance(clock, ts(2026, 3, 1, 2))
    evs = billing.events_for(cus.id, clock.id, exclude=before)
    assert [e.type for e in evs] == [
        "test_helpers.test_clock.advancing",
        *RENEWAL_PAID_EVENTS,
        *RENEWAL_PAID_EVENTS,
        "test_helpers.test_clock.ready",
    ]
    created = [e.created for e in evs]
    assert created == sorted(created)
    paid = [e for e in evs if e.type == "invoice.paid"]
    assert [e.created for e in paid] == [FEB1 + HOUR, ts(2026, 3, 1, 1)]


# --- account clock (control API) -------------------------------------------------------------


def test_account_clock_freeze_and_advance_by_span(billing):
    t = billing.control("/_emulator/time/freeze", at=T0)
    assert (t["frozen"], t["now"]) == (True, T0)
    cus = billing.customer()
    assert cus.created == T0
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], trial_period_days=3)
    assert sub.trial_end == T0 + 3 * DAY

    t = billing.control("/_emulator/time/advance", by="3d1h")
    assert t["now"] == T0 + 3 * DAY + HOUR
    assert stripe.Subscription.retrieve(sub.id).status == "active"

    t = billing.control("/_emulator/time/advance", by="1mo")
    assert t["now"] == ts(2026, 2, 4, 1)
    invs = stripe.Invoice.list(subscription=sub.id).data
    assert [(i.billing_reason, i.status, i.amount_paid) for i in invs] == [
        ("subscription_cycle", "paid", 1000),
        ("subscription_cycle", "paid", 1000),
        ("subscription_create", "paid", 0),
    ]
    assert [i.created for i in invs[:2]] == [ts(2026, 2, 4), T0 + 3 * DAY]
    # Time stays frozen between calls.
    assert stripe.Customer.create().created == ts(2026, 2, 4, 1)
