from django.urls import path

from production.portal import views

urlpatterns = [
    path("builds/", views.BuildListView.as_view(), name="build-list"),
    path("plant/work-orders/", views.PlantWorkOrderListView.as_view(), name="plant-work-order-list"),
    path(
        "plant/work-orders/<str:number>/",
        views.PlantWorkOrderDetailView.as_view(),
        name="plant-work-order-detail",
    ),
]
