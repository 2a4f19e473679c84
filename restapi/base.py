"""What every dealer endpoint shares: who may call it, for which customers, and how lists page.

The customers a user acts for come from crm (crm.selectors.customer_list_for_user), the one
definition of dealer scoping; restapi sits above crm and below every app that has an api/. Token
authentication asks the view to read the token (`read_api_token`): a dealer view reads the user's
customers in the same query (restapi.selectors.api_token_with_customers).
"""

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, generics
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.views import APIView

from core.errors import NotFound, ValidationFailed
from crm.selectors import customer_list_for_user
from restapi.idempotency import scope_for
from restapi.pagination import CreatedCursorPagination
from restapi.parsers import check_body_framing
from restapi.selectors import api_token_with_customers

MAX_NUMBER_LENGTH = 32


def document_number(raw: str) -> str:
    """A document number from the URL (order, invoice, shipment), checked before any query.

    A number that cannot exist is answered like one that is not the dealer's: 404, without a query.
    """
    if len(raw) > MAX_NUMBER_LENGTH or not raw.isprintable():
        raise NotFound()
    return raw


class IsDealer(BasePermission):
    """The user acts for at least one active customer; staff without one get 403 here."""

    message = _("This endpoint is for dealer users; your account does not act for any customer.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and view.dealer_customers())


class DealerApiMixin:
    """Base of every dealer endpoint. The user's customers are read once per request."""

    permission_classes = [IsAuthenticated, IsDealer]

    def initial(self, request, *args, **kwargs):
        # First, before authentication or throttling: a body of unknown length is refused unread.
        check_body_framing(request)
        super().initial(request, *args, **kwargs)

    def read_api_token(self, digest: str):
        """Called by ApiTokenAuthentication: the token, with the user's customers read in the same query."""
        token, customers = api_token_with_customers(digest=digest)
        self.request._dealer_customers = customers
        return token

    def dealer_customers(self) -> list:
        customers = getattr(self.request, "_dealer_customers", None)
        if customers is None:
            customers = list(customer_list_for_user(user=self.request.user))
            self.request._dealer_customers = customers
        return customers

    def dealer_customer(self, code: str | None):
        """The customer a request acts for: the user's only one, or the one named by `customer` code.

        A code that is not one of the user's customers gets the same answer whether or not it exists.
        """
        customers = self.dealer_customers()
        if code:
            for customer in customers:
                if customer.code == code:
                    return customer
            raise ValidationFailed(fields={"customer": [gettext("Not one of your customers.")]})
        if len(customers) == 1:
            return customers[0]
        raise ValidationFailed(
            fields={
                "customer": [
                    gettext("You act for several customers: give the customer code (one of %(codes)s).")
                    % {"codes": ", ".join(c.code for c in customers)}
                ]
            }
        )

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


class DealerApi(DealerApiMixin, APIView):
    """A dealer endpoint written as plain methods (get, post, …)."""


class DealerListApi(DealerListApiMixin, generics.ListAPIView):
    """A dealer list endpoint: set `serializer_class`, `model` and `dealer_queryset()`."""
