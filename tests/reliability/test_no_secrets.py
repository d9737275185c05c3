"""No secret is in the repository: no AWS key, private key or credential assignment."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS secret access key": re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?(?!testing\b)[A-Za-z0-9/+]{40}"),
    "API key value": re.compile(r"(?i)x-api-key['\"]?\s*[:=]\s*['\"][A-Za-z0-9]{20,}['\"]"),
    "Slack or GitHub token": re.compile(r"\b(xox[abpr]-[0-9A-Za-z-]{10,}|gh[pousr]_[0-9A-Za-z]{30,})\b"),
}


def _findings(text: str) -> list[str]:
    return [name for name, pattern in PATTERNS.items() if pattern.search(text)]


def test_no_secret_is_committed() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert len(files) > 50
    found = []
    for name in files:
        path = ROOT / name
        if path.suffix in {".png", ".eml"} or not path.is_file():
            continue
        hits = _findings(path.read_text(encoding="utf-8", errors="replace"))
        found += [f"{name}: {hit}" for hit in hits]
    assert found == []


def test_the_scan_recognises_each_kind_of_secret() -> None:
    # Built at run time so this file does not hold them.
    samples = [
        "AKIA" + "Q" * 16,
        "-----BEGIN RSA " + "PRIVATE KEY-----",
        "aws_secret_access_key = " + "a1B2" * 10,
        "x-api-key: '" + "k" * 24 + "'",
        "ghp_" + "x" * 36,
    ]
    assert [_findings(sample) for sample in samples] == [[name] for name in PATTERNS]
    assert _findings("AWS_SECRET_ACCESS_KEY=testing") == []  # moto's dummy credentials
