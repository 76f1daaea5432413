"""Which address an auth request is limited by."""

from __future__ import annotations

import pytest

from app.ratelimit.client_ip import client_ip
from app.ratelimit.limiter import create_rate_limiter
from app.settings import ConfigurationError, Settings


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_ip("198.51.100.7", ["203.0.113.1"], "") == "198.51.100.7"


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    assert client_ip("198.51.100.7", ["203.0.113.1"], "10.0.0.0/8") == "198.51.100.7"


def test_behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() -> None:
    trusted = "10.0.0.0/8, 127.0.0.1"
    # the client wrote "1.1.1.1" itself; the edge proxy appended the address it saw
    assert client_ip("10.0.0.2", ["1.1.1.1, 203.0.113.9, 10.0.0.1"], trusted) == "203.0.113.9"
    assert client_ip("10.0.0.2", ["1.1.1.1", "203.0.113.9"], trusted) == "203.0.113.9"
    assert client_ip("127.0.0.1", ["garbage, 203.0.113.9"], trusted) == "203.0.113.9"
    # every hop trusted: the left-most proxy is as far as we can see
    assert client_ip("10.0.0.2", ["10.0.0.3"], trusted) == "10.0.0.3"
    assert client_ip("10.0.0.2", [], trusted) == "10.0.0.2"


def test_ipv6_clients_are_keyed_by_their_slash_64() -> None:
    assert client_ip("2001:db8:1:2:aaaa::1", [], "") == "2001:db8:1:2::/64"
    assert client_ip("2001:db8:1:2:bbbb::9", [], "") == "2001:db8:1:2::/64"
    assert client_ip("::ffff:198.51.100.7", [], "") == "198.51.100.7"


def test_a_malformed_trusted_proxy_fails_the_start() -> None:
    settings = Settings(_env_file=None, TRUSTED_PROXIES="10.0.0.0/8,not-an-ip")
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES: 'not-an-ip'"):
        create_rate_limiter(settings, None)
