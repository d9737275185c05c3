"""Creates in moto what template.yaml declares, as CloudFormation would: tables (from
the pynamodb models; a test checks they match the template), queues with their redrive
policy, the bus, the stack's secret and SES configuration set, the state machines with
their DefinitionSubstitutions. `physical` receives each resource's local name or ARN."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from winback.aws import mailer
from winback.aws.store import ALL_MODELS, TABLE_ENV
from winback.model.campaigns import Campaign
from winback_local.template import Stack, Tag

ACCOUNT = "123456789012"
UNSUBSCRIBE_URL = "https://unsubscribe.winback.test/"  # the function URL AWS would give
WEBHOOKS_URL = "https://webhooks.winback.test/"
# The webhook secrets of the local runtime: examples/webhooks/ is signed with them. A
# scenario replaying a real shop's deliveries gives that shop's (docs/connectors.md).
LOCAL_CONNECTOR_SECRETS = {
    "shopify": ["winback-local-shopify-secret"],
    "woocommerce": ["winback-local-woocommerce-secret"],
    "stripe": ["whsec_winback_local"],
}


def tables(stack: Stack, physical: dict[str, str]) -> None:
    names_by_env = {env: default for env, default in TABLE_ENV.values()}
    for env_name, value in stack.globals_env.items():
        if isinstance(value, Tag) and env_name in names_by_env:
            physical[value.value] = names_by_env[env_name]
    for model in ALL_MODELS:
        model.Meta.table_name = TABLE_ENV[model.__name__][1]
        model._connection = None  # a connection made under an earlier mock
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=False)


def queues(sqs: Any, stack: Stack, physical: dict[str, str]) -> None:
    found = stack.of_type("AWS::SQS::Queue")
    ordered = sorted(found, key=lambda q: "RedrivePolicy" in found[q].get("Properties", {}))
    for logical_id in ordered:
        properties = found[logical_id].get("Properties", {})
        attributes = {}
        redrive = properties.get("RedrivePolicy")
        if redrive:
            dlq = redrive["deadLetterTargetArn"].value.split(".")[0]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": physical[f"{dlq}.Arn"], "maxReceiveCount": redrive["maxReceiveCount"]}
            )
        url = sqs.create_queue(QueueName=f"winback-{logical_id}", Attributes=attributes)["QueueUrl"]
        physical[logical_id] = url
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        physical[f"{logical_id}.Arn"] = arn


def bus(events: Any, physical: dict[str, str]) -> None:
    created = events.create_event_bus(Name="winback-bus")
    physical["OrderEventBus"] = "winback-bus"
    physical["OrderEventBus.Arn"] = created["EventBusArn"]


def sending(secrets: Any, ses: Any, physical: dict[str, str]) -> None:
    """The stack's secret, SES configuration set and unsubscribe endpoint, as deployed."""
    secret = secrets.create_secret(Name="winback-secret", SecretString=uuid.uuid4().hex * 2)
    physical["WinbackSecret"] = secret["ARN"]
    ses.create_configuration_set(ConfigurationSetName="winback-sending")
    physical["SendingConfigurationSet"] = "winback-sending"
    physical["UnsubscribeFunctionUrl.FunctionUrl"] = UNSUBSCRIBE_URL
    connectors = secrets.create_secret(Name="winback-connectors", SecretString=json.dumps(LOCAL_CONNECTOR_SECRETS))
    physical["ConnectorSecret"] = connectors["ARN"]
    physical["WebhooksFunctionUrl.FunctionUrl"] = WEBHOOKS_URL


def senders(ses: Any, campaigns: list[Campaign], sender_domains: tuple[str, ...]) -> None:
    """The SES identities the senders belong to, verified (on AWS: the merchant's domain)."""
    addresses = [mailer.default_sender(), *(c.sender for c in campaigns if c.sender)]
    for domain in sorted({*map(mailer.domain_of, addresses), *sender_domains}):
        ses.create_email_identity(EmailIdentity=domain)


def state_machines(sfn: Any, stack: Stack, physical: dict[str, str], resolve: Callable[[Any], str]) -> None:
    for logical_id, machine in stack.state_machines.items():
        definition = machine.definition.read_text(encoding="utf-8")
        for name, value in machine.substitutions.items():
            definition = definition.replace("${" + name + "}", resolve(value))
        left = re.findall(r"\$\{[A-Za-z0-9_]+\}", definition)
        if left:
            raise ValueError(f"{machine.definition.name}: no substitution for {', '.join(sorted(set(left)))}")
        arn = sfn.create_state_machine(
            name=logical_id,
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/{logical_id}Role",
            type="STANDARD",
        )["stateMachineArn"]
        physical[logical_id] = arn
