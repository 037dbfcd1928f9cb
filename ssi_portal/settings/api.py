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
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "PKCE_REQUIRED": True,
}
# django-oauth-toolkit's application model; named because api.ApiClient refers to it.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
# Calls a client may make, per client, over a sliding window ("N/second|minute|hour|day").
SSI_API_RATE = env.str("SSI_API_RATE", default="600/minute")
