"""moto, made fast enough to replay a busy week: the same answers, computed once.

moto answers every call the way AWS does, but spends most of a simulation on work that
does not change from one call to the next. These patches keep each answer and remove
the repetition; none of them changes what a handler or a state machine does or sees:

- Step Functions' JSONPath expressions (`InputPath`, `ResultPath`, `$.field`...) are
  parsed once per text: moto builds a new PLY parser, tables and all, for every one.
- a response class's action names are listed once per class, not once per request, and
  an action's name is turned into its method's name once, as are an SQS queue's
  attribute names (moto lists every attribute of the queue, each name converted, to
  read its retention period for each message sent or received); request ids are
  random hex (moto draws each of their 52 characters by itself); a response's Date
  header, which has whole seconds, is written once per second.
- DynamoDB update expressions are parsed once per text (the validator works on a copy
  of the parsed expression, as it always did, made from the parse pickled once: three
  times quicker than copying the tree node by node); its three checks that read only
  the expression, the attribute names and the table's keys (action counts, overlapping
  paths, no key updated) run once per expression, names and keys that passed them; and
  each of the validator's passes builds its table of node types once rather than at
  every node it visits. Condition expressions are split into tokens once per text
  (moto compiles six regular expressions for every token); what the tokens mean (the
  names and values they stand for) is worked out at every call, as before.
- DynamoDB's item operations (GetItem, PutItem, Query...) read their request with
  json.loads alone when moto's walk of the input shape would change nothing in it
  (it decodes binary attributes and drops nulls and members the shape does not name:
  such a request still goes through it); botocore's JSON is already what the walk
  returns.
- DynamoDB's item operations answer with their result
  written as JSON directly: moto's result is already in DynamoDB's wire format, and its
  generic serializer walks the output shape attribute by attribute to write the same
  text. Everything else (errors, table descriptions) goes through moto's serializer.
- moto's models do not keep a list of every instance ever made (moto keeps one for its
  server's dashboard, which the runtime does not run): every DynamoDB item copy a
  query or an update made, every queue message and email stayed in memory to the end
  of the run, most of a big simulation's footprint. S3's still do (its reset reads them).
- SES does not keep its own copy of every message sent (moto keeps one for tests to
  read; the runtime's outbox already holds each message as sent): a big replay's
  emails would otherwise sit in memory twice. moto still parses and checks each one.
- botocore copies the calling code's client context (the SDK features it used) for each
  call with `copy.deepcopy`; here a function's calls run inside the call that invoked
  it, so every call copied one. The copy is made directly: a new context with the same
  set of features.
- requests to the in-process AWS are not signed (SigV4): moto does not check signatures.
  Presigned URLs are still signed. Nor is the User-Agent header rebuilt for each request
  (it keeps the one the client was made with, written once): moto does not read it.
- a request reaches its service's handler through a map from its URL, filled by moto's
  own search the first time a URL is seen: moto tries every service's URL patterns,
  then its backend's, with regular expressions compiled on the spot, at every request.
  Services that share a host (SES and SES v2: email.<region>.amazonaws.com) are tried
  in moto's order, up to the one whose backend answers the URL.

`install()` returns the undo function. With `check=True` every fast DynamoDB answer is
compared with the serializer's, and every request read directly with moto's own parse,
and a difference noted in `mismatches`: a test runs a simulation so.
"""

from __future__ import annotations

import copy
import functools
import json
import pickle
import re
import secrets
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from winback_local import patching

# The operations whose results moto builds as plain wire-format dicts (items, keys,
# counts, capacity); none of them has a timestamp or a blob in its output shape.
DYNAMODB_ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
CONTENT_TYPE = "application/x-amz-json-1.0"
NOT_PLAIN_JSON = (b'"B"', b'"BS"', b"null")  # in a request body: moto's own parse reads it


# Check mode: each fast answer that differed from the serializer's, as "Operation: fast != moto's".
# The serializer's answer is the one returned, so a difference cannot change the run.
mismatches: list[str] = []
answered: Counter[str] = Counter()  # fast answers given, by operation
parsed: Counter[str] = Counter()  # requests read with json.loads alone, by operation


def install(check: bool = False) -> Callable[[], None]:
    from botocore import context as botocore_context
    from botocore.signers import RequestSigner
    from botocore.useragent import UserAgentString
    from moto import backend_index
    from moto.core import request as moto_request  # its normalize_request read per call: wsgi.py patches it
    from moto.core import responses
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.core.common_models import BaseModel
    from moto.core.exceptions import HTTPException
    from moto.core.responses import ActionResult
    from moto.core.utils import get_service_model
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
    from moto.dynamodb.responses import DynamoHandler, DynamoResult
    from moto.moto_api import recorder
    from moto.ses.models import SESBackend
    from moto.sqs import models as sqs_models
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    sign = RequestSigner.sign
    underscores = functools.lru_cache(maxsize=1024)(responses.camelcase_to_underscores)
    make = UpdateExpressionParser.make

    @functools.lru_cache(maxsize=1024)
    def parse_update(expression: str) -> Any:
        parsed = make(expression)
        parsed._winback_pickled = pickle.dumps(parsed, pickle.HIGHEST_PROTOCOL)  # after the dump: not in it
        parsed._winback_passed = set()  # (names, table keys) its pure checks passed with
        return parsed

    lex = ConditionExpressionParser._lex_condition_expression

    @functools.lru_cache(maxsize=1024)
    def tokens(expression: str) -> tuple[Any, ...]:
        return tuple(lex(ConditionExpressionParser(expression, None, None)))

    def lex_once(parser: ConditionExpressionParser) -> deque[Any]:
        # The tokens are namedtuples whose children lists stay empty: the parse builds new nodes.
        return deque(tokens(parser.condition_expression or ""))

    pure_checks = (
        validators.ActionCountValidator,
        validators.OverlappingPathsValidator,
        validators.UpdateHashRangeKeyValidator,
    )
    validator_init = validators.UpdateExpressionValidator.__init__
    validate = validators.UpdateExpressionValidator.validate

    def init_validator(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        validator_init(self, expression, *args, **kwargs)
        passed: set[Any] | None = getattr(expression, "_winback_passed", None)
        if passed is None:
            return
        key = (json.dumps(self.expression_attribute_names, sort_keys=True), tuple(self.table.table_key_attrs))
        self._winback_passed = passed, key
        if key in passed:
            self.processors = [p for p in self.processors if not isinstance(p, pure_checks)]

    def validate_noting(self: Any) -> Any:
        node = validate(self)
        passed, key = self.__dict__.get("_winback_passed", (None, None))
        if passed is not None:
            passed.add(key)  # every check passed, the pure ones among them
        return node

    def copy_parsed(node: Any, memo: Any = None) -> Any:
        pickled = getattr(node, "_winback_pickled", None)
        return copy.deepcopy(node, memo) if pickled is None else pickle.loads(pickled)  # noqa: S301  (our own dump)

    def copy_context(context: Any, memo: Any = None) -> Any:
        if type(context) is botocore_context.ClientContext:
            return botocore_context.ClientContext(features=set(context.features))
        return copy.deepcopy(context, memo)

    def sign_presigned_only(self: RequestSigner, operation_name: str, request: Any, *args: Any, **kwargs: Any) -> None:
        if args or kwargs.get("signing_type", "standard") != "standard" or kwargs.get("expires_in"):
            sign(self, operation_name, request, *args, **kwargs)

    def processors(traverser: Any) -> tuple[tuple[type, Any], ...]:
        """The pass's (node type, processor) pairs, made once per pass: the map holds bound
        methods of the pass and nothing that changes."""
        found: tuple[tuple[type, Any], ...] | None = traverser.__dict__.get("_winback_processors")
        if found is None:
            found = traverser.__dict__["_winback_processors"] = tuple(traverser._processing_map().items())
        return found

    def nodes_to_be_processed(traverser: Any) -> tuple[type, ...]:
        found: tuple[type, ...] | None = traverser.__dict__.get("_winback_nodes")
        if found is None:
            found = traverser.__dict__["_winback_nodes"] = tuple(kind for kind, _ in processors(traverser))
        return found

    def process(traverser: Any, node: Any) -> Any:
        for kind, processor in processors(traverser):
            if isinstance(node, kind):
                return processor(node)
        return None

    werkzeug_date = responses.http_date

    @functools.lru_cache(maxsize=4)
    def date_header(second: Any) -> str:
        return str(werkzeug_date(second))

    def http_date(moment: Any) -> str:
        return date_header(moment.replace(microsecond=0))

    def request_id(headerdict: dict[str, Any] | None = None) -> str:
        found = secrets.token_hex(26)
        if isinstance(headerdict, dict):
            headerdict["x-amzn-requestid"] = found
        return found

    track = BaseModel.__dict__["__new__"]

    def untracked(cls: type, *args: Any, **kwargs: Any) -> Any:
        instance = track(cls, *args, **kwargs)
        tracked = cls.instances_tracked  # type: ignore[attr-defined]
        if tracked and tracked[-1] is instance and not cls.__module__.startswith("moto.s3"):
            tracked.pop()
        return instance

    send_raw = SESBackend.send_raw_email

    def send_raw_email(self: SESBackend, *args: Any, **kwargs: Any) -> Any:
        message = send_raw(self, *args, **kwargs)
        if self.sent_messages and self.sent_messages[-1] is message:
            self.sent_messages.pop()
        return message

    def keep_user_agent(agent: UserAgentString, operation_name: str, request: Any, **kwargs: Any) -> None:
        return None

    user_agent = UserAgentString.to_string

    def user_agent_once(agent: UserAgentString) -> str:
        found: str | None = agent.__dict__.get("_winback_user_agent")
        if found is None:
            found = agent.__dict__["_winback_user_agent"] = user_agent(agent)
        return found

    process_request = BotocoreStubber.process_request
    handlers: dict[str, Any] = {}  # URL (no query) -> the handler moto's search found for it

    def routed(stubber: BotocoreStubber, request: Any) -> Any:
        handler = handlers.get(request.url.partition("?")[0])
        if handler is None:
            return search(stubber, request)
        normalized = moto_request.normalize_request(request)  # from here on, as moto's process_request
        try:
            recorder._record_request(normalized)
            status, headers, body = handler(normalized, normalized.raw_url, normalized.headers)
        except HTTPException as error:
            status, headers, body = error.code, error.get_headers(), error.get_body()
        return status, headers, body

    def search(stubber: BotocoreStubber, request: Any) -> Any:
        """moto's own routing, noting which handler it called for this URL."""
        import moto.backends as backends
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.core.base_backend import BackendDict

        answer = process_request(stubber, request)
        url = request.url.partition("?")[0]
        for service, pattern in backend_index.backend_url_patterns:
            if not pattern.match(url):
                continue
            found = backends.get_backend(service)  # type: ignore[call-overload]
            if isinstance(found, BackendDict):
                regions = found[DEFAULT_ACCOUNT_ID]
                backend = regions["us-east-1" if "us-east-1" in regions else "aws"]
            else:
                backend = found["global"]
            handler = next((h for u, h in backend.urls.items() if re.compile(u).match(url)), None)
            if handler is not None:  # else, as moto does, the next service whose host matches
                handlers[url] = handler
                break
        return answer

    parse_parameters = DynamoHandler.parse_parameters

    def parse_item_request(self: DynamoHandler, request: Any) -> None:
        """An item operation's parameters as json.loads reads them, when moto's walk of the
        input shape would give the same: no binary attribute (the walk decodes base64), no
        null (it drops those), no member the shape does not name (it drops those too)."""
        body: bytes = request.data
        operation = self._get_action()
        if operation not in DYNAMODB_ITEM_OPERATIONS or not body or any(t in body for t in NOT_PLAIN_JSON):
            return parse_parameters(self, request)
        params = json.loads(body)
        members = get_service_model("dynamodb").operation_model(operation).input_shape.members
        if not isinstance(params, dict) or not params.keys() <= members.keys():
            return parse_parameters(self, request)
        parsed[operation] += 1
        if check:
            parse_parameters(self, request)
            if self.params != params:
                mismatches.append(f"{operation} parameters: {params} != {self.params}")
                return None  # moto's own, set above
        self.params = params
        return None

    serialize = ActionResult.execute_result

    def execute_result(self: ActionResult, context: Any) -> Any:
        result = self.result
        if (
            type(self) not in (ActionResult, DynamoResult)  # not a paginated or an empty result
            or not isinstance(result, dict)
            or context.operation_model.name not in DYNAMODB_ITEM_OPERATIONS
            or context.service_model.service_name != "dynamodb"
        ):
            return serialize(self, context)
        members = context.operation_model.output_shape.members  # what the API answers: moto adds extras
        result = {key: value for key, value in result.items() if key in members and value is not None}
        answer = 200, {"Content-Type": CONTENT_TYPE}, json.dumps(result)
        answered[context.operation_model.name] += 1
        if check:
            status, headers, body = serialize(self, context)
            if (status, headers.get("Content-Type"), json.loads(body)) != (200, CONTENT_TYPE, result):
                mismatches.append(f"{context.operation_model.name}: {answer[2]} != {body!r}")
                return status, headers, body
        return answer

    return patching.apply(
        [
            (json_path, "parse", functools.lru_cache(maxsize=1024)(json_path.parse)),
            (result_path, "parse", functools.lru_cache(maxsize=1024)(result_path.parse)),
            (responses, "method_names_from_class", functools.lru_cache(maxsize=256)(responses.method_names_from_class)),
            (ActionResult, "execute_result", execute_result),
            (RequestSigner, "sign", sign_presigned_only),
            (botocore_context, "deepcopy", copy_context),
            (UpdateExpressionParser, "make", staticmethod(parse_update)),
            (DepthFirstTraverser, "nodes_to_be_processed", nodes_to_be_processed),
            (DepthFirstTraverser, "process", process),
            (UserAgentString, "rebuild_and_replace_user_agent_handler", keep_user_agent),
            (responses, "camelcase_to_underscores", underscores),
            (sqs_models, "camelcase_to_underscores", underscores),
            (responses, "gen_amzn_requestid_long", request_id),
            (responses, "http_date", http_date),
            (SESBackend, "send_raw_email", send_raw_email),
            (validators, "deepcopy", copy_parsed),
            (BaseModel, "__new__", staticmethod(untracked)),
            (UserAgentString, "to_string", user_agent_once),
            (BotocoreStubber, "process_request", routed),
            (validators.UpdateExpressionValidator, "__init__", init_validator),
            (validators.UpdateExpressionValidator, "validate", validate_noting),
            (ConditionExpressionParser, "_lex_condition_expression", lex_once),
            (DynamoHandler, "parse_parameters", parse_item_request),
        ]
    )
