from django.urls import path

from webhooks.portal import views

urlpatterns = [
    path("webhooks/", views.WebhookEndpointListView.as_view(), name="webhook-list"),
    path("webhooks/new/", views.WebhookEndpointCreateView.as_view(), name="webhook-create"),
    path(
        "webhooks/<int:endpoint_id>/rotate-secret/",
        views.WebhookEndpointRotateSecretView.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<int:endpoint_id>/delete/", views.WebhookEndpointDeleteView.as_view(), name="webhook-delete"
    ),
    path(
        "webhooks/<int:endpoint_id>/enable/", views.WebhookEndpointEnableView.as_view(), name="webhook-enable"
    ),
]
