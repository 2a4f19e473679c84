"""The order manager's review screen (issue #9): one page per order built for deciding, not for
editing — lines with stock per warehouse and the promised date, the customer's credit, the review
steps, the priority and why, the timeline in words, and the actions this user may take.

Read-only: every button leads to the confirmation pages of orders/admin.py, which call the services
with the version shown here.
"""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from crm.selectors import customer_credit_check
from orders.admin_review import review_display
from orders.models import Order
from orders.selectors import (
    order_allocation_view,
    order_event_list,
    order_priority_view,
    order_review_lines,
)
from orders.timeline import event_sentences

TIMELINE_LENGTH = 40


class OrderReviewScreenMixin:
    """Gives OrderAdmin the `review` page (`admin:orders_order_review`)."""

    def get_urls(self):
        return [
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="orders_order_review",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, object_id):
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, order):
            raise PermissionDenied
        customer = order.customer
        context = {
            **self.admin_site.each_context(request),
            "title": _("Review order %(number)s") % {"number": order.number},
            "opts": self.opts,
            "original": order,
            "order": order,
            "customer": customer,
            # The figures finance keeps, read as the quote reads them (the order is in the exposure
            # once finance has counted it; its warnings are the quote's).
            "credit": customer_credit_check(customer=customer),
            "lines": order_review_lines(order=order),
            "allocation": order_allocation_view(order=order),
            "priority": order_priority_view(order=order),
            "review_steps": review_display(order),
            "timeline": [
                (event, event_sentences(event)) for event in order_event_list(order=order)[:TIMELINE_LENGTH]
            ],
            "actions": self.transition_links(request, order),
            "change_url": reverse("admin:orders_order_change", args=[order.pk]),
        }
        return TemplateResponse(request, "admin/orders/order/review.html", context)


def review_url(order: Order) -> str:
    return reverse("admin:orders_order_review", args=[order.pk])
