import datetime as dt
import functools

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from core.db import CompiledQuery
from crm.models import Customer
from crm.selectors import customer_list_for_user
from restapi.models import ApiToken


def api_token_list_for_user(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_list_usable(*, user, now: dt.datetime | None = None) -> QuerySet[ApiToken]:
    """The user's tokens that still work: not revoked, not past their expiry or the maximum age."""
    now = now or timezone.now()
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(expires_at__lte=now)
    if settings.API_TOKEN_MAX_AGE_DAYS > 0:
        tokens = tokens.filter(created_at__gt=now - dt.timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS))
    return tokens


def api_token_user_may_use_api(*, user) -> bool:
    """Whether a token for `user` could ever be used: an active user acting for an active customer.

    The dealer API answers everyone else (staff without a dealer customer) 403 on every endpoint.
    """
    return user.is_active and customer_list_for_user(user=user).exists()


def api_token_read(*, digest: str) -> ApiToken | None:
    """The API token with this digest (revoked and expired ones too: authentication tells them
    apart), its user attached; None for an unknown key."""
    return ApiToken.objects.select_related("user").filter(digest=digest).first()


def api_token_with_customers(*, digest: str) -> tuple[ApiToken | None, list[Customer]]:
    """The API token with this digest, its user, and the customers that user acts for: one query.

    Revoked and expired tokens are returned too, so that authentication can say which it is from the
    row it already has (no second query).

    Every dealer request needs all three, so they are read as one row per customer (a left join: a user
    who acts for no customer still authenticates, with an empty list). The customers are exactly
    crm.selectors.customer_list_for_user (linked to the user, active), ordered by name.
    """
    query, columns, compiled = _token_with_customers_query()
    rows = (
        compiled.rows(digest)
        if connections[query.db].vendor == "postgresql"
        else list(query.filter(digest=digest))
    )
    if not rows:
        return None, []
    db = query.db
    split = [0, len(columns[0]), len(columns[0]) + len(columns[1]), len(rows[0])]
    token = ApiToken.from_db(db, columns[0], rows[0][split[0] : split[1]])
    token.user = get_user_model().from_db(db, columns[1], rows[0][split[1] : split[2]])
    customers = []
    for row in rows:
        customer = Customer.from_db(db, columns[2], row[split[2] : split[3]])
        if customer.pk is not None and customer.is_active:
            customers.append(customer)
    return token, customers


@functools.cache
def _token_with_customers_query() -> tuple[QuerySet, list[list[str]], CompiledQuery]:
    # Built once per process: resolving some fifty columns across the joins costs more than the query;
    # on PostgreSQL even filtering and compiling it anew did (the digest marker cannot be a digest).
    models = [(ApiToken, ""), (get_user_model(), "user__"), (Customer, "user__customers__")]
    columns = [[f.attname for f in model._meta.concrete_fields] for model, _prefix in models]
    names = [
        prefix + name for (_model, prefix), fields in zip(models, columns, strict=True) for name in fields
    ]
    query = ApiToken.objects.order_by("user__customers__name").values_list(*names)
    return query, columns, CompiledQuery(lambda digest: query.filter(digest=digest), "\0digest")
