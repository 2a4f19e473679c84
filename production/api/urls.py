from django.urls import path

from production.api import views

urlpatterns = [
    path("shop-floor/events/", views.ShopFloorEventCreateApi.as_view(), name="shop-floor-event-create"),
    path("shop-floor/work-orders/", views.ShopFloorWorkOrderListApi.as_view(), name="shop-floor-work-orders"),
]
