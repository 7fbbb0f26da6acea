"""Login throttling per account and per address, in memory and in Redis."""

from __future__ import annotations

import types
import uuid
from collections.abc import Iterator

import pytest

from quotahit.accounts import throttle as throttle_module
from quotahit.accounts.throttle import ActionThrottle, LoginThrottle

WINDOW_MINUTES = 15


@pytest.fixture
def uid() -> str:
    """A per-test marker put in every account and address, so Redis keys never collide."""
    return uuid.uuid4().hex


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage_uri(request: pytest.FixtureRequest, uid: str) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
        return
    url = request.getfixturevalue("redis_url")
    yield url
    delete_keys_of(url, uid)


@pytest.fixture
def own_redis(redis_url: str, uid: str) -> Iterator[str]:
    yield redis_url
    delete_keys_of(redis_url, uid)


def delete_keys_of(url: str, uid: str) -> None:
    """Remove only this test's keys: Redis may be shared with other tests and the app."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"*{uid}*"))
        if keys:
            client.delete(*keys)
        assert not list(client.scan_iter(match=f"*{uid}*"))
    finally:
        client.close()


def make(storage_uri: str, *, per_account: int = 3, per_address: int = 5) -> LoginThrottle:
    return LoginThrottle(
        storage_uri=storage_uri,
        per_account=per_account,
        per_address=per_address,
        window_minutes=WINDOW_MINUTES,
    )


def fail(throttle: LoginThrottle, times: int, *, account: str, address: str) -> None:
    for _ in range(times):
        throttle.record_failure(account=account, address=address)


def test_a_fresh_account_may_try(storage_uri: str, uid: str) -> None:
    verdict = make(storage_uri).check(account=f"a-{uid}", address=f"ip-{uid}")
    assert verdict.allowed
    assert verdict.retry_after_seconds == 0


def test_account_is_refused_after_its_limit_of_failures(storage_uri: str, uid: str) -> None:
    throttle = make(storage_uri, per_account=3)
    account, address = f"victim-{uid}@example.com", f"ip-{uid}"
    fail(throttle, 2, account=account, address=address)
    assert throttle.check(account=account, address=address).allowed
    fail(throttle, 1, account=account, address=address)
    verdict = throttle.check(account=account, address=address)
    assert not verdict.allowed
    # The wait is the rest of the window, never zero.
    assert WINDOW_MINUTES * 60 - 10 <= verdict.retry_after_seconds <= WINDOW_MINUTES * 60


def test_account_limit_holds_from_every_address(storage_uri: str, uid: str) -> None:
    throttle = make(storage_uri, per_account=3, per_address=100)
    account = f"victim-{uid}@example.com"
    for index in range(3):
        throttle.record_failure(account=account, address=f"ip{index}-{uid}")
    assert not throttle.check(account=account, address=f"fresh-ip-{uid}").allowed
    assert not throttle.check(account=account, address="").allowed
    # Another account is unaffected.
    assert throttle.check(account=f"other-{uid}@example.com", address=f"fresh-ip-{uid}").allowed


def test_address_limit_stops_spraying_many_accounts(storage_uri: str, uid: str) -> None:
    throttle = make(storage_uri, per_account=3, per_address=5)
    address = f"attacker-{uid}"
    for index in range(5):
        throttle.record_failure(account=f"user{index}-{uid}@example.com", address=address)
    verdict = throttle.check(account=f"never-tried-{uid}@example.com", address=address)
    assert not verdict.allowed
    assert verdict.retry_after_seconds >= 1
    # The accounts themselves (one failure each) may still be tried from elsewhere.
    assert throttle.check(account=f"user0-{uid}@example.com", address=f"home-{uid}").allowed


def test_clear_account_forgets_the_account_but_not_the_address(storage_uri: str, uid: str) -> None:
    throttle = make(storage_uri, per_account=3, per_address=4)
    account, address = f"victim-{uid}@example.com", f"ip-{uid}"
    fail(throttle, 3, account=account, address=address)
    assert not throttle.check(account=account, address=f"other-{uid}").allowed
    throttle.clear_account(account=account)
    assert throttle.check(account=account, address=f"other-{uid}").allowed
    # The address kept its three failures: one more and it is refused.
    fail(throttle, 1, account=f"someone-{uid}", address=address)
    assert not throttle.check(account=account, address=address).allowed


def test_failures_without_an_address_only_count_against_the_account(
    storage_uri: str, uid: str
) -> None:
    throttle = make(storage_uri, per_account=2, per_address=2)
    fail(throttle, 2, account=f"a-{uid}", address="")
    assert not throttle.check(account=f"a-{uid}", address="").allowed
    assert throttle.check(account=f"b-{uid}", address="").allowed


@pytest.mark.redis
def test_two_throttles_on_one_redis_share_the_count(own_redis: str, uid: str) -> None:
    # Every worker process builds its own LoginThrottle; Redis makes them count together.
    account, address = f"shared-{uid}@example.com", f"ip-{uid}"
    first, second = make(own_redis, per_account=3), make(own_redis, per_account=3)
    fail(first, 2, account=account, address=address)
    fail(second, 1, account=account, address=address)
    assert not first.check(account=account, address=address).allowed
    assert not second.check(account=account, address=address).allowed
    second.clear_account(account=account)
    assert first.check(account=account, address=f"elsewhere-{uid}").allowed


@pytest.mark.redis
def test_redis_keys_carry_the_account_and_expire(own_redis: str, uid: str) -> None:
    import redis

    throttle = make(own_redis, per_account=3)
    throttle.record_failure(account=f"acct-{uid}", address=f"ip-{uid}")
    client = redis.Redis.from_url(own_redis)
    try:
        keys = sorted(key.decode() for key in client.scan_iter(match=f"*{uid}*"))
        assert len(keys) == 2
        assert any(f"account:acct-{uid}" in key for key in keys)
        assert any(f"address:ip-{uid}" in key for key in keys)
        # Nothing is kept for ever: each key expires with its window.
        for key in keys:
            assert 0 < client.ttl(key) <= WINDOW_MINUTES * 60
    finally:
        client.close()


def test_memory_storage_keeps_throttles_apart() -> None:
    # Two in-memory throttles (e.g. two tests) must not see each other's failures.
    first, second = make("memory://", per_account=1), make("memory://", per_account=1)
    first.record_failure(account="x@example.com", address="")
    assert not first.check(account="x@example.com", address="").allowed
    assert second.check(account="x@example.com", address="").allowed


class _Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def time(self) -> float:
        return self.now


def test_the_window_moves_on_so_nobody_is_locked_out_for_good(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import limits.storage.memory as memory_storage

    clock = _Clock(1_800_000_000.0)
    fake_time = types.SimpleNamespace(time=clock.time)
    monkeypatch.setattr(memory_storage, "time", fake_time)
    monkeypatch.setattr(throttle_module, "time", fake_time)
    throttle = make("memory://", per_account=2)
    fail(throttle, 2, account="v@example.com", address="ip")
    verdict = throttle.check(account="v@example.com", address="ip")
    assert not verdict.allowed
    assert verdict.retry_after_seconds == WINDOW_MINUTES * 60

    clock.now += 10 * 60
    verdict = throttle.check(account="v@example.com", address="ip")
    assert not verdict.allowed
    assert verdict.retry_after_seconds == 5 * 60

    clock.now += 5 * 60 + 1
    assert throttle.check(account="v@example.com", address="ip").allowed


def test_attempts_left_counts_down_to_zero(storage_uri: str, uid: str) -> None:
    throttle = make(storage_uri, per_account=3, per_address=5)
    account, address = f"a-{uid}", f"ip-{uid}"
    assert throttle.attempts_left(account=account, address=address) == 3
    lefts = []
    for _ in range(3):
        throttle.record_failure(account=account, address=address)
        lefts.append(throttle.attempts_left(account=account, address=address))
    assert lefts == [2, 1, 0]
    assert not throttle.check(account=account, address=address).allowed


def test_attempts_left_is_the_tighter_of_the_two_limits(storage_uri: str, uid: str) -> None:
    throttle = make(storage_uri, per_account=3, per_address=5)
    address = f"ip-{uid}"
    for index in range(4):
        throttle.record_failure(account=f"u{index}-{uid}", address=address)
    # A fresh account from this address: 3 for the account, but only 1 left for the address.
    assert throttle.attempts_left(account=f"fresh-{uid}", address=address) == 1
    assert throttle.attempts_left(account=f"fresh-{uid}", address="") == 3


# Caps on actions that cost CPU or send e-mail.

SMALL_LIMITS = {
    "signup": "2/hour",
    "password_reset_account": "2/hour",
    "password_reset_address": "3/hour",
    "confirmation_resend": "2/hour",
    "invitation": "3/hour",
}


def test_an_action_is_capped_per_key(storage_uri: str, uid: str) -> None:
    throttle = ActionThrottle(storage_uri=storage_uri, limits=SMALL_LIMITS)
    assert throttle.allow("signup", f"ip-{uid}").allowed
    assert throttle.allow("signup", f"ip-{uid}").allowed
    verdict = throttle.allow("signup", f"ip-{uid}")
    assert not verdict.allowed
    assert 3500 <= verdict.retry_after_seconds <= 3600
    # Another key, or another action with the same key, has its own count.
    assert throttle.allow("signup", f"other-ip-{uid}").allowed
    assert throttle.allow("confirmation_resend", f"ip-{uid}").allowed


def test_a_refused_action_is_not_counted_against_the_other_keys(storage_uri: str, uid: str) -> None:
    throttle = ActionThrottle(storage_uri=storage_uri, limits=SMALL_LIMITS)
    busy, quiet = f"busy-{uid}", f"quiet-{uid}"
    for _ in range(3):
        assert throttle.allow("invitation", busy).allowed
    for _ in range(5):
        assert not throttle.allow("invitation", quiet, busy).allowed
    # The refusals above did not use up `quiet`'s allowance.
    for _ in range(3):
        assert throttle.allow("invitation", quiet).allowed
    assert not throttle.allow("invitation", quiet).allowed


def test_empty_keys_are_never_capped(storage_uri: str) -> None:
    throttle = ActionThrottle(storage_uri=storage_uri, limits=SMALL_LIMITS)
    for _ in range(5):
        assert throttle.allow("signup", "").allowed
        assert throttle.allow("signup").allowed


def test_default_caps_are_generous_enough_for_an_office() -> None:
    throttle = ActionThrottle()
    for _ in range(30):
        assert throttle.allow("signup", "203.0.113.1").allowed
    assert not throttle.allow("signup", "203.0.113.1").allowed
    for _ in range(5):
        assert throttle.allow("password_reset_account", "ada@example.com").allowed
    assert not throttle.allow("password_reset_account", "ada@example.com").allowed
