import time
import uuid

import pytest
import stripe


def _email():
    return f"u{uuid.uuid4().hex[:10]}@example.com"


def test_create_customer_fields():
    email = _email()
    c = stripe.Customer.create(
        email=email,
        name="Ada Lovelace",
        description="first customer",
        phone="+15555550123",
        metadata={"plan": "pro", "seats": "3"},
    )
    assert isinstance(c, stripe.Customer)
    assert c.id.startswith("cus_")
    assert c.object == "customer"
    assert c.email == email
    assert c.name == "Ada Lovelace"
    assert c.description == "first customer"
    assert c.phone == "+15555550123"
    assert c.metadata.to_dict() == {"plan": "pro", "seats": "3"}
    assert c.livemode is False
    assert isinstance(c.created, int)
    assert abs(c.created - time.time()) < 300
    assert c.invoice_settings.default_payment_method is None


def test_retrieve_customer():
    c = stripe.Customer.create(email=_email(), name="Bob")
    got = stripe.Customer.retrieve(c.id)
    assert got.id == c.id
    assert got.email == c.email
    assert got.name == "Bob"
    assert got.created == c.created


def test_update_customer():
    c = stripe.Customer.create(email=_email(), name="Old", description="d")
    new_email = _email()
    u = stripe.Customer.modify(c.id, name="New", email=new_email, phone="+15550001111")
    assert u.id == c.id
    assert u.name == "New"
    assert u.email == new_email
    assert u.phone == "+15550001111"
    assert u.description == "d"  # untouched fields are kept
    again = stripe.Customer.retrieve(c.id)
    assert again.name == "New"
    assert again.email == new_email


def test_update_empty_string_unsets_field():
    c = stripe.Customer.create(email=_email(), description="to be cleared")
    u = stripe.Customer.modify(c.id, description="")
    assert u.description is None
    assert stripe.Customer.retrieve(c.id).description is None


def test_delete_customer_then_retrieve_shows_deleted():
    c = stripe.Customer.create(email=_email())
    d = stripe.Customer.delete(c.id)
    assert d.id == c.id
    assert d.deleted is True
    got = stripe.Customer.retrieve(c.id)
    assert got.id == c.id
    assert got["deleted"] is True
    # a deleted customer no longer shows up in the list
    assert c.id not in [x.id for x in stripe.Customer.list(limit=100).data]


def test_create_with_payment_method_and_default():
    pm = stripe.PaymentMethod.create(type="card", card={"token": "tok_visa"})
    assert pm.customer is None
    c = stripe.Customer.create(
        email=_email(),
        payment_method=pm.id,
        invoice_settings={"default_payment_method": pm.id},
    )
    assert c.invoice_settings.default_payment_method == pm.id
    attached = stripe.PaymentMethod.retrieve(pm.id)
    assert attached.customer == c.id
    listed = stripe.Customer.list_payment_methods(c.id)
    assert [p.id for p in listed.data] == [pm.id]


def test_update_default_payment_method():
    c = stripe.Customer.create(email=_email())
    pm = stripe.PaymentMethod.attach("pm_card_visa", customer=c.id)
    u = stripe.Customer.modify(c.id, invoice_settings={"default_payment_method": pm.id})
    assert u.invoice_settings.default_payment_method == pm.id


def test_list_customers_basic():
    ids = [stripe.Customer.create(email=_email()).id for _ in range(3)]
    lst = stripe.Customer.list()
    assert lst.object == "list"
    assert lst.url == "/v1/customers"
    assert lst.has_more is False
    assert [c.id for c in lst.data] == list(reversed(ids))


def test_list_customers_limit_and_starting_after():
    ids = [stripe.Customer.create(name=f"n{i}").id for i in range(5)]
    newest_first = list(reversed(ids))
    page1 = stripe.Customer.list(limit=2)
    assert [c.id for c in page1.data] == newest_first[:2]
    assert page1.has_more is True
    page2 = stripe.Customer.list(limit=2, starting_after=page1.data[-1].id)
    assert [c.id for c in page2.data] == newest_first[2:4]
    assert page2.has_more is True
    page3 = stripe.Customer.list(limit=2, starting_after=page2.data[-1].id)
    assert [c.id for c in page3.data] == newest_first[4:]
    assert page3.has_more is False


def test_list_customers_ending_before():
    ids = [stripe.Customer.create(name=f"n{i}").id for i in range(5)]
    newest_first = list(reversed(ids))
    page = stripe.Customer.list(limit=2, ending_before=newest_first[3])
    assert [c.id for c in page.data] == newest_first[1:3]
    assert page.has_more is True
    page = stripe.Customer.list(limit=2, ending_before=newest_first[1])
    assert [c.id for c in page.data] == newest_first[:1]
    assert page.has_more is False


def test_list_customers_created_filters():
    cs = [stripe.Customer.create(name=f"n{i}") for i in range(3)]
    first_created = min(c.created for c in cs)
    last_created = max(c.created for c in cs)
    all_ids = {c.id for c in cs}
    got = stripe.Customer.list(created={"gte": first_created})
    assert {c.id for c in got.data} == all_ids
    got = stripe.Customer.list(created={"lte": last_created})
    assert {c.id for c in got.data} == all_ids
    got = stripe.Customer.list(created={"gt": last_created})
    assert got.data == []
    got = stripe.Customer.list(created={"lt": first_created})
    assert got.data == []
    got = stripe.Customer.list(created={"gte": last_created + 3600})
    assert got.data == []


def test_list_customers_created_exact_integer():
    c = stripe.Customer.create(name="x")
    assert [x.id for x in stripe.Customer.list(created=c.created).data] == [c.id]
    assert stripe.Customer.list(created=c.created + 7200).data == []


def test_list_customers_email_filter():
    target = _email()
    a = stripe.Customer.create(email=target)
    stripe.Customer.create(email=_email())
    b = stripe.Customer.create(email=target)
    got = stripe.Customer.list(email=target)
    assert [c.id for c in got.data] == [b.id, a.id]
    assert stripe.Customer.list(email=_email()).data == []


def test_search_customers_by_email():
    target = _email()
    c = stripe.Customer.create(email=target, name="Searchable")
    stripe.Customer.create(email=_email(), name="Other")
    res = stripe.Customer.search(query=f"email:'{target}'")
    assert res.object == "search_result"
    assert [x.id for x in res.data] == [c.id]
    assert res.data[0].email == target
    assert res.has_more is False


def test_search_customers_no_match():
    stripe.Customer.create(email=_email())
    res = stripe.Customer.search(query="email:'nobody-here@example.com'")
    assert res.object == "search_result"
    assert res.data == []


def test_client_style_customer_crud(client):
    email = _email()
    c = client.v1.customers.create(params={"email": email, "metadata": {"k": "v"}})
    assert c.id.startswith("cus_")
    got = client.v1.customers.retrieve(c.id)
    assert got.email == email
    assert got.metadata["k"] == "v"
    upd = client.v1.customers.update(c.id, params={"name": "Client Name"})
    assert upd.name == "Client Name"
    lst = client.v1.customers.list(params={"email": email})
    assert [x.id for x in lst.data] == [c.id]
    res = client.v1.customers.search(params={"query": f"email:'{email}'"})
    assert res.object == "search_result"
    assert [x.id for x in res.data] == [c.id]
    d = client.v1.customers.delete(c.id)
    assert d.deleted is True
    assert client.v1.customers.retrieve(c.id)["deleted"] is True


# --- metadata semantics -----------------------------------------------------


def test_metadata_merge_unset_and_clear():
    c = stripe.Customer.create(metadata={"a": "1", "b": "2"})
    # updating merges keys
    c = stripe.Customer.modify(c.id, metadata={"c": "3"})
    assert c.metadata.to_dict() == {"a": "1", "b": "2", "c": "3"}
    # overwriting one key
    c = stripe.Customer.modify(c.id, metadata={"a": "10"})
    assert c.metadata.to_dict() == {"a": "10", "b": "2", "c": "3"}
    # empty string deletes a single key
    c = stripe.Customer.modify(c.id, metadata={"b": ""})
    assert c.metadata.to_dict() == {"a": "10", "c": "3"}
    assert stripe.Customer.retrieve(c.id).metadata.to_dict() == {"a": "10", "c": "3"}
    # metadata="" clears everything
    c = stripe.Customer.modify(c.id, metadata="")
    assert c.metadata.to_dict() == {}
    assert stripe.Customer.retrieve(c.id).metadata.to_dict() == {}


def test_metadata_default_is_empty_object():
    c = stripe.Customer.create(email=_email())
    assert c.metadata.to_dict() == {}


# --- tenants / request ids ---------------------------------------------------


def test_tenants_are_isolated(make_client):
    from conftest import new_key

    a = make_client(new_key())
    b = make_client(new_key())
    ca = a.v1.customers.create(params={"email": "tenant-a@example.com"})
    cb = b.v1.customers.create(params={"email": "tenant-b@example.com"})
    assert [x.id for x in a.v1.customers.list().data] == [ca.id]
    assert [x.id for x in b.v1.customers.list().data] == [cb.id]
    with pytest.raises(stripe.InvalidRequestError) as ei:
        b.v1.customers.retrieve(ca.id)
    assert ei.value.http_status == 404
    assert ei.value.code == "resource_missing"
    assert b.v1.customers.search(params={"query": "email:'tenant-a@example.com'"}).data == []


def test_module_level_per_request_api_key_is_isolated():
    from conftest import new_key

    other = new_key()
    mine = stripe.Customer.create(email=_email())
    theirs = stripe.Customer.create(email=_email(), api_key=other)
    assert [c.id for c in stripe.Customer.list().data] == [mine.id]
    assert [c.id for c in stripe.Customer.list(api_key=other).data] == [theirs.id]


def test_request_id_header():
    c = stripe.Customer.create(email=_email())
    rid = c.last_response.request_id
    assert rid is not None and rid.startswith("req_")
    c2 = stripe.Customer.retrieve(c.id)
    rid2 = c2.last_response.request_id
    assert rid2.startswith("req_")
    assert rid2 != rid
