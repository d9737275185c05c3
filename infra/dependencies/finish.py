"""Makes the pip-installed packages the layer Lambda reads: what it never reads taken out,
the rest compiled once, here, instead of at every cold start.

Taken out:
- Babel ships CLDR data for about 1,000 locales (30 MB); winback's emails speak four.
  `LOCALES` must match `winback.emails.i18n.SUPPORTED`: a test checks that it does.
- Babel's `messages` (gettext catalog tools), pydantic's `v1` compatibility package and
  Powertools' bundled Swagger UI assets: nothing winback runs imports them.
- PyYAML's C accelerator (2.6 MB): winback reads a few small YAML files per container
  and PyYAML falls back to its pure-Python loader when the extension is absent.
- Type stubs and the C sources of extensions shipped built: nothing runs them.

Compiled: a layer is read-only at /opt, so Python cannot keep the bytecode it compiles
there, and without bytecode in the layer every cold start compiled each module it
imported again (about half of a handler's import time). Each module is compiled by
CPython 3.12, the runtime's, and its bytecode takes the place of its source (a layer
with both would be 6 MB larger, over the 15 MB a function may weigh with its layers).
Bytecode without a source is never checked against one, so the dates SAM's zip gives the
files (all 1980-01-01) do not matter, and the build is the same each time (hash-based
bytecode, no time stamps). It names each file where Lambda finds it (/opt/python/...),
so a traceback through a library still says which file and line; it shows no source
line. winback's own code keeps its source (functions/Makefile).
"""

from __future__ import annotations

import compileall
import py_compile
import shutil
import sys
from pathlib import Path

RUNTIME = (3, 12)  # template.yaml's python3.12: bytecode only loads in the version that made it
INSTALLED_AT = "/opt/python"  # where Lambda mounts a layer's python/ folder
LOCALES = ("en", "fr", "it", "uk")
KEEP = {"root.dat", *(f"{locale}.dat" for locale in LOCALES)}
UNUSED = (
    "babel/messages",
    "pydantic/v1",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui.min.css",
)
NOT_RUN = ("*.pyi", "*.c", "*.h")


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
    for pattern in NOT_RUN:
        for path in list(site.rglob(pattern)):
            path.unlink()
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache)


def compile_in_place(site: Path, installed_at: str = INSTALLED_AT) -> None:
    """Each module's bytecode where its source was (`x.py` becomes `x.pyc`), then no source."""
    if sys.version_info[:2] != RUNTIME:
        wanted, this = ".".join(map(str, RUNTIME)), sys.version.split()[0]
        raise SystemExit(f"the layer's bytecode must come from Python {wanted}, the Lambda runtime's; this is {this}")
    compiled = compileall.compile_dir(
        site,
        quiet=1,
        legacy=True,
        stripdir=str(site),
        prependdir=installed_at,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        workers=0,
    )
    if not compiled:
        raise SystemExit(f"some modules in {site} do not compile (listed above)")
    for source in list(site.rglob("*.py")):
        source.unlink()


if __name__ == "__main__":
    prune(Path(sys.argv[1]))
    compile_in_place(Path(sys.argv[1]))
