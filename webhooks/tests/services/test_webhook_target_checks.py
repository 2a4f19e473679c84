"""Registration refuses URLs that would make the OMS call its own network (SSRF)."""

import pytest

from core.errors import ValidationFailed
from crm.tests.factories import CustomerFactory
from webhooks.models import WebhookEndpoint
from webhooks.services import webhook_endpoint_create, webhook_endpoint_update
from webhooks.tests.factories import WebhookEndpointFactory
from webhooks.transport import address_allowed

PUBLIC = "93.184.215.14"
NOT_PUBLIC = "This address cannot receive webhooks: it is not a public internet address."


@pytest.fixture
def dns(fake_dns):
    fake_dns.update(
        {
            "erp.dealer.example": [PUBLIC],
            "loopy.dealer.example": ["127.0.0.1"],
            "lan.dealer.example": ["192.168.1.20"],
            "half.dealer.example": [PUBLIC, "10.0.0.7"],
            "gone.dealer.example": None,
        }
    )
    return fake_dns


def _refused(url: str) -> list:
    with pytest.raises(ValidationFailed) as err:
        webhook_endpoint_create(customer=CustomerFactory(), url=url, event_types=[])
    assert list(err.value.fields) == ["url"]
    return [str(message) for message in err.value.fields["url"]]


@pytest.mark.django_db
@pytest.mark.usefixtures("public_targets_only", "dns")
@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.9.9.9:8443/hook",
        "https://localhost/hook",
        "https://LocalHost/hook",
        "https://api.localhost/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://10.0.0.5/hook",
        "https://172.16.3.4/hook",
        "https://192.168.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://loopy.dealer.example/hook",
        "https://lan.dealer.example/hook",
        "https://half.dealer.example/hook",
    ],
)
def test_a_host_that_is_or_resolves_to_a_non_public_address_is_refused_and_nothing_is_written(url):
    assert _refused(url) == [NOT_PUBLIC]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("public_targets_only", "dns")
def test_a_host_that_does_not_resolve_is_refused():
    assert _refused("https://gone.dealer.example/hook") == ["This host name could not be resolved."]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("public_targets_only")
def test_plain_http_is_refused_even_to_a_public_host(dns):
    assert _refused("http://erp.dealer.example/hook") == ["Use https://."]
    assert dns.lookups == {}  # refused before any lookup


@pytest.mark.django_db
@pytest.mark.usefixtures("public_targets_only")
def test_https_to_a_host_with_only_public_addresses_is_accepted(dns):
    endpoint = webhook_endpoint_create(
        customer=CustomerFactory(), url="https://erp.dealer.example/hook", event_types=[]
    )

    assert endpoint.url == "https://erp.dealer.example/hook"
    assert dns.lookups == {"erp.dealer.example": 1}


@pytest.mark.django_db
@pytest.mark.usefixtures("public_targets_only", "dns")
def test_changing_the_url_to_a_private_one_is_refused_and_changes_nothing():
    endpoint = WebhookEndpointFactory(url="https://erp.dealer.example/hook")

    with pytest.raises(ValidationFailed) as err:
        webhook_endpoint_update(
            endpoint_id=endpoint.pk,
            customer_ids=[endpoint.customer_id],
            url="https://loopy.dealer.example/hook",
        )

    assert [str(m) for m in err.value.fields["url"]] == [NOT_PUBLIC]
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).url == "https://erp.dealer.example/hook"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/hook",
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://unresolvable.invalid/hook",
    ],
)
def test_with_private_targets_allowed_plain_http_and_private_hosts_are_accepted_without_a_lookup(
    url, fake_dns
):
    fake_dns["unresolvable.invalid"] = None

    assert webhook_endpoint_create(customer=CustomerFactory(), url=url, event_types=[]).url == url
    assert fake_dns.lookups == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_link_local_multicast_and_unspecified_addresses_are_refused_even_with_private_targets_allowed(url):
    assert _refused(url) == [NOT_PUBLIC]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        (PUBLIC, True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.1.1", False),
        ("172.31.255.255", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("100.64.0.1", False),
        ("240.0.0.1", False),
        ("224.0.0.1", False),
        ("ff02::1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::1", False),
        ("198.18.0.1", False),
    ],
)
def test_only_global_unicast_addresses_are_allowed_in_production(address, allowed):
    assert address_allowed(address, allow_private=False) is allowed
