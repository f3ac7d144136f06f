"""The OpenAPI document, completed with the problem responses every operation can give."""

import copy
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from fastapi import FastAPI
from fastapi.openapi.utils import (
    get_definitions,
    get_fields_from_routes,
    get_flat_models_from_fields,
    get_model_name_map,
    get_openapi,
)
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from api.errors import PROBLEM_JSON, Problem, title_of
from matchmaker.matching import explanations
from matchmaker.matching.directory import OrganisationCard
from matchmaker.matching.past_projects import project_id
from matchmaker.matching.scoring import RankedMatch, Weights
from matchmaker.matching.text_index import MatchedTerm
from matchmaker.settings import Settings
from models import examples as ex
from models.apikey import KeyRole

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
SCHEME = "apiKey"
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key, sent as `Authorization: Bearer mm_...`. An organisation key "
    "comes back when an organisation registers; admins issue `publisher` keys (which publish "
    "calls, and change only the calls they published; `coordinator` is their old name, still "
    "accepted) and `admin` keys. Each operation lists the roles it takes; an operation with "
    "no key listed is public, and one whose key is optional shows more to the roles listed.",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# FastAPI's description of the 422 it documents for every operation with parameters.
FASTAPI_422 = "Validation Error"
_MAX_BODY_BYTES: Final = Settings.model_fields["max_body_bytes"].default
# Marks an operation sent as POST that only reads (free-text search, a proposal): it counts
# against no write rate limit, so its documentation promises no 429. Consumed by `_complete`.
_READS_ONLY = "x-reads-only"
READS_ONLY: Final = {_READS_ONLY: True}
# Marks an operation opened from a link in an e-mail: query parameters it does not take, which
# mail programs and link trackers add ("?utm_source=..."), are ignored, not refused with a 422
# (`api.deps.refuse_unknown_query`), and its documentation says so.
TAKES_ANY_QUERY = "x-ignores-other-query-parameters"
FROM_EMAIL_LINK: Final = {TAKES_ANY_QUERY: True}
# Marks an operation whose answer holds a secret (a new key's token, a webhook's secret) or an
# organisation's whole export: it is sent with `Cache-Control: no-store`, as the private web
# pages are, so that no browser or proxy cache keeps it (`api.deps.forbid_storing`), and its
# documentation says so. Consumed by `_declare_no_store`.
NO_STORE = "x-no-store"
NOT_STORED: Final = {NO_STORE: True}


def security(*roles: KeyRole, optional: bool = False) -> dict[str, Any]:
    """A route's `openapi_extra`: the key roles it takes (none: public), or shows more to."""
    if not roles:
        return {"security": []}
    requirement = {SCHEME: [role.value for role in roles]}
    return {"security": [{}, requirement] if optional else [requirement]}


PUBLIC = security()


LOCATION_HEADER = {
    "description": "The path of what was created, where a GET reads it.",
    "required": True,
    "schema": {"type": "string", "examples": ["/calls/17"]},
}
ETAG_HEADER = {
    "description": 'The resource\'s `version`, quoted (`"3"`): send it back in If-Match to refuse '
    "overwriting a newer version.",
    "required": True,
    "schema": {"type": "string", "pattern": '^"[0-9]+"$', "examples": ['"3"']},
}
LINK_HEADER = {
    "description": "RFC 8288 links to the `first`, `prev`, `next` and `last` pages: this path "
    "and query with `limit` and `offset` set (`prev` only past the first page, `next` only "
    "before the last).",
    "required": True,
    "schema": {
        "type": "string",
        "examples": [
            '</calls?limit=50&offset=0>; rel="first", </calls?limit=50&offset=50>; '
            'rel="next", </calls?limit=50&offset=100>; rel="last"'
        ],
    },
}
CACHE_CONTROL_HEADER = {
    "description": "`no-store`: the answer holds a secret shown only in it, or an "
    "organisation's private data; no cache (a browser's, a proxy's) may keep it.",
    "required": True,
    "schema": {"type": "string", "const": "no-store", "examples": ["no-store"]},
}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}


def operation_id(route: APIRoute) -> str:
    """An operation's id in the document: the name of the function that answers it."""
    return route.name


def created_at_location() -> dict[int | str, dict[str, Any]]:
    """A route's `responses` entry: its 201 answer says where the new resource is read."""
    return {201: {"headers": {"Location": dict(LOCATION_HEADER)}}}


def answer_example(status: int, example: Any) -> dict[int | str, dict[str, Any]]:
    """A route's `responses` entry: an example answer of its own, for an answer that is more
    than its model's example composed (a list that shows several kinds of item)."""
    return {status: {"content": {"application/json": {"example": example}}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


@dataclass(frozen=True, slots=True)
class PathId:
    """What an id in a path names: how the parameter is described, and what a 404 says there
    is none of; `private` when another organisation's reads as missing (404), not forbidden."""

    noun: str
    description: str
    private: bool = False


# What each id in a path names, by the collection segment before it (`/calls/{call_id}`): the
# ids are generic in the routes (`IdPath`), so the document says which id goes where.
PATH_IDS: Final = {
    "organisations": PathId("organisation", "The organisation's id (`id` in its profile)."),
    "calls": PathId("call", "The call's id (`id` in `GET /calls`; not its topic identifier)."),
    "consortia": PathId("draft", "The draft's id (`id` in `GET /consortia`).", private=True),
    "members": PathId(
        "organisation",
        "The id of the organisation that is, or is to be, a member of the draft.",
    ),
    "partner-requests": PathId(
        "partner request",
        "The partner request's id (`id` in a call's list of partner requests).",
    ),
    "contact-requests": PathId(
        "contact request",
        "The contact request's id (`id` in `GET /inbox`).",
        private=True,
    ),
    "blocks": PathId(
        "blocked organisation",
        "The id of the blocked organisation (`organisation.id` in `GET /inbox/blocks`).",
    ),
    "webhooks": PathId(
        "webhook",
        "The webhook's id (`id` in the answer that registered it, and in the list).",
        private=True,
    ),
    "saved-searches": PathId(
        "saved search",
        "The saved search's id (`id` in the answer that saved it, and in the list).",
        private=True,
    ),
    "keys": PathId(
        "key", "The key's id (`id` in the answer that issued it, and in the organisation's export)."
    ),
    "claims": PathId(
        "claim",
        "The claim's id (`id` in the answer that made it, and in the list of claims).",
        private=True,
    ),
}


def _path_ids(path: str, operation: dict[str, Any]) -> list[tuple[dict[str, Any], PathId]]:
    """Each parameter of the path that is an id the table knows, with what it names."""
    segments = path.strip("/").split("/")
    found = []
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "path":
            continue
        position = segments.index("{" + parameter["name"] + "}")
        named = PATH_IDS.get(segments[position - 1]) if position else None
        if named is not None:
            found.append((parameter, named))
    return found


def _describe_path_ids(path: str, operation: dict[str, Any]) -> None:
    """Say, for each id in the path that says nothing of itself, which id it is."""
    for parameter, named in _path_ids(path, operation):
        if not parameter.get("description"):
            parameter["description"] = named.description


def _roles(operation: dict[str, Any]) -> tuple[list[str], bool]:
    """The key roles an operation lists, and whether it needs a key at all."""
    requirements = operation.get("security", [])
    roles = [role for requirement in requirements for role in requirement.get(SCHEME, [])]
    return roles, bool(requirements) and {} not in requirements


def _not_found(path: str, operation: dict[str, Any]) -> str:
    """When an operation answers 404: the ids of its path that name nothing, by what they name."""
    named = [
        f"no {kind.noun} with this `{parameter['name']}`"
        + (" (another organisation's reads the same)" if kind.private else "")
        for parameter, kind in _path_ids(path, operation)
    ]
    tokens = [
        parameter
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"] == "token"
    ]
    if tokens:
        named.append("the link's token is not valid (unknown, already used or expired)")
    if not named:
        return "Something the request names by its id does not exist; `detail` says which."
    return f"There is {', or '.join(named)}; `detail` says which."


def _problem_description(status: str, path: str, method: str, operation: dict[str, Any]) -> str:
    """When an operation answers with a problem of this status, in a sentence for its kind of
    route: what its key and path and body are, and what it changes."""
    roles, needs_key = _roles(operation)
    takes_body = bool(operation.get("requestBody"))
    if_match = any(
        parameter["in"] == "header" and parameter["name"].lower() == "if-match"
        for parameter in operation.get("parameters", [])
    )
    if status == "400":
        return (
            "The body is not valid JSON, or not UTF-8: `detail` says where it stops making sense."
        )
    if status == "401":
        if needs_key:
            return (
                "No API key was sent, or the key is wrong or revoked: send `Authorization: "
                f"Bearer mm_...` with a key of a role this operation takes ({', '.join(roles)})."
            )
        return (
            "The API key sent is wrong or revoked: send a valid key, or none (this operation "
            "answers without one)."
        )
    if status == "403":
        if roles == ["admin"]:
            return "The key is valid but not an admin key: only admins may do this."
        if "{organisation_id}" in path and "organisation" in roles:
            return (
                "The key is valid but may not do this: it is another organisation's key than "
                "the one in the path, or of a role this operation does not take (it takes "
                f"{' and '.join(roles)} keys)."
            )
        return (
            "The key is valid but may not do this: its role is not one this operation takes "
            f"({', '.join(roles)}), or what the request names is another organisation's (a "
            "call, another publisher's); `detail` says which."
        )
    if status == "404":
        return _not_found(path, operation)
    if status == "409":
        return (
            "What is stored refuses this: a duplicate of something that exists, a limit "
            "reached, something still in use, or a state that no longer allows it; `detail` "
            "says which and what to do."
        )
    if status == "412":
        raced = (
            "another request changed the resource while this one was answered: read it "
            "again and retry."
        )
        if not if_match:
            return raced[:1].upper() + raced[1:]
        return (
            "If-Match names a version other than the current one (the resource changed since "
            "it was read), or no version at all (`3` unquoted, say); or " + raced
        )
    if status == "413":
        return (
            "The request's body is over the size the service takes (`MATCHMAKER_MAX_BODY_BYTES`"
            f", {_MAX_BODY_BYTES:,} bytes by default), whether sent or announced in "
            "Content-Length."
        )
    if status == "415":
        return (
            "The body is not sent as `application/json`, or is compressed: send JSON, "
            "uncompressed, with `Content-Type: application/json`."
        )
    if status == "422":
        if takes_body:
            where, fields = "a body field, a query or a path parameter", "`activities.0.url`"
        else:
            where, fields = "a query or path parameter", "`query.limit`"
        return (
            f"Invalid input: {where} is missing, malformed or out of range, or a query "
            "parameter this operation does not take was sent. `errors` names each field "
            f"({fields}, `path.call_id`) with what is wrong with it."
        )
    if status == "429":
        return (
            "Past a rate limit: more writes a minute, from this address or for this "
            "organisation, than `MATCHMAKER_WRITE_RATE_LIMIT` allows (key recovery has its own, "
            "`MATCHMAKER_KEY_RECOVERY_RATE_LIMIT`). Retry after the seconds Retry-After gives."
        )
    if status == "503":
        unwritable = ", cannot take writes (read-only or out of space)"
        return (
            f"The database is busy{unwritable if method in WRITE_METHODS else ''} or cannot be "
            "reached: retry after the seconds Retry-After gives, when it gives them."
        )
    return title_of(int(status))


def _complete(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    # Every operation reads the database, which can be busy or unreachable (README, Operations);
    # refuses a query parameter it does not take (422) and a body over the limit, sent or not.
    wanted = ["401", "413", "422", "503"]
    if operation.get(TAKES_ANY_QUERY):
        # Its parameters are in the path and checked by the page itself (FastAPI declares a
        # 422 for any operation with parameters).
        wanted.remove("422")
        responses.pop("422", None)
    if operation.get("requestBody"):
        wanted += ["400", "415"]
    if method in WRITE_METHODS and not operation.pop(_READS_ONLY, False):
        wanted.append("429")
    for status in wanted:
        # FastAPI documents its own 422 body as application/json; ours are problem details.
        if status not in responses or status == "422":
            described = responses.get(status, {}).get("description", "")
            responses[status] = _problem(described)
    # A problem declared by its reason phrase alone (`problem_responses` without `when`, or
    # FastAPI's own 422) says when it comes in the words of this kind of route.
    for status, response in responses.items():
        if PROBLEM_JSON not in response.get("content", {}):
            continue
        if response["description"] in {"", title_of(int(status)), FASTAPI_422}:
            response["description"] = _problem_description(status, path, method, operation)
    # Past a rate limit the answer always says when to retry; a database that cannot be had in
    # time or cannot take writes says so too, a schema that is not migrated does not.
    for status, required in (("429", True), ("503", False)):
        if status in responses:
            header = {**RETRY_AFTER_HEADER, "required": required}
            responses[status].setdefault("headers", {})["Retry-After"] = header


def _declare_etags(operation: dict[str, Any], components: dict[str, Any]) -> None:
    """Every success answer that is a versioned resource (a profile, a call, a draft) carries
    its version as the ETag (`api.deps.set_etag`); say so, for clients to read it back."""
    for status, response in operation["responses"].items():
        if not status.startswith("2"):
            continue
        for media in response.get("content", {}).values():
            schema = media.get("schema", {})
            answers = schema.get("anyOf", [schema])  # one model, or one per reader's role
            versioned = [
                "version" in components[answer["$ref"].rsplit("/", 1)[-1]].get("properties", {})
                for answer in answers
                if "$ref" in answer
            ]
            if versioned and all(versioned) and len(versioned) == len(answers):
                response.setdefault("headers", {})["ETag"] = dict(ETAG_HEADER)


def _declare_page_links(operation: dict[str, Any]) -> None:
    """Every list answered a page at a time (`Page`) links its neighbours (`api.deps.paginated`)."""
    answer = operation["responses"].get("200", {})
    for media in answer.get("content", {}).values():
        if media.get("schema", {}).get("$ref", "").startswith("#/components/schemas/Page_"):
            answer.setdefault("headers", {})["Link"] = dict(LINK_HEADER)


def _declare_no_store(operation: dict[str, Any]) -> None:
    """Every success answer of an operation marked NOT_STORED says it must not be cached."""
    if not operation.pop(NO_STORE, False):
        return
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            response.setdefault("headers", {})["Cache-Control"] = dict(CACHE_CONTROL_HEADER)


# Pydantic writes a bound that follows a validator (every `Int` and `Id` of models/common.py
# refuses true and false before its bounds) under the Field's own names, `ge` and `le`, which
# JSON Schema does not know: clients, code generators and validators would see no bound at all.
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _name_bounds(node: Any) -> None:
    """Rename, in place, every number's bounds to JSON Schema's keywords."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            for field_name, keyword in _BOUNDS.items():
                if field_name in node:
                    node[keyword] = node.pop(field_name)
        for value in node.values():
            _name_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _name_bounds(value)


def _schema_names(node: Any) -> set[str]:
    """The names of the component schemas a part of the document refers to."""
    if isinstance(node, dict):
        names = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return names.union(*(_schema_names(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_schema_names(value) for value in node))
    return set()


def _closure(names: set[str], components: dict[str, Any]) -> set[str]:
    """The schemas named and every schema they refer to, however deep."""
    found: set[str] = set()
    while names - found:
        found |= names
        names = found.union(*(_schema_names(components[name]) for name in found))
    return found


def _require_answer_fields(paths: dict[str, Any], components: dict[str, Any]) -> None:
    """List every property of a schema only answers use as required.

    FastAPI writes every field of a response model, its default included, but pydantic calls a
    field with a default optional, so a generated client types it `X | Unset` (`stale`,
    `type_verified`) and makes every integrator handle an absence that never happens. Schemas
    that requests also use keep pydantic's reading: there a default does mean optional.
    """
    operations = [operation for item in paths.values() for operation in item.values()]
    answers = _schema_names(
        [
            answer
            for operation in operations
            for status, answer in operation["responses"].items()
            if status.startswith("2")
        ]
    )
    requests = _schema_names([operation.get("requestBody") for operation in operations])
    for name in _closure(answers, components) - _closure(requests, components):
        if "properties" in components[name]:
            components[name]["required"] = list(components[name]["properties"])


def _restore_examples(schema: dict[str, Any], routes: list[BaseRoute]) -> None:
    """Put back the nulls `get_openapi` takes out of every example.

    FastAPI writes the document without any null value (`exclude_none`), the examples' own
    included: each documented answer then lacked the fields that are null in it
    (`"consortium_id": null`, `"revoked_at": null`, `"type_verified_at": null`), fields its
    schema requires. The examples are read again, as written, from the models (through the
    definitions FastAPI builds, so under the same names) and from the routes' `responses`.
    """
    fields = get_fields_from_routes(routes)
    names = get_model_name_map(get_flat_models_from_fields(fields, known_models=set()))
    _, definitions = get_definitions(
        fields=fields, model_name_map=names, separate_input_output_schemas=True
    )
    components = schema["components"]["schemas"]
    for name, definition in definitions.items():
        if "examples" in definition and name in components:
            components[name]["examples"] = definition["examples"]
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for status, answer in route.responses.items():
            for media_type, media in answer.get("content", {}).items():
                if "example" not in media:
                    continue
                for method in route.methods or ():
                    documented = schema["paths"][route.path_format][method.lower()]
                    content = documented["responses"][str(status)]["content"]
                    content[media_type]["example"] = media["example"]


MISSING: Final = object()


def example_of(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """An example of a schema, composed from the examples of its parts; MISSING if a part has
    none. A model's own example wins; lists hold one item; a nullable part is null only when it
    has no example of its own."""
    if "$ref" in schema:
        return example_of(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("examples", "example", "const", "default"):
        if key in schema:
            return schema[key][0] if key == "examples" else schema[key]
    if "anyOf" in schema:
        branches = [branch for branch in schema["anyOf"] if branch.get("type") != "null"]
        for branch in branches:
            found = example_of(branch, components)
            if found is not MISSING:
                return found
        return None if len(branches) < len(schema["anyOf"]) else MISSING
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "array":
        item = example_of(schema.get("items", {}), components)
        return MISSING if item is MISSING else [item]
    if "properties" in schema:
        composed = {
            name: example_of(part, components) for name, part in schema["properties"].items()
        }
        return MISSING if MISSING in composed.values() else composed
    return MISSING


def _add_examples(operation: dict[str, Any], components: dict[str, Any]) -> None:
    """Give every success answer with a body an example (Swagger UI and ReDoc show it)."""
    for status, response in operation.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        for media in response.get("content", {}).values():
            if "example" not in media and "examples" not in media and "schema" in media:
                found = example_of(media["schema"], components)
                if found is not MISSING:
                    media["example"] = found


# The evidence of the documented suggestion: what a good fit of the demo data shows.
_EXAMPLE_COSINE = 0.21
_EXAMPLE_PROJECTS = 6
_EXAMPLE_SIMILAR = 0.31
_EXAMPLE_TERMS = (("liquid biopsy", 0.094), ("ctdna", 0.061), ("methylation", 0.032))


def suggestion_example() -> dict[str, Any]:
    """A suggestion as the service writes one (scores, factors and sentences from the scoring
    and explanation code), for the documentation: its example cannot drift from real output."""
    summary = ex.ORGANISATION_SUMMARY
    activity = ex.ACTIVITY
    card = OrganisationCard(
        id=int(str(summary["id"])),
        name=str(summary["name"]),
        stakeholder_type=str(summary["stakeholder_type"]),
        country=str(summary["country"]),
        activities=[activity],
    )
    number = project_id(activity)
    assert number is not None
    weights = Weights.fitted()
    reasons = weights.reasons(
        _EXAMPLE_COSINE, _EXAMPLE_PROJECTS, similar=((number, _EXAMPLE_SIMILAR),)
    )
    score = weights.scores(
        np.array([_EXAMPLE_COSINE]),
        np.array([_EXAMPLE_PROJECTS]),
        similar=np.array([_EXAMPLE_SIMILAR]),
    )
    match = RankedMatch(
        card.id,
        float(score[0]),
        tuple(MatchedTerm(term, weight) for term, weight in _EXAMPLE_TERMS),
        reasons,
    )
    suggestion = explanations.suggestion(card, match, subject="the call")
    example: dict[str, Any] = suggestion.model_dump(mode="json")
    return example


# The documents built in this process, by the routes they describe: every app `create_app`
# makes has the same routes (settings change no route), and building the document takes most
# of a second, which a process making many apps (the tests make one per test) pays once.
_BUILT: dict[tuple[Any, ...], dict[str, Any]] = {}


def _routes_key(app: FastAPI) -> tuple[Any, ...]:
    """What the document of `app` is built from: its texts and each route's path, methods and
    function."""
    return (
        app.title,
        app.version,
        app.summary,
        app.description,
        tuple(
            (
                getattr(route, "path", ""),
                tuple(sorted(getattr(route, "methods", None) or ())),
                getattr(getattr(route, "endpoint", None), "__qualname__", ""),
            )
            for route in app.routes
        ),
    )


def _build(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of `app`, with the problem answers and examples it always holds."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _restore_examples(schema, app.routes)
    schema["components"]["securitySchemes"] = {SCHEME: SECURITY_SCHEME}
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components.update(
        Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs")
    )
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components["Problem"].pop("$defs", None)
    suggestion = suggestion_example()
    components["Suggestion"]["examples"] = [suggestion]
    components["Reason"]["examples"] = [suggestion["reasons"][0]]
    for path_format, path in schema["paths"].items():
        for method, operation in path.items():
            _describe_path_ids(path_format, operation)
            _complete(path_format, method, operation)
            _declare_etags(operation, components)
            _declare_page_links(operation)
            _declare_no_store(operation)
            _add_examples(operation, components)
    _require_answer_fields(schema["paths"], components)
    _name_bounds(schema)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Document, for every operation, the problem responses the service can always give."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            key = _routes_key(app)
            if key not in _BUILT:
                _BUILT[key] = _build(app)
            # A copy of its own: nothing one app does to its document reaches another's.
            app.openapi_schema = copy.deepcopy(_BUILT[key])
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
