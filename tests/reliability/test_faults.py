"""Injected faults and event storms: every flow reaches the end it reaches without
faults, no email goes twice, none goes after the payment, no event is lost."""

from __future__ import annotations

from collections import Counter

from conftest import T0, Harness, at, order_created
from winback.model.campaigns import default_campaigns
from winback_local.faults import Faults
from winback_local.reliability import healthy, run
from winback_local.runtime import LocalRuntime

UNPAID = [c for c in default_campaigns() if c.flow == "unpaid_order"]


def _one_order_under(runtime: LocalRuntime, faults: Faults) -> tuple[Harness, Faults]:
    """One unpaid order through its whole flow with `faults` injected."""
    stack = Harness(runtime)
    faults.install()
    try:
        stack.send("Order Created", order_created())
        stack.run_until(at(days=2))
    finally:
        faults.uninstall()
    return stack, faults


def test_a_lost_ses_response_never_sends_the_email_twice() -> None:
    # SES accepted the message but the answer never came back (a read timeout): the
    # retry must not send it again. It did before the claim was kept on such errors.
    with LocalRuntime(T0, UNPAID) as runtime:
        stack, faults = _one_order_under(runtime, Faults(ses_rate=0, dynamodb_write_rate=0, lost_response_rate=1.0))
        assert faults.injected["response_lost"] == 1
        assert len(runtime.outbox) == 1
        assert runtime.failures == []
        assert stack.entries("flow.ended", order_id="o-1")[0]["outcome"] == "expired"


def test_a_crash_after_ses_accepted_is_retried_without_a_second_email() -> None:
    # The function dies (timeout, out of memory) after SES accepted the message and
    # before the ledger says so: Step Functions sees Lambda.Unknown and retries; the
    # claim makes the retry send nothing. Before Lambda.Unknown was retried, the flow failed.
    with LocalRuntime(T0, UNPAID) as runtime:
        stack, faults = _one_order_under(runtime, Faults(ses_rate=0, dynamodb_write_rate=0, crash_after_send_rate=1.0))
        assert faults.injected["crash_after_send"] == 1
        assert len(runtime.outbox) == 1
        assert runtime.failures == []
        assert stack.entries("list.removed", contact_id="c-42")  # the flow went on to its end


def test_an_event_storm_loses_nothing_and_sends_nothing_twice_or_after_payment() -> None:
    outcome = run("storm", 2_000, seed=1, faults=None, campaigns=UNPAID)
    assert outcome.events_in == 2_000
    assert outcome.processed + outcome.rejected == outcome.events_in and outcome.lost == 0
    assert outcome.emails > 300  # the storm has unpaid orders that are reminded
    assert healthy(outcome), outcome


def test_under_faults_every_flow_ends_as_without_them_and_each_email_goes_once() -> None:
    calm = run("calm", 600, seed=3, faults=None, campaigns=default_campaigns(), carts=True, keep=True)
    stormy_faults = Faults(
        seed=3, ses_rate=0.3, dynamodb_write_rate=0.2, crash_after_send_rate=0.05, lost_response_rate=0.05
    )
    stormy = run("faults", 600, seed=3, faults=stormy_faults, campaigns=default_campaigns(), carts=True, keep=True)
    assert min(stormy_faults.injected[k] for k in ("ses_throttled", "ses_unavailable", "dynamodb_throttled")) > 10
    assert stormy_faults.injected["crash_after_send"] > 0 and stormy_faults.injected["response_lost"] > 0
    assert stormy.retries > 0
    assert healthy(stormy), stormy
    # The same emails (by send id), and every flow ended the same way.
    assert Counter(stormy.detail["sends"]) == Counter(calm.detail["sends"])
    assert stormy.detail["outcomes"] == calm.detail["outcomes"]
    templates = {send.split("#")[0] for send in calm.detail["sends"]}
    assert templates == {"unpaid_order", "abandoned_cart", "post_purchase"}
