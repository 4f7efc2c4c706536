"""What the federation accounts for: messages that cannot apply are dead-lettered with the reason and replayed
once their cause is fixed, `federation check` finds levels that disagree, and retention prunes only what is no
longer needed (applied messages leave their stream).

Real NATS (a server of this module's own), real Postgres, real `hotline worker` processes.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from datetime import UTC, datetime

import httpx
import psycopg
from psycopg.types.json import Jsonb
from typer.testing import CliRunner, Result

from cli.main import app as cli
from federation.subjects import Namespace, subject
from federation.transport import connect
from infra.settings import Settings
from tests.faults_helpers import (
    DISTRICT,
    OTHER_DISTRICT,
    all_held_once,
    burst,
    dead_letters_about,
    held_below,
    one_value,
)
from tests.orders_helpers import CITY, register
from tests.own_nats import own_nats, tree_on_own_nats  # noqa: F401 (fixtures: the module's own NATS)
from tests.workers import HOTLINE, eventually, federation_is_clean, start_worker, stop_worker

CITIES = (CITY,)


async def test_a_message_that_cannot_apply_is_dead_lettered_alone_and_its_batch_still_applies(
        tree: Settings, client: httpx.AsyncClient) -> None:
    numbers = await burst(client, 6)  # queued in the outbox: the worker will find them all at once
    never_held = uuid.uuid4()
    with psycopg.connect(tree.postgres_url) as conn:  # in their midst: an urge that names no order
        conn.execute("INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
                     "VALUES (%s, %s, %s, 'urge', %s)",
                     (never_held, CITY, subject("urge", f"41/{CITY}/{DISTRICT}"),
                      Jsonb({"origin_tenant": CITY, "by_tenant": CITY})))
    numbers += await burst(client, 6)
    worker = start_worker()
    try:
        await all_held_once(tree, numbers)
        with psycopg.connect(tree.postgres_url) as conn:
            dead = conn.execute("SELECT message_id, reason FROM public.dead_letters WHERE message_id = %s",
                                (never_held,)).fetchall()
        assert len(dead) == 1 and "malformed urge message: origin_number: Field required" in dead[0][1]
        federation_is_clean()  # while the workers still run: what is in flight lands
    finally:
        stop_worker(worker)


async def test_a_message_whose_sender_is_not_on_the_orders_chain_is_dead_lettered_with_the_reason(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number = await held_below_and_clean(tree, client)  # 鹤壁 → 淇滨区, applied
    below = one_value(tree, f"SELECT number FROM t_{DISTRICT}.orders WHERE origin_number = %s", number)
    forged = {  # what a process on the bus might claim, and why each is refused
        "from a sibling city": ("urge", f"41/{CITY}/{DISTRICT}", {
            "origin_tenant": "4105", "origin_number": number, "by_tenant": "4105", "reason": "伪造督办"}),
        "for a person of a sibling district": ("urge", f"41/{CITY}/{DISTRICT}", {
            "origin_tenant": CITY, "origin_number": number, "by_tenant": OTHER_DISTRICT, "reason": "伪造督办"}),
        "from a district never given the order": ("replied", f"41/{CITY}", {
            "origin_number": number, "by_tenant": OTHER_DISTRICT, "number": f"{OTHER_DISTRICT}-20261202-000001",
            "content": "伪造答复"}),
        "about a record of another level": ("signed", f"41/{CITY}", {
            "origin_number": below, "by_tenant": DISTRICT, "number": below}),
    }
    ids = {why: uuid.uuid4() for why in forged}
    with psycopg.connect(tree.postgres_url) as conn:
        for why, (kind, path, payload) in forged.items():
            conn.execute("INSERT INTO public.outbox (message_id, tenant_code, subject, kind, payload) "
                         "VALUES (%s, %s, %s, %s, %s)", (ids[why], CITY, subject(kind, path), kind, Jsonb(payload)))
    worker = start_worker()
    try:
        def reasons() -> dict[str, str]:
            with psycopg.connect(tree.postgres_url) as conn:
                rows = conn.execute("SELECT message_id, reason FROM public.dead_letters WHERE message_id = ANY(%s)",
                                    (list(ids.values()),)).fetchall()
            return {why: reason for why, id_ in ids.items() for message_id, reason in rows if message_id == id_}

        refused = await eventually(lambda: asyncio.sleep(0, len(reasons()) == len(ids) and reasons()))
        assert refused["from a sibling city"] == f"refused urge: 4105 is not above {DISTRICT}"
        assert refused["for a person of a sibling district"] == \
            f"refused urge: {OTHER_DISTRICT} is not on the chain above {CITY}"
        assert refused["from a district never given the order"] == \
            f"refused replied: order {number} was never with {OTHER_DISTRICT}"
        assert refused["about a record of another level"] == f"refused signed: {below} is not a record of {CITY}"
        assert one_value(tree, f"SELECT urge_count FROM t_{DISTRICT}.orders WHERE number = %s", below) == 0
        assert one_value(tree, f"SELECT status FROM t_{CITY}.orders WHERE number = %s", number) == "dispatched"
    finally:
        stop_worker(worker)
        with psycopg.connect(tree.postgres_url) as conn:  # accounted for: the rest of the module starts clean
            conn.execute("DELETE FROM public.dead_letters WHERE message_id = ANY(%s)", (list(ids.values()),))
            conn.execute("DELETE FROM public.outbox WHERE message_id = ANY(%s)", (list(ids.values()),))


async def test_messages_leave_their_stream_once_applied(tree: Settings, client: httpx.AsyncClient) -> None:
    numbers = await burst(client, 5)
    worker = start_worker()
    try:
        await all_held_once(tree, numbers)
        federation_is_clean()  # every fact applied too
    finally:
        stop_worker(worker)
    nc = await connect(tree, "test")
    try:
        js, namespace = nc.jetstream(), Namespace(tree.nats_prefix)
        left = {stream.name: (await js.stream_info(stream.name)).state.messages for stream in namespace.streams()}
    finally:
        await nc.close()
    assert left == dict.fromkeys(left, 0)


def age(settings: Settings, days: int) -> None:
    """Everything the outbox and the inbox hold becomes ``days`` older."""
    with psycopg.connect(settings.postgres_url) as conn:
        conn.execute("UPDATE public.outbox SET created_at = created_at - make_interval(days => %s), "
                     "published_at = published_at - make_interval(days => %s)", (days, days))
        conn.execute("UPDATE public.inbox SET applied_at = applied_at - make_interval(days => %s)", (days,))


async def test_pruning_deletes_what_retention_no_longer_needs_and_keeps_what_may_still_be_sent(
        tree: Settings, client: httpx.AsyncClient) -> None:
    sent = await burst(client, 3)
    worker = start_worker()
    try:
        await all_held_once(tree, sent)
        federation_is_clean()
    finally:
        stop_worker(worker)
    waiting = await burst(client, 1)  # not published yet: no worker runs
    with psycopg.connect(tree.postgres_url) as conn:  # as if applied once already, its outbox row not yet marked
        conn.execute("INSERT INTO public.inbox (message_id, tenant_code, subject) SELECT message_id, %s, subject "
                     "FROM public.outbox WHERE published_at IS NULL AND payload->>'origin_number' = %s",
                     (DISTRICT, waiting[0]))
    age(tree, 30)

    result = subprocess.run([HOTLINE, "federation", "prune", "--keep-days", "14"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    with psycopg.connect(tree.postgres_url) as conn:
        kept = conn.execute("SELECT count(*) FILTER (WHERE published_at IS NULL), count(*) FROM public.outbox"
                            ).fetchone()
        inbox = conn.execute("SELECT count(*) FROM public.inbox").fetchone()[0]
    assert kept is not None and kept[0] == kept[1] >= 1  # only what still waits to be sent
    assert inbox == 1  # the id that would stop a second application of the waiting message
    assert "pruned" in result.stdout
    with psycopg.connect(tree.postgres_url) as conn:  # it was never applied in truth: let the next worker apply it
        conn.execute("DELETE FROM public.inbox")


async def held_below_and_clean(settings: Settings, client: httpx.AsyncClient) -> str:
    """One order dispatched to the district and held there, the federation clean; no worker left running."""
    (number,) = await burst(client, 1)
    worker = start_worker()
    try:
        await all_held_once(settings, [number])
        federation_is_clean()
    finally:
        stop_worker(worker)
    return number


def check_now() -> Result:
    """`hotline federation check` with nothing given time to move on."""
    return CliRunner().invoke(cli, ["federation", "check", "--stale", "0"])


def check_as_run() -> Result:
    """`hotline federation check` as a person runs it: levels are compared at once, without waiting for a message
    to be overdue (only messages themselves are given ``--stale`` to move on)."""
    return CliRunner().invoke(cli, ["federation", "check"])


async def test_the_check_finds_an_order_closed_below_but_still_waiting_above(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number = await held_below_and_clean(tree, client)
    closed = (f"UPDATE t_{DISTRICT}.orders SET status = 'closed', outcome = 'returned', "
              "closed_at = now() - interval '1 minute' WHERE origin_number = %s")
    with psycopg.connect(tree.postgres_url) as conn:  # sent back below; the message up never arrived
        conn.execute(closed, (number,))
    try:
        result = check_as_run()
        assert result.exit_code == 1
        assert f"{CITY} {number} → {DISTRICT}: waiting for {DISTRICT}'s sign, closed at {DISTRICT}" in \
            " ".join(result.output.split())
    finally:
        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(f"UPDATE t_{DISTRICT}.orders SET status = 'dispatched', outcome = NULL, closed_at = NULL "
                         "WHERE origin_number = %s", (number,))
    assert check_now().exit_code == 0


async def test_the_check_finds_a_record_open_below_that_the_level_above_no_longer_waits_for(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number = await held_below_and_clean(tree, client)
    taken_back = (f"UPDATE t_{CITY}.order_assignments a SET status = %s, "
                  f"ended_at = CASE WHEN %s = 'withdrawn' THEN now() END FROM t_{CITY}.orders o "
                  "WHERE o.id = a.order_id AND o.number = %s AND a.tenant_code = %s")
    with psycopg.connect(tree.postgres_url) as conn:  # dispatched elsewhere above; the withdrawal never arrived
        conn.execute(taken_back, ("withdrawn", "withdrawn", number, DISTRICT))
    try:
        result = check_as_run()
        assert result.exit_code == 1
        assert f"(of {CITY} {number}): open at {DISTRICT}, no longer with {DISTRICT} at {CITY}" in \
            " ".join(result.output.split())
    finally:
        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(taken_back, ("dispatched", "dispatched", number, DISTRICT))
    assert check_now().exit_code == 0


async def test_the_check_finds_levels_timing_different_deadlines(tree: Settings, client: httpx.AsyncClient) -> None:
    number = await held_below_and_clean(tree, client)
    moved = f"UPDATE t_{DISTRICT}.orders SET handle_deadline = handle_deadline + %s::interval WHERE origin_number = %s"
    with psycopg.connect(tree.postgres_url) as conn:  # an extension granted above never reached the district
        conn.execute(moved, ("2 days", number))
    try:
        result = check_as_run()
        assert result.exit_code == 1
        assert f"{CITY} {number} → {DISTRICT}: deadline" in " ".join(result.output.split())
    finally:
        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(moved, ("-2 days", number))
    assert check_as_run().exit_code == 0


async def test_the_check_finds_an_order_nobody_holds(tree: Settings, client: httpx.AsyncClient) -> None:
    number = await held_below_and_clean(tree, client)
    lost = (f"UPDATE t_{CITY}.order_assignments a SET ended_at = %s FROM t_{CITY}.orders o "
            f"WHERE o.id = a.order_id AND o.number = %s")
    with psycopg.connect(tree.postgres_url) as conn:  # the order says "dispatched", but nothing is assigned
        conn.execute(lost, (datetime.now(UTC), number))
        conn.execute(f"UPDATE t_{DISTRICT}.orders SET status = 'closed', outcome = 'withdrawn' "
                     "WHERE origin_number = %s", (number,))
    try:
        result = check_as_run()
        assert result.exit_code == 1
        assert f"stuck: {CITY} {number} (dispatched): nobody holds it" in " ".join(result.output.split())
    finally:
        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(lost, (None, number))
            conn.execute(f"UPDATE t_{DISTRICT}.orders SET status = 'dispatched', outcome = NULL "
                         "WHERE origin_number = %s", (number,))
    assert check_as_run().exit_code == 0


async def test_a_dead_letter_is_applied_once_by_a_replay_after_its_cause_is_fixed(
        tree: Settings, client: httpx.AsyncClient) -> None:
    (number,) = await burst(client, 1)  # no worker runs: the dispatch waits in the outbox
    disable = "UPDATE public.tenants SET status = %s WHERE code = %s"
    with psycopg.connect(tree.postgres_url) as conn:
        conn.execute(disable, ("disabled", DISTRICT))
    worker = start_worker()
    try:
        await eventually(lambda: asyncio.sleep(0, dead_letters_about(tree, number)))
        message_id = one_value(tree, "SELECT message_id FROM public.dead_letters WHERE payload LIKE %s",
                               f"%{number}%")
        listed = subprocess.run([HOTLINE, "federation", "dead-letters"], capture_output=True, text=True, timeout=60)
        assert str(message_id) in listed.stdout and f"no active tenant {DISTRICT}" in " ".join(listed.stdout.split())

        refused = subprocess.run([HOTLINE, "federation", "replay", str(message_id)], capture_output=True, text=True,
                                 timeout=60)  # the district is still disabled
        assert refused.returncode == 1 and "still cannot apply" in refused.stderr
        assert held_below(tree, [number]) == {number: 0}

        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(disable, ("active", DISTRICT))
        for _ in range(2):  # the second time there is nothing left to replay
            replayed = subprocess.run([HOTLINE, "federation", "replay", str(message_id)], capture_output=True,
                                      text=True, timeout=60)
        assert "no dead letter" in replayed.stderr
        assert held_below(tree, [number]) == {number: 1}
        assert dead_letters_about(tree, number) == 0
        federation_is_clean()
    finally:
        stop_worker(worker)
        with psycopg.connect(tree.postgres_url) as conn:
            conn.execute(disable, ("active", DISTRICT))


async def test_a_dead_lettered_assessment_fact_is_applied_by_a_replay(
        tree: Settings, client: httpx.AsyncClient) -> None:
    number = (await register(client))["number"]  # no worker runs: its intake fact waits in the outbox
    with psycopg.connect(tree.postgres_url) as conn:  # as a consumer would have dead-lettered it after eight failures
        message_id = conn.execute(
            "WITH f AS (UPDATE public.outbox SET published_at = now() WHERE kind = 'fact' AND published_at IS NULL "
            f"AND payload->>'o' = (SELECT id::text FROM t_{CITY}.orders WHERE number = %s) RETURNING *) "
            "INSERT INTO public.dead_letters (message_id, tenant_code, subject, payload, reason, deliveries) "
            "SELECT message_id, tenant_code, %s || substr(subject, 8), payload::text, 'failed 8 times: timeout', 8 "
            "FROM f RETURNING message_id", (number, tree.nats_prefix)).fetchone()[0]
    assert check_now().exit_code == 0  # dead-lettered counts as accounted for

    replayed = subprocess.run([HOTLINE, "federation", "replay", str(message_id)], capture_output=True, text=True,
                              timeout=60)
    assert replayed.returncode == 0 and f"applied {message_id}" in replayed.stdout
    assert one_value(tree, "SELECT count(*) FROM public.assess_records r WHERE r.tenant_code = %s AND r.order_id = "
                           f"(SELECT id FROM t_{CITY}.orders WHERE number = %s)", CITY, number) == 1
    assert one_value(tree, "SELECT count(*) FROM public.dead_letters WHERE message_id = %s", message_id) == 0
