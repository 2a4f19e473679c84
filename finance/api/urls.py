from django.urls import path

from finance.api import views

urlpatterns = [
    path("invoices/", views.InvoiceListApi.as_view(), name="invoice-list"),
    path("invoices/<str:number>/", views.InvoiceDetailApi.as_view(), name="invoice-detail"),
]
