"""Embedded Keycloak: the official ``org.keycloak:keycloak-quarkus-dist`` from Maven Central.

The distribution is fetched once with the machine's Maven into the cache directory (shared
by every checkout) and run with ``kc.sh start-dev``; its database (H2 file) lives in the
platform's home, so users and realms survive a restart. Its themes folder is this package's
``sso/theme`` (the hotline's sign-in pages in Chinese).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import httpx

from embedded.base import Service
from embedded.process import ServiceError, require_free_port, spawn_detached
from infra.settings import Settings
from sso.credentials import admin_credentials
from sso.realm import THEME_DIR

MIN_JAVA = 17


def java_major_version(java: str = "java") -> int | None:
    """The major version of the java on PATH, or None when there is none."""
    exe = shutil.which(java)
    if exe is None:
        return None
    out = subprocess.run([exe, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def require_java() -> None:
    version = java_major_version()
    if version is None:
        raise ServiceError(
            f"Keycloak needs Java {MIN_JAVA} or newer and no `java` is on PATH. Install it "
            "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless), or point HOTLINE_KEYCLOAK_URL "
            "at a running Keycloak."
        )
    if version < MIN_JAVA:
        raise ServiceError(
            f"Keycloak needs Java {MIN_JAVA} or newer; `java` on PATH is {version}. Install a newer JDK "
            "(apt-get install openjdk-17-jre-headless) and put it first on PATH."
        )


def ensure_distribution(settings: Settings) -> Path:
    """The unpacked Keycloak distribution, fetched with Maven on first use. Returns its home."""
    version = settings.keycloak_version
    home = settings.cache_dir / f"keycloak-{version}"
    if (home / "bin" / "kc.sh").exists():
        return home
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    # Several processes (parallel tests, two checkouts) may ask at once: one fetches.
    with open(settings.cache_dir / f".keycloak-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (home / "bin" / "kc.sh").exists():
            return home
        if shutil.which("mvn") is None:
            raise ServiceError(
                "Keycloak's distribution is not cached yet and fetching it needs Maven, which is not on "
                "PATH. Install it (Debian/Ubuntu: apt-get install maven), or point HOTLINE_KEYCLOAK_URL "
                "at a running Keycloak."
            )
        with tempfile.TemporaryDirectory(dir=settings.cache_dir) as tmp:
            artifact = f"org.keycloak:keycloak-quarkus-dist:{version}:tar.gz"
            result = subprocess.run(
                ["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={tmp}"],
                capture_output=True, text=True,
            )
            archive = Path(tmp) / f"keycloak-quarkus-dist-{version}.tar.gz"
            if result.returncode != 0 or not archive.exists():
                raise ServiceError(f"Maven could not fetch {artifact}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="tar")
            shutil.move(str(Path(tmp) / f"keycloak-{version}"), home)
    return home


class Keycloak(Service):
    name = "keycloak"
    # A first start builds the distribution (Quarkus augmentation), which can take a minute here.
    start_timeout = 180.0

    @property
    def embedded(self) -> bool:
        return self.settings.embedded_keycloak

    @property
    def url(self) -> str:
        return self.settings.effective_keycloak_url

    def healthy(self) -> bool:
        if self.embedded:
            probe = f"http://{self.settings.bind_host}:{self.settings.keycloak_management_port}/health/ready"
        else:
            probe = f"{self.url.rstrip('/')}/realms/master"
        try:
            return httpx.get(probe, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def _launch(self) -> None:
        s = self.settings
        require_java()
        require_free_port(s.bind_host, s.keycloak_port, "Keycloak", "HOTLINE_KEYCLOAK_PORT")
        require_free_port(s.bind_host, s.keycloak_management_port, "Keycloak management",
                          "HOTLINE_KEYCLOAK_MANAGEMENT_PORT")
        home = ensure_distribution(s)
        db = self.dir / "h2" / "keycloakdb"
        db.parent.mkdir(parents=True, exist_ok=True)
        # The master realm's first admin: the home's generated password (sso/credentials.py), never admin/admin.
        # Keycloak uses it only when its database has no admin yet.
        admin, password = admin_credentials(s)
        env = dict(os.environ)
        env.update({
            "KC_BOOTSTRAP_ADMIN_USERNAME": admin,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": password,
            # Keycloak sizes its heap from the machine's memory by default; one instance is plenty here.
            "JAVA_OPTS_KC_HEAP": "-Xms128m -Xmx1024m",
        })
        argv = [
            str(home / "bin" / "kc.sh"), "start-dev",
            f"--http-host={s.bind_host}",
            f"--http-port={s.keycloak_port}",
            f"--http-management-port={s.keycloak_management_port}",
            "--health-enabled=true",
            "--db=dev-file",
            # NON_KEYWORDS=VALUE is part of Keycloak's own default H2 URL; without it its schema fails.
            f"--db-url=jdbc:h2:file:{db};NON_KEYWORDS=VALUE",
            # The platform's sign-in theme (sso/theme/hotline), read in place: the folder theme provider looks here
            # instead of the distribution's themes/ (empty, and shared by every checkout); Keycloak's own themes
            # come from its jars. start-dev does not cache themes.
            f"--spi-theme--folder--dir={THEME_DIR}",
        ]
        spawn_detached(argv, log_file=self.log_file, pid_file=self.pid_file, env=env, cwd=self.dir)
