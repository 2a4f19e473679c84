from django.urls import path

from logistics.api import views

urlpatterns = [
    path("shipments/", views.ShipmentListApi.as_view(), name="shipment-list"),
    path("shipments/<str:number>/", views.ShipmentDetailApi.as_view(), name="shipment-detail"),
]
