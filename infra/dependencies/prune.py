"""Takes out of the dependency layer what Lambda never reads.

- Babel ships CLDR data for about 1,000 locales (30 MB); winback's emails speak four.
  `LOCALES` must match `winback.emails.i18n.SUPPORTED`: a test checks that it does.
- Babel's `messages` (gettext catalog tools), pydantic's `v1` compatibility package and
  Powertools' bundled Swagger UI assets: nothing winback runs imports them.
- PyYAML's C accelerator (2.6 MB): winback reads a few small YAML files per container
  and PyYAML falls back to its pure-Python loader when the extension is absent.
Bytecode caches go too: Lambda compiles what it imports.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

LOCALES = ("en", "fr", "it", "uk")
KEEP = {"root.dat", *(f"{locale}.dat" for locale in LOCALES)}
UNUSED = (
    "babel/messages",
    "pydantic/v1",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui.min.css",
)


def prune(site: Path) -> None:
    for data in (site / "babel" / "locale-data").glob("*.dat"):
        if data.name not in KEEP:
            data.unlink()
    for name in UNUSED:
        path = site / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for accelerator in (site / "yaml").glob("_yaml*.so"):
        accelerator.unlink()
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache)


if __name__ == "__main__":
    prune(Path(sys.argv[1]))
