"""The local runtime's baseline: what it does not load, or loads once.

`share_endpoints()`: the runtime hosts every function and the emulator in one process,
so botocore sessions of several owners (boto3's default one, pynamodb's, the X-Ray
SDK's...) each read botocore's endpoint data, `endpoints.json`: about 6.6 MiB as Python
objects, four times over. Sessions made once the runtime is up share one reading here
(the X-Ray SDK's, made as it is imported, may keep its own); botocore only reads it
(on Lambda, each function's process reads its own).

`install()`: moto's AWS Batch emulation, not loaded until something asks for it.
moto's Step Functions engine imports its Batch task integration at start-up, and with it
moto's Batch models, which import the whole EC2 emulation: its instance types, AMIs and
regions, read from data files at import. That is 0.6 s and some 130 MiB of peak memory
(most of a run's baseline) for services no winback flow calls. `install()` puts a package
stub named `moto.batch` in their place: its submodules import as usual (the engine needs
one enum from `moto.batch.utils`), and reading a name of the package itself
(`batch_backends`, what moto's backend lookup reads) loads the real models then.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any

from winback_local import patching

PACKAGE = "moto.batch"
ENDPOINTS = "endpoints"


def share_endpoints() -> Callable[[], None]:
    """botocore's endpoint data read once by every session that reads it while this is on; returns the undo."""
    from botocore import loaders

    load = loaders.Loader.load_data_with_path
    shared: dict[str, Any] = {}

    def load_data_with_path(self: loaders.Loader, name: str) -> Any:
        if name != ENDPOINTS:
            return load(self, name)
        if name not in shared:
            shared[name] = load(self, name)
        return shared[name]

    return patching.apply([(loaders.Loader, "load_data_with_path", load_data_with_path)])


def install() -> Callable[[], None]:
    """Register the stub unless moto's Batch package is loaded already; returns the undo."""
    if PACKAGE in sys.modules:
        return lambda: None
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return lambda: None
    stub = types.ModuleType(PACKAGE, __doc__)
    stub.__spec__ = importlib.machinery.ModuleSpec(PACKAGE, None, is_package=True)
    stub.__spec__.submodule_search_locations = list(spec.submodule_search_locations)
    stub.__path__ = list(spec.submodule_search_locations)

    def package_name(name: str) -> Any:
        """What the real package's __init__ exports (`batch_backends`), from its models."""
        if name.startswith("__"):
            raise AttributeError(name)
        models = importlib.import_module(f"{PACKAGE}.models")
        return getattr(models, name)

    stub.__getattr__ = package_name  # type: ignore[method-assign]
    parent = importlib.import_module("moto")
    sys.modules[PACKAGE] = stub
    parent.batch = stub  # type: ignore[attr-defined]  # as the import system sets a loaded submodule

    def undo() -> None:
        if sys.modules.get(PACKAGE) is stub and f"{PACKAGE}.models" not in sys.modules:
            del sys.modules[PACKAGE]
            del parent.batch  # type: ignore[attr-defined]

    return undo
