from django.test import override_settings

from pricing.checks import check_default_tax_rate


@override_settings(DEFAULT_TAX_RATE="13")
def test_a_tax_rate_given_as_a_percentage_fails_the_start_up_checks():
    """New check: 13 instead of 0.13 would make every order a database error (tax_rate is 0–1)."""
    assert [e.id for e in check_default_tax_rate()] == ["pricing.E001"]


@override_settings(DEFAULT_TAX_RATE="abc")
def test_a_tax_rate_that_is_not_a_number_fails_the_start_up_checks():
    assert [e.id for e in check_default_tax_rate()] == ["pricing.E001"]


def test_the_default_tax_rate_passes():
    assert check_default_tax_rate() == []
