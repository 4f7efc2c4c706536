"""`hotline bench auth`: token validation + permission decision per request, against plain Casbin.

All of Henan provisioned in a fresh database (2,786 tenants), people at every level with every role, real
Keycloak tokens. Ours, per request: validate the bearer token (cached after its first
verification, as in the API), find the target tenant's path, decide with the compiled policies.
Floor in the same run: ``casbin.Enforcer.enforce`` of the same decisions. Every decision of
ours is checked equal to Casbin's. Also: the first (uncached) RS256 verification, and a
no-change `sso sync` of the whole province.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import time
import uuid

from bench.scratch import scratch_database
from iam.actors import UNIT_ROLES, Role
from iam.authorizer import Authorizer
from iam.policies import policy_rows
from infra.db import sync_engine
from infra.settings import Settings
from sso.groups import sync_groups
from sso.realm import API_CLIENT, admin_client, sync_realm
from sso.tokens import TokenValidator, password_grant
from sso.users import NewUser, create_user
from tenants.divisions import read_province
from tenants.migrate import upgrade_shared
from tenants.service import import_divisions

PASSWORD = "Bench-12345!"
RESOURCES = [(obj, act) for _, _, obj, act in policy_rows()]


def run(settings: Settings, *, json_out: bool = False, requests: int = 200_000) -> dict[str, object]:
    from cli.output import console

    with scratch_database(settings, "bench_auth") as bench:
        engine = sync_engine(bench)
        upgrade_shared(engine)
        console.print("provisioning all of Henan into the bench database …")
        report = import_divisions(bench, engine, read_province(bench.divisions_dir, "41"))
        if report.migration.failed:
            raise RuntimeError(f"{len(report.migration.failed)} tenants failed to provision")
        with engine.connect() as conn:
            paths = dict(conn.exec_driver_sql("SELECT code, path FROM public.tenants").all())
        sync_realm(bench)
        kc = admin_client(bench)
        sync_groups(kc, engine)
        started = time.perf_counter()
        noop = sync_groups(kc, engine)
        noop_sync_s = time.perf_counter() - started
        assert noop.writes == 0

        rng = random.Random(12345)
        by_level: dict[int, list[str]] = {}
        for code in paths:
            by_level.setdefault(len(code), []).append(code)
        people = []
        run_id = uuid.uuid4().hex[:6]
        for length, count in ((2, 1), (4, 4), (6, 4), (9, 4)):
            for code in rng.sample(by_level[length], count):
                # A unit's staff need a unit (sso/users.py, check_roles): the roles that work without one.
                for role in rng.sample([r for r in Role if r not in UNIT_ROLES], 3):
                    name = f"bench-{run_id}-{role.value}-{code}".replace("_", "-")
                    create_user(kc, engine, NewUser(name, PASSWORD, code, [role.value]))
                    people.append(name)
        tokens = [_token(bench, name) for name in people]

        validator = TokenValidator(bench.issuer, API_CLIENT)
        t0 = time.perf_counter()
        for raw in tokens:
            validator.validate(raw)
        first_verify_us = (time.perf_counter() - t0) / len(tokens) * 1e6

        authorizer = Authorizer(policy_rows())
        codes = list(paths)
        samples = [(rng.choice(tokens), rng.choice(codes), *rng.choice(RESOURCES)) for _ in range(requests)]
        timings = []
        decisions = []
        for raw, target, obj, act in samples:
            t = time.perf_counter_ns()
            claims = validator.validate(raw)
            allowed = authorizer.decide(claims.roles, claims.tenant_path or "", paths[target], obj, act)
            timings.append(time.perf_counter_ns() - t)
            decisions.append(allowed)

        enforcer = authorizer.enforcer()
        plain = []
        for (raw, target, obj, act), ours in zip(samples[:3000], decisions[:3000], strict=True):
            claims = validator.validate(raw)
            roles = [r for r in claims.roles if r in Role.__members__]
            t = time.perf_counter_ns()
            theirs = any(enforcer.enforce(r, claims.tenant_path, paths[target], obj, act) for r in roles)
            plain.append(time.perf_counter_ns() - t)
            if theirs != ours:
                raise AssertionError(f"decision differs from Casbin's for {claims.username} on {target} {obj}:{act}")
        for name in people:  # the realm is the platform's: leave no bench people behind
            kc.delete_user(kc.get_user_id(name))
        engine.dispose()

    q = statistics.quantiles(timings, n=100)
    plain_us = statistics.mean(plain) / 1000
    result = {
        "tenants": len(paths), "people": len(people), "requests": requests,
        "us_per_request_p50": round(q[49] / 1000, 2), "us_per_request_p99": round(q[98] / 1000, 2),
        "plain_enforce_us": round(plain_us, 1), "ratio": round(q[98] / 1000 / plain_us, 4),
        "first_verify_us": round(first_verify_us, 1), "noop_sync_s": round(noop_sync_s, 2),
        "allowed_share": round(sum(decisions) / len(decisions), 3),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    console.print(
        f"{result['tenants']} tenants, {result['people']} people: token + decision p50 "
        f"{result['us_per_request_p50']} µs, p99 {result['us_per_request_p99']} µs; plain Casbin enforce "
        f"{result['plain_enforce_us']} µs (ratio {result['ratio']}); first RS256 verification "
        f"{result['first_verify_us']} µs; no-change sso sync {result['noop_sync_s']} s")
    if json_out:
        print(json.dumps(result))
    return result


def _token(settings: Settings, username: str) -> str:
    return password_grant(settings.issuer, username, PASSWORD)["access_token"]
