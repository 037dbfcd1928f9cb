"""Pages of requests, bulk files and exports are never kept by a browser or a shared cache."""

from django.utils.cache import patch_cache_control

# Every page of the incidents app (home, incidents/, bulk/, compliance/ and the CSV exports),
# and anything else under these paths, a page the resolver did not find included.
NO_STORE_PREFIXES = ("/incidents/", "/bulk/", "/compliance/")


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every response about requests, uploads and
    exports: they show Device IDs, what a refused form held, results files and worklists, and
    the back button or a proxy must not replay them to the next person at the keyboard. The
    reveal page adds its own ``never_cache`` on top."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (match is not None and match.app_name == "incidents") or request.path.startswith(
            NO_STORE_PREFIXES
        ):
            patch_cache_control(response, no_store=True, private=True)
        return response
