"""What `sam build` makes of the template, checked: only what Lambda runs, under 15 MB per
function with its layers, native code for the right architecture, bytecode for every
module (Lambda's file system is read-only: what is not compiled at build is compiled at
every cold start), and every handler importable from it with nothing but the Lambda
runtime's own packages beside it.

`winback artifact` (and `make build-check`) prints the sizes; tests/test_deploy.py
asserts the same checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.util import cache_from_source
from pathlib import Path

from winback_local.template import TEMPLATE, Stack, read

LIMIT_BYTES = 15_000_000
# What the python3.12 Lambda runtime provides itself: the layer must not ship them again.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")
# Never in a Lambda artifact: the dev side.
DEV_ONLY = ("winback_local", "moto", "pytest", "tests", "hypothesis", "css_inline")
ELF_MACHINE = {"arm64": 0xB7, "x86_64": 0x3E}
PYC_HASH_BASED = 0b01  # in the flags word of a .pyc header


@dataclass
class Build:
    out: Path
    architecture: str
    stack: Stack

    @property
    def layers(self) -> list[Path]:
        suffix = "Arm64" if self.architecture == "arm64" else "X86"
        return [self.out / f"DependenciesLayer{suffix}" / "python", TEMPLATE.parent / "templates"]

    def function_dir(self, name: str) -> Path:
        return self.out / name


def sam_env() -> dict[str, str]:
    """SAM's python3.12 builder needs the runtime's interpreter on PATH: this venv's."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}


def sam_binary() -> Path:
    return TEMPLATE.parent / ".venv-sam" / "bin" / "sam"


def build(out: Path, architecture: str | None = None) -> Build:
    """`sam build` into `out`; `architecture` None keeps the template's default."""
    command = [str(sam_binary()), "build", "--template", str(TEMPLATE), "--build-dir", str(out)]
    if architecture:
        command += ["--parameter-overrides", f"Architecture={architecture}"]
    done = subprocess.run(  # noqa: S603 (our own sam binary, our own arguments)
        command, capture_output=True, text=True, check=False, cwd=TEMPLATE.parent, env=sam_env()
    )
    if done.returncode != 0:
        raise RuntimeError(f"sam build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    stack = read()
    chosen = architecture or str(stack.parameters["Architecture"]["Default"])
    return Build(out, chosen, stack)


def size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def sizes(built: Build) -> dict[str, tuple[int, int]]:
    """Per function: (its own code, code and layers together) in bytes."""
    layers = sum(size(layer) for layer in built.layers)
    return {
        name: (own, own + layers) for name in sorted(built.stack.functions) for own in [size(built.function_dir(name))]
    }


def _elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    return int.from_bytes(header[18:20], "little")


def _pyc_flags(cache: Path) -> int:
    """The flags word of a .pyc header (PEP 552): the header alone, not the whole file."""
    with cache.open("rb") as pyc:
        return int.from_bytes(pyc.read(8)[4:8], "little")


def _bytecode_problems(folder: Path, label: str) -> list[str]:
    """Lambda's file system is read-only: a module without bytecode is compiled at every
    cold start, and so is one whose bytecode is checked by time stamp, as SAM's zip dates
    every file 1980-01-01."""
    uncompiled, stamped = [], []
    for source in sorted(folder.rglob("*.py")):
        cache = Path(cache_from_source(source))
        if not cache.exists():
            uncompiled.append(source.relative_to(folder))
        elif not _pyc_flags(cache) & PYC_HASH_BASED:
            stamped.append(source.relative_to(folder))
    found = []
    if uncompiled:
        found.append(
            f"{label}: no bytecode for {len(uncompiled)} modules (first {uncompiled[0]}); "
            "Lambda's file system is read-only, so every cold start would compile them"
        )
    if stamped:
        found.append(
            f"{label}: {len(stamped)} modules have bytecode checked by time stamp (first {stamped[0]}); "
            "SAM's zip dates every file 1980-01-01, so every cold start would compile them"
        )
    return found


def problems(built: Build) -> list[str]:
    found = []
    for name, (_, total) in sizes(built).items():
        if total > LIMIT_BYTES:
            found.append(f"{name}: {total / 1e6:.1f} MB with its layers, over {LIMIT_BYTES / 1e6:.1f} MB")
        code = built.function_dir(name)
        extra = sorted(p.name for p in code.iterdir() if p.name != "winback")
        if extra:
            found.append(f"{name}: the function holds {extra} besides the winback package")
    deps = built.layers[0]
    for package in (*RUNTIME_PACKAGES, *DEV_ONLY):
        if (deps / package).exists():
            found.append(f"the dependency layer ships {package}")
    for folder in [deps, *(built.function_dir(n) for n in built.stack.functions)]:
        label = folder.parent.name if folder == deps else folder.name  # the layer's folder is python/
        for package in DEV_ONLY:
            if any(folder.rglob(package)):
                found.append(f"{label}: holds {package}")
        found.extend(_bytecode_problems(folder, label))
    expected = ELF_MACHINE[built.architecture]
    for native in deps.rglob("*.so"):
        if _elf_machine(native) != expected:
            found.append(f"{native.relative_to(deps)} is not built for {built.architecture}")
    return found


def runtime_stand_in(into: Path) -> Path:
    """A folder holding what the Lambda runtime provides (boto3 and its dependencies),
    linked from this environment, to import the built handlers beside."""
    import boto3

    site = Path(boto3.__file__).resolve().parents[1]
    for package in RUNTIME_PACKAGES:
        if (site / package).exists():
            (into / package).symlink_to(site / package)
    return into


def report(built: Build) -> str:
    lines = [f"{'function':<34} {'own code':>10} {'with layers':>12}   (limit {LIMIT_BYTES / 1e6:.1f} MB)"]
    for name, (own, total) in sizes(built).items():
        lines.append(f"{name:<34} {own / 1e6:>8.2f} MB {total / 1e6:>9.2f} MB")
    names = [p.parent.name if p.name == "python" else p.name for p in built.layers]
    listed = [f"{name} {size(path) / 1e6:.2f} MB" for name, path in zip(names, built.layers, strict=True)]
    lines.append("layers: " + ", ".join(listed))
    return "\n".join(lines)


def main() -> int:
    """Build with the template's defaults, print the sizes and what is wrong (if anything)."""
    with tempfile.TemporaryDirectory() as scratch:
        built = build(Path(scratch) / "build")
        print(f"sam build, template defaults ({built.architecture}):")
        print(report(built))
        found = problems(built)
        for problem in found:
            print(f"problem: {problem}")
        if not found:
            print("only what Lambda runs, compiled, under the limit, native code for", built.architecture)
        shutil.rmtree(scratch, ignore_errors=True)
        return 1 if found else 0
