import uuid

import pytest
import stripe


def _lk():
    return "lk_" + uuid.uuid4().hex[:12]


# --- products ----------------------------------------------------------------


def test_create_product():
    p = stripe.Product.create(
        name="Pro plan", description="The pro plan", metadata={"tier": "pro"}
    )
    assert p.id.startswith("prod_")
    assert p.object == "product"
    assert p.name == "Pro plan"
    assert p.description == "The pro plan"
    assert p.active is True
    assert p.metadata.to_dict() == {"tier": "pro"}
    assert p.livemode is False
    assert isinstance(p.created, int)
    assert p.default_price is None


def test_create_inactive_product():
    p = stripe.Product.create(name="Legacy", active=False)
    assert p.active is False


def test_create_product_with_default_price_data():
    p = stripe.Product.create(
        name="Starter",
        default_price_data={"unit_amount": 1500, "currency": "usd", "recurring": {"interval": "month"}},
    )
    assert isinstance(p.default_price, str) and p.default_price.startswith("price_")
    price = stripe.Price.retrieve(p.default_price)
    assert price.product == p.id
    assert price.unit_amount == 1500
    assert price.currency == "usd"
    assert price.type == "recurring"
    assert price.recurring.interval == "month"


def test_retrieve_update_product():
    p = stripe.Product.create(name="A")
    got = stripe.Product.retrieve(p.id)
    assert got.id == p.id and got.name == "A"
    u = stripe.Product.modify(p.id, name="B", active=False, metadata={"x": "y"})
    assert u.name == "B"
    assert u.active is False
    assert u.metadata["x"] == "y"
    again = stripe.Product.retrieve(p.id)
    assert again.name == "B" and again.active is False


def test_delete_product():
    p = stripe.Product.create(name="Temp")
    d = stripe.Product.delete(p.id)
    assert d.id == p.id
    assert d.deleted is True
    assert p.id not in [x.id for x in stripe.Product.list(limit=100).data]


def test_list_products_active_filter():
    a = stripe.Product.create(name="active one")
    b = stripe.Product.create(name="inactive one", active=False)
    c = stripe.Product.create(name="active two")
    assert [x.id for x in stripe.Product.list().data] == [c.id, b.id, a.id]
    assert [x.id for x in stripe.Product.list(active=True).data] == [c.id, a.id]
    assert [x.id for x in stripe.Product.list(active=False).data] == [b.id]


def test_client_style_products(client):
    p = client.v1.products.create(params={"name": "Client product"})
    assert p.id.startswith("prod_")
    u = client.v1.products.update(p.id, params={"description": "desc"})
    assert u.description == "desc"
    assert [x.id for x in client.v1.products.list(params={"active": True}).data] == [p.id]


# --- prices --------------------------------------------------------------------


def test_create_one_time_price():
    prod = stripe.Product.create(name="Widget")
    pr = stripe.Price.create(product=prod.id, unit_amount=999, currency="usd")
    assert pr.id.startswith("price_")
    assert pr.object == "price"
    assert pr.product == prod.id
    assert pr.unit_amount == 999
    assert pr.currency == "usd"
    assert pr.type == "one_time"
    assert pr.recurring is None
    assert pr.active is True
    assert pr.livemode is False
    assert pr.lookup_key is None


def test_create_recurring_price():
    prod = stripe.Product.create(name="Sub")
    pr = stripe.Price.create(
        product=prod.id,
        unit_amount=2000,
        currency="usd",
        recurring={"interval": "month", "interval_count": 3},
    )
    assert pr.type == "recurring"
    assert pr.recurring.interval == "month"
    assert pr.recurring.interval_count == 3
    assert pr.unit_amount == 2000


def test_recurring_interval_count_defaults_to_one():
    prod = stripe.Product.create(name="Sub")
    pr = stripe.Price.create(product=prod.id, unit_amount=500, currency="usd", recurring={"interval": "month"})
    assert pr.recurring.interval_count == 1


def test_create_price_with_product_data():
    pr = stripe.Price.create(unit_amount=700, currency="usd", product_data={"name": "Inline product"})
    assert isinstance(pr.product, str) and pr.product.startswith("prod_")
    prod = stripe.Product.retrieve(pr.product)
    assert prod.name == "Inline product"


def test_create_price_missing_currency_is_error():
    prod = stripe.Product.create(name="X")
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Price.create(product=prod.id, unit_amount=100)
    assert ei.value.http_status == 400
    assert ei.value.code == "parameter_missing"
    assert ei.value.param == "currency"


def test_create_price_unknown_product_is_error():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Price.create(product="prod_doesnotexist", unit_amount=100, currency="usd")
    assert ei.value.code == "resource_missing"
    assert "prod_doesnotexist" in ei.value.user_message


def test_retrieve_and_update_price():
    prod = stripe.Product.create(name="Y")
    pr = stripe.Price.create(product=prod.id, unit_amount=100, currency="usd")
    assert stripe.Price.retrieve(pr.id).unit_amount == 100
    key = _lk()
    u = stripe.Price.modify(pr.id, active=False, metadata={"m": "1"}, lookup_key=key)
    assert u.active is False
    assert u.metadata.to_dict() == {"m": "1"}
    assert u.lookup_key == key
    again = stripe.Price.retrieve(pr.id)
    assert again.active is False and again.lookup_key == key


def test_lookup_key_duplicate_without_transfer_is_rejected():
    prod = stripe.Product.create(name="Z")
    key = _lk()
    stripe.Price.create(product=prod.id, unit_amount=100, currency="usd", lookup_key=key)
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Price.create(product=prod.id, unit_amount=200, currency="usd", lookup_key=key)
    assert ei.value.http_status == 400


def test_transfer_lookup_key():
    prod = stripe.Product.create(name="Z")
    key = _lk()
    old = stripe.Price.create(product=prod.id, unit_amount=100, currency="usd", lookup_key=key)
    assert old.lookup_key == key
    new = stripe.Price.create(
        product=prod.id, unit_amount=200, currency="usd", lookup_key=key, transfer_lookup_key=True
    )
    assert new.lookup_key == key
    assert stripe.Price.retrieve(old.id).lookup_key is None
    listed = stripe.Price.list(lookup_keys=[key])
    assert [p.id for p in listed.data] == [new.id]


def test_list_prices_lookup_keys_filter():
    prod = stripe.Product.create(name="L")
    k1, k2 = _lk(), _lk()
    p1 = stripe.Price.create(product=prod.id, unit_amount=100, currency="usd", lookup_key=k1)
    p2 = stripe.Price.create(product=prod.id, unit_amount=200, currency="usd", lookup_key=k2)
    stripe.Price.create(product=prod.id, unit_amount=300, currency="usd")
    assert [p.id for p in stripe.Price.list(lookup_keys=[k1]).data] == [p1.id]
    assert {p.id for p in stripe.Price.list(lookup_keys=[k1, k2]).data} == {p1.id, p2.id}
    assert stripe.Price.list(lookup_keys=["nope_" + k1]).data == []


def test_list_prices_filters_product_active_type():
    prod_a = stripe.Product.create(name="A")
    prod_b = stripe.Product.create(name="B")
    a1 = stripe.Price.create(product=prod_a.id, unit_amount=100, currency="usd")
    a2 = stripe.Price.create(product=prod_a.id, unit_amount=100, currency="usd", recurring={"interval": "month"})
    b1 = stripe.Price.create(product=prod_b.id, unit_amount=100, currency="usd", active=False)
    assert [p.id for p in stripe.Price.list(product=prod_a.id).data] == [a2.id, a1.id]
    assert [p.id for p in stripe.Price.list(product=prod_b.id).data] == [b1.id]
    assert [p.id for p in stripe.Price.list(active=False).data] == [b1.id]
    assert [p.id for p in stripe.Price.list(active=True).data] == [a2.id, a1.id]
    assert [p.id for p in stripe.Price.list(type="recurring").data] == [a2.id]
    assert [p.id for p in stripe.Price.list(type="one_time").data] == [b1.id, a1.id]
    assert [p.id for p in stripe.Price.list(product=prod_a.id, type="one_time").data] == [a1.id]


def test_client_style_prices(client):
    pr = client.v1.prices.create(
        params={
            "unit_amount": 4200,
            "currency": "usd",
            "recurring": {"interval": "month"},
            "product_data": {"name": "Client price product"},
            "lookup_key": "client_lk",
        }
    )
    assert pr.type == "recurring"
    got = client.v1.prices.list(params={"lookup_keys": ["client_lk"]})
    assert [p.id for p in got.data] == [pr.id]
    u = client.v1.prices.update(pr.id, params={"active": False})
    assert u.active is False
