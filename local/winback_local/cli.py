"""The `winback` command: simulate a scenario locally, manage campaigns."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys


def _use_table(model: str, args: argparse.Namespace) -> None:
    """Point a store model at the deployed stack's table (a stack output) and region."""
    from winback.aws import store

    env, _ = store.TABLE_ENV[model]
    os.environ[env] = args.table
    if args.region:
        os.environ["AWS_DEFAULT_REGION"] = args.region
    getattr(store, model).Meta.table_name = args.table


def _campaigns(args: argparse.Namespace) -> int:
    from winback.model.campaigns import CampaignError, load_campaigns

    try:
        campaigns = load_campaigns(args.file)
    except CampaignError as error:
        print(f"winback campaigns: {error}", file=sys.stderr)
        return 2
    if args.action == "validate":
        for campaign in campaigns:
            disabled = "" if campaign.enabled else " [disabled]"
            print(f"ok  {campaign.id} ({campaign.flow}): {campaign.describe()}{disabled}")
        return 0
    # apply: write to the deployed stack's campaigns table (stack output CampaignsTableName)
    from winback.aws import campaign_store

    _use_table("CampaignRecord", args)
    result = campaign_store.apply(campaigns)
    print(json.dumps(result, indent=2))
    return 0


def _catalogue(args: argparse.Namespace) -> int:
    from winback.domain.catalogue import CatalogueError, load_catalogue

    try:
        found = load_catalogue(args.file)
    except CatalogueError as error:
        print(f"winback catalogue: {error}", file=sys.stderr)
        return 2
    if args.action == "validate":
        print(f"ok  {len(found.products)} products, {len(found.best_sellers)} best sellers")
        return 0
    from winback.domain import catalogue

    _use_table("ProductRecord", args)
    print(json.dumps({"loaded": catalogue.apply(found)}))
    return 0


def _preview(args: argparse.Namespace) -> int:
    from pathlib import Path

    from winback.model.campaigns import CampaignError, default_campaigns, load_campaigns
    from winback_local.preview import PreviewError, preview

    try:
        campaigns = load_campaigns(args.campaigns) if args.campaigns else default_campaigns()
        chosen = next((c for c in campaigns if c.id == args.campaign), None) if args.campaign else campaigns[0]
        if chosen is None:
            raise PreviewError(f"no campaign {args.campaign!r}; the file has: {', '.join(c.id for c in campaigns)}")
        html, eml = preview(args.template, args.locale, chosen, Path(args.out))
    except (CampaignError, PreviewError) as error:
        print(f"winback preview: {error}", file=sys.stderr)
        return 2
    print(f"html  {html}\neml   {eml}")
    return 0


def main(argv: list[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):  # `winback simulate ... | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    parser = argparse.ArgumentParser(prog="winback", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="replay a scenario on the local runtime (no AWS, no Docker)")
    simulate.add_argument("scenario", help="scenario JSON (docs/scenarios.md)")
    simulate.add_argument("--out", required=True, help="folder for timeline.jsonl, outbox/ and report.json")
    simulate.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)

    preview = commands.add_parser("preview", help="render an email with sample data to HTML and .eml")
    preview.add_argument("template", help="e.g. unpaid_order_coupon")
    preview.add_argument("--locale", default="en", help="en, fr, it or uk")
    preview.add_argument("--campaigns", help="campaigns YAML (default: the documented defaults)")
    preview.add_argument("--campaign", help="campaign id in that file (default: the first)")
    preview.add_argument("--out", required=True, help="folder for TEMPLATE.LOCALE.html and .eml")

    campaigns = commands.add_parser("campaigns", help="check or apply a campaigns file")
    campaigns.add_argument("action", choices=["validate", "apply"])
    campaigns.add_argument("file", help="campaigns YAML (see examples/campaigns.yaml)")
    campaigns.add_argument("--table", help="the stack's CampaignsTableName output (apply)")
    campaigns.add_argument("--region", help="AWS region of the stack (apply)")

    catalogue = commands.add_parser("catalogue", help="check or load the product catalogue")
    catalogue.add_argument("action", choices=["validate", "load"])
    catalogue.add_argument("file", help="catalogue YAML (see examples/catalogue.yaml)")
    catalogue.add_argument("--table", help="the stack's ProductsTableName output (load)")
    catalogue.add_argument("--region", help="AWS region of the stack (load)")

    reliability = commands.add_parser("reliability", help="event storms and injected faults: prints one table")
    reliability.add_argument("--storm-events", type=int, default=10_000, help="events in the storm (default 10000)")
    reliability.add_argument("--fault-events", type=int, default=2_000, help="events in each fault run (default 2000)")

    commands.add_parser("artifact", help="sam build with the template's defaults; print each function's size")
    events = commands.add_parser("events", help="the order-event contract")
    events.add_argument("action", choices=["schema"], help="schema: print it as JSON Schema (docs/events.schema.json)")

    args = parser.parse_args(argv)
    if args.command == "events":
        from winback.model.events import json_schema

        print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
        return 0
    if args.command == "artifact":
        from winback_local.artifact import main as artifact_main

        return artifact_main()
    if args.command == "simulate":
        from winback_local.simulate import main as simulate_main

        return simulate_main(args.scenario, args.out, args.progress)
    if args.command == "preview":
        return _preview(args)
    if args.command == "reliability":
        from winback_local.reliability import main as reliability_main

        return reliability_main(args.storm_events, args.fault_events)
    if args.command == "catalogue":
        if args.action == "load" and not args.table:
            parser.error("catalogue load needs --table (the stack's ProductsTableName output)")
        return _catalogue(args)
    if args.action == "apply" and not args.table:
        parser.error("campaigns apply needs --table (the stack's CampaignsTableName output)")
    return _campaigns(args)


if __name__ == "__main__":
    sys.exit(main())
