from django.urls import path

from .views import bulk, compliance, devices, home, incidents, lists

app_name = "incidents"

urlpatterns = [
    path("", home.home, name="home"),
    path("incidents/new/", incidents.raise_request, name="raise"),
    path("incidents/raised/", lists.raised_list, name="raised"),
    path("incidents/assigned/", lists.assigned_list, name="assigned"),
    path("incidents/disclaimed/", lists.disclaimed_list, name="disclaimed"),
    path("incidents/<uuid:public_id>/", incidents.detail, name="detail"),
    path("incidents/<uuid:public_id>/answer/", incidents.answer, name="answer"),
    path(
        "incidents/<uuid:public_id>/not-installed/", incidents.not_installed, name="not_installed"
    ),
    path("incidents/<uuid:public_id>/reveal/", incidents.reveal, name="reveal"),
    path("incidents/<uuid:public_id>/code-failed/", incidents.code_failed, name="code_failed"),
    path("incidents/<uuid:public_id>/close/", incidents.close, name="close"),
    path("incidents/<uuid:public_id>/notes/", incidents.add_note, name="note"),
    path("devices/<str:device_id>/", devices.device_detail, name="device"),
    path("compliance/", compliance.supplier_compliance, name="compliance"),
    path("compliance/export.csv", compliance.supplier_compliance_csv, name="compliance_csv"),
    path("compliance/all/", compliance.all_compliance, name="compliance_all"),
    path(
        "compliance/all/export.csv",
        compliance.all_compliance_csv,
        name="compliance_all_csv",
    ),
]

# Bulk uploads (raise, answer, lodge) and the worklist download.
urlpatterns += [
    path("incidents/assigned/export.csv", bulk.worklist_csv, name="worklist_csv"),
    path("incidents/raised/export.csv", lists.raised_csv, name="raised_csv"),
    path("bulk/", bulk.history, name="bulk_history"),
    path("bulk/raise/", bulk.upload_raise, name="bulk_raise"),
    path("bulk/answer/", bulk.upload_answer, name="bulk_answer"),
    path("bulk/lodge/", bulk.upload_lodge, name="bulk_lodge"),
    path("bulk/sample-<str:kind>.csv", bulk.sample, name="bulk_sample"),
    path("bulk/<uuid:public_id>/", bulk.detail, name="bulk_detail"),
    path("bulk/<uuid:public_id>/status.json", bulk.status_json, name="bulk_status"),
    path("bulk/<uuid:public_id>/results.csv", bulk.results_csv, name="bulk_results"),
]
