from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path, register_converter

from accord.api.urls import not_found as api_not_found
from accord.web import views
from accord.web.converters import PersonIdConverter

register_converter(PersonIdConverter, "person_id")  # before the apps' URLs, which use it

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the header's English / Español
    path("account/", include("accord.accounts.urls")),
    path("people/", include("accord.people.urls")),
    path("cases/", include("accord.cases.urls")),
    path("holds/", include("accord.holds.urls")),
    path("movements/", include("accord.movements.urls")),
    path("ledger/", include("accord.ledger.urls")),
    path("audit/", include("accord.audit.urls")),
    path("agreements/", views.agreement_list, name="agreements"),
    path("agreements/<str:agreement_id>/", views.agreement_detail, name="agreement"),
    path("facilities/", views.facility_list, name="facilities"),
    path("statistics/", views.statistics, name="statistics"),
    path("api/v1/", include("accord.api.urls")),
    re_path(r"^api/(?P<rest>[\s\S]*)$", api_not_found),  # another version or none: still a JSON answer
    path("admin/", admin.site.urls),
]
