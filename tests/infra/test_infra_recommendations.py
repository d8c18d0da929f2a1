"""stacks/recommendations.yaml: lint-clean, wired from the root by one nested application with
every parameter it needs, and consistent with the code that reads and writes its resources."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode
from infra_testkit import ROOT, has_build_target, props

from audience.recommend.ports import ServedList
from audience.recommend.stage import METRIC_COLUMNS

STACK = ROOT / "stacks" / "recommendations.yaml"


def stack() -> dict[str, Any]:
    data, matches = decode(str(STACK))
    assert not matches and data is not None
    return data


def res(name: str) -> dict[str, Any]:
    return stack()["Resources"][name]["Properties"]


def test_nested_stack_passes_cfn_lint_without_errors_or_warnings() -> None:
    # GIVEN the pinned cfn-lint
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    # WHEN it checks the nested template
    proc = subprocess.run([str(cfn_lint), str(STACK)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    # THEN it reports nothing
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_root_template_nests_it_once_with_every_required_parameter() -> None:
    # GIVEN the root's application and the nested template's parameters
    app = props("RecommendationsStack")
    required = {name for name, p in stack()["Parameters"].items() if "Default" not in p}
    # WHEN compared
    # THEN the location is the stack file and every parameter without a default is passed
    assert app["Location"] == "stacks/recommendations.yaml"
    assert required <= set(app["Parameters"]) <= set(stack()["Parameters"])


def test_served_table_columns_are_the_served_list_fields_and_the_metrics_table_the_writer_columns() -> None:
    # GIVEN the Glue tables
    served = res("ServedTable")["TableInput"]["StorageDescriptor"]["Columns"]
    metrics = res("MetricsTable")["TableInput"]
    # THEN the served-lists table has exactly ServedList's fields, in order
    assert [c["Name"] for c in served] == [f.name for f in dataclasses.fields(ServedList)]
    assert {c["Name"]: c["Type"] for c in served}["items"] == "array<string>"
    # AND the metrics table the Parquet writer's columns (as_of is the partition)
    names = [c["Name"] for c in metrics["StorageDescriptor"]["Columns"]]
    assert names == [n for n in METRIC_COLUMNS() if n != "as_of"]
    assert [p["Name"] for p in metrics["PartitionKeys"]] == ["as_of"]


def test_table_key_and_ttl_match_the_dynamodb_adapter() -> None:
    # GIVEN the table
    table = res("RecommendationsTable")
    # THEN the key is user + variant and the TTL attribute is the adapter's expires_at
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["user_id", "variant"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


@pytest.mark.parametrize("name", ["RecommendationsStateMachine", "OnlineStateMachine"])
def test_state_machine_substitutions_fill_every_placeholder(name: str) -> None:
    # GIVEN the definition and the substitutions
    sm = res(name)
    definition = (STACK.parent / sm["DefinitionUri"]).read_text()
    placeholders = set(re.findall(r"\$\{([A-Za-z]+)\}", definition))
    # THEN every placeholder has a value and none is unused
    assert placeholders == set(sm["DefinitionSubstitutions"])
    json.loads(definition)


def test_functions_have_build_targets_and_handlers_that_import() -> None:
    # GIVEN the two functions
    for name in ("RecommendationsFunction", "RecommendBatchFunction"):
        fn = res(name)
        # THEN sam build can build them and the dotted handler exists
        assert has_build_target(name), name
        module, attr = fn["Handler"].rsplit(".", 1)
        assert callable(getattr(__import__(module, fromlist=[attr]), attr))
        assert fn["CodeUri"] == ".."
