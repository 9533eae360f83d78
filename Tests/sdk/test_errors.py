import base64
import json

import pytest
import stripe


def test_unknown_customer_404():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.retrieve("cus_nope")
    e = ei.value
    assert e.http_status == 404
    assert e.code == "resource_missing"
    assert e.user_message == "No such customer: 'cus_nope'"
    assert e.param == "id"
    assert e.json_body["error"]["type"] == "invalid_request_error"
    assert e.request_id is not None and e.request_id.startswith("req_")


def test_unknown_product_and_price_404():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Product.retrieve("prod_nope")
    assert ei.value.http_status == 404
    assert ei.value.user_message == "No such product: 'prod_nope'"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Price.retrieve("price_nope")
    assert ei.value.http_status == 404
    assert ei.value.user_message == "No such price: 'price_nope'"


def test_update_and_delete_unknown_customer_404():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.modify("cus_nope", name="x")
    assert ei.value.http_status == 404
    assert ei.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.delete("cus_nope")
    assert ei.value.http_status == 404


def test_unknown_parameter_400():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.create(email="x@example.com", bogus="1")
    e = ei.value
    assert e.http_status == 400
    assert "Received unknown parameter: bogus" in e.user_message
    assert e.param == "bogus"
    assert e.json_body["error"]["type"] == "invalid_request_error"
    # nothing was created
    assert stripe.Customer.list().data == []


def test_unknown_nested_parameter_400():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.create(invoice_settings={"bogus_nested": "1"})
    assert ei.value.http_status == 400
    assert "bogus_nested" in ei.value.user_message


def test_unknown_parameter_on_update_and_list():
    c = stripe.Customer.create(name="x")
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.modify(c.id, bogus="1")
    assert ei.value.param == "bogus"
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.list(bogus="1")
    assert ei.value.http_status == 400
    assert ei.value.param == "bogus"


def test_invalid_api_key_401():
    with pytest.raises(stripe.AuthenticationError) as ei:
        stripe.Customer.list(api_key="nope")
    assert ei.value.http_status == 401
    assert ei.value.json_body["error"]["type"] == "invalid_request_error"


def test_invalid_api_key_client_401(make_client):
    with pytest.raises(stripe.AuthenticationError) as ei:
        make_client("nope").v1.customers.create(params={"email": "x@example.com"})
    assert ei.value.http_status == 401


def test_no_api_key_401_raw(raw):
    status, headers, body = raw("GET", "/v1/customers", key=None)
    assert status == 401
    assert body["error"]["type"] == "invalid_request_error"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_basic_auth_accepted_raw(raw, api_key):
    c = stripe.Customer.create(email="basic@example.com")
    token = base64.b64encode(f"{api_key}:".encode()).decode()
    status, headers, body = raw("GET", "/v1/customers", headers={"Authorization": "Basic " + token})
    assert status == 200
    assert [x["id"] for x in body["data"]] == [c.id]


def test_missing_required_param():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Product.create(description="no name")
    assert ei.value.http_status == 400
    assert ei.value.code == "parameter_missing"
    assert ei.value.param == "name"


def test_limit_out_of_range():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.list(limit=101)
    assert ei.value.http_status == 400
    assert ei.value.param == "limit"


def test_error_response_wire_shape(raw):
    status, headers, body = raw("GET", "/v1/customers/cus_nope")
    assert status == 404
    assert headers.get("Content-Type", "").startswith("application/json")
    assert headers.get("Request-Id", "").startswith("req_")
    assert set(body.keys()) == {"error"}
    err = body["error"]
    assert err["type"] == "invalid_request_error"
    assert err["code"] == "resource_missing"
    assert err["message"] == "No such customer: 'cus_nope'"


def test_wire_accepts_curl_style_brackets(raw):
    # curl / other SDKs send key[] arrays and may percent-encode brackets.
    status, _, body = raw(
        "POST",
        "/v1/customers",
        body="email=wire%40example.com&metadata%5Bplan%5D=pro&metadata[team]=core",
    )
    assert status == 200, body
    assert body["metadata"] == {"plan": "pro", "team": "core"}
    assert body["email"] == "wire@example.com"
    prod_status, _, prod = raw("POST", "/v1/products", body="name=Wire")
    assert prod_status == 200
    st, _, price = raw(
        "POST", "/v1/prices", body=f"product={prod['id']}&unit_amount=100&currency=usd&lookup_key=wire_lk"
    )
    assert st == 200
    st, _, lst = raw("GET", "/v1/prices?lookup_keys[]=wire_lk&expand[]=data.product")
    assert st == 200
    assert [p["id"] for p in lst["data"]] == [price["id"]]
    assert lst["data"][0]["product"]["id"] == prod["id"]
    assert lst["data"][0]["product"]["object"] == "product"


def test_success_response_headers(raw):
    status, headers, body = raw("POST", "/v1/customers", body="name=hdr")
    assert status == 200
    assert headers.get("Content-Type", "").startswith("application/json")
    assert headers.get("Request-Id", "").startswith("req_")
    assert body["object"] == "customer"


def test_missing_object_named_by_a_parameter_is_400():
    price = stripe.Price.create(currency="usd", unit_amount=1000, recurring={"interval": "month"},
                                product_data={"name": "Pro"})
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Subscription.create(customer="cus_missing", items=[{"price": price.id}])
    assert ei.value.http_status == 400
    assert ei.value.code == "resource_missing"
    assert ei.value.param == "customer"


def test_invalid_email_is_400():
    with pytest.raises(stripe.InvalidRequestError) as ei:
        stripe.Customer.create(email="not-an-email")
    assert ei.value.http_status == 400
    assert ei.value.param == "email"
    assert ei.value.code == "email_invalid"


def test_python_spelled_booleans_as_stripe_python_10_sends_them(raw):
    """stripe-python before 12 encodes a bool with str(): `active=True`. Stripe accepts it."""
    import urllib.parse

    stripe.Price.create(currency="usd", unit_amount=500, product_data={"name": "Old SDK"})
    body = urllib.parse.urlencode({"active": True})
    assert body == "active=True"
    status, _, listed = raw("GET", "/v1/prices?" + body)
    assert status == 200, listed
    assert len(listed["data"]) == 1
    status, _, none = raw("GET", "/v1/prices?" + urllib.parse.urlencode({"active": False}))
    assert status == 200 and none["data"] == []
