"""What every operation of the API shares: bearer tokens of API clients, scopes, a rate per
client, problem details, and ``Idempotency-Key`` on every POST."""

from django.utils.cache import patch_cache_control
from rest_framework.views import APIView

from ..authentication import ClientTokenAuthentication
from ..idempotency import run_idempotent
from ..permissions import ScopeRequired
from ..problems import refusal_problem
from ..throttling import ClientRateThrottle


class ApiView(APIView):
    """The base of every API operation. ``required_scopes``: method (or ``"*"``) → scope."""

    authentication_classes = [ClientTokenAuthentication]
    permission_classes = [ScopeRequired]
    throttle_classes = [ClientRateThrottle]
    required_scopes: dict[str, str] = {}
    # Whether a POST is run once per Idempotency-Key (its answer stored for retries).
    idempotent = True

    @property
    def api_client(self):
        return getattr(self.request._request, "api_client", None)

    def refuse_unless(self, decision, incident=None) -> None:
        """Go on if the access helper allows the action; otherwise its problem."""
        if not decision.allowed:
            raise refusal_problem(decision, incident)

    def dispatch(self, request, *args, **kwargs):
        # APIView.dispatch, with a POST run once per Idempotency-Key (api.idempotency): the
        # key is read after the client is known and before the body is parsed.
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            handler = self._handler(request)
            if (
                request.method == "POST"
                and self.idempotent
                and handler != self.http_method_not_allowed
            ):
                response = run_idempotent(
                    request._request,
                    self.api_client,
                    lambda: self._rendered(handler, request, *args, **kwargs),
                )
            else:
                response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        # Nothing of the API is for a shared cache or the browser's history.
        patch_cache_control(self.response, no_store=True, private=True)
        return self.response

    def _handler(self, request):
        if request.method.lower() in self.http_method_names:
            return getattr(self, request.method.lower(), self.http_method_not_allowed)
        return self.http_method_not_allowed

    def _rendered(self, handler, request, *args, **kwargs):
        try:
            response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        response = self.finalize_response(request, response, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()
        return response
