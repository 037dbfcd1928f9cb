"""Settings of the machine API (the api app), part of ``base``."""

import environ

env = environ.Env()
# --- Machine API -------------------------------------------------------------
# /api/v1/ for Suppliers' back-office systems (api app): OAuth 2.0 client credentials with
# short-lived bearer tokens, errors as RFC 9457 problem details, an OpenAPI 3.1 schema.
OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "Read requests, bulk jobs and compliance figures",
        "raise": "Raise requests and submit files of raises",
        "answer": "Answer requests and lodge install codes",
        "reveal": "Reveal install codes",
    },
    "SCOPES_BACKEND_CLASS": "api.oauth.ClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "api.oauth.ClientValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("SSI_API_TOKEN_SECONDS", default=600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": 0,
    # A purge deletes tokens as soon as they expire (no refresh tokens to keep them for).
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "PKCE_REQUIRED": True,
    # RFC 9700 (the OAuth 2.0 Security BCP) throughout: tokens stored hashed, none taken from a
    # URL's query string, no implicit or password grant, PKCE S256 only, `iss` in responses.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
# Expired tokens and Idempotency-Keys past their 24 hours are deleted by a beat job (base.py
# adds these to CELERY_BEAT_SCHEDULE).
API_BEAT_SCHEDULE = {
    "purge-api-leftovers": {
        "task": "api.tasks.purge_api_leftovers",
        "schedule": env.int("SSI_API_PURGE_EVERY_SECONDS", default=3600),
    }
}
# django-oauth-toolkit's application model; named because api.ApiClient refers to it.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
# Calls a client may make, per client, over a sliding window ("N/second|minute|hour|day").
SSI_API_RATE = env.str("SSI_API_RATE", default="600/minute")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ClientTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ScopeRequired"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SSI Portal API",
    "DESCRIPTION": (
        "Requests for Install Code after a Change of Supplier, for Suppliers' back-office "
        "systems: raise, answer, reveal, close; bulk files; lodged codes; compliance figures. "
        "Errors are RFC 9457 problem details with a reason code. Every POST takes an "
        "Idempotency-Key. Install codes are credentials: only the reveal operation returns one."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets of one name in several components, each named for what it is.
    "ENUM_NAME_OVERRIDES": {
        "BulkKindEnum": "api.serializers.bulk.BULK_KINDS",
        "RequestStatusEnum": "api.serializers.requests.REQUEST_STATUSES",
        "RequestStatusFilterEnum": "api.serializers.requests.STATUS_FILTERS",
        "BulkJobStatusEnum": "api.serializers.bulk.JOB_STATUSES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problems_and_keys",
    ],
}
