"""`Idempotency-Key` for unsafe API requests: a retry gets the original response, never a second write.

How a keyed request runs: its handler runs inside one transaction, and a response worth keeping is
stored under the key (scope, key, request hash, status, body) as the last write of that transaction,
so the write and its stored response commit together or not at all. The unique (scope, key)
constraint decides: of two requests with one key, the first to commit keeps its result; the other's
insert finds the key taken (waiting, if need be, for the first transaction to end), its transaction
rolls back — order, events and all — and it answers with the stored response instead. A request whose
transaction fails leaves nothing behind, key included, so no key is ever left waiting for a dead
request. (Each request costs one statement for its key instead of claim, lock and store.)

What is stored follows Stripe: the result of a request that was carried out or refused by a business
rule (2xx, 409, 422) is kept and replayed for the key's lifetime. A request refused before anything
could happen — invalid input (400), 401/403/404, 413, 415, 429 — and any server error (5xx) is rolled
back and leaves nothing behind, so the client may fix the input and retry with the same key.

Same key, same request (method, path, If-Match and canonical JSON body): the stored response, with the
header `Idempotent-Replayed: true`. Same key, different request: 422 `idempotency_key_mismatch`. Keys
are kept IDEMPOTENCY_KEY_TTL_HOURS (restapi.services.idempotency_key_purge); a key older than that is
treated as new. A key row without a response (written by a version that committed keys before the
work) answers 409 `idempotency_request_in_progress` with Retry-After for a minute, then is taken over.
"""

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.errors import Conflict, DomainError
from restapi.models import IdempotencyKey
from restapi.services import idempotency_key_drop_abandoned, idempotency_key_expire, idempotency_key_record

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
STALE_AFTER = dt.timedelta(seconds=60)
REPLAYED_HEADER = "Idempotent-Replayed"
# Response headers worth replaying along with the body.
KEPT_HEADERS = ("Location", "ETag")


class IdempotencyKeyMismatch(DomainError):
    code = "idempotency_key_mismatch"
    status = 422
    default_message = _("This Idempotency-Key was already used for a different request. Use a new key.")


class IdempotentRequestInProgress(Conflict):
    code = "idempotency_request_in_progress"
    default_message = _("A request with this Idempotency-Key is still being processed. Retry shortly.")


def scope_for(customer_ids: list[int]) -> str:
    """The key namespace of a dealer: its sorted customer ids (hashed when too long for the column)."""
    scope = "dealer:" + ",".join(str(pk) for pk in customer_ids)
    if len(scope) > 64:
        scope = "dealer#" + hashlib.sha256(scope.encode()).hexdigest()[:57]
    return scope


def is_stored(status_code: int) -> bool:
    return 200 <= status_code < 300 or status_code in (409, 422)


def request_hash(request) -> str:
    data = request.data
    if isinstance(data, QueryDict):
        data = {key: data.getlist(key) for key in sorted(data)}
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    # If-Match is part of the request: the same edit against another version is a different request.
    raw = f"{request.method}\n{request.get_full_path()}\n{request.headers.get('If-Match', '')}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _key_from(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise exceptions.ValidationError(
            {
                HEADER: [
                    _("Use 1 to %(max)d printable ASCII characters, e.g. a UUID.") % {"max": MAX_KEY_LENGTH}
                ]
            }
        )
    return key


def _replay(record: IdempotencyKey) -> Response:
    stored = record.response_body or {}
    headers = {name: value for name, value in (stored.get("headers") or {}).items() if name in KEPT_HEADERS}
    headers[REPLAYED_HEADER] = "true"
    return Response(stored.get("body"), status=record.response_status, headers=headers)


def _stored_document(response: Response) -> str:
    """The key row's JSON document: the kept headers and the body as the JSON renderer writes it."""
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    body = JSONRenderer().render(response.data).decode() if response.data is not None else "null"
    return f'{{"headers": {json.dumps(headers)}, "body": {body or "null"}}}'


def _busy() -> Response:
    busy = IdempotentRequestInProgress()
    return Response(busy.as_dict(), status=busy.status, headers={"Retry-After": "1"})


def _is_expired(record: IdempotencyKey, now: dt.datetime) -> bool:
    return record.created_at < now - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def _is_abandoned(record: IdempotencyKey, now: dt.datetime) -> bool:
    return record.response_status is None and record.created_at < now - STALE_AFTER


def _existing(scope: str, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(scope=scope, key=key).first()


def _answer_from(record: IdempotencyKey | None, digest: str) -> Response | None:
    """What an earlier request with this key answers for this one; None when it answers nothing."""
    now = timezone.now()
    if record is None or _is_expired(record, now):
        return None
    if record.request_hash != digest:
        raise IdempotencyKeyMismatch()
    if record.response_status is not None:
        return _replay(record)
    return None if _is_abandoned(record, now) else _busy()


class _RolledBack(Exception):
    """Leaves the request's transaction so that it rolls back; carries what is known for the answer."""

    def __init__(self, response: Response | None = None, existing: IdempotencyKey | None = None):
        super().__init__()
        self.response, self.existing = response, existing


def _store(scope: str, key: str, digest: str, response: Response) -> None:
    """Store the response under the key, in the request's transaction; raise _RolledBack if it is taken.

    A taken key that has expired, or that an older version left without a response, is dropped and
    the key used afresh in the same transaction.
    """
    document = _stored_document(response)
    record = functools.partial(
        idempotency_key_record, scope=scope, key=key, request_hash=digest, status=response.status_code
    )
    if record(body=document):
        return
    existing = _existing(scope, key)
    if existing is not None:
        now = timezone.now()
        if _is_expired(existing, now):
            dropped = idempotency_key_expire(key_id=existing.pk, created_at=existing.created_at)
        elif _is_abandoned(existing, now) and existing.request_hash == digest:
            dropped = idempotency_key_drop_abandoned(key_id=existing.pk, created_at=existing.created_at)
        else:
            dropped = False
        if dropped and record(body=document):
            return
    raise _RolledBack(existing=existing)


def idempotent(view, request, *, scope: str, handler: Callable[[], Response]) -> Response:
    """Run `handler` so that its effect happens at most once per (scope, Idempotency-Key).

    Without the header, just run it. `view` is the DRF view: its `handle_exception` turns the handler's
    errors into responses so that refusals by business rules (409, 422) can be stored like successes.
    """
    key = _key_from(request)
    if key is None:
        return handler()
    digest = request_hash(request)
    try:
        with transaction.atomic():
            try:
                response = handler()
            except Exception as exc:
                response = view.handle_exception(exc)
            if not is_stored(response.status_code):
                raise _RolledBack(response=response)
            _store(scope, key, digest, response)
        return response
    except _RolledBack as rolled_back:
        if rolled_back.response is None:
            # The key was taken by a request that committed first (read in the rolled-back transaction;
            # its row may have been dropped since as expired, in which case the client retries).
            return _answer_from(rolled_back.existing, digest) or _busy()
        # A refusal that is not kept; but a retry whose input no longer passes (say, a product was
        # withdrawn since) must still get the original answer.
        return _answer_from(_existing(scope, key), digest) or rolled_back.response
    except Exception:
        # Likewise for a server error: an earlier request's stored answer wins over the error.
        answer = _answer_from(_existing(scope, key), digest)
        if answer is None:
            raise
        return answer
