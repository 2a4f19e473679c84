"""Helpers for dealer API tests; finance, logistics and the cross-app tests build on them."""

from rest_framework.test import APIClient

from crm.tests.factories import AddressFactory, CustomerFactory, dealer_user
from orders.models import Channel
from orders.tests.factories import make_order
from restapi.services import api_token_create


def client_for(user) -> APIClient:
    """An API client authenticated the way integrations are: `Authorization: Token <key>`."""
    _token, key = api_token_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def dealer(**customer_kwargs):
    """A dealer customer with a default address, one user acting for it and that user's API client."""
    customer = CustomerFactory(**customer_kwargs)
    AddressFactory(customer=customer)
    user = dealer_user(customer)
    return customer, user, client_for(user)


def dealer_order(customer, **kwargs):
    return make_order(customer=customer, channel=Channel.DEALER_API, **kwargs)
