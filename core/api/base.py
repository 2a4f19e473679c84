"""What every dealer endpoint shares: who may call it, how lists page, and how throttling answers.

core sits below crm and orders, so it does not know how a user maps to customers: each app's api
sets `customers_selector` (orders.selectors.customers_for_user) on its base view, and may set
`token_customers_selector` (crm.selectors.api_token_with_customers) so that token authentication reads
the user's customers in its own query.
"""

from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission, IsAuthenticated

from core.api.authentication import api_token_read
from core.api.idempotency import scope_for
from core.api.pagination import CreatedCursorPagination


class IsDealer(BasePermission):
    """The user acts for at least one active customer; staff without one get 403 here."""

    message = _("This endpoint is for dealer users; your account does not act for any customer.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and view.dealer_customers())


class DealerApiMixin:
    """Base of every dealer endpoint. The user's customers are read once per request."""

    permission_classes = [IsAuthenticated, IsDealer]
    customers_selector: Callable = None  # type: ignore[assignment]
    token_customers_selector: Callable | None = None

    def read_api_token(self, digest: str):
        """Called by ApiTokenAuthentication: the token, with the user's customers read in the same query."""
        if self.token_customers_selector is None:
            return api_token_read(digest)
        token, customers = self.token_customers_selector(digest=digest)
        self.request._dealer_customers = customers
        return token

    def dealer_customers(self) -> list:
        customers = getattr(self.request, "_dealer_customers", None)
        if customers is None:
            customers = list(self.customers_selector(self.request.user))
            self.request._dealer_customers = customers
        return customers

    def dealer_scope(self) -> str:
        """A stable name for the set of customers the user acts for (idempotency keys live in it)."""
        return scope_for(sorted(customer.pk for customer in self.dealer_customers()))


class ApiCursorPagination(CreatedCursorPagination):
    """Cursor pagination whose bad cursors and orderings are 400s, not 404s or 500s.

    A view may offer `ordering_choices = {"-total": ("-total", "-id"), …}` for the `ordering`
    query parameter; the first field of each choice must be non-null (it becomes the cursor position).
    """

    ordering_param = "ordering"
    invalid_cursor_message = _("Invalid cursor.")

    def get_ordering(self, request, queryset, view):
        choices = getattr(view, "ordering_choices", None)
        value = request.query_params.get(self.ordering_param)
        if not choices or value in (None, ""):
            return self.ordering
        if value not in choices:
            raise exceptions.ValidationError(
                {self.ordering_param: [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}]}
            )
        return choices[value]

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def paginate_queryset(self, queryset, request, view=None):
        ordering = self.get_ordering(request, queryset, view)
        cursor = self.decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            # A hand-made or foreign cursor would otherwise reach the database as a bad comparison.
            try:
                field = queryset.model._meta.get_field(ordering[0].lstrip("-"))
                field.to_python(cursor.position)
            except (FieldDoesNotExist, DjangoValidationError, TypeError, ValueError):
                raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        return super().paginate_queryset(queryset, request, view)


class DealerListApiMixin(DealerApiMixin):
    """A dealer's list endpoint: cursor-paginated rows from `dealer_queryset()`, a visibility selector.

    `model` names the rows for schema generation, which runs without a dealer.
    """

    pagination_class = ApiCursorPagination
    model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.dealer_queryset()

    def dealer_queryset(self):
        raise NotImplementedError
