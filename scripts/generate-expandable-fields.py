#!/usr/bin/env python3
"""Derives, from Stripe's OpenAPI component schemas, which fields of each object type `expand[]`
may name, and writes them as Sources/StripeEmulator/API/ExpandableFields.swift.

    python3 scripts/generate-expandable-fields.py SCHEMAS_JSON > Sources/StripeEmulator/API/ExpandableFields.swift

SCHEMAS_JSON is an OpenAPI document with `components.schemas` (Stripe's spec3.json) or a reduced
per-version file with `schemas` at the top, that keeps Stripe's `anyOf` forms. A field is expandable when its schema is Stripe's expandable form
(`anyOf: [{"type": "string"}, {"$ref": ...}]`, possibly nullable, or an array of those); it is
includable when the schema neither always sends it nor allows null and it is a list or one of the
fields Stripe documents as "not included by default" (`customer.sources`, `price.tiers`...). Paths
reach through nested objects that are not resources (`parent.subscription_details.subscription`),
as far as Stripe's four levels; an embedded resource (one with its own `object`) has its own entry.
"""
import json
import os
import sys

MAX_DEPTH = 4
# The reduced schemas drop Stripe's "not included by default" notes: a field that is neither always
# sent nor nullable is includable when it is a list, or one of these (Stripe's documented ones).
INCLUDABLE_NAMES = {"currency_options", "tiers", "breakdown", "discounts", "taxes", "tax", "cash_balance",
                    "invoice_credit_balance", "confirmation_secret"}
# The object types the fake serves (and the ones it answers with an empty list).
TYPES = [
    "account", "balance", "balance_transaction", "billing_portal.configuration", "billing_portal.session", "charge",
    "checkout.session", "customer", "event", "invoice", "invoiceitem", "invoice_payment", "item", "line_item",
    "payment_intent", "payment_method", "price", "product", "setup_attempt", "setup_intent", "subscription",
    "subscription_item", "test_helpers.test_clock", "webhook_endpoint", "payout", "transfer", "application_fee",
    "file", "shipping_rate", "tax_code", "country_spec", "entitlements.feature", "product_feature", "refund", "dispute",
]


def main(path):
    doc = json.load(open(path))
    # Stripe's spec (components.schemas), or a reduced per-version file (schemas at the top).
    schemas = doc["components"]["schemas"] if "components" in doc else doc["schemas"]

    def resolve(s):
        while isinstance(s, dict) and "$ref" in s:
            s = schemas[s["$ref"].split("/")[-1]]
        return s

    def is_resource(s):
        s = resolve(s)
        return isinstance(s, dict) and "object" in s.get("properties", {}) and "enum" in s["properties"]["object"]

    def expandable(s):
        alts = s.get("anyOf") or []
        return any(a.get("type") == "string" for a in alts) and any("$ref" in a for a in alts)

    def nullable(s):
        t = s.get("type")
        if t == "null" or (isinstance(t, list) and "null" in t):
            return True
        return any(a.get("type") == "null" for a in s.get("anyOf") or [])

    def is_list(s):
        s = resolve(s)
        obj = s.get("properties", {}).get("object", {}) if isinstance(s, dict) else {}
        return obj.get("enum") == ["list"]

    def embeds_resource(s):
        alts = [a for a in (s.get("anyOf") or [s]) if a.get("type") != "null"]
        return len(alts) == 1 and is_resource(alts[0])

    def nested(s):
        """The schema of a nested non-resource object, or None."""
        s = resolve(s)
        if not isinstance(s, dict):
            return None
        for alt in s.get("anyOf") or []:
            if alt.get("type") != "null":
                inner = resolve(alt)
                if isinstance(inner, dict) and "properties" in inner and not is_resource(inner) and not is_list(inner):
                    return inner
                return None
        if "properties" in s and not is_resource(s) and not is_list(s):
            return s
        return None

    def walk(s, prefix, out, depth):
        required = set(s.get("required", []))
        for name, p in sorted(s.get("properties", {}).items()):
            if name == "object":
                continue
            path = prefix + [name]
            if expandable(p) or (p.get("type") == "array" and expandable(p.get("items", {}))):
                out["expandable"].append(".".join(path))
            elif name not in required and (is_list(p) or name in INCLUDABLE_NAMES):
                out["includable"].append(".".join(path))
            elif is_list(p) or embeds_resource(p):
                # A path may walk into it and go on with the type of its items.
                out["embedded"].append(".".join(path))
            elif depth < MAX_DEPTH:
                inner = nested(p)
                if inner is not None:
                    walk(inner, path, out, depth + 1)

    tables = {}
    for name, s in schemas.items():
        obj = s.get("properties", {}).get("object", {})
        enum = obj.get("enum") or []
        if len(enum) != 1 or enum[0] not in TYPES or name.startswith("deleted_"):
            continue
        out = {"expandable": [], "includable": [], "embedded": []}
        walk(s, [], out, 1)
        tables[enum[0]] = out

    w = sys.stdout.write
    w("// Generated by scripts/generate-expandable-fields.py from Stripe's OpenAPI schemas: do not edit.\n")
    w(f"// Source: {os.path.basename(path)} (the newest schemas at hand that keep Stripe's expandable `anyOf` form);\n")
    w("// regenerate when the fake follows newer ones.\n\n")
    w("/// The paths `expand[]` may name on each object type: expandable ids (and arrays of ids), and\n")
    w("/// includable lists that are only sent when expanded. Paths run through nested objects that are\n")
    w("/// not resources; an embedded resource (a value with its own `object`) has its own entry.\n")
    w("/// `embedded` lists the lists and resources a path may walk into.\n")
    w("enum ExpandableFields {\n")
    def table(name, key, keep_empty):
        w(f"    static let {name}: [String: Set<String>] = [\n")
        for t in sorted(tables):
            if keep_empty or tables[t][key]:
                items = ", ".join(json.dumps(p) for p in sorted(set(tables[t][key])))
                w(f"        {json.dumps(t)}: [{items}],\n")
        w("    ]\n")

    table("expandable", "expandable", keep_empty=True)
    w("\n")
    table("embedded", "embedded", keep_empty=False)
    w("\n")
    table("includable", "includable", keep_empty=False)
    w("}\n")


if __name__ == "__main__":
    main(sys.argv[1])
