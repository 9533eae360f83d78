"""Subscription billing flows through the official SDK: dunning, recovery, prorations, cancel,
incomplete subscriptions, 3D Secure. All on test clocks starting 2026-01-01T00:00Z."""

import datetime

import pytest
import stripe

from conftest import DAY, HOUR, T0


def ts(y, m, d, h=0, mi=0):
    return int(datetime.datetime(y, m, d, h, mi, tzinfo=datetime.timezone.utc).timestamp())


FEB1 = ts(2026, 2, 1)
MAR1 = ts(2026, 3, 1)

FAILED_ATTEMPT_EVENTS = [
    "charge.failed",
    "payment_intent.payment_failed",
    "invoice.payment_failed",
    "invoice.updated",
]


def _monthly_sub(billing, amount=1500, pm="pm_card_visa", **kw):
    clock = billing.clock()
    cus = billing.customer(clock, pm=pm)
    price = billing.price(amount)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], **kw)
    return clock, cus, price, sub


def _latest_invoice(sub_id):
    return stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub_id).latest_invoice)


# --- failed renewal and dunning -------------------------------------------------------------


def test_failed_renewal_past_due_each_retry_then_canceled(billing):
    clock, cus, _, sub = _monthly_sub(billing)
    assert sub.status == "active"
    billing.set_default_pm(cus.id, "pm_card_chargeCustomerFail")

    # Attempt 1 at finalization, an hour after the period ends.
    before = billing.seen()
    billing.advance(clock, FEB1 + HOUR + 60)
    assert billing.types_for(cus.id, exclude=before) == [
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        *FAILED_ATTEMPT_EVENTS,
        "customer.subscription.updated",
    ]
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "past_due"
    upd = stripe.Event.list(type="customer.subscription.updated", limit=1).data[0]
    assert upd.data.object.status == "past_due"
    assert upd.data.previous_attributes.status == "active"
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (inv.status, inv.attempt_count, inv.attempted) == ("open", 1, True)
    assert inv.billing_reason == "subscription_cycle"
    # Default schedule: retries 3, 5 and 6 days after the previous failure.
    retries = [FEB1 + HOUR + 3 * DAY, FEB1 + HOUR + 8 * DAY, FEB1 + HOUR + 14 * DAY]
    assert inv.next_payment_attempt == retries[0]
    pi = stripe.PaymentIntent.retrieve(inv.payments.data[0].payment.payment_intent)
    assert pi.status == "requires_payment_method"
    assert (pi.last_payment_error.code, pi.last_payment_error.decline_code) == ("card_declined", "generic_decline")

    for n, at in enumerate(retries, start=2):
        # Nothing happens just before the retry...
        billing.advance(clock, at - 60)
        assert stripe.Invoice.retrieve(inv.id).attempt_count == n - 1
        before = billing.seen()
        billing.advance(clock, at + 60)
        expected = list(FAILED_ATTEMPT_EVENTS)
        if n == 4:
            expected.append("customer.subscription.deleted")
        assert billing.types_for(cus.id, exclude=before) == expected, n
        inv = stripe.Invoice.retrieve(inv.id)
        assert inv.attempt_count == n
        assert inv.status == "open"
        assert inv.next_payment_attempt == (retries[n - 1] if n < 4 else None)
        failed = stripe.Event.list(type="invoice.payment_failed", limit=1).data[0]
        assert failed.created == at
        assert failed.data.object.attempt_count == n
        assert failed.request.id is None

    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "canceled"
    assert sub.canceled_at == sub.ended_at == retries[-1]
    assert sub.cancellation_details.reason == "payment_failed"
    charges = stripe.Charge.list(customer=cus.id, limit=100).data
    assert [c.status for c in charges] == ["failed"] * 4 + ["succeeded"]
    assert all(c.failure_code == "card_declined" for c in charges[:4])
    # The invoice is left open and nothing else is attempted or billed afterwards.
    billing.advance(clock, MAR1 + 2 * HOUR)
    assert stripe.Invoice.retrieve(inv.id).status == "open"
    assert len(stripe.Charge.list(customer=cus.id, limit=100).data) == 5
    assert len(stripe.Invoice.list(customer=cus.id).data) == 2


def test_recovery_with_invoice_pay_after_attaching_a_good_card(billing):
    clock, cus, _, sub = _monthly_sub(billing, amount=1500, pm="pm_card_chargeCustomerFail", trial_period_days=7)
    trial_end = T0 + 7 * DAY
    billing.advance(clock, trial_end + HOUR + 60)
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "past_due"
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (inv.status, inv.attempt_count) == ("open", 1)

    # Paying again with the failing default card: 402 CardError, still open.
    with pytest.raises(stripe.CardError) as ei:
        stripe.Invoice.pay(inv.id)
    assert ei.value.http_status == 402
    assert ei.value.code == "card_declined"
    assert ei.value.user_message == "Your card was declined."
    assert ei.value.json_body["error"]["decline_code"] == "generic_decline"
    assert stripe.Invoice.retrieve(inv.id).status == "open"

    visa = stripe.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    before = billing.seen()
    paid = stripe.Invoice.pay(inv.id, payment_method=visa.id)
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 1500, 0)
    assert paid.next_payment_attempt is None
    assert paid.status_transitions.paid_at == trial_end + HOUR + 60
    assert [p.status for p in paid.payments.data] == ["paid"]
    assert billing.types_for(cus.id, exclude=before) == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice_payment.paid",
        "invoice.updated",
        "customer.subscription.updated",
    ]
    upd = stripe.Event.list(type="customer.subscription.updated", limit=1).data[0]
    assert upd.data.object.status == "active"
    assert upd.data.previous_attributes.status == "past_due"
    assert upd.request.id is not None
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    pi = stripe.PaymentIntent.retrieve(paid.payments.data[0].payment.payment_intent)
    assert (pi.status, pi.payment_method) == ("succeeded", visa.id)

    # No scheduled retry fires for the paid invoice.
    billing.advance(clock, trial_end + 20 * DAY)
    charges = stripe.Charge.list(customer=cus.id).data
    assert [c.status for c in charges] == ["succeeded", "failed", "failed"]


def test_scripted_fault_then_automatic_retry_recovers(billing, raw):
    clock, cus, _, sub = _monthly_sub(billing, amount=1000)
    # Charge #1 was the first invoice; fail from charge #2 on.
    f = billing.control(
        "/_emulator/faults/charges", customer=cus.id, from_attempt=2, decline_code="insufficient_funds"
    )
    assert f["from_attempt"] == 2
    billing.advance(clock, FEB1 + 2 * HOUR)
    assert stripe.Subscription.retrieve(sub.id).status == "past_due"
    failed = stripe.Charge.list(customer=cus.id, limit=1).data[0]
    assert (failed.status, failed.failure_code, failed.outcome.reason) == ("failed", "card_declined", "insufficient_funds")

    status, _, body = raw("DELETE", f"/_emulator/faults/charges/{cus.id}")
    assert status == 200 and body["deleted"] is True
    billing.advance(clock, FEB1 + HOUR + 3 * DAY + 60)
    sub = stripe.Subscription.retrieve(sub.id)
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert sub.status == "active"
    assert (inv.status, inv.attempt_count, inv.amount_paid) == ("paid", 2, 1000)
    statuses = [(e.data.object.status, e.data.previous_attributes.status)
                for e in stripe.Event.list(type="customer.subscription.updated").data[:2]]
    assert statuses == [("active", "past_due"), ("past_due", "active")]


# --- upgrades / prorations ------------------------------------------------------------------


def _upgrade_setup(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    basic = billing.price(1000, name="Basic")
    pro = billing.price(3000, name="Pro")
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": basic.id}])
    return clock, cus, basic, pro, sub


# Change on 11 Jan 00:00 of the 1 Jan - 1 Feb period (31 days): 21 days remain.
CHANGE_AT = T0 + 10 * DAY
CREDIT = -677  # 1000 * 21 / 31 = 677.419... -> 677 cents back for Basic's unused 21 days
DEBIT = 2032  # 3000 * 21 / 31 = 2032.258... -> 2032 cents for Pro's remaining 21 days


def test_upgrade_create_prorations_pending_items_to_the_cent(billing):
    clock, cus, basic, pro, sub = _upgrade_setup(billing)
    si = sub["items"].data[0].id
    billing.advance(clock, CHANGE_AT + 5 * HOUR)  # proration_date earlier than "now"

    up = stripe.Subscription.modify(
        sub.id, items=[{"id": si, "price": pro.id}], proration_behavior="create_prorations", proration_date=CHANGE_AT
    )
    assert up["items"].data[0].id == si
    assert up["items"].data[0].price.id == pro.id
    assert up.latest_invoice == sub.latest_invoice  # nothing invoiced now

    pending = stripe.InvoiceItem.list(customer=cus.id, pending=True).data
    by_amount = {ii.amount: ii for ii in pending}
    assert sorted(by_amount) == [CREDIT, DEBIT] == [-677, 2032]
    credit, debit = by_amount[CREDIT], by_amount[DEBIT]
    assert credit.description == "Unused time on 1 × Basic after 11 Jan 2026"
    assert debit.description == "Remaining time on 1 × Pro after 11 Jan 2026"
    for ii in (credit, debit):
        assert ii.proration is True
        assert ii.invoice is None
        assert (ii.period.start, ii.period.end) == (CHANGE_AT, FEB1)
        assert ii.currency == "usd"
    assert stripe.Charge.list(customer=cus.id).data.__len__() == 1

    upd = stripe.Event.list(type="customer.subscription.updated", limit=1).data[0]
    prev_items = upd.data.previous_attributes["items"]["data"]
    assert prev_items[0]["price"]["id"] == basic.id

    # Collected on the next regular invoice, together with the new price.
    billing.advance(clock, FEB1 + 2 * HOUR)
    inv = _latest_invoice(sub.id)
    assert inv.billing_reason == "subscription_cycle"
    assert sorted(line.amount for line in inv.lines.data) == [CREDIT, DEBIT, 3000]
    assert (inv.status, inv.amount_paid) == ("paid", 3000 + CREDIT + DEBIT)
    assert stripe.InvoiceItem.list(customer=cus.id, pending=True).data == []


def test_upgrade_always_invoice_bills_the_difference_now(client, billing):
    """StripeClient style."""
    clock, cus, basic, pro, sub = _upgrade_setup(billing)
    si = sub["items"].data[0].id
    billing.advance(clock, CHANGE_AT)

    up = client.v1.subscriptions.update(
        sub.id,
        params={"items": [{"id": si, "price": pro.id}], "proration_behavior": "always_invoice", "proration_date": CHANGE_AT},
    )
    assert up.latest_invoice != sub.latest_invoice
    inv = client.v1.invoices.retrieve(up.latest_invoice)
    assert inv.billing_reason == "subscription_update"
    assert inv.amount_due == CREDIT + DEBIT == 1355
    assert (inv.status, inv.amount_paid) == ("paid", 1355)
    assert sorted((line.amount, line.description) for line in inv.lines.data) == [
        (CREDIT, "Unused time on 1 × Basic after 11 Jan 2026"),
        (DEBIT, "Remaining time on 1 × Pro after 11 Jan 2026"),
    ]
    assert inv.parent.subscription_details.subscription == sub.id
    assert client.v1.invoice_items.list(params={"customer": cus.id, "pending": True}).data == []
    charges = client.v1.charges.list(params={"customer": cus.id}).data
    assert [(c.amount, c.status) for c in charges] == [(1355, "succeeded"), (1000, "succeeded")]


def test_quantity_change_prorates_to_the_second(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000, name="Seat")
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id, "quantity": 2}])
    si = sub["items"].data[0].id
    when = T0 + 10 * DAY + 12 * HOUR + 34 * 60 + 56  # 11 Jan 12:34:56
    billing.advance(clock, when)
    stripe.Subscription.modify(sub.id, items=[{"id": si, "quantity": 5}])  # proration at "now"
    # Remaining: 1 Feb - 11 Jan 12:34:56 = 21 d - 45,296 s = 1,769,104 s of a 31-day period (2,678,400 s).
    # Credit for 2 seats: 2000 * 1,769,104 / 2,678,400 = 1321.0155... -> 1321 cents.
    # Debit for 5 seats:  5000 * 1,769,104 / 2,678,400 = 3302.5388... -> 3303 cents.
    amounts = sorted(ii.amount for ii in stripe.InvoiceItem.list(customer=cus.id, pending=True).data)
    assert amounts == [-1321, 3303]


def test_proration_behavior_none_creates_no_items(billing):
    clock, cus, basic, pro, sub = _upgrade_setup(billing)
    billing.advance(clock, CHANGE_AT)
    up = stripe.Subscription.modify(
        sub.id, items=[{"id": sub["items"].data[0].id, "price": pro.id}], proration_behavior="none"
    )
    assert up["items"].data[0].price.id == pro.id
    assert stripe.InvoiceItem.list(customer=cus.id, pending=True).data == []
    billing.advance(clock, FEB1 + 2 * HOUR)
    assert _latest_invoice(sub.id).amount_paid == 3000


def test_create_preview_matches_the_invoice_that_follows(billing):
    clock, cus, basic, pro, sub = _upgrade_setup(billing)
    si = sub["items"].data[0].id
    billing.advance(clock, CHANGE_AT + HOUR)
    preview = stripe.Invoice.create_preview(
        subscription=sub.id,
        subscription_details={"items": [{"id": si, "price": pro.id}], "proration_date": CHANGE_AT},
    )
    assert preview.amount_due == 3000 + CREDIT + DEBIT == 4355
    assert sorted(line.amount for line in preview.lines.data) == [CREDIT, DEBIT, 3000]
    # A preview changes nothing.
    assert stripe.InvoiceItem.list(customer=cus.id, pending=True).data == []
    assert stripe.Subscription.retrieve(sub.id)["items"].data[0].price.id == basic.id
    assert not any(i.id == preview.to_dict().get("id") for i in stripe.Invoice.list(customer=cus.id).data)

    stripe.Subscription.modify(sub.id, items=[{"id": si, "price": pro.id}], proration_date=CHANGE_AT)
    billing.advance(clock, FEB1 + 2 * HOUR)
    assert _latest_invoice(sub.id).amount_paid == preview.amount_due


def test_create_preview_without_changes_is_the_next_renewal(billing):
    clock, cus, basic, pro, sub = _upgrade_setup(billing)
    preview = stripe.Invoice.create_preview(subscription=sub.id)
    assert preview.amount_due == 1000
    (line,) = preview.lines.data
    assert (line.period.start, line.period.end) == (FEB1, MAR1)


# --- cancel ---------------------------------------------------------------------------------


def test_cancel_now(billing):
    clock, cus, _, sub = _monthly_sub(billing)
    billing.advance(clock, T0 + 12 * DAY)
    before = billing.seen()
    canceled = stripe.Subscription.cancel(sub.id)
    assert canceled.status == "canceled"
    assert canceled.canceled_at == canceled.ended_at == T0 + 12 * DAY
    assert canceled.cancellation_details.reason == "cancellation_requested"
    evs = billing.events_for(cus.id, exclude=before)
    assert [e.type for e in evs] == ["customer.subscription.deleted"]
    assert evs[0].data.object.status == "canceled"
    assert evs[0].request.id is not None

    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    assert ei.value.http_status == 400
    # No renewal afterwards.
    billing.advance(clock, FEB1 + 2 * HOUR)
    assert len(stripe.Invoice.list(customer=cus.id).data) == 1
    assert stripe.Subscription.list(customer=cus.id).data == []  # default list hides canceled
    assert [s.id for s in stripe.Subscription.list(customer=cus.id, status="canceled").data] == [sub.id]


def test_cancel_at_period_end(billing):
    clock, cus, _, sub = _monthly_sub(billing)
    billing.advance(clock, T0 + 12 * DAY)
    upd = stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    assert upd.status == "active"
    assert upd.cancel_at_period_end is True
    assert upd.cancel_at == FEB1
    ev = stripe.Event.list(type="customer.subscription.updated", limit=1).data[0]
    assert ev.data.previous_attributes.cancel_at_period_end is False
    assert ev.data.object.cancel_at_period_end is True

    billing.advance(clock, FEB1 - 60)
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    before = billing.seen()
    billing.advance(clock, FEB1 + 2 * HOUR)
    assert billing.types_for(cus.id, exclude=before) == ["customer.subscription.deleted"]
    sub = stripe.Subscription.retrieve(sub.id)
    assert (sub.status, sub.ended_at) == ("canceled", FEB1)
    assert len(stripe.Invoice.list(customer=cus.id).data) == 1
    assert len(stripe.Charge.list(customer=cus.id).data) == 1


def test_cancel_at_period_end_can_be_undone(billing):
    clock, cus, _, sub = _monthly_sub(billing)
    stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    undone = stripe.Subscription.modify(sub.id, cancel_at_period_end=False)
    assert (undone.cancel_at_period_end, undone.cancel_at) == (False, None)
    billing.advance(clock, FEB1 + 2 * HOUR)
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    assert _latest_invoice(sub.id).status == "paid"


def test_cancel_with_prorate_and_invoice_now_credits_unused_time(billing):
    clock, cus, _, sub = _monthly_sub(billing, amount=1000)
    billing.advance(clock, CHANGE_AT)
    stripe.Subscription.cancel(sub.id, prorate=True, invoice_now=True)
    final = stripe.Invoice.list(customer=cus.id, limit=1).data[0]
    assert final.id != sub.latest_invoice
    assert [(line.amount, line.description) for line in final.lines.data] == [
        (CREDIT, "Unused time on 1 × Basic after 11 Jan 2026")
    ]
    assert final.total == CREDIT
    assert final.amount_due == 0
    assert stripe.Customer.retrieve(cus.id).balance == CREDIT


# --- incomplete subscriptions -------------------------------------------------------------------


def test_incomplete_then_incomplete_expired_after_23_hours(billing):
    clock, cus, _, sub = _monthly_sub(billing, amount=1000, pm="pm_card_chargeCustomerFail")
    assert sub.status == "incomplete"
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (inv.status, inv.billing_reason, inv.attempt_count) == ("open", "subscription_create", 1)
    assert inv.next_payment_attempt is None  # first invoices are not retried
    pi_id = inv.payments.data[0].payment.payment_intent
    assert stripe.PaymentIntent.retrieve(pi_id).status == "requires_payment_method"

    billing.advance(clock, T0 + 23 * HOUR - 60)
    assert stripe.Subscription.retrieve(sub.id).status == "incomplete"
    before = billing.seen()
    billing.advance(clock, T0 + 23 * HOUR + 60)
    assert billing.types_for(cus.id, exclude=before) == [
        "payment_intent.canceled",
        "invoice.voided",
        "invoice.updated",
        "customer.subscription.updated",
    ]
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "incomplete_expired"
    upd = stripe.Event.list(type="customer.subscription.updated", limit=1).data[0]
    assert upd.data.previous_attributes.status == "incomplete"
    inv = stripe.Invoice.retrieve(inv.id)
    assert inv.status == "void"
    assert inv.status_transitions.voided_at == T0 + 23 * HOUR
    assert stripe.PaymentIntent.retrieve(pi_id).status == "canceled"
    # Terminal: no more invoices.
    billing.advance(clock, FEB1 + 2 * HOUR)
    assert len(stripe.Invoice.list(customer=cus.id).data) == 1


def test_incomplete_becomes_active_when_paid_within_23_hours(billing):
    clock, cus, _, sub = _monthly_sub(billing, amount=1000, pm="pm_card_chargeCustomerFail")
    billing.advance(clock, T0 + 5 * HOUR)
    visa = stripe.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    paid = stripe.Invoice.pay(sub.latest_invoice, payment_method=visa.id)
    assert paid.status == "paid"
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "active"
    billing.advance(clock, T0 + 24 * HOUR)
    assert stripe.Subscription.retrieve(sub.id).status == "active"


def test_error_if_incomplete_raises_card_error_and_creates_no_subscription(billing):
    clock = billing.clock()
    cus = billing.customer(clock, pm="pm_card_chargeCustomerFail")
    price = billing.price(1000)
    with pytest.raises(stripe.CardError) as ei:
        stripe.Subscription.create(
            customer=cus.id, items=[{"price": price.id}], payment_behavior="error_if_incomplete"
        )
    err = ei.value
    assert err.http_status == 402
    assert err.code == "card_declined"
    assert err.json_body["error"]["type"] == "card_error"
    assert err.json_body["error"]["decline_code"] == "generic_decline"
    assert err.user_message == "Your card was declined."
    assert stripe.Subscription.list(customer=cus.id, status="all").data == []
    assert stripe.Event.list(type="customer.subscription.created").data == []


def test_error_if_incomplete_rolls_back_and_names_nothing_that_is_gone(billing):
    """Emulator choice (documented in the README): with error_if_incomplete the whole attempt is
    rolled back, so the 402 carries the decline but no payment intent or charge id, and nothing
    of the attempt is left to find."""
    clock = billing.clock()
    cus = billing.customer(clock, pm="pm_card_chargeCustomerFail")
    price = billing.price(1000)
    with pytest.raises(stripe.CardError) as ei:
        stripe.Subscription.create(
            customer=cus.id, items=[{"price": price.id}], payment_behavior="error_if_incomplete"
        )
    body = ei.value.json_body["error"]
    assert (body["code"], body["decline_code"]) == ("card_declined", "generic_decline")
    assert "payment_intent" not in body and "charge" not in body
    assert stripe.Charge.list(customer=cus.id).data == []
    assert stripe.PaymentIntent.list(customer=cus.id).data == []
    assert stripe.Subscription.list(customer=cus.id, status="all").data == []


def test_default_incomplete_does_not_charge(billing):
    clock, cus, _, sub = _monthly_sub(billing, amount=1000, payment_behavior="default_incomplete")
    assert sub.status == "incomplete"
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (inv.status, inv.amount_due, inv.attempt_count) == ("open", 1000, 0)
    assert stripe.Charge.list(customer=cus.id).data == []


def test_default_incomplete_confirmation_secret_is_expandable(billing):
    """Stripe's own integration guide: expand latest_invoice.confirmation_secret and hand its
    client_secret to Stripe.js."""
    clock, cus, _, sub = _monthly_sub(billing, amount=1000, payment_behavior="default_incomplete")
    got = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice.confirmation_secret"])
    secret = got.latest_invoice.confirmation_secret
    assert secret.type == "payment_intent"
    pi_id = got.latest_invoice.payments.data[0].payment.payment_intent
    assert secret.client_secret.startswith(pi_id + "_secret_")


def test_first_invoice_needing_3ds_then_authenticated(billing, raw):
    clock, cus, _, sub = _monthly_sub(billing, amount=1000, pm="pm_card_authenticationRequired",
                                      expand=["latest_invoice"])
    assert sub.status == "incomplete"
    assert sub.latest_invoice.status == "open"
    pi_id = sub.latest_invoice.payments.data[0].payment.payment_intent
    pi = stripe.PaymentIntent.retrieve(pi_id)
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    assert [e.data.object.id for e in stripe.Event.list(type="invoice.payment_action_required").data] == [
        sub.latest_invoice.id
    ]

    before = billing.seen()
    status, _, body = raw("POST", f"/_emulator/payment_intents/{pi_id}/authenticate", body="outcome=complete")
    assert status == 200 and body["status"] == "succeeded"
    assert billing.types_for(cus.id, exclude=before) == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice_payment.paid",
        "invoice.updated",
        "customer.subscription.updated",
    ]
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    inv = stripe.Invoice.retrieve(sub.latest_invoice.id)
    assert (inv.status, inv.amount_paid) == ("paid", 1000)


def test_renewal_needing_3ds_goes_past_due_until_authenticated(billing, raw):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    billing.set_default_pm(cus.id, "pm_card_authenticationRequired")
    before = billing.seen()
    billing.advance(clock, FEB1 + 2 * HOUR)
    assert billing.types_for(cus.id, exclude=before) == [
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.requires_action",
        "invoice.payment_action_required",
        "invoice.updated",
        "customer.subscription.updated",
    ]
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub.status == "past_due"
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    pi_id = inv.payments.data[0].payment.payment_intent
    assert stripe.PaymentIntent.retrieve(pi_id).status == "requires_action"

    status, _, body = raw("POST", f"/_emulator/payment_intents/{pi_id}/authenticate", body="outcome=complete")
    assert status == 200
    assert stripe.Invoice.retrieve(inv.id).status == "paid"
    assert stripe.Subscription.retrieve(sub.id).status == "active"


def test_dunning_settings_mark_unpaid_and_uncollectible(billing):
    s = billing.control(
        "/_emulator/settings",
        **{
            "dunning[subscription_end]": "unpaid",
            "dunning[invoice_end]": "uncollectible",
            "dunning[retry_days][0]": "1",
            "dunning[retry_days][1]": "2",
        },
    )
    assert s["dunning"] == {"invoice_end": "uncollectible", "retry_days": [1, 2], "subscription_end": "unpaid"}
    clock, cus, _, sub = _monthly_sub(billing, amount=1000)
    billing.set_default_pm(cus.id, "pm_card_chargeCustomerFail")

    billing.advance(clock, FEB1 + HOUR + 60)
    inv = _latest_invoice(sub.id)
    assert inv.next_payment_attempt == FEB1 + HOUR + DAY
    billing.advance(clock, FEB1 + HOUR + 3 * DAY + 60)
    sub = stripe.Subscription.retrieve(sub.id)
    inv = stripe.Invoice.retrieve(inv.id)
    assert sub.status == "unpaid"
    assert (inv.status, inv.attempt_count, inv.next_payment_attempt) == ("uncollectible", 3, None)
    upd = stripe.Event.list(type="customer.subscription.updated", limit=1).data[0]
    assert upd.data.previous_attributes.status == "past_due"
    assert [e.data.object.id for e in stripe.Event.list(type="invoice.marked_uncollectible").data] == [inv.id]

    # While unpaid, new invoices are created but never attempted ("immediately closed").
    charges_before = len(stripe.Charge.list(customer=cus.id, limit=100).data)
    billing.advance(clock, MAR1 + 2 * HOUR)
    nxt = _latest_invoice(sub.id)
    assert nxt.id != inv.id
    assert (nxt.status, nxt.attempt_count, nxt.next_payment_attempt) == ("open", 0, None)
    assert len(stripe.Charge.list(customer=cus.id, limit=100).data) == charges_before

    # Paying the latest invoice makes the subscription active again.
    billing.set_default_pm(cus.id, "pm_card_visa")
    assert stripe.Invoice.pay(nxt.id).status == "paid"
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    # SDK docs (Subscription.status): invoices of an unpaid subscription are "created, but then
    # immediately automatically closed", i.e. auto_advance=false.
    assert nxt.auto_advance is False
