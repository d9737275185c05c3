"""The deployed stack, as the commands that work on it see it: its tables, by its outputs."""

from __future__ import annotations

import os

# The stack output that names each model's table (template.yaml's Outputs).
STACK_OUTPUTS = {
    "OrderRecord": "OrdersTableName",
    "ContactRecord": "ContactsTableName",
    "CampaignRecord": "CampaignsTableName",
    "ListMember": "ListMembersTableName",
    "SendRecord": "SendsTableName",
    "Redemption": "RedemptionsTableName",
    "CartRecord": "CartsTableName",
    "CustomerRecord": "CustomersTableName",
    "ProductRecord": "ProductsTableName",
    "CouponCode": "CouponCodesTableName",
    "RfmRun": "RfmRunsTableName",
}


def use_stack(stack: str, region: str | None) -> None:
    """Point every store model at the deployed stack's tables, read from its outputs."""
    import boto3

    from winback.aws import store

    if region:
        os.environ["AWS_DEFAULT_REGION"] = region
    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    for model, output in STACK_OUTPUTS.items():
        if output in outputs:
            env, _ = store.TABLE_ENV[model]
            os.environ[env] = outputs[output]
            getattr(store, model).Meta.table_name = outputs[output]
