"""The README and docs/ speak of what exists: every stack name they give is in
template.yaml, every link stays in the repository and reaches a file."""

from __future__ import annotations

import json
import re
import subprocess

from winback_local.template import TEMPLATE, read

ROOT = TEMPLATE.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A backticked CamelCase word with one of these endings names a template resource,
# output or parameter (or a state of a state machine).
STACK_WORD = re.compile(
    r"`([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*(?:Alarm|Function|Table|TableName|StateMachine|Arn|Url|Queue|Topic|Policy"
    r"|Layer|Name|Email|Identity|Set|Source|Days|Tracing|Role|Architecture|Api|Bus|Rule|Group))`"
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def stack_names() -> set[str]:
    stack = read()
    names = set(stack.resources) | set(stack.parameters) | set(stack.outputs)
    for machine in stack.state_machines.values():
        names |= set(json.loads(machine.definition.read_text())["States"])
    return names


def unknown_names(text: str, known: set[str]) -> list[str]:
    return sorted({name for name in STACK_WORD.findall(text) if name not in known})


def test_every_stack_name_the_docs_give_exists_in_the_template() -> None:
    known = stack_names()
    for page in PAGES:
        assert unknown_names(page.read_text(), known) == [], page.name


def test_a_name_the_template_does_not_have_is_found() -> None:
    assert unknown_names("the `RecoveryFailuresAlarm` fires; see `EventBusName`", stack_names()) == [
        "RecoveryFailuresAlarm"
    ]


def test_every_link_stays_in_the_repository_and_reaches_a_file() -> None:
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(ROOT), f"{page.name} links outside the repository: {target}"
            assert path.exists(), f"{page.name} links to a missing file: {target}"


def test_nothing_in_the_repository_points_at_the_brief_outside_it() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    pointing = [
        name
        for name in files
        if not name.startswith((".ci/", "tests/test_docs.py"))
        and (ROOT / name).is_file()
        and re.search(r"\.\./shared|shared/(brief|seeds)", (ROOT / name).read_text(errors="ignore"))
    ]
    assert pointing == []


def test_the_readmes_examples_of_money_and_dates_are_what_the_code_renders() -> None:
    from winback_local.readme import README, block, current

    assert current(README.read_text(encoding="utf-8")) == block(), "run: .venv/bin/python -m winback_local.readme"


def test_the_readmes_performance_section_is_what_the_benchmarks_saved() -> None:
    """`make bench` saves its figures in bench/results/ and bench/readme.py writes them
    into the README: a hand edit of the section, or a figure not carried over, fails."""
    import sys

    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "readme.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
