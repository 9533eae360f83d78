"""Quotes through the official SDK: draft, finalize, accept into a subscription or an invoice,
cancel, expiry on the clock; amounts with discounts and tax by hand."""

import pytest
import stripe

from conftest import DAY, HOUR, T0


def _one_time(amount, name="Setup"):
    prod = stripe.Product.create(name=name)
    return stripe.Price.create(product=prod.id, unit_amount=amount, currency="usd")


def test_quote_accepted_into_a_subscription_with_a_setup_fee(billing):
    cus = billing.customer()
    monthly = billing.price(1500)
    setup = _one_time(5000)
    coupon = stripe.Coupon.create(percent_off=10, duration="forever")
    rate = stripe.TaxRate.create(display_name="Tax", percentage=5, inclusive=False)
    q = stripe.Quote.create(customer=cus.id, line_items=[{"price": monthly.id, "quantity": 10}, {"price": setup.id}],
                            discounts=[{"coupon": coupon.id}], default_tax_rates=[rate.id], description="Team plan")
    assert (q.object, q.status, q.number) == ("quote", "draft", None)
    # 10 x 1500 + 5000 = 20000; 10% off = 2000; 5% tax on 18000 = 900: 18900 due on acceptance.
    assert (q.amount_subtotal, q.total_details.amount_discount, q.total_details.amount_tax, q.amount_total) == (20000, 2000, 900, 18900)
    assert q.computed.upfront.amount_total == 18900
    # Each month after: 15000 - 1500 + 5% of 13500 (675) = 14175.
    assert (q.computed.recurring.amount_total, q.computed.recurring.interval) == (14175, "month")
    q = stripe.Quote.finalize_quote(q.id)
    assert q.status == "open" and q.number.startswith("QT-")
    q = stripe.Quote.accept(q.id)
    assert q.status == "accepted" and q.status_transitions.accepted_at is not None
    sub = stripe.Subscription.retrieve(q.subscription)
    assert [(i.price.id, i.quantity) for i in sub["items"].data] == [(monthly.id, 10)]
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (inv.subtotal, inv.total, inv.amount_paid) == (20000, 18900, 18900)
    types = [e.type for e in billing.all_events() if e.type.startswith("quote.")]
    assert types == ["quote.created", "quote.finalized", "quote.accepted"]


def test_one_time_quote_becomes_an_invoice(billing):
    cus = billing.customer()
    item = _one_time(2500, name="Audit")
    q = stripe.Quote.create(customer=cus.id, line_items=[{"price": item.id, "quantity": 2}])
    assert q.computed.recurring is None and q.amount_total == 5000
    stripe.Quote.finalize_quote(q.id)
    q = stripe.Quote.accept(q.id)
    inv = stripe.Invoice.retrieve(q.invoice)
    assert (inv.status, inv.total, q.subscription) == ("draft", 5000, None)
    assert inv.parent.quote_details.quote == q.id


def test_line_items_update_and_cancel(billing):
    cus = billing.customer()
    price = billing.price(1000)
    q = stripe.Quote.create(customer=cus.id, line_items=[{"price": price.id, "quantity": 3}])
    assert [(l.quantity, l.amount_total) for l in stripe.Quote.list_line_items(q.id).data] == [(3, 3000)]
    q = stripe.Quote.modify(q.id, line_items=[{"price": price.id, "quantity": 5}], header="Offer")
    assert (q.amount_total, q.header) == (5000, "Offer")
    canceled = stripe.Quote.cancel(q.id)
    assert canceled.status == "canceled"
    e = pytest.raises(stripe.InvalidRequestError, stripe.Quote.finalize_quote, q.id)
    assert e.value.code == "quote_not_finalizable"
    e = pytest.raises(stripe.InvalidRequestError, stripe.Quote.accept, q.id)
    assert e.value.code == "quote_not_acceptable"


def test_open_quote_expires_on_the_clock(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000)
    q = stripe.Quote.create(customer=cus.id, line_items=[{"price": price.id}], expires_at=T0 + 5 * DAY)
    stripe.Quote.finalize_quote(q.id)
    billing.advance(clock, T0 + 6 * DAY)
    assert stripe.Quote.retrieve(q.id).status == "canceled"
    assert [e.type for e in billing.all_events() if e.type.startswith("quote.")][-1] == "quote.canceled"


def test_trial_quote_charges_nothing_upfront(billing):
    cus = billing.customer()
    price = billing.price(4000)
    q = stripe.Quote.create(customer=cus.id, line_items=[{"price": price.id}], subscription_data={"trial_period_days": 14})
    assert (q.amount_total, q.computed.upfront.amount_total, q.computed.recurring.amount_total) == (4000, 0, 4000)
    stripe.Quote.finalize_quote(q.id)
    q = stripe.Quote.accept(q.id)
    assert stripe.Subscription.retrieve(q.subscription).status == "trialing"


def test_quote_errors(billing):
    cus = billing.customer()
    a = billing.price(1000)
    yearly = billing.price(10000, interval="year")
    e = pytest.raises(stripe.InvalidRequestError, stripe.Quote.create, customer=cus.id,
                      line_items=[{"price": a.id}, {"price": yearly.id}])
    assert e.value.param == "line_items[1][price]"
    q = stripe.Quote.create(line_items=[{"price": a.id}])
    e = pytest.raises(stripe.InvalidRequestError, stripe.Quote.finalize_quote, q.id)
    assert e.value.param == "customer"
