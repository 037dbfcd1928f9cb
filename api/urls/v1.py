from django.urls import path
from oauth2_provider.views import TokenView

from ..views import bulk, caller, compliance, docs, lodged

app_name = "api"

urlpatterns = [
    # OAuth 2.0 token endpoint (client credentials only; api.oauth.ClientValidator).
    path("oauth/token/", TokenView.as_view(), name="token"),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    path("client/", caller.ClientView.as_view(), name="client"),
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
