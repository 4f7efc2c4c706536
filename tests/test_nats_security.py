"""The bus admits only the platform: a deployment's NATS, as `hotline up` starts it, against real clients.

Its own server (``embedded.nats.Nats``, configured for one deployment's namespace exactly, as in
production), not the test session's (which admits every namespace, ``tests/services.py``). A message that
must not get through is shown not to by a sentinel: the watcher's first message is one published after it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import nats
import nats.errors
import psutil
import pytest
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError

from embedded.nats import Nats
from embedded.process import free_port
from federation.subjects import Namespace
from federation.transport import connect, ensure_streams
from infra.nats_auth import Role, embedded_credentials_file, read_credentials
from infra.settings import Settings

PREFIX = "henan-41"
NAMESPACE = Namespace(PREFIX)
URGE = f"{PREFIX}.down.urge.41.4101.410102"
# Far longer than a message takes on loopback: only a guard against a test that would hang.
GUARD_S = 10.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nats]:
    settings = Settings(home=tmp_path_factory.mktemp("secure-nats"), nats_port=free_port(),
                        nats_monitor_port=free_port(), nats_prefix=PREFIX)
    nats_server = Nats(settings)
    nats_server.start()
    nats_server.wait_healthy()
    yield nats_server
    nats_server.stop()


@pytest.fixture(scope="module")
def settings(server: Nats) -> Settings:
    return server.settings


class Refusals:
    """What the server refused a connection (its ``-ERR`` lines, as nats-py reports them), in order.

    Waited for, not flushed for: nats-py 2.16 writes a flush's PING straight to the socket, ahead of publishes
    still queued for its flusher task, so a PONG may come back before the refusal of an earlier publish."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self._came = asyncio.Event()

    async def record(self, exc: Exception) -> None:
        self.errors.append(str(exc))
        self._came.set()

    async def first(self) -> str:
        await asyncio.wait_for(self._came.wait(), GUARD_S)
        return self.errors[0]


async def as_role(settings: Settings, role: Role, refusals: Refusals | None = None) -> Client:
    return await connect(settings, f"test-{role}", role, error_cb=(refusals or Refusals()).record,
                         allow_reconnect=False)


@pytest.fixture
async def admin(settings: Settings) -> AsyncIterator[Client]:
    nc = await as_role(settings, "admin")
    yield nc
    await nc.close()


@pytest.fixture
async def streams(settings: Settings, admin: Client) -> AsyncIterator[None]:
    """The deployment's streams, made by a worker as ``hotline worker`` makes them; gone afterwards."""
    nc = await as_role(settings, "worker")
    await ensure_streams(nc.jetstream(), NAMESPACE)
    await nc.close()
    yield
    js = admin.jetstream()
    for stream in NAMESPACE.streams():
        await js.delete_stream(stream.name)


async def watch(nc: Client, prefix: str) -> Subscription:
    """A subscription to ``<prefix>.>``, known to be in place: it has received a message of its own."""
    sub = await nc.subscribe(f"{prefix}.>")
    await nc.publish(f"{prefix}.watching", b"")
    assert (await sub.next_msg(timeout=GUARD_S)).subject == f"{prefix}.watching"
    return sub


async def first_seen(sub: Subscription, sentinel_from: Client, sentinel: str) -> str:
    """The subject of the first message the watcher gets, once ``sentinel`` has been published after the rest."""
    await sentinel_from.publish(sentinel, b"sentinel")
    await sentinel_from.flush()
    return (await sub.next_msg(timeout=GUARD_S)).subject


async def refusal_of_publish(settings: Settings, role: Role, subject: str) -> str:
    """Publish ``subject`` as ``role`` (a JetStream API request, if it names one): the server's refusal."""
    refusals = Refusals()
    nc = await as_role(settings, role, refusals)
    try:
        await nc.publish(subject, b"{}", reply=nc.new_inbox())
        return await refusals.first()
    finally:
        await nc.close()


async def refusal_of_subscription(settings: Settings, role: Role, subject: str) -> str:
    refusals = Refusals()
    nc = await as_role(settings, role, refusals)
    try:
        await nc.subscribe(subject)
        return await refusals.first()
    finally:
        await nc.close()


def violation(subject: str, of: str = "publish") -> str:
    """The refusal as nats-py reports it (it lower-cases the server's line)."""
    return f'nats: permissions violation for {of} to "{subject}"'.lower()


# ---- who may connect ------------------------------------------------------------------------------------


async def test_a_client_without_credentials_cannot_connect(settings: Settings) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(settings.effective_nats_url, allow_reconnect=False, connect_timeout=5)


async def test_a_client_without_credentials_cannot_publish(settings: Settings, admin: Client) -> None:
    sub = await watch(admin, PREFIX)
    with socket.create_connection(("127.0.0.1", settings.nats_port), timeout=GUARD_S) as raw:
        raw.recv(4096)  # the server's INFO
        raw.sendall(b'CONNECT {"verbose":false}\r\n' + f"PUB {URGE} 6\r\nforged\r\nPING\r\n".encode())
        answer = b""
        while chunk := raw.recv(4096):  # until the server closes the connection
            answer += chunk
    assert b"Authorization Violation" in answer and b"PONG" not in answer
    assert await first_seen(sub, admin, f"{PREFIX}.down.sentinel") == f"{PREFIX}.down.sentinel"


async def test_a_wrong_password_is_refused(settings: Settings) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(settings.effective_nats_url, user="worker", password="not-the-password",
                           allow_reconnect=False, connect_timeout=5)


async def test_the_credentials_are_readable_by_their_owner_only(settings: Settings, server: Nats) -> None:
    assert embedded_credentials_file(settings).stat().st_mode & 0o777 == 0o600
    assert (server.dir / "nats.conf").stat().st_mode & 0o777 == 0o600


async def test_a_restarted_server_keeps_its_credentials(settings: Settings, server: Nats) -> None:
    before = read_credentials(embedded_credentials_file(settings))
    server.stop()
    server.start()
    server.wait_healthy()
    assert read_credentials(embedded_credentials_file(settings)) == before
    nc = await as_role(settings, "worker")
    await nc.close()


# ---- the API: a ping, nothing else ------------------------------------------------------------------------


async def test_the_api_can_ping(settings: Settings) -> None:
    nc = await as_role(settings, "api")
    try:
        await nc.flush(timeout=GUARD_S)
    finally:
        await nc.close()


async def test_the_api_cannot_publish_a_step_down(settings: Settings, admin: Client) -> None:
    sub = await watch(admin, PREFIX)
    assert await refusal_of_publish(settings, "api", URGE) == violation(URGE)
    assert await first_seen(sub, admin, f"{PREFIX}.down.sentinel") == f"{PREFIX}.down.sentinel"


async def test_the_api_cannot_subscribe_to_the_deployments_subjects(settings: Settings, server: Nats) -> None:
    refusals = Refusals()
    nc = await as_role(settings, "api", refusals)
    try:
        await nc.subscribe(f"{PREFIX}.>")
        assert await refusals.first() == violation(f"{PREFIX}.>", of="subscription")
        connz = httpx.get(f"{server.monitor_url}/connz", params={"subs": "1"}, timeout=GUARD_S).json()
    finally:
        await nc.close()
    (api,) = [c for c in connz["connections"] if c.get("name") == "test-api"]
    assert not api.get("subscriptions_list")  # the server holds no subscription of it


# ---- a worker: its namespace, its streams' consumers --------------------------------------------------------


async def test_a_worker_runs_its_streams_and_consumers(settings: Settings, streams: None) -> None:
    refusals = Refusals()
    nc = await as_role(settings, "worker", refusals)
    try:
        js = nc.jetstream()
        await ensure_streams(js, NAMESPACE)  # the streams exist: looked up and updated
        for stream in NAMESPACE.streams():
            config = ConsumerConfig(durable_name=stream.durable, ack_policy=AckPolicy.EXPLICIT)
            sub = await js.pull_subscribe("", durable=stream.durable, stream=stream.name, config=config)
            subject = stream.subjects[0].replace(">", "41.4101")
            await (await js.publish_async(subject, b"{}", headers={"Nats-Msg-Id": stream.name}))
            (msg,) = await sub.fetch(1, timeout=GUARD_S)
            await msg.in_progress()
            await msg.ack_sync()  # answered after the in-progress before it: a refusal of that would be in
    finally:
        await nc.close()
    assert refusals.errors == []


@pytest.mark.parametrize("call", ["STREAM.DELETE", "STREAM.PURGE"])
async def test_a_worker_cannot_delete_or_purge_its_stream(settings: Settings, streams: None, admin: Client,
                                                          call: str) -> None:
    down = NAMESPACE.streams()[0]
    js = admin.jetstream()
    # A message waiting for the stream's consumer (interest retention keeps it while the consumer has not acked).
    await js.add_consumer(down.name, ConsumerConfig(durable_name=down.durable, ack_policy=AckPolicy.EXPLICIT))
    await js.publish(URGE, b"{}")
    subject = f"$JS.API.{call}.{down.name}"
    assert await refusal_of_publish(settings, "worker", subject) == violation(subject)
    assert (await js.stream_info(down.name)).state.messages == 1


async def test_a_worker_cannot_delete_a_consumer(settings: Settings, streams: None, admin: Client) -> None:
    down = NAMESPACE.streams()[0]
    await admin.jetstream().add_consumer(down.name, ConsumerConfig(durable_name=down.durable,
                                                                   ack_policy=AckPolicy.EXPLICIT))
    subject = f"$JS.API.CONSUMER.DELETE.{down.name}.{down.durable}"
    assert await refusal_of_publish(settings, "worker", subject) == violation(subject)
    assert (await admin.jetstream().consumer_info(down.name, down.durable)).name == down.durable


async def test_a_worker_cannot_publish_outside_its_namespace(settings: Settings, admin: Client) -> None:
    other = "staging.down.urge.41.4101.410102"
    sub = await watch(admin, "staging")
    assert await refusal_of_publish(settings, "worker", other) == violation(other)
    assert await first_seen(sub, admin, "staging.down.sentinel") == "staging.down.sentinel"


async def test_a_worker_cannot_read_the_replies_of_other_clients(settings: Settings) -> None:
    assert await refusal_of_subscription(settings, "worker", "_INBOX.>") == violation("_INBOX.>", of="subscription")


# ---- the admin ----------------------------------------------------------------------------------------------


async def test_the_admin_can_purge_and_delete_a_stream(settings: Settings, admin: Client) -> None:
    worker = await as_role(settings, "worker")
    await ensure_streams(worker.jetstream(), NAMESPACE)
    await worker.close()
    js = admin.jetstream()
    down = NAMESPACE.stream("DOWN")
    await js.publish(URGE, b"{}")
    assert await js.purge_stream(down)
    assert (await js.stream_info(down)).state.messages == 0
    for stream in NAMESPACE.streams():
        assert await js.delete_stream(stream.name)
        with pytest.raises(NotFoundError):
            await js.stream_info(stream.name)


# ---- the monitoring port ------------------------------------------------------------------------------------


def test_the_monitoring_port_listens_on_loopback_only(settings: Settings, server: Nats) -> None:
    pid = server.pid()
    assert pid is not None
    listening = {conn.laddr.ip for conn in psutil.Process(pid).net_connections(kind="inet")
                 if conn.status == psutil.CONN_LISTEN and conn.laddr.port == settings.nats_monitor_port}
    assert listening == {"127.0.0.1"}


def test_the_monitoring_port_stays_on_loopback_when_clients_are_served_on_every_interface(tmp_path: Path) -> None:
    config = Nats(Settings(home=tmp_path, bind_host="0.0.0.0", nats_monitor_port=8229)).config()
    assert "listen: 0.0.0.0:" in config
    assert [line for line in config.splitlines() if line.startswith("http:")] == ["http: 127.0.0.1:8229"]


# ---- the chart ----------------------------------------------------------------------------------------------


def test_the_charts_nats_permissions_are_the_platforms() -> None:
    from federation.permissions import chart_authorization

    chart = Path(__file__).resolve().parent.parent / "helm" / "hotline" / "files" / "nats-authorization.conf"
    assert chart.read_text() == chart_authorization(), f"run: python -m federation.permissions > {chart}"
