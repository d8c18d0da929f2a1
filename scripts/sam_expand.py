"""Writes the CloudFormation SAM generates from template.yaml and each nested template.

    tools/sam/.venv/bin/python scripts/sam_expand.py OUT_DIR

One JSON file per template (``template.json``, ``stacks/<concern>.json``) under OUT_DIR: the
expanded templates `make lint` runs checkov over. SAM's translator lives in the SAM CLI's own
environment, hence the interpreter. Local paths (CodeUri, DefinitionUri, Location) are replaced by
the S3 URIs `sam deploy` would put there, as the translator requires.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

ROOT = Path(__file__).resolve().parents[1]


class NoManagedPolicies:
    """No account to ask for AWS managed policy ARNs: policy templates are expanded all the same."""

    def load(self) -> dict[str, str]:
        return {}


def expand(path: Path) -> dict[str, Any]:
    template = yaml_parse(path.read_text())
    for res in template["Resources"].values():
        props = res.setdefault("Properties", {})
        if res["Type"] == "AWS::Serverless::Function":
            props["CodeUri"] = "s3://package-bucket/code.zip"
        elif res["Type"] == "AWS::Serverless::StateMachine":
            props["DefinitionUri"] = "s3://package-bucket/definition.asl.json"
        elif res["Type"] == "AWS::Serverless::Application":
            props["Location"] = "https://s3.amazonaws.com/package-bucket/nested.template"
    skips = {
        name: res["Metadata"]["checkov"]
        for name, res in template["Resources"].items()
        if isinstance(res.get("Metadata"), dict) and "checkov" in res["Metadata"]
    }
    expanded: dict[str, Any] = transform(template, {}, NoManagedPolicies())
    # A skip written on a SAM resource (with its reason) also covers what SAM generates from it,
    # e.g. the API Gateway stage of an AWS::Serverless::Api, which carries no Metadata of its own.
    for name, res in expanded["Resources"].items():
        owner = next((o for o in skips if name.startswith(o)), None)
        if owner is not None:
            metadata = res.setdefault("Metadata", {})
            metadata.setdefault("checkov", skips[owner])
    return expanded


def main(out: Path) -> int:
    root = ROOT / "template.yaml"
    paths = [root]
    for res in yaml_parse(root.read_text())["Resources"].values():
        location = res.get("Properties", {}).get("Location")
        if res["Type"] == "AWS::Serverless::Application" and isinstance(location, str):
            paths.append(ROOT / location)
    for path in paths:
        target = out / path.relative_to(ROOT).with_suffix(".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(expand(path), indent=1))
    print(f"sam_expand.py: {len(paths)} templates expanded into {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
