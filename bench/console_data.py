"""The city the console bench works in: a million orders of two years written by set-based SQL (as `bench intake`
fills its list tenant), callers with several requests each, and one department holding 10,000 open orders."""

from __future__ import annotations

import psycopg

CITY = "4101"
UNIT = "housing"  # the department whose handler opens an inbox of OPEN_FOR_UNIT orders
OPEN_FOR_UNIT = 10_000
PHONES = 200_000  # distinct callers over the million: five requests each on average
STEP = 250_000


def phone(i: int) -> str:
    """The i-th caller's number (every caller has earlier requests)."""
    return f"139{i % PHONES:08d}"


def fill_city(url: str, orders: int) -> int:
    """``orders`` in 郑州's schema (kept between runs with --keep: only what is missing is added); returns the id
    of the department holding the open ones."""
    schema = f"t_{CITY}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"""INSERT INTO {schema}.units (code, name, kind) VALUES ('centre', '郑州市12345热线服务中心',
                         'centre'), ('{UNIT}', '郑州市住房和城乡建设局', 'department'), ('urban', '郑州市城市管理局',
                         'department'), ('water', '郑州市水利局', 'department') ON CONFLICT (code) DO NOTHING""")
        units = dict(conn.execute(f"SELECT code, id FROM {schema}.units").fetchall())
        unit, others = units[UNIT], [units["urban"], units["water"]]
        open_every = max(1, orders // OPEN_FOR_UNIT)
        have = conn.execute(f"SELECT count(*) FROM {schema}.orders WHERE number LIKE '{CITY}-C-%'").fetchone()[0]  # type: ignore[index]
        for start in range(have, orders, STEP):
            end = min(start + STEP, orders)
            # Open (signed, in the department's hands) for every open_every-th order, closed otherwise.
            conn.execute(f"""
                INSERT INTO {schema}.orders (number, root_number, query_code, channel, type, category, title,
                    content, address, division_code, citizen_name, citizen_phone, status, outcome, urgency,
                    handle_deadline, lead_unit_id, created_at, updated_at, closed_at, search)
                SELECT '{CITY}-C-' || g, '{CITY}-C-' || g, 'C' || g,
                    (ARRAY['phone','web','app','wechat'])[1 + g % 4],
                    (ARRAY['consultation','help','complaint','report','suggestion'])[1 + g % 5],
                    '01' || lpad((1 + g % 15)::text, 2, '0'), '工单' || g, '市民反映问题' || g,
                    '中原区建设路' || (g % 500) || '号', '{CITY}', '张三', '139' || lpad((g % {PHONES})::text, 8, '0'),
                    CASE WHEN o.open THEN 'signed' ELSE 'closed' END, CASE WHEN o.open THEN NULL ELSE 'resolved' END,
                    'normal', t.at + interval '15 days' + (g % 97) * interval '1 minute',
                    CASE WHEN o.open THEN {unit} ELSE (ARRAY{others}::bigint[])[1 + g % 2] END,
                    t.at, t.at, CASE WHEN o.open THEN NULL ELSE t.at + interval '5 days' END,
                    to_tsvector('simple', '工单')
                FROM generate_series({start + 1}, {end}) AS g,
                     LATERAL (SELECT g % {open_every} = 0 AS open) o,
                     LATERAL (SELECT CASE WHEN o.open THEN now() - (g % 10) * interval '1 day'
                                     ELSE now() - (g % 730) * interval '1 day' END
                                     - (g * 37 % 86400) * interval '1 second' AS at) t""")
        conn.execute(f"""
            INSERT INTO {schema}.order_assignments (order_id, unit_id, role, status, assigned_at, signed_at,
                                                    handle_deadline)
            SELECT o.id, o.lead_unit_id, 'lead', CASE WHEN o.status = 'closed' THEN 'done' ELSE 'signed' END,
                   o.created_at, o.created_at + interval '1 hour', o.handle_deadline
            FROM {schema}.orders o
            WHERE o.number LIKE '{CITY}-C-%' AND o.lead_unit_id = {unit} AND o.status <> 'closed'
              AND NOT EXISTS (SELECT 1 FROM {schema}.order_assignments a WHERE a.order_id = o.id)""")
        conn.execute(f"ANALYZE {schema}.orders")
        conn.execute(f"ANALYZE {schema}.order_assignments")
    return unit


def newest_numbers(url: str, phones: list[str]) -> dict[str, str]:
    """Each caller's newest request: what the seat's history must show first."""
    with psycopg.connect(url) as conn:
        return {p: conn.execute(f"SELECT number FROM t_{CITY}.orders WHERE citizen_phone = %s "
                                "ORDER BY created_at DESC LIMIT 1", (p,)).fetchone()[0]  # type: ignore[index]
                for p in phones}
