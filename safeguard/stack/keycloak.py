"""Keycloak, the development identity provider: the `safeguard` realm on a loopback port.

The distribution is shared per user (keycloak_dist); each data dir has its own Keycloak home,
`<data_dir>/keycloak/`, holding its H2 database and import dir and linking to the build for the
rest, so two data dirs never share a database.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from safeguard.settings import StackPorts
from safeguard.stack.component import HOST, Component
from safeguard.stack.java import find_java_home
from safeguard.stack.keycloak_dist import ensure_distribution, keycloak_env
from safeguard.stack.keycloak_realm import REALM, render_realm

MIN_JAVA = 21
JAVA_HOME_SETTING = "SAFEGUARD_KEYCLOAK_JAVA_HOME"
# The master realm's first administrator, for the admin console: development only.
ADMIN_USERNAME = "admin"
DEV_ADMIN_PASSWORD = "dev-admin-password"  # noqa: S105 - development only, loopback only
HEAP = "-Xms64m -Xmx512m"
# What the per-data-dir home borrows from the shared build; `data/` is its own.
SHARED_DIRS = ("conf", "lib", "providers", "themes")
REALM_IMPORT_NAME = "realm-safeguard.json"


def keycloak_issuer(ports: StackPorts) -> str:
    """The `iss` of tokens from the stack's realm (fixed by `--hostname`)."""
    return f"http://{HOST}:{ports.keycloak}/realms/{REALM}"


class Keycloak(Component):
    """Keycloak in production mode (`start --optimized`) on a dev-file H2 database."""

    name = "keycloak"
    _dist: Path | None = None
    _java_home: Path | None = None

    @property
    def base_url(self) -> str:
        """Where Keycloak answers (the admin console is under /admin/)."""
        return f"http://{HOST}:{self.ports.keycloak}"

    @property
    def issuer(self) -> str:
        """The realm's issuer URL."""
        return keycloak_issuer(self.ports)

    @property
    def web_base(self) -> str:
        """The web front end's base URL, the one the realm's client redirects to."""
        return f"http://{HOST}:{self.settings.services.web}"

    @property
    def endpoint(self) -> str:
        """host:port of the HTTP listener."""
        return f"{HOST}:{self.ports.keycloak}"

    @property
    def detail(self) -> str:
        """The realm and the admin console."""
        return f"realm {self.issuer}  admin console {self.base_url}/admin/"

    @property
    def marker(self) -> str:
        """The home override appears in kc.sh's and java's command lines."""
        return f"-Dkc.home.dir={self.home.resolve()}"

    @property
    def import_dir(self) -> Path:
        """Where `--import-realm` reads the realm at start (fixed by Keycloak to home/data)."""
        return self.home / "data" / "import"

    @property
    def database_dir(self) -> Path:
        """The dev-file H2 database of this data dir."""
        return self.home / "data" / "h2"

    def ports_needed(self) -> Mapping[int, str]:
        """The HTTP listener and the management (health) interface."""
        return {
            self.ports.keycloak: "keycloak",
            self.ports.keycloak_management: "keycloak's management interface",
        }

    async def prepare(self) -> None:
        """Find a JDK 21+, build the distribution once per user, lay out home, write the realm."""
        self._java_home = await asyncio.to_thread(
            find_java_home,
            MIN_JAVA,
            configured=self.settings.keycloak_java_home,
            setting=JAVA_HOME_SETTING,
            needed_by=f"Keycloak 26 (the stack's {self.name})",
        )
        self._dist = await asyncio.to_thread(
            ensure_distribution, java_home=self._java_home, log_path=self.log_path
        )
        await asyncio.to_thread(self._prepare_home, self._dist)

    def _prepare_home(self, dist: Path) -> None:
        self.import_dir.mkdir(parents=True, exist_ok=True)
        for name in SHARED_DIRS:
            link = self.home / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(dist / name, target_is_directory=True)
        self._write_realm()

    def _write_realm(self) -> None:
        """Put the realm where `--import-realm` finds it; a changed realm restarts the database.

        Keycloak imports a realm only if it does not exist yet, so a new web port, secret or
        realm file would otherwise be ignored: the development database is dropped instead.
        """
        realm = render_realm(
            web_base=self.web_base,
            client_secret=self.settings.web.oidc_client_secret.get_secret_value(),
        )
        target = self.import_dir / REALM_IMPORT_NAME
        previous = target.read_text() if target.exists() else None
        if previous == realm:
            return
        if previous is not None and self.database_dir.exists():
            shutil.rmtree(self.database_dir)
            self._note("the realm changed: its development database is reset and reimported")
        target.touch(mode=0o600)
        target.write_text(realm)

    def _note(self, text: str) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            log.write(f"=== safeguard stack: {text} ===\n")

    def argv(self) -> Sequence[str]:
        """kc.sh start --optimized on loopback, with the realm imported on first start."""
        if self._dist is None:
            raise RuntimeError("Keycloak.prepare() must run before its command is built")
        return [
            str(self._dist / "bin" / "kc.sh"),
            # kc.sh puts a later -D after its own: this data dir's home wins over the build's.
            self.marker,
            "start",
            "--optimized",
            "--http-enabled=true",
            f"--http-host={HOST}",
            f"--http-port={self.ports.keycloak}",
            f"--http-management-port={self.ports.keycloak_management}",
            # The issuer stays http://127.0.0.1:<port>/realms/safeguard whatever the request says.
            f"--hostname={self.base_url}",
            # One node: no JGroups cluster listening on other interfaces.
            "--cache=local",
            "--import-realm",
        ]

    def environment(self) -> Mapping[str, str]:
        """JAVA_HOME, a modest heap and the first administrator."""
        if self._java_home is None:
            raise RuntimeError("Keycloak.prepare() must run before its environment is built")
        return keycloak_env(
            self._java_home,
            {
                "JAVA_OPTS_KC_HEAP": HEAP,
                "KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USERNAME,
                "KC_BOOTSTRAP_ADMIN_PASSWORD": DEV_ADMIN_PASSWORD,
            },
        )

    async def probe(self) -> bool:
        """Ready on the management port, and the realm's discovery names our issuer."""
        ready = f"http://{HOST}:{self.ports.keycloak_management}/health/ready"
        discovery = f"{self.issuer}/.well-known/openid-configuration"
        try:
            async with httpx.AsyncClient(timeout=3.0) as http:
                if (await http.get(ready)).status_code != 200:
                    return False
                answer = await http.get(discovery)
                return answer.status_code == 200 and answer.json().get("issuer") == self.issuer
        except (httpx.HTTPError, ValueError):
            return False
