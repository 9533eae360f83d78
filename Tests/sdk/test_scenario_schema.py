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


REPORT_SCHEMA = json.load(open(os.path.join(ROOT, "scenarios", "report.schema.json")))


@pytest.mark.parametrize("snapshots", ["failed", "all"])
def test_json_report_matches_its_schema(tmp_path, snapshots):
    """The JSON report of a run (passed and failed scenarios, invalid input) is what its schema documents."""
    import subprocess
    binary = os.environ.get("EFFINITY_BIN", os.path.join(ROOT, ".build", "debug", "effinity"))
    validator = jsonschema.Draft202012Validator(REPORT_SCHEMA)
    report = tmp_path / "r.json"
    subprocess.run([binary, "scenarios", "run", os.path.join(ROOT, "scenarios", "fixtures"), "--json", str(report),
                    "--json-snapshots", snapshots, "--jobs", "2"], cwd=ROOT, capture_output=True, timeout=300)
    doc = json.load(open(report))
    assert [e.message for e in validator.iter_errors(doc)] == []
    assert doc["passed"] + doc["failed"] + doc["skipped"] == len(doc["scenarios"]) == 4
    assert all(("snapshots" in s) == (snapshots == "all") for s in doc["scenarios"] if s["status"] == "passed")
    invalid = tmp_path / "inv.json"
    rc = subprocess.run([binary, "scenarios", "run", os.path.join(ROOT, "Tests", "scenario-invalid"), "--json", str(invalid)],
                        cwd=ROOT, capture_output=True, timeout=60).returncode
    assert rc == 2
    assert [e.message for e in validator.iter_errors(json.load(open(invalid)))] == []
