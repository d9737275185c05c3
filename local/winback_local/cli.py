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


def _use_stack(args: argparse.Namespace) -> None:
    from winback_local.stack import use_stack

    use_stack(args.stack, args.region)


def _history(args: argparse.Namespace) -> int:
    from winback_local.history_import import main as import_main

    _use_stack(args)
    return import_main(args.file, args.rejects)


def _coupons(args: argparse.Namespace) -> int:
    from winback.domain import pools

    try:
        if args.action == "import":
            with open(args.file, encoding="utf-8-sig") as handle:
                codes = pools.check_codes(line.split(",")[0] for line in handle)
        else:
            codes = [pools.generate_code() for _ in range(args.count)]
    except (pools.PoolError, OSError) as problem:
        print(f"winback coupons: {problem}", file=sys.stderr)
        return 2
    _use_stack(args)
    added, there = pools.add_codes(args.campaign, codes)
    print(f"pool {args.campaign}: {added} codes added, {there} already there, {pools.remaining(args.campaign)} free")
    return 0


def _contacts(args: argparse.Namespace) -> int:
    from winback.domain import privacy

    _use_stack(args)
    try:
        found = privacy.export(args.who) if args.action == "export" else privacy.erase(args.who)
    except privacy.UnknownPerson:
        print(f"winback contacts: nobody known as {args.who!r}: nothing to {args.action}", file=sys.stderr)
        return 1
    print(json.dumps(found, indent=2, ensure_ascii=False, default=str))
    return 0


def _campaigns(args: argparse.Namespace) -> int:
    from winback.model.campaigns import CampaignError, load_campaigns

    try:
        campaigns = load_campaigns(args.file)
    except CampaignError as error:
        print(f"winback campaigns: {error}", file=sys.stderr)
        return 2
    if args.identity:
        from email.utils import parseaddr

        from winback.aws.mailer import domain_of

        for campaign in campaigns:
            sender = campaign.sender
            if sender and args.identity not in (domain_of(sender), parseaddr(sender)[1]):
                print(
                    f"winback campaigns: {args.file}: campaign {campaign.id}: sender {parseaddr(sender)[1]} is not "
                    f"at the stack's verified SES identity {args.identity}: SES would refuse it",
                    file=sys.stderr,
                )
                return 2
    from winback_local.preview import problems

    failed = [
        f"winback campaigns: {args.file}: campaign {campaign.id}: {problem}"
        for campaign in campaigns
        for problem in problems(campaign, tuple(campaign.coupon.amount_off or ()))
    ]
    if failed:
        print("\n".join(failed), file=sys.stderr)
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
    campaigns.add_argument("--identity", help="the stack's SesIdentity: refuse senders that SES would refuse")

    catalogue = commands.add_parser("catalogue", help="check or load the product catalogue")
    catalogue.add_argument("action", choices=["validate", "load"])
    catalogue.add_argument("file", help="catalogue YAML (see examples/catalogue.yaml)")
    catalogue.add_argument("--table", help="the stack's ProductsTableName output (load)")
    catalogue.add_argument("--region", help="AWS region of the stack (load)")

    reliability = commands.add_parser("reliability", help="event storms and injected faults: prints one table")
    reliability.add_argument("--storm-events", type=int, default=10_000, help="events in the storm (default 10000)")
    reliability.add_argument("--fault-events", type=int, default=2_000, help="events in each fault run (default 2000)")

    history = commands.add_parser("history", help="import past orders into the purchase history (RFM)")
    history.add_argument("action", choices=["import"])
    history.add_argument("file", help="winback's generic CSV or Shopify's orders export (docs/history.md)")
    history.add_argument("--rejects", help="where bad rows go (default: FILE.rejects.csv)")
    history.add_argument("--stack", required=True, help="the deployed stack's name (its outputs name the tables)")
    history.add_argument("--region", help="AWS region of the stack")

    coupons = commands.add_parser("coupons", help="fill a campaign's pool of unique codes")
    coupons.add_argument("action", choices=["import", "generate"])
    coupons.add_argument("file", nargs="?", help="import: one code a line (a shop's bulk discount export)")
    coupons.add_argument("--count", type=int, default=1000, help="generate: how many codes (default 1000)")
    coupons.add_argument("--campaign", required=True, help="the campaign whose pool it is")
    coupons.add_argument("--stack", required=True, help="the deployed stack's name (its outputs name the tables)")
    coupons.add_argument("--region", help="AWS region of the stack")

    contacts = commands.add_parser("contacts", help="a person's data: export it (access request) or erase it")
    contacts.add_argument("action", choices=["export", "erase"])
    contacts.add_argument("who", help="an email address or a contact id")
    contacts.add_argument("--stack", required=True, help="the deployed stack's name (its outputs name the tables)")
    contacts.add_argument("--region", help="AWS region of the stack")

    connect = commands.add_parser("connect", help="connect a shop's webhooks: the steps, and the secret stored")
    connect.add_argument("platform", choices=["shopify", "woocommerce", "stripe"])
    connect.add_argument("--stack", required=True, help="the deployed stack's name (its outputs give the URL)")
    connect.add_argument("--region", help="AWS region of the stack")
    connect.add_argument("--secret", help="the platform's webhook signing secret, to store")
    connect.add_argument("--generate", action="store_true", help="make a secret and store it (WooCommerce)")

    report = commands.add_parser("report", help="what the emails brought back: HTML with charts, JSON, CSV")
    source = report.add_mutually_exclusive_group(required=True)
    source.add_argument("--from", dest="source", help="a simulation's output folder (winback simulate --out)")
    source.add_argument("--stack", help="the deployed stack's name: its tables")
    report.add_argument("--region", help="AWS region of the stack")
    report.add_argument("--since", help="first day, YYYY-MM-DD (inclusive)")
    report.add_argument("--until", help="last day, YYYY-MM-DD (inclusive)")
    report.add_argument("--out", required=True, help="folder for report.html, report.json and report.csv")

    commands.add_parser("artifact", help="sam build with the template's defaults; print each function's size")
    events = commands.add_parser("events", help="the order-event contract")
    events.add_argument("action", choices=["schema"], help="schema: print it as JSON Schema (docs/events.schema.json)")

    args = parser.parse_args(argv)
    if args.command == "history":
        return _history(args)
    if args.command == "contacts":
        return _contacts(args)
    if args.command == "coupons":
        if args.action == "import" and not args.file:
            parser.error("coupons import needs FILE")
        return _coupons(args)
    if args.command == "report":
        from winback_local.report import main as report_main

        return report_main(args.source, args.stack, args.region, args.since, args.until, args.out)
    if args.command == "connect":
        from winback_local.connect import main as connect_main

        return connect_main(args.platform, args.stack, args.region, args.secret, args.generate)
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
