from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.home, name="home"),
    path("incidents/new/", views.raise_request, name="raise"),
    path("incidents/raised/", views.raised_list, name="raised"),
    path("incidents/assigned/", views.assigned_list, name="assigned"),
    path("incidents/<uuid:public_id>/", views.detail, name="detail"),
    path("incidents/<uuid:public_id>/answer/", views.answer, name="answer"),
    path("incidents/<uuid:public_id>/not-installed/", views.not_installed, name="not_installed"),
    path("incidents/<uuid:public_id>/reveal/", views.reveal, name="reveal"),
    path("incidents/<uuid:public_id>/code-failed/", views.code_failed, name="code_failed"),
    path("incidents/<uuid:public_id>/close/", views.close, name="close"),
    path("incidents/<uuid:public_id>/notes/", views.add_note, name="note"),
]
