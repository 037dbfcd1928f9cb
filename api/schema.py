"""The OpenAPI description of how a client authenticates: OAuth 2.0 client credentials, and
for each operation the scope its token needs (the view's ``required_scopes``)."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .permissions import scopes_of, view_scope


class ClientTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ClientTokenAuthentication"
    name = "oauth2"

    def get_security_requirement(self, auto_schema):
        scope = view_scope(auto_schema.view, auto_schema.method)
        if scope is None:
            return {self.name: []}
        # Scopes of which any one will do: one requirement each (OpenAPI reads them as "or").
        return [{self.name: [one]} for one in scopes_of(scope)]

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": (
                "OAuth 2.0 client credentials. A Supplier's administrators create the client "
                "(its id and secret) on the organisation pages; send them with HTTP Basic to "
                "the token URL and the bearer token back with every call. Tokens last "
                f"{settings.OAUTH2_PROVIDER['ACCESS_TOKEN_EXPIRE_SECONDS'] // 60} minutes."
            ),
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/api/v1/oauth/token/",
                    "scopes": settings.OAUTH2_PROVIDER["SCOPES"],
                }
            },
        }


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem: what went wrong, with our reason code.",
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": ["urn:ssi-portal:problem:closed"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "The reason code, as the pages and files use."},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Each field refused: its name, the reason code and the words.",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                },
                "required": ["field", "code", "detail"],
            },
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
}
# Every operation may answer these; the others each operation documents itself.
COMMON_PROBLEMS = {
    "400": "The request is malformed (its body, a parameter, the Idempotency-Key).",
    "401": "No token, an expired one, or one of a revoked client.",
    "403": "The token lacks the scope, or the client may not do this to this object.",
    "404": "No such object, or one the client's Supplier may not see (they look the same).",
    "405": "The operation does not take this method.",
    "406": "The client does not accept JSON.",
    "415": "The body is not of a type the operation takes.",
    "429": "Too many calls from this client: wait Retry-After seconds.",
}
QUERY_PROBLEMS = {
    "422": "A query parameter is refused (``errors`` names each, and says why).",
}
POST_PROBLEMS = {
    "409": "The request is not in a state that allows it (the reason code says why).",
    "422": "A field is refused (``errors`` names each), or the Idempotency-Key was used "
    "for another request.",
}
IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": (
        "A key of your choosing (a UUID): a retry with the same key and body within 24 hours "
        "gets the first answer again, without acting twice."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


# POSTs whose answer is never stored, so take no Idempotency-Key (see their descriptions).
NOT_IDEMPOTENT = {"request_reveal"}


def _problem_response(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def add_problems_and_keys(result, generator, request, public):
    """drf-spectacular post-processing: the problem responses every operation may give, and
    the Idempotency-Key header on every POST."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, operations in result.get("paths", {}).items():
        if path.endswith("/schema/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            problems = dict(COMMON_PROBLEMS)
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                problems.update(QUERY_PROBLEMS)
            if method == "post":
                problems.update(POST_PROBLEMS)
                if operation.get("operationId") not in NOT_IDEMPOTENT:
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            for status, description in problems.items():
                responses.setdefault(status, _problem_response(description))
    return result
