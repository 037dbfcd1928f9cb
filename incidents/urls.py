from django.urls import path

from . import views, views_bulk, views_compliance, views_devices, views_lists

app_name = "incidents"

urlpatterns = [
    path("", views.home, name="home"),
    path("incidents/new/", views.raise_request, name="raise"),
    path("incidents/raised/", views_lists.raised_list, name="raised"),
    path("incidents/assigned/", views_lists.assigned_list, name="assigned"),
    path("incidents/disclaimed/", views_lists.disclaimed_list, name="disclaimed"),
    path("incidents/<uuid:public_id>/", views.detail, name="detail"),
    path("incidents/<uuid:public_id>/answer/", views.answer, name="answer"),
    path("incidents/<uuid:public_id>/not-installed/", views.not_installed, name="not_installed"),
    path("incidents/<uuid:public_id>/reveal/", views.reveal, name="reveal"),
    path("incidents/<uuid:public_id>/code-failed/", views.code_failed, name="code_failed"),
    path("incidents/<uuid:public_id>/close/", views.close, name="close"),
    path("incidents/<uuid:public_id>/notes/", views.add_note, name="note"),
    path("devices/<str:device_id>/", views_devices.device_detail, name="device"),
    path("compliance/", views_compliance.supplier_compliance, name="compliance"),
    path("compliance/export.csv", views_compliance.supplier_compliance_csv, name="compliance_csv"),
    path("compliance/all/", views_compliance.all_compliance, name="compliance_all"),
    path(
        "compliance/all/export.csv",
        views_compliance.all_compliance_csv,
        name="compliance_all_csv",
    ),
]

# Bulk uploads (raise, answer, lodge) and the worklist download.
urlpatterns += [
    path("incidents/assigned/export.csv", views_bulk.worklist_csv, name="worklist_csv"),
    path("incidents/raised/export.csv", views_lists.raised_csv, name="raised_csv"),
    path("bulk/", views_bulk.history, name="bulk_history"),
    path("bulk/raise/", views_bulk.upload_raise, name="bulk_raise"),
    path("bulk/answer/", views_bulk.upload_answer, name="bulk_answer"),
    path("bulk/lodge/", views_bulk.upload_lodge, name="bulk_lodge"),
    path("bulk/sample-<str:kind>.csv", views_bulk.sample, name="bulk_sample"),
    path("bulk/<uuid:public_id>/", views_bulk.detail, name="bulk_detail"),
    path("bulk/<uuid:public_id>/status.json", views_bulk.status_json, name="bulk_status"),
    path("bulk/<uuid:public_id>/results.csv", views_bulk.results_csv, name="bulk_results"),
]
