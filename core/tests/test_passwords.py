"""The password policy (ASVS 2.1.1, 2.1.2, 2.1.7, 2.1.9) as AUTH_PASSWORD_VALIDATORS applies it.

Failed on main before this change: 8 characters were enough and nothing refused 129.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError

from core.passwords import MaximumLengthValidator

# No letters in common with the user's name or e-mail, not on Django's common list, not all digits.
PASSPHRASE_12 = "tqv7-kzm4-wx"


def codes(password: str, user=None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {error.code for error in exc.error_list}
    return set()


def test_eleven_characters_are_refused_and_twelve_accepted():
    assert codes(PASSPHRASE_12[:11]) == {"password_too_short"}
    assert codes(PASSPHRASE_12) == set()


@pytest.mark.parametrize("length", [64, 128])
def test_long_passphrases_up_to_128_characters_are_accepted(length):
    assert codes(("tqv7-kzm4-wx " * 11)[:length]) == set()


def test_more_than_128_characters_are_refused():
    assert codes(("tqv7-kzm4-wx " * 11)[:129]) == {"password_too_long"}


def test_any_printable_unicode_counts_by_characters_not_bytes():
    # 12 Chinese characters are 36 bytes in UTF-8: the limits count characters (ASVS 2.1.4).
    assert codes("订单管理系统的安全口令很长") == set()
    assert codes("订" * 129) == {"password_too_long"}


def test_common_numeric_and_similar_passwords_are_still_refused(db):
    user = get_user_model()(username="margaretha", email="margaretha@example.com")

    assert "password_too_common" in codes("qwerty123456")
    assert "password_entirely_numeric" in codes("839274619320")
    assert "password_too_similar" in codes("margaretha1980", user)


def test_the_rules_are_shown_to_users_with_the_maximum():
    texts = " ".join(password_validators_help_texts())

    assert "at least 12 characters" in texts
    assert "longer than 128 characters" in texts


def test_the_maximum_validator_names_its_limit_in_the_message():
    with pytest.raises(ValidationError) as caught:
        MaximumLengthValidator(max_length=5).validate("123456")

    assert caught.value.messages == ["This password is too long. It must contain at most 5 characters."]
