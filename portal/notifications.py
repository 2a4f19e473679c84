"""The in-app notice list of every signed-in user (core.notifications): read, open, mark read.

Staff reach the same list from the admin's header; the unread count is fetched by the page after it
loads, so no screen pays a query for it.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from core.notifications import (
    notification_list_for_user,
    notification_mark_read,
    notification_render,
    notification_unread_count,
)

PAGE_SIZE = 25


class NotificationListView(LoginRequiredMixin, View):
    def get(self, request):
        page = Paginator(notification_list_for_user(user=request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        # Rendered in the reader's language, whatever language its e-mail went out in.
        items = [(notice, notification_render(notice, language=request.LANGUAGE_CODE)) for notice in page]
        return render(
            request,
            "portal/notifications/list.html",
            {"page": page, "items": items, "unread": notification_unread_count(user=request.user)},
        )


class NotificationReadView(LoginRequiredMixin, View):
    """POST: mark one notice (`notification`) or all read; then go to its link, or back to the list."""

    def post(self, request):
        notice_id = request.POST.get("notification")
        if notice_id is not None:
            if not notice_id.isdigit():
                raise Http404
            notice = notification_list_for_user(user=request.user).filter(pk=int(notice_id)).first()
            if notice is None:
                raise Http404
            notification_mark_read(user=request.user, notification_id=notice.pk)
            if notice.link and url_has_allowed_host_and_scheme(
                notice.link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return HttpResponseRedirect(notice.link)
        else:
            notification_mark_read(user=request.user)
        return HttpResponseRedirect(reverse("portal:notification-list"))


class NotificationUnreadView(LoginRequiredMixin, View):
    def get(self, request):
        response = JsonResponse({"unread": notification_unread_count(user=request.user)})
        response["Cache-Control"] = "private, no-store"
        return response
