from django.urls import path

from orders.api import views

urlpatterns = [
    path("products/", views.ProductListApi.as_view(), name="product-list"),
    path("quotes/", views.QuoteCreateApi.as_view(), name="quote-create"),
    path("orders/", views.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/<str:number>/", views.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:number>/cancel/", views.OrderCancelApi.as_view(), name="order-cancel"),
    path("orders/<str:number>/submit/", views.OrderSubmitApi.as_view(), name="order-submit"),
    path("orders/<str:number>/timeline/", views.OrderTimelineApi.as_view(), name="order-timeline"),
]
