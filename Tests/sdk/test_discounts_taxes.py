"""Coupons, promotion codes, discounts and tax rates through the official SDK.

Every amount is worked out by hand in the comment next to it. Test clocks start at
2026-01-01T00:00Z (T0); January has 31 days.
"""

import datetime

import pytest
import stripe

from conftest import DAY, HOUR, T0


def ts(y, m, d, h=0, mi=0):
    return int(datetime.datetime(y, m, d, h, mi, tzinfo=datetime.timezone.utc).timestamp())


def _error(fn):
    with pytest.raises(stripe.InvalidRequestError) as e:
        fn()
    return e.value


# --- coupons ------------------------------------------------------------------------------


def test_coupon_create_retrieve_update_delete_and_events(billing):
    c = stripe.Coupon.create(percent_off=25, duration="repeating", duration_in_months=3, name="Launch")
    assert c.object == "coupon" and len(c.id) == 8 and c.id.isalnum() and c.id == c.id.upper()
    assert (c.percent_off, c.amount_off, c.currency) == (25, None, None)
    assert (c.duration, c.duration_in_months, c.times_redeemed, c.valid) == ("repeating", 3, 0, True)
    fixed = stripe.Coupon.create(id="FIVEOFF", amount_off=500, currency="usd", duration="forever")
    assert (fixed.id, fixed.amount_off, fixed.currency, fixed.percent_off) == ("FIVEOFF", 500, "usd", None)
    assert stripe.Coupon.retrieve("FIVEOFF").amount_off == 500
    renamed = stripe.Coupon.modify(c.id, name="Launch 2026", metadata={"team": "growth"})
    assert renamed.name == "Launch 2026" and renamed.metadata.to_dict() == {"team": "growth"}
    assert {x.id for x in stripe.Coupon.list().data} == {c.id, "FIVEOFF"}
    deleted = stripe.Coupon.delete("FIVEOFF")
    assert deleted.deleted is True
    assert _error(lambda: stripe.Coupon.retrieve("FIVEOFF")).code == "resource_missing"
    types = [e.type for e in billing.all_events()]
    assert types == ["coupon.created", "coupon.created", "coupon.updated", "coupon.deleted"]
    upd = stripe.Event.list(type="coupon.updated").data[0]
    assert upd.data.previous_attributes.to_dict() == {"name": "Launch", "metadata": {"team": None}}


@pytest.mark.parametrize(
    "params, param",
    [
        ({}, "percent_off"),
        ({"percent_off": 10, "amount_off": 100, "currency": "usd"}, "amount_off"),
        ({"amount_off": 100}, "currency"),
        ({"percent_off": 120}, "percent_off"),
        ({"percent_off": 10, "duration": "repeating"}, "duration_in_months"),
        ({"percent_off": 10, "duration_in_months": 2}, "duration_in_months"),
        ({"percent_off": 10, "redeem_by": 1000}, "redeem_by"),
        ({"percent_off": 10, "max_redemptions": 0}, "max_redemptions"),
    ],
)
def test_coupon_create_errors_name_the_parameter(params, param):
    e = _error(lambda: stripe.Coupon.create(**params))
    assert e.http_status == 400 and e.param == param


def test_coupon_id_taken():
    stripe.Coupon.create(id="SAME", percent_off=5)
    e = _error(lambda: stripe.Coupon.create(id="SAME", percent_off=5))
    assert (e.code, e.param) == ("resource_already_exists", "id")


# --- promotion codes ----------------------------------------------------------------------


def test_promotion_code_create_list_and_deactivate():
    coupon = stripe.Coupon.create(percent_off=10)
    promo = stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id}, code="SPRING10")
    assert promo.object == "promotion_code" and promo.id.startswith("promo_")
    assert (promo.code, promo.active, promo.times_redeemed) == ("SPRING10", True, 0)
    assert promo.promotion.to_dict() == {"type": "coupon", "coupon": coupon.id}
    assert promo.restrictions.first_time_transaction is False
    e = _error(lambda: stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id}, code="spring10"))
    assert (e.code, e.param) == ("resource_already_exists", "code")
    assert [p.id for p in stripe.PromotionCode.list(code="spring10").data] == [promo.id]
    generated = stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id})
    assert len(generated.code) == 8
    off = stripe.PromotionCode.modify(promo.id, active=False)
    assert off.active is False
    assert [p.id for p in stripe.PromotionCode.list(active=True).data] == [generated.id]


def test_promotion_code_before_clover_names_its_coupon_whole():
    coupon = stripe.Coupon.create(percent_off=15)
    promo = stripe.PromotionCode.create(coupon=coupon.id, code="OLDSTYLE", stripe_version="2025-08-27.basil")
    assert promo.coupon.id == coupon.id and promo.coupon.percent_off == 15
    assert "promotion" not in promo
    # At clover and after the coupon is `promotion[coupon]`: without `promotion` it is missing.
    e = _error(lambda: stripe.PromotionCode.create(coupon=coupon.id, code="NEWSTYLE"))
    assert (e.param, e.code) == ("promotion[type]", "parameter_missing")


def test_promotion_code_restrictions_refuse_redemption(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    big = billing.price(1000)
    coupon = stripe.Coupon.create(percent_off=50)
    minimum = stripe.PromotionCode.create(
        promotion={"type": "coupon", "coupon": coupon.id},
        code="BIGSPEND",
        restrictions={"minimum_amount": 5000, "minimum_amount_currency": "usd"},
    )
    e = _error(lambda: stripe.Subscription.create(customer=cus.id, items=[{"price": big.id}],
                                                  discounts=[{"promotion_code": minimum.id}]))
    assert (e.code, e.param) == ("promotion_code_minimum_amount_not_met", "discounts[0][promotion_code]")
    first = stripe.PromotionCode.create(
        promotion={"type": "coupon", "coupon": coupon.id}, code="FIRSTONLY", restrictions={"first_time_transaction": True}
    )
    stripe.Subscription.create(customer=cus.id, items=[{"price": big.id}])  # a first payment
    e = _error(lambda: stripe.Subscription.create(customer=cus.id, items=[{"price": big.id}],
                                                  discounts=[{"promotion_code": first.id}]))
    assert e.code == "promotion_code_customer_not_eligible"
    capped = stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id}, code="ONCE", max_redemptions=1)
    other = billing.customer(clock)
    stripe.Subscription.create(customer=other.id, items=[{"price": big.id}], discounts=[{"promotion_code": capped.id}])
    again = stripe.PromotionCode.retrieve(capped.id)
    assert (again.times_redeemed, again.active) == (1, False)
    e = _error(lambda: stripe.Subscription.create(customer=other.id, items=[{"price": big.id}],
                                                  discounts=[{"promotion_code": capped.id}]))
    assert e.code == "promotion_code_inactive"


# --- customer discounts -------------------------------------------------------------------


def test_customer_discount_created_replaced_deleted(billing):
    c20 = stripe.Coupon.create(percent_off=20)
    c30 = stripe.Coupon.create(percent_off=30)
    cus = stripe.Customer.create(coupon=c20.id)
    assert cus.discount.object == "discount" and cus.discount.source.coupon == c20.id
    assert cus.discount.customer == cus.id and cus.discount.end is None
    cus = stripe.Customer.modify(cus.id, coupon=c30.id)
    assert cus.discount.source.coupon == c30.id
    deleted = stripe.Customer.delete_discount(cus.id)
    assert deleted.deleted is True and deleted.source.coupon == c30.id
    assert stripe.Customer.retrieve(cus.id).discount is None
    assert [e.type for e in billing.all_events() if not e.type.startswith("coupon.")] == [
        "customer.created",
        "customer.discount.created",
        "customer.discount.updated",
        "customer.updated",
        "customer.discount.deleted",
        "customer.updated",
    ]
    assert stripe.Coupon.retrieve(c20.id).times_redeemed == 1
    e = _error(lambda: stripe.Customer.delete_discount(cus.id))
    assert e.http_status == 404


def test_customer_discount_before_clover_embeds_the_coupon():
    coupon = stripe.Coupon.create(amount_off=300, currency="usd")
    cus = stripe.Customer.create(coupon=coupon.id)
    old = stripe.Customer.retrieve(cus.id, stripe_version="2024-06-20")
    assert old.discount.coupon.id == coupon.id and old.discount.coupon.amount_off == 300
    assert "source" not in old.discount


def test_customer_discount_applies_to_a_one_off_invoice(billing):
    coupon = stripe.Coupon.create(amount_off=300, currency="usd", duration="once")
    cus = billing.customer(coupon=coupon.id)
    inv = stripe.Invoice.create(customer=cus.id)
    stripe.InvoiceItem.create(customer=cus.id, invoice=inv.id, amount=1000, currency="usd")
    stripe.InvoiceItem.create(customer=cus.id, invoice=inv.id, amount=500, currency="usd")
    inv = stripe.Invoice.retrieve(inv.id)
    # $3.00 off $15.00, split in proportion: 1000/1500 of 300 = 200, 500/1500 of 300 = 100.
    assert (inv.subtotal, inv.total, inv.amount_due) == (1500, 1200, 1200)
    assert [l.discount_amounts[0].amount for l in inv.lines.data] == [200, 100]
    inv = stripe.Invoice.pay(inv.id)
    assert inv.status == "paid" and inv.amount_paid == 1200
    # A `once` discount served its one invoice: the next one is in full.
    inv2 = stripe.Invoice.create(customer=cus.id)
    stripe.InvoiceItem.create(customer=cus.id, invoice=inv2.id, amount=1000, currency="usd")
    assert stripe.Invoice.retrieve(inv2.id).total == 1000


# --- subscription discounts across renewals ----------------------------------------------


def test_three_month_coupon_across_renewals(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1000)
    coupon = stripe.Coupon.create(percent_off=25, duration="repeating", duration_in_months=3)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], discounts=[{"coupon": coupon.id}],
                                     expand=["discounts"])
    d = sub.discounts[0]
    assert (d.start, d.end, d.subscription) == (T0, ts(2026, 4, 1), sub.id)
    totals = [stripe.Invoice.retrieve(sub.latest_invoice).total]
    for renewal in [ts(2026, 2, 1), ts(2026, 3, 1), ts(2026, 4, 1)]:
        before = billing.seen()
        billing.advance(clock, renewal + HOUR + 60)
        inv = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub.id).latest_invoice)
        assert inv.status == "paid"
        totals.append(inv.total)
        new_types = billing.types_for(cus.id, exclude=before)
    # 25% off $10.00 = $7.50 for January, February, March; April is in full.
    assert totals == [750, 750, 750, 1000]
    assert "customer.discount.deleted" in [e.type for e in billing.all_events()]
    assert stripe.Subscription.retrieve(sub.id).discounts == []
    assert "customer.subscription.updated" in new_types


def test_once_amount_off_on_the_first_invoice_only(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    price = billing.price(1500)
    coupon = stripe.Coupon.create(amount_off=500, currency="usd", duration="once")
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], discounts=[{"coupon": coupon.id}])
    first = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (first.subtotal, first.total, first.total_discount_amounts[0].amount) == (1500, 1000, 500)
    billing.advance(clock, ts(2026, 2, 1) + HOUR + 60)
    second = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub.id).latest_invoice)
    assert (second.total, second.total_discount_amounts) == (1500, [])


def test_subscription_discount_replaced_and_deleted(billing):
    cus = billing.customer()
    price = billing.price(2000)
    c1 = stripe.Coupon.create(percent_off=10, duration="forever")
    c2 = stripe.Coupon.create(percent_off=50, duration="forever")
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], discounts=[{"coupon": c1.id}])
    first = sub.discounts[0]
    sub = stripe.Subscription.modify(sub.id, discounts=[{"coupon": c2.id}], proration_behavior="none")
    assert len(sub.discounts) == 1 and sub.discounts[0] != first
    deleted = stripe.Subscription.delete_discount(sub.id)
    assert deleted.deleted is True and deleted.source.coupon == c2.id
    assert stripe.Subscription.retrieve(sub.id).discounts == []
    types = [e.type for e in billing.all_events() if e.type.startswith("customer.discount")]
    assert types == ["customer.discount.created", "customer.discount.deleted", "customer.discount.created",
                     "customer.discount.deleted"]


def test_legacy_coupon_parameter_follows_the_version(billing):
    cus = billing.customer()
    price = billing.price(1000)
    coupon = stripe.Coupon.create(percent_off=10, duration="forever")
    e = _error(lambda: stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], coupon=coupon.id))
    assert e.param == "coupon"
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], coupon=coupon.id,
                                     stripe_version="2024-06-20")
    assert sub.discount.coupon.id == coupon.id
    inv = stripe.Invoice.retrieve(sub.latest_invoice, stripe_version="2024-06-20")
    assert inv.discount.coupon.percent_off == 10 and inv.total == 900


def test_coupon_limited_to_products(billing):
    cus = billing.customer()
    a = billing.price(1000, name="Seats")
    b = billing.price(3000, name="Support")
    coupon = stripe.Coupon.create(percent_off=50, duration="forever", applies_to={"products": [b.product]})
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": a.id}, {"price": b.id}],
                                     discounts=[{"coupon": coupon.id}])
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    # Only Support is discounted: 1000 + 3000 - 1500 = 2500.
    assert inv.total == 2500
    assert [l.discount_amounts for l in inv.lines.data][0] == []


def test_redeemed_up_coupon_is_expired(billing):
    cus = billing.customer()
    price = billing.price(1000)
    coupon = stripe.Coupon.create(percent_off=10, max_redemptions=1)
    stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], discounts=[{"coupon": coupon.id}])
    assert stripe.Coupon.retrieve(coupon.id).valid is False
    e = _error(lambda: stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}],
                                                  discounts=[{"coupon": coupon.id}]))
    assert (e.code, e.param) == ("coupon_expired", "discounts[0][coupon]")


# --- tax rates ----------------------------------------------------------------------------


def test_tax_rate_create_update_list():
    vat = stripe.TaxRate.create(display_name="VAT", percentage=20, inclusive=True, country="de", jurisdiction="DE")
    assert (vat.object, vat.percentage, vat.inclusive, vat.country, vat.active) == ("tax_rate", 20, True, "DE", True)
    assert vat.id.startswith("txr_")
    sales = stripe.TaxRate.create(display_name="Sales tax", percentage=8.25, inclusive=False, tax_type="sales_tax")
    assert sales.percentage == 8.25
    e = _error(lambda: stripe.TaxRate.modify(vat.id, percentage=19))
    assert e.param == "percentage"
    archived = stripe.TaxRate.modify(vat.id, active=False)
    assert archived.active is False
    assert [r.id for r in stripe.TaxRate.list(active=True).data] == [sales.id]
    assert [r.id for r in stripe.TaxRate.list(inclusive=True).data] == [vat.id]
    e = _error(lambda: stripe.TaxRate.create(display_name="x", percentage=5))
    assert e.param == "inclusive"


def test_exclusive_and_inclusive_tax_on_subscriptions(billing):
    cus = billing.customer()
    sales = stripe.TaxRate.create(display_name="Sales tax", percentage=8.25, inclusive=False)
    vat = stripe.TaxRate.create(display_name="VAT", percentage=20, inclusive=True)
    p1 = billing.price(1999)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": p1.id}], default_tax_rates=[sales.id])
    assert [r.id for r in sub.default_tax_rates] == [sales.id]
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    # 8.25% of 1999 = 164.9175 -> 165; total 2164.
    assert (inv.subtotal, inv.total, inv.total_excluding_tax, inv.amount_paid) == (1999, 2164, 1999, 2164)
    assert inv.total_taxes[0].to_dict() == {
        "amount": 165, "tax_behavior": "exclusive", "tax_rate_details": {"tax_rate": sales.id},
        "taxability_reason": "not_available", "taxable_amount": 1999, "type": "tax_rate_details",
    }
    p2 = billing.price(1200)
    sub2 = stripe.Subscription.create(customer=cus.id, items=[{"price": p2.id, "tax_rates": [vat.id]}])
    inv2 = stripe.Invoice.retrieve(sub2.latest_invoice)
    # 20% inside 1200: 1200 - 1200/1.2 = 200; the total stays 1200.
    assert (inv2.subtotal, inv2.total, inv2.subtotal_excluding_tax, inv2.total_excluding_tax) == (1200, 1200, 1000, 1000)
    assert inv2.lines.data[0].taxes[0].amount == 200 and inv2.lines.data[0].taxes[0].taxable_amount == 1000


def test_discount_before_tax(billing):
    cus = billing.customer()
    rate = stripe.TaxRate.create(display_name="GST", percentage=10, inclusive=False)
    coupon = stripe.Coupon.create(percent_off=10, duration="forever")
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], default_tax_rates=[rate.id],
                                     discounts=[{"coupon": coupon.id}])
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    # 1000 - 100 discount = 900, 10% tax on 900 = 90: total 990.
    assert (inv.subtotal, inv.total_discount_amounts[0].amount, inv.total_taxes[0].amount, inv.total) == (1000, 100, 90, 990)
    assert inv.total_excluding_tax == 900
    old = stripe.Invoice.retrieve(inv.id, stripe_version="2024-06-20")
    assert old.tax == 90 and old.total_tax_amounts[0].inclusive is False
    assert old.lines.data[0].tax_rates[0].id == rate.id


def test_tax_on_a_prorated_upgrade(billing):
    clock = billing.clock()
    cus = billing.customer(clock)
    rate = stripe.TaxRate.create(display_name="Tax", percentage=10, inclusive=False)
    basic = billing.price(1000)
    pro = billing.price(2000, name="Pro")
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": basic.id}], default_tax_rates=[rate.id])
    assert stripe.Invoice.retrieve(sub.latest_invoice).total == 1100
    billing.advance(clock, ts(2026, 1, 16))
    sub = stripe.Subscription.modify(sub.id, items=[{"id": sub["items"].data[0].id, "price": pro.id}],
                                     proration_behavior="always_invoice")
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    # 16 of 31 days remain: unused Basic -1000*16/31 = -516.13 -> -516, remaining Pro 2000*16/31 = 1032.26 -> 1032.
    # Tax per line: -51.6 -> -52, 103.2 -> 103. Total 516 + 51 = 567.
    assert sorted(l.amount for l in inv.lines.data) == [-516, 1032]
    assert sorted(l.taxes[0].amount for l in inv.lines.data) == [-52, 103]
    assert (inv.subtotal, inv.total_taxes[0].amount, inv.total, inv.amount_paid) == (516, 51, 567, 567)


def test_invoice_default_tax_rates_and_item_rates(billing):
    cus = billing.customer()
    low = stripe.TaxRate.create(display_name="Reduced", percentage=5, inclusive=False)
    std = stripe.TaxRate.create(display_name="Standard", percentage=19, inclusive=False)
    inv = stripe.Invoice.create(customer=cus.id, default_tax_rates=[std.id])
    stripe.InvoiceItem.create(customer=cus.id, invoice=inv.id, amount=1000, currency="usd")
    stripe.InvoiceItem.create(customer=cus.id, invoice=inv.id, amount=2000, currency="usd", tax_rates=[low.id])
    inv = stripe.Invoice.retrieve(inv.id)
    # 19% of 1000 = 190; 5% of 2000 = 100: 3000 + 290 = 3290.
    assert inv.total == 3290
    assert {t.tax_rate_details.tax_rate: t.amount for t in inv.total_taxes} == {std.id: 190, low.id: 100}
    inv = stripe.Invoice.modify(inv.id, default_tax_rates="")  # the SDK sends nothing for []
    # Only the item's own 5% remains: 3000 + 100.
    assert inv.total == 3100


def test_tax_exempt_customer_pays_no_tax(billing):
    cus = billing.customer(tax_exempt="exempt")
    rate = stripe.TaxRate.create(display_name="Tax", percentage=10, inclusive=False)
    price = billing.price(1000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], default_tax_rates=[rate.id])
    inv = stripe.Invoice.retrieve(sub.latest_invoice)
    assert inv.total == 1000 and inv.total_taxes[0].amount == 0
    assert inv.total_taxes[0].taxability_reason == "customer_exempt"


def test_automatic_tax_is_refused_by_name(billing):
    cus = billing.customer()
    price = billing.price(1000)
    e = _error(lambda: stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], automatic_tax={"enabled": True}))
    assert e.param == "automatic_tax[enabled]" and "not emulated" in e.user_message
    e = _error(lambda: stripe.Invoice.create(customer=cus.id, automatic_tax={"enabled": True}))
    assert e.param == "automatic_tax[enabled]"


def test_archived_tax_rate_cannot_be_applied(billing):
    cus = billing.customer()
    price = billing.price(1000)
    rate = stripe.TaxRate.create(display_name="Old", percentage=7, inclusive=False, active=False)
    e = _error(lambda: stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}], default_tax_rates=[rate.id]))
    assert e.param == "default_tax_rates"


# --- Checkout -----------------------------------------------------------------------------


def _checkout(billing, price, **kw):
    return stripe.checkout.Session.create(mode="subscription", line_items=[{"price": price.id, "quantity": 1}],
                                          success_url="https://example.com/ok", **kw)


def test_checkout_with_a_coupon_discounts_the_session_and_the_subscription(billing):
    price = billing.price(4000)
    coupon = stripe.Coupon.create(percent_off=25, duration="forever")
    s = _checkout(billing, price, discounts=[{"coupon": coupon.id}])
    # 25% of 4000 = 1000 off.
    assert (s.amount_subtotal, s.total_details.amount_discount, s.amount_total) == (4000, 1000, 3000)
    assert s.discounts[0].coupon == coupon.id
    billing.control(f"/_emulator/checkout/{s.id}/complete", card="pm_card_visa", email="buyer@example.com")
    s = stripe.checkout.Session.retrieve(s.id)
    sub = stripe.Subscription.retrieve(s.subscription)
    assert len(sub.discounts) == 1
    assert stripe.Invoice.retrieve(sub.latest_invoice).amount_paid == 3000
    e = pytest.raises(stripe.InvalidRequestError, _checkout, billing, price, discounts=[{"coupon": coupon.id}], allow_promotion_codes=True)
    assert e.value.param == "discounts"


def test_checkout_promotion_code_entered_on_the_page(billing, raw):
    price = billing.price(2000)
    coupon = stripe.Coupon.create(amount_off=500, currency="usd", duration="once")
    stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id}, code="WELCOME")
    s = _checkout(billing, price, allow_promotion_codes=True)
    assert s.amount_total == 2000
    assert 'name="promotion_code"' in _page(s)  # the hosted page has a code field
    status, _, err = raw("POST", f"/_emulator/checkout/{s.id}/complete", body="card=pm_card_visa&promotion_code=NOPE")
    assert status == 400 and err["error"]["param"] == "promotion_code"
    billing.control(f"/_emulator/checkout/{s.id}/complete", card="pm_card_visa", promotion_code="welcome")
    s = stripe.checkout.Session.retrieve(s.id)
    # $5.00 off $20.00.
    assert (s.amount_total, s.total_details.amount_discount) == (1500, 500)
    assert stripe.Invoice.retrieve(stripe.Subscription.retrieve(s.subscription).latest_invoice).amount_paid == 1500


def _page(session):
    import urllib.request
    with urllib.request.urlopen(session.url, timeout=10) as r:
        return r.read().decode()


def test_portal_promotion_code_discounts_the_subscription(billing):
    import urllib.request
    cus = billing.customer()
    price = billing.price(2000)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])
    coupon = stripe.Coupon.create(percent_off=50, duration="forever")
    stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id}, code="HALF")
    portal = stripe.billing_portal.Session.create(customer=cus.id)
    with urllib.request.urlopen(portal.url, timeout=10) as r:
        assert 'value="apply_promotion_code"' in r.read().decode()
    res = billing.control(f"/_emulator/portal/{portal.id}/actions", action="apply_promotion_code", subscription=sub.id, promotion_code="half")
    assert "HALF" in res["message"]
    sub = stripe.Subscription.retrieve(sub.id, expand=["discounts"])
    assert sub.discounts[0].source.coupon == coupon.id and sub.discounts[0].promotion_code is not None
    upcoming = stripe.Invoice.create_preview(subscription=sub.id)
    assert upcoming.total == 1000  # 50% of 2000 from the next renewal


def test_empty_coupon_takes_the_customer_discount_off(billing):
    coupon = stripe.Coupon.create(percent_off=20)
    cus = stripe.Customer.create(coupon=coupon.id)
    cus = stripe.Customer.modify(cus.id, coupon="")
    assert cus.discount is None
    types = [e.type for e in billing.all_events() if e.type.startswith("customer.")]
    assert types[-2:] == ["customer.discount.deleted", "customer.updated"]
