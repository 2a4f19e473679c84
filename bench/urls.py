from django.urls import path

from bench.bare import bare_order_create
from config.urls import urlpatterns as app_urlpatterns

urlpatterns = [path("bench/bare-order/", bare_order_create), *app_urlpatterns]
