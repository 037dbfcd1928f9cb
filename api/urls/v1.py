from django.urls import path
from oauth2_provider.views import TokenView

from ..views import actions, bulk, caller, compliance, devices, docs, lodged, requests

app_name = "api"

urlpatterns = [
    # OAuth 2.0 token endpoint (client credentials only; api.oauth.ClientValidator).
    path("oauth/token/", TokenView.as_view(), name="token"),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    path("client/", caller.ClientView.as_view(), name="client"),
    path("devices/<str:device_id>/", devices.DeviceView.as_view(), name="device"),
    path("requests/", requests.RequestsView.as_view(), name="requests"),
    path("requests/<uuid:public_id>/", requests.RequestView.as_view(), name="request"),
    path("requests/<uuid:public_id>/answer/", actions.AnswerView.as_view(), name="request_answer"),
    path(
        "requests/<uuid:public_id>/not-installed/",
        actions.NotInstalledView.as_view(),
        name="request_not_installed",
    ),
    path("requests/<uuid:public_id>/reveal/", actions.RevealView.as_view(), name="request_reveal"),
    path(
        "requests/<uuid:public_id>/code-failed/",
        actions.CodeFailedView.as_view(),
        name="request_code_failed",
    ),
    path("requests/<uuid:public_id>/close/", actions.CloseView.as_view(), name="request_close"),
    path("requests/<uuid:public_id>/notes/", actions.NotesView.as_view(), name="request_notes"),
    path("bulk-jobs/", bulk.BulkJobsView.as_view(), name="bulk_jobs"),
    path("bulk-jobs/<uuid:public_id>/", bulk.BulkJobView.as_view(), name="bulk_job"),
    path(
        "bulk-jobs/<uuid:public_id>/results/",
        bulk.BulkJobResultsView.as_view(),
        name="bulk_job_results",
    ),
    path("lodged-codes/", lodged.LodgeView.as_view(), name="lodged_codes"),
    path("lodged-codes/withdraw/", lodged.WithdrawView.as_view(), name="lodged_codes_withdraw"),
    path("compliance/", compliance.ComplianceView.as_view(), name="compliance"),
]
