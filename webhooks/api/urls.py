from django.urls import path

from webhooks.api import views

urlpatterns = [
    path("webhook-endpoints/", views.WebhookEndpointListApi.as_view(), name="webhook-endpoint-list"),
    path(
        "webhook-endpoints/<str:endpoint_id>/",
        views.WebhookEndpointDetailApi.as_view(),
        name="webhook-endpoint-detail",
    ),
    path(
        "webhook-endpoints/<str:endpoint_id>/rotate-secret/",
        views.WebhookEndpointRotateSecretApi.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path("webhook-deliveries/", views.WebhookDeliveryListApi.as_view(), name="webhook-delivery-list"),
]
