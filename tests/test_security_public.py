"""The citizen's lookup (进度查询) attacked: spoofed X-Forwarded-For, phones guessed for a code, many API processes.

- The client is the socket's peer unless that is a trusted proxy (HOTLINE_TRUSTED_PROXIES); then the right-most
  address of X-Forwarded-For that is not one. A new header does not make a new client.
- Per code only wrong phones count, per address: a right phone from the citizen is never refused for what
  others tried; an address that keeps guessing waits longer each time; a code guessed from many addresses
  gives no address a free wrong phone.
- Every 429 says when to come back (Retry-After); the counters are shared by every API process.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from ipaddress import IPv4Address

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from app.factory import create_app
from core.orders.lookup_limits import wait_after
from embedded.api_process import ApiServer
from embedded.process import free_port
from infra.client_address import TrustedProxies, rate_key
from infra.nats_auth import embedded_credentials_file
from infra.settings import Settings
from tests.orders_helpers import CITY, register
from tests.services import ServiceSet
from tests.tempdirs import own_dir

CITIES = (CITY,)
TRUSTED = ["10.0.0.0/8", "fd00::/8"]
PROXY = "10.1.2.3"  # the ingress, as the API sees it
PHONE = "13903921234"
_addresses = itertools.count(1)


def new_address() -> str:
    """A client address no other test has used (100.64.0.0/10, not a trusted proxy)."""
    return str(IPv4Address("100.64.0.0") + next(_addresses))


def wrong_phone(i: int) -> str:
    return f"1390000{i:04d}"


def refused(response: httpx.Response) -> bool:
    """A 429 that says when to come back."""
    if response.status_code != 429:
        return False
    assert response.json()["error"] == "too_many_requests"
    assert int(response.headers["retry-after"]) >= 1, response.headers
    return True


async def fresh_minute(seconds_needed: float = 15.0) -> None:
    """Start a burst early enough in a minute that the per-minute window does not roll over during it."""
    into = time.time() % 60
    if into > 60 - seconds_needed:
        await asyncio.sleep(60 - into + 0.5)


@pytest.fixture(scope="module")
def settings(tree: Settings) -> Settings:
    return tree.model_copy(update={"trusted_proxies": TRUSTED})


@pytest.fixture(scope="module")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The API behind an ingress at 10.0.0.0/8, in-process."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


def peer(app: FastAPI, host: str) -> httpx.AsyncClient:
    """A client whose TCP connection comes from ``host``."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(host, 40000)),
                             base_url="http://hotline.test")


@pytest.fixture
async def code(client: httpx.AsyncClient) -> str:
    """A fresh order's query code, registered with PHONE."""
    order = await register(client, citizen={"name": "赵六", "phone": PHONE, "anonymous": False, "callback": True})
    return str(order["query_code"])


async def look(http: httpx.AsyncClient, code: str, phone: str = PHONE, via: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": via} if via else {}
    return await http.get(f"/api/v1/public/orders/{code}", params={"phone": phone}, headers=headers)


# ---- who the client is ----------------------------------------------------------------------


def test_the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    proxies = TrustedProxies(TRUSTED)
    assert proxies.client("203.0.113.9", ["1.2.3.4"]) == "203.0.113.9"  # not a proxy: its header is ignored
    assert proxies.client(PROXY, []) == PROXY
    assert proxies.client(PROXY, ["1.2.3.4"]) == "1.2.3.4"


def test_behind_trusted_proxies_the_client_is_the_right_most_address_that_is_not_one() -> None:
    proxies = TrustedProxies(TRUSTED)
    # Whatever the client wrote to the left is its own claim; the hops to the right were added by proxies.
    assert proxies.client(PROXY, ["9.9.9.9, 203.0.113.7, 10.0.0.8"]) == "203.0.113.7"
    assert proxies.client(PROXY, ["9.9.9.9", "203.0.113.7, 10.0.0.8"]) == "203.0.113.7"  # several headers
    assert proxies.client(PROXY, ["10.9.9.9, 10.0.0.8"]) == "10.9.9.9"  # all proxies: the furthest one
    assert proxies.client(PROXY, ["203.0.113.7, not-an-address"]) == PROXY  # nothing to believe: the peer
    assert proxies.client("::ffff:10.1.2.3", ["203.0.113.7"]) == "203.0.113.7"  # v4 seen through a v6 socket
    assert proxies.client("fd00::1", ["2001:db8::5, fd00::2"]) == "2001:db8::5"


def test_trusted_proxies_are_read_as_json_or_comma_separated_and_a_bad_one_stops_the_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7")
    assert Settings().trusted_proxies == ["10.0.0.0/8", "192.168.1.7/32"]
    monkeypatch.setenv("HOTLINE_TRUSTED_PROXIES", '["fd00::/8"]')
    assert Settings().trusted_proxies == ["fd00::/8"]
    assert Settings(**Settings().model_dump()).as_env()["HOTLINE_TRUSTED_PROXIES"] == '["fd00::/8"]'
    monkeypatch.setenv("HOTLINE_TRUSTED_PROXIES", "the-ingress")
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings()


def test_an_ipv6_client_is_counted_by_its_64_prefix() -> None:
    assert rate_key("2001:db8:1:2::5") == rate_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert rate_key("203.0.113.7") == "203.0.113.7"


async def test_behind_the_ingress_each_client_is_limited_by_its_own_address(app: FastAPI, code: str) -> None:
    client, other = new_address(), new_address()
    await fresh_minute()
    async with peer(app, PROXY) as ingress:
        answers = [await look(ingress, code, via=f"198.51.100.{i}, {client}") for i in range(20)]
        assert [r.status_code for r in answers] == [200] * 20
        # A new left-hand claim is not a new client; a client claiming to be another is still itself.
        assert refused(await look(ingress, code, via=f"198.51.100.99, {client}"))
        assert refused(await look(ingress, code, via=client))
        assert (await look(ingress, code, via=f"{client}, {other}")).status_code == 200


async def test_a_client_not_behind_a_trusted_proxy_cannot_claim_another_address(app: FastAPI, code: str) -> None:
    direct = new_address()
    await fresh_minute()
    async with peer(app, direct) as http:
        statuses = [(await look(http, code, via=f"198.51.100.{i}")).status_code for i in range(20)]
        assert statuses == [200] * 20
        assert refused(await look(http, code, via="198.51.100.200"))


# ---- wrong phones for a code ----------------------------------------------------------------


async def test_ten_wrong_phones_do_not_lock_the_citizen_out_of_their_code(app: FastAPI, code: str) -> None:
    async with peer(app, new_address()) as attacker:
        for i in range(12):
            await look(attacker, code, wrong_phone(i))
    for i in range(12):  # and from as many addresses
        async with peer(app, new_address()) as attacker:
            assert (await look(attacker, code, wrong_phone(i))).status_code == 404
    async with peer(app, new_address()) as citizen:
        assert (await look(citizen, code)).status_code == 200


async def test_an_address_that_keeps_giving_wrong_phones_waits_longer_each_time(
        app: FastAPI, code: str, settings: Settings) -> None:
    guesser = new_address()
    async with peer(app, guesser) as http:
        statuses = [(await look(http, code, wrong_phone(i))).status_code for i in range(4)]  # 3 free, then one more
        assert statuses == [404] * 4
        first = await look(http, code)  # even with the right phone: this address waits
        assert refused(first) and int(first.headers["retry-after"]) <= 30

        _age(settings, f"wrong:{code}:{guesser}", seconds=31)  # as if it waited
        assert (await look(http, code, wrong_phone(4))).status_code == 404
        second = await look(http, code)
        assert refused(second) and 30 < int(second.headers["retry-after"]) <= 60
    async with peer(app, new_address()) as citizen:
        assert (await look(citizen, code)).status_code == 200


def test_the_wait_doubles_from_30_seconds_up_to_an_hour() -> None:
    assert [wait_after(n, free=3) for n in range(1, 10)] == [0, 0, 0, 30, 60, 120, 240, 480, 960]
    assert wait_after(20, free=3) == wait_after(50, free=0) == 3600


async def test_a_code_guessed_from_many_addresses_gives_none_of_them_a_free_wrong_phone(
        app: FastAPI, code: str) -> None:
    for i in range(10):
        async with peer(app, new_address()) as attacker:
            assert (await look(attacker, code, wrong_phone(i))).status_code == 404
    async with peer(app, new_address()) as attacker:
        assert (await look(attacker, code, wrong_phone(10))).status_code == 404
        assert refused(await look(attacker, code, wrong_phone(11)))
    async with peer(app, new_address()) as citizen:
        assert (await look(citizen, code)).status_code == 200


async def test_a_right_phone_leaves_the_address_free_to_look_again(app: FastAPI, code: str) -> None:
    async with peer(app, new_address()) as citizen:
        assert [(await look(citizen, code)).status_code for _ in range(10)] == [200] * 10


async def test_counters_past_their_window_are_deleted(app: FastAPI, code: str, settings: Settings) -> None:
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO public.rate_limits VALUES ('lookup:old', now() - interval '2 hours', 5, "
                     "now() - interval '2 hours', now() - interval '1 hour')")
    app.state.lookup_limits.counters.prune_every_s = 0
    try:
        async with peer(app, new_address()) as http:
            await look(http, code)
    finally:
        app.state.lookup_limits.counters.prune_every_s = 60.0
    with psycopg.connect(settings.postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM public.rate_limits WHERE key = 'lookup:old'").fetchone() == (0,)


async def test_what_is_not_a_query_code_is_a_404_that_reaches_no_counter(app: FastAPI, settings: Settings) -> None:
    address = new_address()
    async with peer(app, address) as http:
        for code in (f"{CITY}-" + "A" * 200, f"{CITY}-abcdefgh", "41x6-ABCDEFGH"):
            assert (await look(http, code)).status_code == 404
        # A control character is refused at the edge, before any route (infra/edge.py).
        assert (await look(http, f"{CITY}-ABC%00EFGH")).status_code == 422
    with psycopg.connect(settings.postgres_url) as conn:
        assert conn.execute("SELECT count(*) FROM public.rate_limits WHERE key = %s OR key LIKE %s",
                            (f"lookup:{address}", f"wrong:%:{address}")).fetchone() == (0,)


def _age(settings: Settings, key: str, seconds: float) -> None:
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE public.rate_limits SET last_at = last_at - make_interval(secs => %s) WHERE key = %s",
                     (seconds, key))


# ---- the API as it is served: uvicorn processes --------------------------------------------

PROCESS_LIMIT = 5


@pytest.fixture(scope="module")
def processes(tree: Settings, services: ServiceSet) -> Iterator[list[ApiServer]]:
    """Two API processes as `hotline up` starts them, on the module's database, no proxy trusted."""
    servers = []
    for i in range(2):
        settings = tree.model_copy(update={
            "home": own_dir(f"api-{i}"), "api_port": free_port(),
            "nats_credentials_file": embedded_credentials_file(services.settings),
            "public_lookups_per_minute": PROCESS_LIMIT, "trusted_proxies": []})
        server = ApiServer(settings)
        server.start()
        servers.append(server)
    try:
        for server in servers:
            server.wait_healthy()
        yield servers
    finally:
        for server in servers:
            server.stop()
            shutil.rmtree(server.settings.home, ignore_errors=True)


async def test_a_new_x_forwarded_for_does_not_reset_the_limit_of_a_client_of_the_served_api(
        processes: list[ApiServer], code: str) -> None:
    await fresh_minute()
    # From 127.0.0.1: the address uvicorn itself would take X-Forwarded-For from, were its proxy headers on.
    async with httpx.AsyncClient(base_url=processes[0].url) as http:
        statuses = [(await look(http, code, via=f"198.51.100.{i}")).status_code for i in range(PROCESS_LIMIT)]
        assert statuses == [200] * PROCESS_LIMIT
        assert refused(await look(http, code, via="198.51.100.250"))


async def test_the_limit_holds_across_api_processes(processes: list[ApiServer], code: str) -> None:
    await fresh_minute()
    clients = [httpx.AsyncClient(base_url=p.url, transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2"))
               for p in processes]
    try:
        statuses = [(await look(clients[i % 2], code)).status_code for i in range(PROCESS_LIMIT)]
        assert statuses == [200] * PROCESS_LIMIT  # 3 from one process, 2 from the other
        assert refused(await look(clients[0], code)) and refused(await look(clients[1], code))
    finally:
        for c in clients:
            await c.aclose()
