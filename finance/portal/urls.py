from django.urls import path

from finance.portal import views

urlpatterns = [
    path("receivables/", views.ReceivablesView.as_view(), name="receivables"),
]
