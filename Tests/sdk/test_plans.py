"""Plans (the older name for recurring prices) through the official SDK: one object with the
price, in the plan shape, usable by subscriptions."""

import pytest
import stripe


def test_plan_create_is_a_recurring_price(billing):
    plan = stripe.Plan.create(amount=2500, currency="usd", interval="month", product={"name": "Gold"}, nickname="Gold monthly",
                              trial_period_days=14)
    assert (plan.object, plan.amount, plan.currency, plan.interval, plan.interval_count) == ("plan", 2500, "usd", "month", 1)
    assert (plan.nickname, plan.trial_period_days, plan.usage_type, plan.billing_scheme) == ("Gold monthly", 14, "licensed", "per_unit")
    price = stripe.Price.retrieve(plan.id)
    assert (price.unit_amount, price.recurring.interval, price.product) == (2500, "month", plan.product)
    assert stripe.Product.retrieve(plan.product).name == "Gold"
    types = [e.type for e in billing.all_events()]
    assert types == ["product.created", "price.created", "plan.created"]


def test_plan_with_a_chosen_id_and_existing_product(billing):
    prod = stripe.Product.create(name="Silver")
    plan = stripe.Plan.create(id="silver-yearly", amount=12000, currency="usd", interval="year", product=prod.id)
    assert plan.id == "silver-yearly"
    e = pytest.raises(stripe.InvalidRequestError, stripe.Plan.create, id="silver-yearly", amount=1, currency="usd",
                      interval="year", product=prod.id)
    assert (e.value.code, e.value.param) == ("resource_already_exists", "id")
    cus = billing.customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": plan.id}])
    assert stripe.Invoice.retrieve(sub.latest_invoice).amount_paid == 12000


def test_plan_update_list_delete(billing):
    plan = stripe.Plan.create(amount=500, currency="usd", interval="week", product={"name": "Weekly"})
    upd = stripe.Plan.modify(plan.id, nickname="Weekly", metadata={"tier": "low"})
    assert upd.nickname == "Weekly" and upd.metadata.to_dict() == {"tier": "low"}
    assert [p.id for p in stripe.Plan.list().data] == [plan.id]
    gone = stripe.Plan.delete(plan.id)
    assert gone.deleted is True and gone.object == "plan"
    e = pytest.raises(stripe.InvalidRequestError, stripe.Plan.retrieve, plan.id)
    assert e.value.http_status == 404
    assert [e.type for e in billing.all_events()][-2:] == ["plan.updated", "plan.deleted"]


@pytest.mark.parametrize("params, param", [
    ({"currency": "usd", "interval": "month", "product": {"name": "x"}}, "amount"),
    ({"amount": 100, "interval": "month", "product": {"name": "x"}}, "currency"),
    ({"amount": 100, "currency": "usd", "product": {"name": "x"}}, "interval"),
    ({"amount": 100, "currency": "usd", "interval": "fortnight", "product": {"name": "x"}}, "interval"),
    ({"amount": 100, "currency": "usd", "interval": "month", "product": {"name": "x"}, "bogus": 1}, "bogus"),
])
def test_plan_errors_name_the_plan_parameter(params, param):
    e = pytest.raises(stripe.InvalidRequestError, stripe.Plan.create, **params)
    assert e.value.param == param
