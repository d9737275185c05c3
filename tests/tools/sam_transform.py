"""Prints the CloudFormation that SAM makes of template.yaml, as JSON: the roles it
generates, with the managed policies it attaches. Run with .venv-sam's Python (it has
samtranslator); needs no AWS account: managed policies are named by ARN, not looked up."""

import json
import sys

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform


class _NoLookup:
    def load(self) -> dict[str, str]:
        return {}


def _as_packaged(node: object) -> None:
    """Local code paths become S3 URIs, as `sam package` makes them."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("CodeUri", "ContentUri", "DefinitionUri") and isinstance(value, str):
                node[key] = "s3://bucket/" + value
            else:
                _as_packaged(value)
    elif isinstance(node, list):
        for item in node:
            _as_packaged(item)


with open(sys.argv[1], encoding="utf-8") as template:
    parsed = yaml_parse(template.read())
_as_packaged(parsed)
print(json.dumps(transform(parsed, {"AWS::Region": "us-east-1", "AWS::Partition": "aws"}, _NoLookup())))
