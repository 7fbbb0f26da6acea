"""Password policy (ASVS 6.2) and argon2id hashing."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from quotahit.accounts import passwords
from quotahit.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    password_problem,
    verify_password,
)

GOOD = "plum tractor orbit 42"


@pytest.fixture(scope="module")
def good_hash() -> str:
    return hash_password(GOOD)


# Policy.


def test_a_passphrase_is_accepted() -> None:
    assert password_problem(GOOD, email="alice@example.com", name="Alice Martin") is None


@pytest.mark.parametrize("password", ["", "a", "7 chars", "abc def"])
def test_too_short_is_refused_with_the_minimum(password: str) -> None:
    assert len(password) < MIN_PASSWORD_LENGTH
    assert password_problem(password) == f"Use at least {MIN_PASSWORD_LENGTH} characters."


def test_exactly_the_minimum_is_enough() -> None:
    assert password_problem("kiwi-j4m") is None
    assert len("kiwi-j4m") == MIN_PASSWORD_LENGTH


def test_long_passwords_up_to_the_maximum_are_accepted() -> None:
    # ASVS 6.2.9: at least 64 characters must be allowed.
    sentence = "the quick brown fox jumps over the lazy dog while it rains on mars "
    assert password_problem(sentence[:64]) is None
    assert password_problem((sentence * 2)[:MAX_PASSWORD_LENGTH]) is None


def test_over_the_maximum_is_refused() -> None:
    too_long = ("orbit tractor plum " * 10)[: MAX_PASSWORD_LENGTH + 1]
    assert password_problem(too_long) == f"Use at most {MAX_PASSWORD_LENGTH} characters."


@pytest.mark.parametrize(
    "password", ["password", "Password1", "LETMEIN123", "12345678", "iloveyou"]
)
def test_common_passwords_are_refused_whatever_the_case(password: str) -> None:
    problem = password_problem(password)
    assert problem is not None
    assert "too common" in problem


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "abababababab", "ZzZzZzZzZz"])
def test_passwords_of_one_or_two_distinct_characters_are_refused(password: str) -> None:
    problem = password_problem(password)
    assert problem is not None
    assert "too common" in problem


def test_no_composition_rules() -> None:
    # ASVS 6.2.5: no required upper case, digits or symbols.
    assert password_problem("correct horse battery staple") is None


def test_email_local_part_in_password_is_refused() -> None:
    problem = password_problem("my-jordan.smith-secret", email="Jordan.Smith@example.com")
    assert problem == "Don't use your e-mail address in your password."


def test_short_local_parts_are_not_policed() -> None:
    # A 3-letter local part ("bob") would forbid too many ordinary words.
    assert password_problem("bobsleigh racing", email="bob@example.com") is None


def test_name_in_password_is_refused_ignoring_case_and_spaces() -> None:
    problem = password_problem("Jordan Smith rocks!", email="js@example.com", name="jordan smith")
    assert problem == "Don't use your name in your password."
    problem = password_problem("xxJORDANSMITHxx", name="Jordan Smith")
    assert problem == "Don't use your name in your password."


def test_without_a_name_or_email_only_the_other_rules_apply() -> None:
    assert password_problem("jordan smith rocks") is None


# Hashing.


def test_hash_is_argon2id_and_salted(good_hash: str) -> None:
    assert good_hash.startswith("$argon2id$")
    assert GOOD not in good_hash
    assert hash_password(GOOD) != good_hash  # a fresh salt each time


def test_hash_uses_the_asvs_parameters(good_hash: str) -> None:
    # OWASP: m=19 MiB, t=2, p=1.
    assert "m=19456,t=2,p=1" in good_hash


def test_verify_accepts_the_right_password(good_hash: str) -> None:
    assert verify_password(good_hash, GOOD) == (True, False)


@pytest.mark.parametrize("attempt", ["", "plum tractor orbit 43", GOOD.upper(), GOOD + " "])
def test_verify_refuses_anything_else(good_hash: str, attempt: str) -> None:
    assert verify_password(good_hash, attempt) == (False, False)


def test_verify_without_a_hash_refuses_but_still_does_the_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = passwords._hasher
    verified: list[str] = []

    class CountingHasher:
        def verify(self, hash_: str, password: str) -> bool:
            verified.append(hash_)
            return real.verify(hash_, password)

        def check_needs_rehash(self, hash_: str) -> bool:
            return real.check_needs_rehash(hash_)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    # Even the timing-equaliser's own password must not let an unknown user in.
    assert verify_password(None, "quotahit-timing-equaliser") == (False, False)
    assert verify_password(None, "anything at all") == (False, False)
    assert verified == [passwords._DUMMY_HASH, passwords._DUMMY_HASH]


@pytest.mark.parametrize("broken", ["", "not-a-hash", "$argon2id$v=19$m=19456,t=2,p=1$xx$yy"])
def test_verify_refuses_malformed_hashes_without_raising(broken: str) -> None:
    assert verify_password(broken, GOOD) == (False, False)


def test_weaker_hashes_verify_and_ask_for_a_rehash() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(GOOD)
    assert verify_password(old, GOOD) == (True, True)
    assert verify_password(old, "wrong guess here") == (False, False)
