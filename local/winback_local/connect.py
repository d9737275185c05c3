"""`winback connect shopify|woocommerce|stripe --stack NAME [--secret S | --generate]`.

Prints what the merchant does in the platform's admin: the endpoint URL, the topics to
subscribe, where the secret comes from; with `--secret` (the platform's) or `--generate`
(WooCommerce lets you choose one) it stores the secret in the stack's ConnectorSecret,
keeping the previous one accepted as well until the next change (a rotation without a
gap).
"""

from __future__ import annotations

import json
import secrets as random
import sys
from typing import Any

from winback.connectors import shopify, stripe, woocommerce

STEPS = {
    "shopify": (
        "Shopify admin > Settings > Notifications > Webhooks (or your app's webhook subscriptions):",
        "create one webhook per topic, format JSON, URL {url}, API version 2024-07 or later:",
        shopify.TOPICS,
        "Copy the signing secret shown under the webhooks list (an app's: its client secret), then run:\n"
        "  winback connect shopify --stack {stack} --secret '<that secret>'\n"
        "Or skip the URL: deliver to Amazon EventBridge (docs/connectors.md), no endpoint and no secret.",
    ),
    "woocommerce": (
        "WooCommerce > Settings > Advanced > Webhooks > Add webhook, status Active, API version WP REST API v3:",
        "delivery URL {url}, one webhook per topic:",
        woocommerce.TOPICS,
        "Secret: paste the one this command prints with --generate. Woo never retries a failed\n"
        "delivery: schedule the catch-up in docs/connectors.md.",
    ),
    "stripe": (
        "Stripe Dashboard > Developers > Webhooks > Add endpoint:",
        "endpoint URL {url}, events:",
        stripe.TYPES,
        "Reveal the endpoint's signing secret (whsec_...), then run:\n"
        "  winback connect stripe --stack {stack} --secret 'whsec_...'\n"
        "Put your order id in the Checkout Session's client_reference_id, and enable\n"
        "after_expiration.recovery so an expired session has a restore link.",
    ),
}


def instructions(platform: str, endpoint: str, stack: str) -> str:
    head, where, topics, secret = STEPS[platform]
    url = f"{endpoint.rstrip('/')}/{platform}"
    lines = [head, "  " + where.format(url=url), *(f"    {topic}" for topic in topics), secret.format(stack=stack)]
    return "\n".join(lines)


def with_secret(current: dict[str, Any], platform: str, secret: str) -> dict[str, list[str]]:
    """The secrets after adding `secret` for `platform`: it and the one before it (two accepted)."""
    found = {k: [s for s in v if s] for k, v in current.items() if isinstance(v, list)}
    previous = [s for s in found.get(platform, []) if s != secret][:1]
    return {**found, platform: [secret, *previous]}


def main(platform: str, stack: str, region: str | None, secret: str | None, generate: bool) -> int:
    import boto3

    session = boto3.session.Session(region_name=region)
    described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    print(instructions(platform, outputs["WebhooksUrl"], stack))
    if generate:
        secret = random.token_urlsafe(32)
        print(f"\nThe secret to paste in WooCommerce's webhook form:\n  {secret}")
    if secret:
        manager = session.client("secretsmanager")
        arn = outputs["ConnectorSecretArn"]
        current = json.loads(manager.get_secret_value(SecretId=arn)["SecretString"] or "{}")
        manager.put_secret_value(SecretId=arn, SecretString=json.dumps(with_secret(current, platform, secret)))
        print(f"\nStored: {platform} deliveries signed with it are accepted within 5 minutes.", file=sys.stderr)
    return 0
