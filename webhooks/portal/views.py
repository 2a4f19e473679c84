"""Portal pages where a dealer manages webhook endpoints and sees recent deliveries."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core.errors import DomainError
from crm.selectors import customer_list_for_user, is_dealer
from portal.mixins import PortalAccessMixin, apply_domain_error, domain_error_message
from webhooks.portal.forms import WebhookEndpointCreateForm
from webhooks.selectors import webhook_delivery_list_for_user, webhook_endpoint_list_for_user
from webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

RECENT_DELIVERIES = 20
NO_ACCESS = gettext_lazy("Webhooks are for dealer accounts.")


def _customer_ids(user) -> list[int]:
    return list(customer_list_for_user(user=user).values_list("pk", flat=True))


def _secret_page(request, endpoint, *, created: bool):
    response = render(request, "portal/webhooks/secret.html", {"endpoint": endpoint, "created": created})
    # The signing secret is in this page; keep it out of every cache.
    response["Cache-Control"] = "no-store"
    return response


class WebhookEndpointListView(PortalAccessMixin, View):
    access_check = staticmethod(is_dealer)
    no_access_reason = NO_ACCESS

    def get(self, request):
        endpoints = webhook_endpoint_list_for_user(user=request.user).order_by("customer__name", "pk")
        deliveries = webhook_delivery_list_for_user(user=request.user)[:RECENT_DELIVERIES]
        return render(
            request, "portal/webhooks/list.html", {"endpoints": endpoints, "deliveries": deliveries}
        )


class WebhookEndpointCreateView(PortalAccessMixin, View):
    access_check = staticmethod(is_dealer)
    no_access_reason = NO_ACCESS
    template_name = "portal/webhooks/create.html"

    def get(self, request):
        form = WebhookEndpointCreateForm(customers=customer_list_for_user(user=request.user).order_by("name"))
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = WebhookEndpointCreateForm(
            request.POST, customers=customer_list_for_user(user=request.user).order_by("name")
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                endpoint = webhook_endpoint_create(
                    customer=data["customer"],
                    url=data["url"],
                    event_types=data["event_types"],
                    actor=request.user,
                )
            except DomainError as exc:
                apply_domain_error(exc, form)
            else:
                return _secret_page(request, endpoint, created=True)
        return render(request, self.template_name, {"form": form})


class WebhookEndpointRotateSecretView(PortalAccessMixin, View):
    access_check = staticmethod(is_dealer)
    no_access_reason = NO_ACCESS
    http_method_names = ["post"]

    def post(self, request, endpoint_id: int):
        try:
            endpoint = webhook_endpoint_rotate_secret(
                endpoint_id=endpoint_id, customer_ids=_customer_ids(request.user)
            )
        except DomainError as exc:
            domain_error_message(request, exc)
            return redirect("portal:webhook-list")
        return _secret_page(request, endpoint, created=False)


class WebhookEndpointDeleteView(PortalAccessMixin, View):
    access_check = staticmethod(is_dealer)
    no_access_reason = NO_ACCESS
    http_method_names = ["post"]

    def post(self, request, endpoint_id: int):
        try:
            webhook_endpoint_delete(endpoint_id=endpoint_id, customer_ids=_customer_ids(request.user))
        except DomainError as exc:
            domain_error_message(request, exc)
        else:
            messages.success(request, _("The webhook endpoint was deleted."))
        return redirect("portal:webhook-list")


class WebhookEndpointEnableView(PortalAccessMixin, View):
    """Turn a disabled endpoint on again (the email sent on disabling points here); clears its failures."""

    access_check = staticmethod(is_dealer)
    no_access_reason = NO_ACCESS
    http_method_names = ["post"]

    def post(self, request, endpoint_id: int):
        try:
            webhook_endpoint_update(
                endpoint_id=endpoint_id, customer_ids=_customer_ids(request.user), is_active=True
            )
        except DomainError as exc:
            domain_error_message(request, exc)
        else:
            messages.success(
                request, _("The webhook endpoint is enabled again; its pending deliveries will be retried.")
            )
        return redirect("portal:webhook-list")
