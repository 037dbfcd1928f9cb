"""An organisation's users, for its administrators. Mounted at /organisation/users/."""

from django.urls import path

from ..views import users as views

app_name = "users"

urlpatterns = [
    path("", views.users_list, name="list"),
    path("invite/", views.users_invite, name="invite"),
    path("<int:user_id>/", views.users_detail, name="detail"),
    path("<int:user_id>/deactivate/", views.users_deactivate, name="deactivate"),
    path("<int:user_id>/reactivate/", views.users_reactivate, name="reactivate"),
    path("<int:user_id>/invite-again/", views.users_invite_again, name="invite_again"),
    path("<int:user_id>/reset-two-factor/", views.users_reset_mfa, name="reset_mfa"),
]
