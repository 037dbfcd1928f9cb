from django.urls import path

from ..views import organisation as views

app_name = "notifications"

# Mounted under /organisation/ (ssi_portal/urls.py).
urlpatterns = [
    path("emails/", views.sent_emails, name="sent_emails"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<int:contact_id>/remove/", views.contact_remove, name="contact_remove"),
]
