import pytest
import stripe


def _make_customers(n):
    return [stripe.Customer.create(name=f"c{i:02d}").id for i in range(n)]


# --- pagination -----------------------------------------------------------------


def test_auto_paging_iter_yields_all_once_newest_first():
    ids = _make_customers(25)
    seen = [c.id for c in stripe.Customer.list(limit=10).auto_paging_iter()]
    assert len(seen) == 25
    assert len(set(seen)) == 25
    assert seen == list(reversed(ids))


def test_auto_paging_iter_default_limit():
    ids = _make_customers(25)
    first = stripe.Customer.list()
    assert len(first.data) == 10
    assert first.has_more is True
    assert [c.id for c in first.auto_paging_iter()] == list(reversed(ids))


def test_limit_100_returns_all():
    ids = _make_customers(25)
    page = stripe.Customer.list(limit=100)
    assert [c.id for c in page.data] == list(reversed(ids))
    assert page.has_more is False


def test_has_more_exact_at_boundary():
    ids = _make_customers(10)
    page = stripe.Customer.list(limit=10)
    assert len(page.data) == 10
    assert page.has_more is False
    assert [c.id for c in page.data] == list(reversed(ids))
    stripe.Customer.create(name="eleventh")
    page = stripe.Customer.list(limit=10)
    assert len(page.data) == 10
    assert page.has_more is True


def test_starting_after_last_item_is_empty():
    ids = _make_customers(3)
    page = stripe.Customer.list(starting_after=ids[0])  # ids[0] is the oldest -> last in the list
    assert page.data == []
    assert page.has_more is False


def test_ending_before_walks_back():
    ids = _make_customers(25)
    desc = list(reversed(ids))
    page = stripe.Customer.list(limit=5, ending_before=desc[20])
    assert [c.id for c in page.data] == desc[15:20]
    assert page.has_more is True
    # The SDK walks backwards (ending_before = data[0].id) and yields items in reverse.
    walked = [c.id for c in stripe.Customer.list(limit=5, ending_before=desc[20]).auto_paging_iter()]
    assert walked == list(reversed(desc[:20]))


def test_ending_before_first_item_is_empty():
    ids = _make_customers(3)
    page = stripe.Customer.list(ending_before=ids[-1])  # newest item
    assert page.data == []
    assert page.has_more is False


def test_client_auto_paging(client):
    created = [client.v1.customers.create(params={"name": f"k{i}"}).id for i in range(12)]
    seen = [c.id for c in client.v1.customers.list(params={"limit": 5}).auto_paging_iter()]
    assert seen == list(reversed(created))


def test_unknown_cursor_is_error():
    _make_customers(1)
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.list(starting_after="cus_doesnotexist")
    assert ei.value.http_status in (400, 404)


# --- expand ----------------------------------------------------------------------


def test_expand_default_payment_method():
    cus = stripe.Customer.create(email="exp@example.com")
    pm = stripe.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    stripe.Customer.modify(cus.id, invoice_settings={"default_payment_method": pm.id})
    plain = stripe.Customer.retrieve(cus.id)
    assert plain.invoice_settings.default_payment_method == pm.id
    got = stripe.Customer.retrieve(cus.id, expand=["invoice_settings.default_payment_method"])
    dpm = got.invoice_settings.default_payment_method
    assert isinstance(dpm, stripe.PaymentMethod)
    assert dpm.id == pm.id
    assert dpm.object == "payment_method"
    assert dpm.card.last4 == "4242"


def test_expand_null_field_stays_null():
    cus = stripe.Customer.create(email="exp@example.com")
    got = stripe.Customer.retrieve(cus.id, expand=["invoice_settings.default_payment_method"])
    assert got.invoice_settings.default_payment_method is None


def test_expand_on_list_data_product():
    p1 = stripe.Product.create(name="P1")
    p2 = stripe.Product.create(name="P2")
    stripe.Price.create(product=p1.id, unit_amount=100, currency="usd")
    stripe.Price.create(product=p2.id, unit_amount=200, currency="usd")
    lst = stripe.Price.list(expand=["data.product"])
    assert len(lst.data) == 2
    for price in lst.data:
        assert isinstance(price.product, stripe.Product)
        assert price.product.object == "product"
    assert [p.product.name for p in lst.data] == ["P2", "P1"]
    # without expand, product is an id
    assert all(isinstance(p.product, str) for p in stripe.Price.list().data)


def test_expand_product_on_retrieve_and_create():
    prod = stripe.Product.create(name="Exp")
    price = stripe.Price.create(product=prod.id, unit_amount=100, currency="usd", expand=["product"])
    assert isinstance(price.product, stripe.Product) and price.product.id == prod.id
    got = stripe.Price.retrieve(price.id, expand=["product"])
    assert got.product.name == "Exp"


def test_expand_in_client_style(client):
    prod = client.v1.products.create(params={"name": "CE"})
    price = client.v1.prices.create(params={"product": prod.id, "unit_amount": 1, "currency": "usd"})
    got = client.v1.prices.retrieve(price.id, params={"expand": ["product"]})
    assert got.product.id == prod.id
    assert got.product.name == "CE"


def test_expand_non_expandable_field_is_error():
    cus = stripe.Customer.create(email="e@example.com")
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.retrieve(cus.id, expand=["email"])
    assert ei.value.http_status == 400


def test_expand_unknown_path_is_error():
    stripe.Price.create(product_data={"name": "E"}, unit_amount=100, currency="usd")
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Price.list(expand=["data.nonexistent_field"])
    assert ei.value.http_status == 400
