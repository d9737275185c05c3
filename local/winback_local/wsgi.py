"""The request moto's handlers read, built directly instead of through werkzeug's test client.

moto turns each botocore request into a werkzeug `Request` with werkzeug's
`EnvironBuilder`, the tool tests use to fake a whole HTTP client: a fifth of an
emulated call. For the requests the runtime makes (a body of bytes, a plain ASCII
path and query) the WSGI environ it builds is a short dict written here key for key;
anything else (an empty body, an escaped path, a stream) still goes through moto.

Such a request also carries what moto reads of it at least twice a call and werkzeug
works out each time: its URL as sent (`raw_url`, which werkzeug rebuilds from the
environ at every read), and, unless it is a form, its body with no form fields or
files (werkzeug runs its form parser to find none).

With `check=True` each request is also built by werkzeug and a difference (environ,
URL, body, form, files) noted in `mismatches` (werkzeug's is then the one used).
"""

from __future__ import annotations

import io
import re
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")  # werkzeug parses these bodies
PLAIN = re.compile(r"[A-Za-z0-9/_.~=&-]*")  # nothing werkzeug would quote, unquote or re-encode
mismatches: list[str] = []
built: Counter[str] = Counter()  # requests built, by how: "directly", "by werkzeug"


def environ(method: str, url: str, headers: Any, body: Any) -> dict[str, Any] | None:
    """The environ werkzeug's EnvironBuilder makes from these, as moto calls it; None
    when the request is not one this knows how to build."""
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes) or not body:
        return None
    parsed = urlparse(url)
    if not (PLAIN.fullmatch(parsed.path) and PLAIN.fullmatch(parsed.query) and PLAIN.fullmatch(parsed.netloc)):
        return None
    host, colon, port = parsed.netloc.partition(":")
    found: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": parsed.path,
        "QUERY_STRING": parsed.query,
        "REQUEST_URI": parsed.path,
        "RAW_URI": parsed.path,
        "SERVER_NAME": host,
        "SERVER_PORT": port if colon else "443" if parsed.scheme == "https" else "80",
        "HTTP_HOST": parsed.netloc,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parsed.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    combined: dict[str, list[str]] = {}
    for key, value in headers.items():
        if key.lower().startswith("x-amz-meta-"):  # S3 metadata: moto keeps those names as sent
            return None
        text = value.decode("utf-8") if isinstance(value, bytes) else value
        lowered = key.lower()
        if lowered == "transfer-encoding" or lowered == "content-length":
            continue
        if lowered == "content-type":
            found.setdefault("CONTENT_TYPE", text)  # the first one, as werkzeug's Headers.get
            continue
        combined.setdefault(f"HTTP_{key.upper().replace('-', '_')}", []).append(text)
    found.update({key: ", ".join(values) for key, values in combined.items()})
    return found


def install(check: bool = False) -> Callable[[], None]:
    """moto's normalize_request builds from `environ()` when it can; returns the undo."""
    from botocore.awsrequest import AWSPreparedRequest
    from moto.core import botocore_stubber
    from moto.core import request as moto_request
    from werkzeug.datastructures import ImmutableMultiDict

    original = moto_request.normalize_request

    class Built(moto_request.Request):
        """moto's request, with what it reads more than once already known."""

        raw_url = ""  # a plain attribute where moto's class has a property

    def normalize_request(request: Any) -> Any:
        if type(request) is not AWSPreparedRequest:
            return original(request)
        direct = environ(request.method, request.url, request.headers, request.body)
        built["by werkzeug" if direct is None else "directly"] += 1
        if direct is None:
            return original(request)
        made = Built(direct)
        made.environ[moto_request.PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {}  # only S3 metadata names are kept
        query = direct["QUERY_STRING"]  # the URL as werkzeug puts it together from the environ
        made.raw_url = f"{direct['wsgi.url_scheme']}://{direct['HTTP_HOST']}{direct['PATH_INFO'] or '/'}" + (
            f"?{query}" if query else ""
        )
        if made.mimetype not in FORMS:
            body = direct["wsgi.input"].getvalue()
            made.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict(), data=body)
            made._cached_data = body
        if check:
            slow = original(request)
            if _seen(made) != _seen(slow):
                mismatches.append(f"{request.method} {request.url}: {_seen(made)} != {_seen(slow)}")
                return slow
        return made

    modules = (moto_request, botocore_stubber)  # the names moto calls it by on this path
    saved = [module.__dict__.get("normalize_request") for module in modules]
    for module, was in zip(modules, saved, strict=True):
        if was is original:
            module.normalize_request = normalize_request  # type: ignore[attr-defined]

    def undo() -> None:
        for module, was in zip(modules, saved, strict=True):
            if was is original:
                module.normalize_request = original  # type: ignore[attr-defined]

    return undo


def _seen(request: Any) -> dict[str, Any]:
    """What moto reads of a request: its environ, URL, body, form fields and files."""
    environ = _plain(request.environ)  # before the body is read
    return {
        "environ": environ,
        "raw_url": request.raw_url,
        "data": request.data,
        "form": request.form.to_dict(flat=False),
        "files": request.files.to_dict(flat=False),
    }


def _plain(env: dict[str, Any]) -> dict[str, Any]:
    """An environ without its streams, and the body read out of its input."""
    stream = env.get("wsgi.input")
    body = stream.getvalue() if isinstance(stream, io.BytesIO) else None
    kept = {
        k: v
        for k, v in env.items()
        if k not in ("wsgi.input", "wsgi.errors", "werkzeug.request", "moto.preserved_header_names")
    }
    kept.setdefault("CONTENT_LENGTH", "0")
    return {**kept, "body": body}
