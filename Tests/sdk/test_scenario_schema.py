"""The committed JSON Schema accepts every scenario of the suite and refuses the invalid examples,
so editors that use it agree with `effinity scenarios validate`."""
import glob
import json
import os

import jsonschema
import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SCHEMA = json.load(open(os.path.join(ROOT, "scenarios", "scenario.schema.json")))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def suite_files():
    files = glob.glob(os.path.join(ROOT, "scenarios", "**", "*.json"), recursive=True)
    return sorted(f for f in files if "goldens" not in f and not f.endswith("schema.json"))


@pytest.mark.parametrize("path", suite_files(), ids=lambda p: os.path.relpath(p, ROOT))
def test_suite_file_matches_schema(path):
    errors = [e.message for e in VALIDATOR.iter_errors(json.load(open(path)))]
    assert errors == []


def test_invalid_example_is_refused():
    bad = json.load(open(os.path.join(ROOT, "Tests", "scenario-invalid", "typos.json")))
    assert list(VALIDATOR.iter_errors(bad)) != []
