"""Deployable as it stands: lint, validate, least privilege, and a build that imports."""

from __future__ import annotations

import copy
import glob
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

import pytest
from stack_checks import asl_problems, iam_problems

from winback.local.template import TEMPLATE, Tag, read

ROOT = TEMPLATE.parent
SAM_BIN = ROOT / ".venv-sam" / "bin"
STACK = read()
# Warnings cfn-lint raises on resources SAM generates, not on ours; each with its reason.
EXPLAINED_WARNINGS = {
    ("W3005", "CouponApiUsagePlanKey"): "SAM's generated usage-plan key repeats a DependsOn that its Ref implies",
    ("W3005", "CouponApiUsagePlan"): "SAM's generated usage plan repeats a DependsOn that its Ref implies",
}
ENV = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"}


def _tool(name: str) -> str:
    path = SAM_BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed in .venv-sam: run `make test`, which installs it")
    return str(path)


# -- the state machines -------------------------------------------------------------------
@pytest.mark.parametrize("machine", sorted(STACK.state_machines))
def test_every_state_machine_is_sound(machine: str) -> None:
    spec = STACK.state_machines[machine]
    assert asl_problems(spec.definition.read_text(), spec.substitutions, STACK) == []


def _unpaid() -> tuple[dict, dict]:
    spec = STACK.state_machines["UnpaidOrderRecoveryStateMachine"]
    return json.loads(spec.definition.read_text()), dict(spec.substitutions)


def test_a_missing_state_is_found() -> None:
    definition, substitutions = _unpaid()
    del definition["States"]["WaitEligibilityWindow"]
    problems = asl_problems(json.dumps(definition), substitutions, STACK)
    assert "SendCouponEmail: Next 'WaitEligibilityWindow' is not a state" in problems


def test_an_unknown_function_reference_is_found() -> None:
    definition, substitutions = _unpaid()
    substitutions["SendCouponEmailFunctionArn"] = Tag("GetAtt", "SendCouponSmsFunction.Arn")
    problems = asl_problems(json.dumps(definition), substitutions, STACK)
    assert any("'SendCouponSmsFunction', which template.yaml does not define" in p for p in problems)


def test_an_error_name_nobody_raises_is_found() -> None:
    definition, substitutions = _unpaid()
    definition["States"]["SendCouponEmail"]["Retry"][0]["ErrorEquals"].append("TransientErorr")
    problems = asl_problems(json.dumps(definition), substitutions, STACK)
    assert any("'TransientErorr' is neither a Step Functions error nor raised by the code" in p for p in problems)


# -- least privilege -------------------------------------------------------------------------
def test_no_function_or_state_machine_gets_a_wildcard_it_does_not_need() -> None:
    assert iam_problems(STACK) == []


def test_a_wildcard_resource_is_found() -> None:
    broken = copy.deepcopy(STACK)
    statements = broken.resources["OfferCouponFunction"]["Properties"]["Policies"][0]["Statement"]
    statements[1]["Resource"] = "*"
    assert iam_problems(broken) == ["OfferCouponFunction: dynamodb:PutItem on Resource '*' where a narrower ARN exists"]


def test_a_wildcard_action_is_found() -> None:
    broken = copy.deepcopy(STACK)
    broken.resources["CouponApiFunction"]["Properties"]["Policies"][0]["Statement"][2]["Action"] = "dynamodb:*"
    assert iam_problems(broken) == ["CouponApiFunction: action dynamodb:* is broader than what the function uses"]


# -- the tools an AWS engineer runs --------------------------------------------------------
def test_cfn_lint_finds_no_errors_and_no_unexplained_warnings() -> None:
    done = subprocess.run(
        [_tool("cfn-lint"), "--format", "json", str(TEMPLATE)], capture_output=True, text=True, check=False, env=ENV
    )
    findings = json.loads(done.stdout or "[]")
    unexplained = [
        f"{f['Rule']['Id']} {f['Location']['Path']}: {f['Message']}"
        for f in findings
        if (f["Rule"]["Id"], f["Message"].split("'")[1] if "'" in f["Message"] else "") not in EXPLAINED_WARNINGS
    ]
    assert unexplained == []


def test_sam_validate_lint_passes() -> None:
    done = subprocess.run(
        [_tool("sam"), "validate", "--lint", "--template", str(TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is a valid SAM Template" in done.stdout + done.stderr


# -- the build ---------------------------------------------------------------------------------
def _python312() -> str | None:
    """A Python 3.12 that runs (a pyenv shim may exist without the version behind it)."""
    pyenv = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))
    for candidate in filter(None, [shutil.which("python3.12"), *pyenv]):
        done = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.startswith("Python 3.12"):
            return candidate
    return None


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    python = _python312()
    if python is None:
        pytest.skip("no Python 3.12 here: `sam build` without a container needs the runtime's interpreter")
    out = tmp_path_factory.mktemp("sam-build")
    local_arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    done = subprocess.run(
        [
            _tool("sam"),
            "build",
            "--template",
            str(TEMPLATE),
            "--build-dir",
            str(out),
            "--parameter-overrides",
            f"Architecture={local_arch}",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**ENV, "PATH": f"{Path(python).parent}:{ENV['PATH']}"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out, python


@pytest.mark.parametrize("function", sorted(STACK.functions))
def test_each_built_function_imports_its_handler_and_reaches_the_templates(built, function: str) -> None:
    out, python = built
    handler = STACK.functions[function].handler
    module, _, attr = handler.rpartition(".")
    layer = json.dumps(str(ROOT / STACK.resources["TemplatesLayer"]["Properties"]["ContentUri"]))
    probe = (
        f"import importlib, sys\nsys.path.insert(0, {str(out / function)!r})\n"
        f"assert callable(getattr(importlib.import_module({module!r}), {attr!r}))\n"
        "from winback.campaigns import default_campaigns\n"
        "from winback.local.preview import _unpaid_order_coupon\n"
        "to, email = _unpaid_order_coupon('uk', default_campaigns()[0])\n"
        "assert 'Вітаємо' in email.text, email.text\n"
        "loaded = [getattr(sys.modules[n], '__file__', '') or '' for n in ('pydantic', 'jinja2', 'babel')]\n"
        "assert all('site-packages' not in f for f in loaded), loaded\n"
    )
    done = subprocess.run(
        [python, "-I", "-S", "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        env={"WINBACK_TEMPLATES": json.loads(layer), "PATH": ENV["PATH"], "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
