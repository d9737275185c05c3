"""Deployable as it stands: lint, validate, least privilege, and a build that imports."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import platform
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from stack_checks import asl_problems, iam_problems

from winback.emails.i18n import SUPPORTED
from winback_local import artifact
from winback_local.template import TEMPLATE, Tag, read

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
    del definition["States"]["EndCouponEligibility"]
    problems = asl_problems(json.dumps(definition), substitutions, STACK)
    assert "WaitEligibilityWindow: Next 'EndCouponEligibility' is not a state" in problems


def test_an_unknown_function_reference_is_found() -> None:
    definition, substitutions = _unpaid()
    substitutions["OfferCouponFunctionArn"] = Tag("GetAtt", "SendCouponSmsFunction.Arn")
    problems = asl_problems(json.dumps(definition), substitutions, STACK)
    assert any("'SendCouponSmsFunction', which template.yaml does not define" in p for p in problems)


def test_an_error_name_nobody_raises_is_found() -> None:
    definition, substitutions = _unpaid()
    definition["States"]["RemindIfStillUnpaid"]["Retry"][0]["ErrorEquals"].append("TransientErorr")
    problems = asl_problems(json.dumps(definition), substitutions, STACK)
    assert any("'TransientErorr' is neither a Step Functions error nor raised by the code" in p for p in problems)


# -- least privilege, on the roles SAM generates ------------------------------------------
def _deployed(template: Path = TEMPLATE) -> dict:
    """The CloudFormation SAM makes of the template: the roles as they will exist."""
    done = subprocess.run(
        [str(SAM_BIN / "python"), str(ROOT / "tests" / "tools" / "sam_transform.py"), str(template)],
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def deployed() -> dict:
    _tool("sam")
    return _deployed()


def test_no_role_gets_a_wildcard_it_does_not_need_managed_policies_included(deployed: dict) -> None:
    assert iam_problems(deployed) == []
    roles = [r for r in deployed["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) >= len(STACK.functions) + len(STACK.state_machines)


def test_state_machines_may_write_traces_when_tracing_is_on(deployed: dict) -> None:
    for machine in STACK.state_machines:
        arns = deployed["Resources"][f"{machine}Role"]["Properties"]["ManagedPolicyArns"]
        assert {"Fn::If": ["Tracing", {"Ref": "StateMachineTracingPolicy"}, {"Ref": "AWS::NoValue"}]} in arns
    tracing = deployed["Resources"]["StateMachineTracingPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert "xray:PutTraceSegments" in tracing[0]["Action"]


def test_a_managed_policy_for_every_queue_is_found(deployed: dict, tmp_path: Path) -> None:
    """SAM's SQS event attaches AWSLambdaSQSQueueExecutionRole: SQS rights on every queue."""
    own_queue = "      Policies:\n        - Statement:\n            - Effect: Allow  # reading its own queue only"
    sqs_event = "      Events:\n        Queue:\n          Type: SQS\n"
    sqs_event += "          Properties: {Queue: !GetAtt OrderEventsQueue.Arn}\n"
    text = TEMPLATE.read_text().replace(own_queue, sqs_event + own_queue)  # the SQS event SAM offers, put back
    copy_of = tmp_path / "template.yaml"
    copy_of.write_text(text)
    assert iam_problems(_deployed(copy_of)) == [
        "OrderEventsFunctionRole: sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes, logs:CreateLogGroup, "
        "logs:CreateLogStream, logs:PutLogEvents on Resource '*' "
        "(arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole)"
    ]


def test_a_wildcard_resource_or_action_is_found(deployed: dict) -> None:
    broken = copy.deepcopy(deployed)
    statements = broken["Resources"]["EndCouponEligibilityFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    [delete] = [s for s in statements["Statement"] if s["Action"] == "dynamodb:DeleteItem"]
    delete["Resource"] = "*"
    statements["Statement"][0]["Action"] = "dynamodb:*"
    source = "EndCouponEligibilityFunctionRolePolicy0"
    assert iam_problems(broken) == [
        f"EndCouponEligibilityFunctionRole: action dynamodb:* ({source}) is broader than what it uses",
        f"EndCouponEligibilityFunctionRole: dynamodb:DeleteItem on Resource '*' ({source})",
    ]


def test_the_shops_event_producer_may_put_events_on_this_bus_with_its_source_only(deployed: dict) -> None:
    policy = deployed["Resources"]["ShopEventProducerPolicy"]["Properties"]["PolicyDocument"]
    [statement] = policy["Statement"]
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == {"Fn::GetAtt": ["OrderEventBus", "Arn"]}
    assert statement["Condition"] == {"StringEquals": {"events:source": {"Ref": "EventSource"}}}
    assert "ShopEventProducerPolicyArn" in deployed["Outputs"]


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
@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> artifact.Build:
    """`sam build` with the template exactly as shipped (arm64), no Docker."""
    _tool("sam")
    return artifact.build(tmp_path_factory.mktemp("sam-build-default"))


@pytest.fixture(scope="module")
def importable(tmp_path_factory: pytest.TempPathFactory) -> artifact.Build:
    """The same for this machine's architecture, so that its native code imports here."""
    _tool("sam")
    local_arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    return artifact.build(tmp_path_factory.mktemp("sam-build-local"), local_arch)


def test_the_default_build_holds_only_what_lambda_runs_under_15_mb_per_function(shipped: artifact.Build) -> None:
    assert shipped.architecture == "arm64"
    assert artifact.problems(shipped) == []
    locale_data = shipped.layers[0] / "babel" / "locale-data"
    assert sorted(p.stem for p in locale_data.glob("*.dat")) == sorted(["root", *SUPPORTED])
    assert not (shipped.layers[0] / "botocore").exists()


READ_ONLY = "Lambda's file system is read-only, so every cold start would compile them"
ZIP_EPOCH = 315532800  # 1980-01-01, the date SAM's zip gives every file (zipfile.ZipInfo's default)


def test_the_artifact_check_finds_what_does_not_belong(shipped: artifact.Build, tmp_path: Path) -> None:
    broken = artifact.Build(tmp_path / "copy", shipped.architecture, shipped.stack)
    shutil.copytree(shipped.out, broken.out, symlinks=True)
    (broken.layers[0] / "botocore").mkdir()
    shutil.copytree(ROOT / "local" / "winback_local", broken.function_dir("OrderEventsFunction") / "winback_local")
    x86 = next(broken.layers[0].rglob("*.so"))
    x86.write_bytes(x86.read_bytes()[:18] + (0x3E).to_bytes(2, "little") + x86.read_bytes()[20:])
    (broken.layers[0] / "late.py").write_text("ADDED = 'after the build compiled the layer'\n")
    handlers = broken.function_dir("WebhooksFunction") / "winback" / "handlers"
    shutil.rmtree(handlers / "__pycache__")
    stamped = broken.function_dir("ErasureFunction") / "winback" / "handlers" / "erasure.py"
    py_compile.compile(str(stamped), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    found = artifact.problems(broken)
    layer = broken.layers[0].parent.name
    assert f"{layer}: no bytecode for 1 modules (first late.py); {READ_ONLY}" in found
    compiled_away = len(list(handlers.glob("*.py")))
    first = sorted(handlers.glob("*.py"))[0].relative_to(broken.function_dir("WebhooksFunction"))
    assert f"WebhooksFunction: no bytecode for {compiled_away} modules (first {first}); {READ_ONLY}" in found
    assert (
        "ErasureFunction: 1 modules have bytecode checked by time stamp (first winback/handlers/erasure.py); "
        "SAM's zip dates every file 1980-01-01, so every cold start would compile them"
    ) in found
    assert "the dependency layer ships botocore" in found
    assert "OrderEventsFunction: the function holds ['winback_local'] besides the winback package" in found
    assert f"{x86.relative_to(broken.layers[0])} is not built for arm64" in found


def _finish() -> Any:
    """infra/dependencies/finish.py, which sam build runs on the installed packages."""
    spec = importlib.util.spec_from_file_location("finish", ROOT / "infra" / "dependencies" / "finish.py")
    assert spec and spec.loader
    finish = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(finish)
    return finish


def test_the_layer_keeps_the_locales_the_emails_speak() -> None:
    assert tuple(_finish().LOCALES) == SUPPORTED


def test_the_layer_holds_bytecode_that_names_each_file_where_lambda_has_it(tmp_path: Path) -> None:
    site = tmp_path / "python"
    (site / "shop").mkdir(parents=True)
    (site / "shop" / "__init__.py").write_text("")
    (site / "shop" / "pricing.py").write_text("def price(cents):\n    raise ValueError('no price')\n")
    (site / "shop" / "pricing.pyi").write_text("def price(cents: int) -> int: ...\n")
    finish = _finish()
    finish.prune(site)
    finish.compile_in_place(site)
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        "shop/__init__.pyc",
        "shop/pricing.pyc",
    ]
    probe = f"import sys\nsys.path.insert(0, {str(site)!r})\nimport shop.pricing\nshop.pricing.price(1)\n"
    done = subprocess.run([sys.executable, "-I", "-B", "-c", probe], capture_output=True, text=True)
    assert 'File "/opt/python/shop/pricing.py", line 2, in price' in done.stderr, done.stderr
    assert "ValueError: no price" in done.stderr


def test_the_layer_is_not_compiled_by_another_python_than_the_runtimes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    finish = _finish()
    monkeypatch.setattr(finish, "RUNTIME", (3, 99))
    with pytest.raises(SystemExit, match=r"must come from Python 3\.99, the Lambda runtime's"):
        finish.compile_in_place(tmp_path)


@pytest.mark.parametrize("function", sorted(STACK.functions))
def test_each_built_function_imports_its_handler_beside_the_runtime_alone_compiling_nothing(
    importable: artifact.Build, function: str, tmp_path: Path
) -> None:
    handler = STACK.functions[function].handler
    module, _, attr = handler.rpartition(".")
    runtime = artifact.runtime_stand_in(tmp_path)
    for source in importable.function_dir(function).rglob("*.py"):
        os.utime(source, (ZIP_EPOCH, ZIP_EPOCH))  # as Lambda sees it: SAM's zip dates every file so
    paths = [str(importable.function_dir(function)), str(importable.layers[0]), str(runtime)]
    probe = (
        f"import importlib, importlib.machinery, sys\nsys.path[:0] = {paths!r}\n"
        # Lambda's /var/task and /opt are read-only: what a cold start compiles, it compiles every time.
        "compiled = []\n"
        "to_code = importlib.machinery.SourceFileLoader.source_to_code\n"
        "def compiling(self, data, path, *args, **kwargs):\n"
        "    compiled.append(path)\n"
        "    return to_code(self, data, path, *args, **kwargs)\n"
        "importlib.machinery.SourceFileLoader.source_to_code = compiling\n"
        f"assert callable(getattr(importlib.import_module({module!r}), {attr!r}))\n"
        "from winback.emails.render import render\n"
        "email = render('second_purchase', {'first_name': 'Оксана', 'coupon': None, 'shop_url': 'https://s.example',"
        " 'hero_image': None}, locale='uk')\n"
        "assert email.text.startswith('Вітаємо!'), email.text\n"
        "assert 'style=' in email.html\n"
        f"layer = {str(importable.layers[0])!r}\n"
        "for name in ('pydantic', 'jinja2', 'babel', 'pynamodb', 'aws_lambda_powertools'):\n"
        "    found = importlib.import_module(name)  # what a handler loads lazily comes from the layer too\n"
        "    assert found.__file__.startswith(layer), (name, found.__file__)\n"
        f"assert sys.modules['botocore'].__file__.startswith({str(runtime)!r})\n"
        f"assert not [p for p in compiled if p.startswith(({paths[0]!r}, layer))], compiled\n"
        "import pydantic.main  # a traceback through a library names the file where Lambda has it\n"
        "assert pydantic.main.BaseModel.__init__.__code__.co_filename == '/opt/python/pydantic/main.py'\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        env={"WINBACK_TEMPLATES": str(importable.layers[1]), "PATH": ENV["PATH"], "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
