"""Subscription schedules through the official SDK: phases applied on the clock, release,
cancel, from_subscription and a downgrade at the next renewal. Clocks start at T0 =
2026-01-01T00:00Z; amounts by hand in the comments."""

import datetime

import pytest
import stripe

from conftest import DAY, HOUR, T0


def ts(y, m, d, h=0, mi=0):
    return int(datetime.datetime(y, m, d, h, mi, tzinfo=datetime.timezone.utc).timestamp())


FEB1, MAR1, APR1 = ts(2026, 2, 1), ts(2026, 3, 1), ts(2026, 4, 1)


def _latest(sub_id):
    return stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub_id).latest_invoice)


def test_two_phases_then_released_at_the_end(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1500)
    sched = stripe.SubscriptionSchedule.create(customer=cus.id, start_date="now", phases=[
        {"items": [{"price": price.id, "quantity": 1}], "iterations": 1},
        {"items": [{"price": price.id, "quantity": 2}], "iterations": 1},
    ])
    assert (sched.status, sched.end_behavior) == ("active", "release")
    assert [(p.start_date, p.end_date) for p in sched.phases] == [(T0, FEB1), (FEB1, MAR1)]
    assert (sched.current_phase.start_date, sched.current_phase.end_date) == (T0, FEB1)
    sub = stripe.Subscription.retrieve(sched.subscription)
    assert (sub.schedule, sub["items"].data[0].quantity, sub.status) == (sched.id, 1, "active")
    assert _latest(sub.id).amount_paid == 1500
    billing.advance(clock, FEB1 + HOUR + 60)
    # The second phase's quantity is what February's renewal bills: 2 x 1500.
    assert stripe.Subscription.retrieve(sub.id)["items"].data[0].quantity == 2
    assert _latest(sub.id).amount_paid == 3000
    assert stripe.SubscriptionSchedule.retrieve(sched.id).current_phase.start_date == FEB1
    billing.advance(clock, MAR1 + HOUR + 60)
    sched = stripe.SubscriptionSchedule.retrieve(sched.id)
    assert (sched.status, sched.completed_at, sched.current_phase) == ("completed", MAR1, None)
    sub = stripe.Subscription.retrieve(sub.id)
    # Released at the end: the subscription renews on its own with the last phase's items.
    assert (sub.status, sub.schedule) == ("active", None)
    assert _latest(sub.id).amount_paid == 3000
    types = [e.type for e in billing.all_events() if e.type.startswith("subscription_schedule.")]
    assert types[0] == "subscription_schedule.created" and types[-1] == "subscription_schedule.completed"


def test_end_behavior_cancel_ends_the_subscription(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000)
    sched = stripe.SubscriptionSchedule.create(customer=cus.id, end_behavior="cancel",
                                               phases=[{"items": [{"price": price.id}], "iterations": 2}])
    sub_id = sched.subscription
    before = billing.seen()
    billing.advance(clock, MAR1 + 2 * HOUR)
    sub = stripe.Subscription.retrieve(sub_id)
    assert sub.status == "canceled" and sub.ended_at == MAR1
    invoices = stripe.Invoice.list(subscription=sub_id).data
    assert sorted(i.amount_paid for i in invoices) == [1000, 1000]  # January and February only
    new = [e.type for e in billing.all_events() if e.id not in before]
    assert "subscription_schedule.expiring" in new and "subscription_schedule.completed" in new
    assert new.index("customer.subscription.deleted") < new.index("subscription_schedule.completed")


def test_not_started_then_started_on_the_clock(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(2000)
    sched = stripe.SubscriptionSchedule.create(customer=cus.id, start_date=T0 + 10 * DAY,
                                               phases=[{"items": [{"price": price.id}]}])
    assert (sched.status, sched.subscription) == ("not_started", None)
    billing.advance(clock, T0 + 10 * DAY)
    sched = stripe.SubscriptionSchedule.retrieve(sched.id)
    assert sched.status == "active"
    sub = stripe.Subscription.retrieve(sched.subscription)
    assert sub.start_date == T0 + 10 * DAY and _latest(sub.id).amount_paid == 2000


def test_cancel_before_the_start_aborts(billing):
    cus = billing.customer()
    price = billing.price(2000)
    sched = stripe.SubscriptionSchedule.create(customer=cus.id, start_date=ts(2030, 1, 1), phases=[{"items": [{"price": price.id}]}])
    canceled = stripe.SubscriptionSchedule.cancel(sched.id, prorate=False, invoice_now=False)
    assert canceled.status == "canceled" and canceled.canceled_at is not None
    assert [e.type for e in billing.all_events()][-1] == "subscription_schedule.aborted"
    e = pytest.raises(stripe.InvalidRequestError, stripe.SubscriptionSchedule.cancel, sched.id)
    assert e.value.http_status == 400


def test_release_and_cancel_an_active_schedule(billing):
    cus = billing.customer()
    price = billing.price(2000)
    a = stripe.SubscriptionSchedule.create(customer=cus.id, phases=[{"items": [{"price": price.id}], "iterations": 3}])
    released = stripe.SubscriptionSchedule.release(a.id)
    assert (released.status, released.released_subscription, released.subscription) == ("released", a.subscription, None)
    assert stripe.Subscription.retrieve(a.subscription).schedule is None
    b = stripe.SubscriptionSchedule.create(customer=cus.id, phases=[{"items": [{"price": price.id}], "iterations": 3}])
    canceled = stripe.SubscriptionSchedule.cancel(b.id)
    assert canceled.status == "canceled"
    assert stripe.Subscription.retrieve(b.subscription).status == "canceled"
    types = [e.type for e in billing.all_events() if e.type.startswith("subscription_schedule.")]
    assert "subscription_schedule.released" in types and types[-1] == "subscription_schedule.canceled"


def test_downgrade_at_the_next_renewal_from_subscription(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    pro = billing.price(3000, name="Pro")
    basic = billing.price(1000, name="Basic")
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": pro.id}])
    sched = stripe.SubscriptionSchedule.create(from_subscription=sub.id)
    assert (sched.status, sched.subscription, sched.end_behavior) == ("active", sub.id, "release")
    assert [(p.start_date, p.end_date) for p in sched.phases] == [(T0, FEB1)]
    sched = stripe.SubscriptionSchedule.modify(sched.id, phases=[
        {"items": [{"price": pro.id}], "start_date": T0, "end_date": FEB1},
        {"items": [{"price": basic.id}], "iterations": 1},
    ])
    assert [p["items"][0].price for p in sched.phases] == [pro.id, basic.id]
    # Nothing changes now: no proration, still Pro.
    assert stripe.Subscription.retrieve(sub.id)["items"].data[0].price.id == pro.id
    assert stripe.InvoiceItem.list(pending=True, customer=cus.id).data == []
    billing.advance(clock, FEB1 + HOUR + 60)
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub["items"].data[0].price.id == basic.id
    assert _latest(sub.id).amount_paid == 1000  # February billed at Basic
    e = pytest.raises(stripe.InvalidRequestError, stripe.SubscriptionSchedule.create, from_subscription=sub.id)
    assert e.value.param == "from_subscription"


@pytest.mark.parametrize("params, param", [
    ({}, "phases"),
    ({"phases": [{"items": [{"quantity": 2}]}]}, "phases[0][items][0][price]"),
    ({"phases": [{"items": [{"price": "price_nope"}]}]}, "phases[0][items][0][price]"),
    ({"phases": [{"items": [{"price": "$P"}], "iterations": 1, "end_date": 2000000000}]}, "phases[0][iterations]"),
    ({"phases": [{"items": [{"price": "$P"}]}, {"items": [{"price": "$P"}]}]}, "phases[0][end_date]"),
])
def test_schedule_errors_name_the_parameter(billing, params, param):
    cus = billing.customer()
    price = billing.price(500)
    for p in params.get("phases", []):
        for it in p["items"]:
            if it.get("price") == "$P":
                it["price"] = price.id
    e = pytest.raises(stripe.InvalidRequestError, stripe.SubscriptionSchedule.create, customer=cus.id, **params)
    assert e.value.param == param


def test_portal_downgrade_waits_for_the_period_end(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    pro = billing.price(3000, name="Pro")
    basic = stripe.Price.create(product=stripe.Price.retrieve(pro.id).product, unit_amount=1000, currency="usd",
                                recurring={"interval": "month"})
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": pro.id}])
    config = stripe.billing_portal.Configuration.create(
        business_profile={"headline": "Plans"},
        features={"subscription_update": {"enabled": True, "default_allowed_updates": ["price"], "proration_behavior": "create_prorations",
                                          "products": [{"product": pro.product, "prices": [pro.id, basic.id]}],
                                          "schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"}]}}})
    assert config.features.subscription_update.schedule_at_period_end.conditions[0].type == "decreasing_item_amount"
    portal = stripe.billing_portal.Session.create(customer=cus.id, configuration=config.id)
    res = billing.control(f"/_emulator/portal/{portal.id}/actions", action="switch_plan", subscription=sub.id, price=basic.id)
    assert res["message"] == "You will move to Pro on 1 Feb 2026."  # Basic shares Pro's product
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub["items"].data[0].price.id == pro.id and sub.schedule is not None
    assert stripe.InvoiceItem.list(pending=True, customer=cus.id).data == []
    billing.advance(clock, FEB1 + HOUR + 60)
    sub = stripe.Subscription.retrieve(sub.id)
    assert sub["items"].data[0].price.id == basic.id
    assert _latest(sub.id).amount_paid == 1000


def test_release_removes_the_cancel_date_unless_preserved(billing):
    cus = billing.customer()
    price = billing.price(1000)
    a = stripe.SubscriptionSchedule.create(customer=cus.id, end_behavior="cancel", phases=[{"items": [{"price": price.id}], "iterations": 2}])
    assert stripe.Subscription.retrieve(a.subscription).cancel_at is not None
    stripe.SubscriptionSchedule.release(a.id)
    assert stripe.Subscription.retrieve(a.subscription).cancel_at is None
    b = stripe.SubscriptionSchedule.create(customer=cus.id, end_behavior="cancel", phases=[{"items": [{"price": price.id}], "iterations": 2}])
    stripe.SubscriptionSchedule.release(b.id, preserve_cancel_date=True)
    assert stripe.Subscription.retrieve(b.subscription).cancel_at is not None


def test_phase_dates_must_meet_and_proration_needs_phases(billing):
    cus = billing.customer()
    price = billing.price(1000)
    s = stripe.SubscriptionSchedule.create(customer=cus.id, phases=[{"items": [{"price": price.id}], "iterations": 1}])
    start, end = s.phases[0].start_date, s.phases[0].end_date
    e = pytest.raises(stripe.InvalidRequestError, stripe.SubscriptionSchedule.modify, s.id, phases=[
        {"items": [{"price": price.id}], "start_date": start, "end_date": end},
        {"items": [{"price": price.id}], "start_date": end + 60, "iterations": 1}])
    assert e.value.param == "phases[1][start_date]"
    e = pytest.raises(stripe.InvalidRequestError, stripe.SubscriptionSchedule.modify, s.id, proration_behavior="none")
    assert e.value.param == "proration_behavior"


def test_phase_trial_discount_and_add_invoice_items(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(2000)
    setup = stripe.Price.create(product=stripe.Product.create(name="Onboarding").id, unit_amount=3000, currency="usd")
    coupon = stripe.Coupon.create(percent_off=50, duration="forever")
    sched = stripe.SubscriptionSchedule.create(customer=cus.id, phases=[
        {"items": [{"price": price.id}], "iterations": 1, "trial": True},
        {"items": [{"price": price.id}], "iterations": 1, "discounts": [{"coupon": coupon.id}],
         "add_invoice_items": [{"price": setup.id, "quantity": 1}]},
        {"items": [{"price": price.id}], "iterations": 1},
    ])
    assert sched.phases[0].trial_end == FEB1
    assert [d.coupon for d in sched.phases[1].discounts] == [coupon.id]
    assert sched.phases[1].add_invoice_items[0].price == setup.id
    sub = stripe.Subscription.retrieve(sched.subscription)
    assert (sub.status, sub.trial_end) == ("trialing", FEB1)
    assert _latest(sub.id).total == 0
    billing.advance(clock, FEB1 + 2 * HOUR)
    # February: 50% off the 2000 plan, plus the 3000 onboarding fee (discounted too): (2000 + 3000) / 2.
    feb = _latest(sub.id)
    assert (feb.total, feb.amount_paid) == (2500, 2500)
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    billing.advance(clock, MAR1 + 2 * HOUR)
    # March: no discount, no fee.
    assert _latest(sub.id).total == 2000


def test_phase_params_errors(billing):
    cus = billing.customer()
    price = billing.price(2000)
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.SubscriptionSchedule.create(customer=cus.id, phases=[
            {"items": [{"price": price.id}], "trial": True, "trial_end": T0 + DAY}])
    assert e.value.param == "phases[0][trial_end]"
    with pytest.raises(stripe.InvalidRequestError) as e:
        stripe.SubscriptionSchedule.create(customer=cus.id, phases=[
            {"items": [{"price": price.id}], "add_invoice_items": [{"price_data": {"currency": "usd", "product": "prod_x",
                                                                                 "unit_amount": 100}}]}])
    assert e.value.param == "phases[0][add_invoice_items][0][price_data]"
