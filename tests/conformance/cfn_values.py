"""The templates' intrinsics evaluated with realistic values: what the deployed stack would hold.

Stack ``audience-prod`` (samconfig.toml's production name) in ap-southeast-2, its parameters from
samconfig's prod overrides (else their defaults), and physical ids shaped and sized like the ones
CloudFormation generates: ``<stack>-<App>-<13 characters>-<LogicalId>-<12 characters>`` cut to the
service's limit, ARNs in the service's own format. Length and pattern checks run on these.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from functools import cache
from typing import Any

from template_testkit import ROOT, templates

STACK = "audience-prod"
REGION = "ap-southeast-2"
ACCOUNT = "123456789012"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::StackName": STACK,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/0f1e2d3c-4b5a-4697-8887-a6b5c4d3e2f1",
    "AWS::NoValue": None,
}
# Name limits CloudFormation cuts generated names to.
NAME_LIMITS = {
    "AWS::S3::Bucket": 63,
    "AWS::Lambda::Function": 64,
    "AWS::Serverless::Function": 64,
    "AWS::IAM::Role": 64,
    "AWS::Events::Rule": 64,
    "AWS::DynamoDB::Table": 255,
    "AWS::SNS::Topic": 256,
    "AWS::Scheduler::Schedule": 64,
}


def _suffix(logical_id: str, n: int) -> str:
    return hashlib.sha256(logical_id.encode()).hexdigest()[:n].upper()


@cache
def parameters() -> dict[str, Any]:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    overrides = dict(
        item.split("=", 1) for item in config["prod"]["deploy"]["parameters"]["parameter_overrides"]
    )
    values: dict[str, Any] = {}
    for name, spec in templates().merged["Parameters"].items():
        values[name] = str(overrides.get(name, spec.get("Default", "")))
    # A nested template's parameter the root does not pass keeps its default (merged templates
    # leave it a Ref; e.g. the influencers stack's ScoringScheduleExpression).
    for key, raw in templates().raw.items():
        for name, spec in raw.get("Parameters", {}).items() if key else ():
            if name not in templates().bindings[key]:
                values.setdefault(name, str(spec.get("Default", "")))
    values["BedrockModelId"] = values["BedrockModelId"] or "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    values["AlarmEmail"] = values["AlarmEmail"] or "ops@example.com"
    values["ConnectDomainName"] = values["ConnectDomainName"] or "audience-prod-profiles"
    values["PinpointApplicationId"] = values["PinpointApplicationId"] or "0123456789abcdef0123456789abcdef"
    return values


def _app_of(logical_id: str) -> str:
    key = templates().sources.get(logical_id, "")
    return key or "Root"


def generated_name(logical_id: str, resource_type: str) -> str:
    """A name as CloudFormation generates it for a resource without one."""
    app = _app_of(logical_id)
    stack = STACK if app == "Root" else f"{STACK}-{app}-{_suffix(app, 13)}"
    name = f"{stack}-{logical_id}-{_suffix(logical_id, 12)}"
    limit = NAME_LIMITS.get(resource_type, 64)
    if resource_type == "AWS::S3::Bucket":
        name = name.lower()
    if len(name) > limit:  # CloudFormation shortens the stack and logical id parts, keeps the suffix
        keep = limit - 13
        name = name[:keep] + "-" + _suffix(logical_id, 12)
        name = name.lower() if resource_type == "AWS::S3::Bucket" else name
    return name


class Resolver:
    """Evaluates a merged template's intrinsics (``template()`` or ``sam_transformed()``)."""

    def __init__(self, template: dict[str, Any]) -> None:
        self.template = template
        self.resources: dict[str, Any] = template["Resources"]
        self.params = parameters()

    # -- physical ids and attributes ------------------------------------------------------------
    def name_of(self, logical_id: str) -> str:
        res = self.resources[logical_id]
        props = res.get("Properties", {})
        kind = res["Type"]
        for key in (
            "Name",
            "FunctionName",
            "RoleName",
            "TopicName",
            "TableName",
            "BucketName",
            "DeliveryStreamName",
            "StateMachineName",
            "LogGroupName",
            "UserPoolName",
            "ClientName",
        ):
            if key in props and kind != "AWS::Glue::Database":
                value = self.value(props[key])
                if isinstance(value, str):
                    return value
        if kind == "AWS::Glue::Database":
            return str(self.value(props["DatabaseInput"]["Name"]))
        if kind == "AWS::Glue::Table":
            return str(self.value(props["TableInput"]["Name"]))
        return generated_name(logical_id, kind)

    def ref(self, name: str) -> Any:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.params:
            return self.params[name]
        if name.endswith(".Stage") or name.endswith(".Version") or name.endswith(".Alias"):
            return self.params["Stage"]
        res = self.resources[name]
        kind = res["Type"]
        if kind in ("AWS::SNS::Topic",):
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{generated_name(name, kind)}"
        if kind in ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine"):
            return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{self.name_of(name)}"
        if kind == "AWS::IAM::ManagedPolicy":
            return f"arn:aws:iam::{ACCOUNT}:policy/{generated_name(name, kind)}"
        if kind == "AWS::Cognito::UserPool":
            return f"{REGION}_AbCdEfGh1"
        if kind in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            return "a1b2c3d4e5"
        if kind == "AWS::Cognito::UserPoolDomain":
            return str(self.value(res["Properties"]["Domain"]))
        return self.name_of(name)

    def get_att(self, name: str, attribute: str) -> Any:
        res = self.resources[name]
        kind = res["Type"]
        physical = self.name_of(name)
        if attribute == "Arn":
            arns = {
                "AWS::S3::Bucket": f"arn:aws:s3:::{physical}",
                "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}",
                "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}",
                "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{physical}",
                "AWS::Events::Rule": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{physical}",
                "AWS::Events::EventBus": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{physical}",
                "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{physical}",
                "AWS::KinesisFirehose::DeliveryStream": f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{physical}",
                "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical}:*",
                "AWS::Cognito::UserPool": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_AbCdEfGh1",
                "AWS::SNS::Topic": self.ref(name),
                "AWS::Scheduler::Schedule": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/{physical}",
            }
            return arns.get(kind, f"arn:aws:{kind.split('::')[1].lower()}:{REGION}:{ACCOUNT}:{physical}")
        if attribute == "TopicName":
            return generated_name(name, kind)
        if attribute == "Name":
            return physical
        return f"{physical}-{attribute}"

    # -- intrinsics -----------------------------------------------------------------------------
    def condition(self, name: str) -> bool:
        return bool(self.value(self.template["Conditions"][name]))

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(x) for x in node) if v is not None]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                target, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(target, attribute)
            if key == "Fn::Sub":
                text, local = (arg, {}) if isinstance(arg, str) else (arg[0], self.value(arg[1]))
                return self.sub(text, local)
            if key == "Fn::Join":
                return arg[0].join(str(v) for v in self.value(arg[1]))
            if key == "Fn::Select":
                return self.value(arg[1])[int(self.value(arg[0]))]
            if key == "Fn::Split":
                return str(self.value(arg[1])).split(arg[0])
            if key == "Fn::If":
                return self.value(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                return str(self.value(arg[0])) == str(self.value(arg[1]))
            if key == "Fn::Not":
                return not self.value(arg[0])
            if key == "Fn::And":
                return all(self.value(a) for a in arg)
            if key == "Fn::Or":
                return any(self.value(a) for a in arg)
            if key == "Condition":
                return self.condition(arg)
        return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not None}

    def sub(self, text: str, local: dict[str, Any] | None = None) -> str:
        local = local or {}

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(local[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                target, attribute = name.split(".", 1)
                return str(self.get_att(target, attribute))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", one, text)
