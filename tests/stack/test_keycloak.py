"""The embedded stack's Keycloak, real: health, discovery, sign-in, JDK lookup, warm start."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import psutil
import pytest

from safeguard.settings import Settings, StackPorts
from safeguard.stack import Stack, StackError
from safeguard.stack.java import find_java_home
from safeguard.stack.keycloak_dist import distribution_dir
from safeguard.stack.process import read_pid
from tests.helpers import free_port
from tests.keycloak_server import KeycloakServer, sign_in

# The session's Keycloak may start in the first test here: minutes on a busy machine.
pytestmark = pytest.mark.timeout(600)
JDK_17 = Path("/usr/lib/jvm/java-17-openjdk-amd64")
# Claims only: the signature is checked in the officer's test.
_UNSIGNED: jwt.types.Options = {"verify_signature": False}


def _java_pid(server: KeycloakServer) -> int:
    """The JVM under kc.sh (the pid file names the script)."""
    pid = read_pid(server.stack.components[0].pid_path)
    assert pid is not None
    children = psutil.Process(pid).children(recursive=True)
    return next(p.pid for p in children if p.name() == "java")


async def test_keycloak_is_healthy_on_loopback_with_its_own_database(
    keycloak: KeycloakServer,
) -> None:
    [status] = await keycloak.stack.status()
    management = keycloak.stack.ports.keycloak_management
    async with httpx.AsyncClient() as http:
        ready = await http.get(f"http://127.0.0.1:{management}/health/ready")

    assert status.name == "keycloak" and status.healthy, status
    assert ready.status_code == 200 and ready.json()["status"] == "UP"
    listening = {
        (c.laddr.ip, c.laddr.port)
        for c in psutil.Process(_java_pid(keycloak)).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    }
    assert {port for _, port in listening} >= {keycloak.stack.ports.keycloak, management}
    assert {ip.removeprefix("::ffff:") for ip, _ in listening} == {"127.0.0.1"}
    assert (keycloak.stack.data_dir / "keycloak" / "data" / "h2").is_dir()


async def test_discovery_names_the_fixed_issuer_and_rs256(keycloak: KeycloakServer) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{keycloak.issuer}/.well-known/openid-configuration")
    discovery = answer.json()

    assert keycloak.issuer == f"http://127.0.0.1:{keycloak.stack.ports.keycloak}/realms/safeguard"
    assert discovery["issuer"] == keycloak.issuer
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]
    assert "S256" in discovery["code_challenge_methods_supported"]


async def test_officer_signs_in_with_pkce_and_gets_the_claims_services_need(
    keycloak: KeycloakServer,
) -> None:
    tokens = await sign_in(keycloak, "officer-17")

    async with httpx.AsyncClient() as http:
        jwks = (await http.get(f"{keycloak.issuer}/protocol/openid-connect/certs")).json()
    header = jwt.get_unverified_header(tokens["access_token"])
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims = jwt.decode(
        tokens["access_token"],
        key=key.key,
        algorithms=["RS256"],
        audience="safeguard",
        issuer=keycloak.issuer,
    )
    assert header["alg"] == "RS256"
    assert claims["sub"] == "officer-17"
    assert claims["preferred_username"] == "officer-17"
    assert "prevent_officer" in claims["roles"]
    assert claims["areas"] == ["E08000003"]
    assert claims["name"] == "Amira Khan"
    assert claims["email"] == "officer-17@dev.safeguard.invalid"
    assert claims["exp"] - claims["iat"] == 300


async def test_attributes_reach_tokens_for_every_kind_of_user(keycloak: KeycloakServer) -> None:
    member = jwt.decode((await sign_in(keycloak, "member-05"))["access_token"], options=_UNSIGNED)
    provider = jwt.decode(
        (await sign_in(keycloak, "provider-02"))["access_token"], options=_UNSIGNED
    )

    assert (member["sub"], member["roles"], member["areas"], member["agency"]) == (
        "member-05",
        ["panel_member"],
        ["E08000003"],
        "manchester-childrens-services",
    )
    assert (provider["roles"], provider["provider_id"]) == (
        ["intervention_provider"],
        "provider-02",
    )
    assert "areas" not in provider


def test_no_jdk_21_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)

    with pytest.raises(StackError) as raised:
        find_java_home(
            21,
            configured=None,
            setting="SAFEGUARD_KEYCLOAK_JAVA_HOME",
            needed_by="Keycloak 26",
            root=tmp_path,
        )

    message = str(raised.value)
    assert "Keycloak 26 needs Java 21 or newer and none was found" in message
    assert f"nor any JDK under {tmp_path}" in message
    assert "set SAFEGUARD_KEYCLOAK_JAVA_HOME to its directory" in message


@pytest.mark.skipif(not JDK_17.is_dir(), reason="needs Debian's OpenJDK 17")
async def test_a_configured_jdk_too_old_stops_up_before_anything_starts(tmp_path: Path) -> None:
    ports = StackPorts(keycloak=free_port(), keycloak_management=free_port())
    settings = Settings(environment="test", stack=ports, keycloak_java_home=JDK_17)
    stack = Stack(data_dir=tmp_path, ports=ports, components=("keycloak",), settings=settings)

    with pytest.raises(StackError, match=f"SAFEGUARD_KEYCLOAK_JAVA_HOME={JDK_17} has Java 17"):
        await stack.up(timeout=60)
    assert not (await stack.status())[0].running


async def test_warm_start_is_optimized_and_keeps_the_realm(keycloak: KeycloakServer) -> None:
    """Last here: it restarts the session's Keycloak (and leaves it running)."""
    built = distribution_dir() / "lib" / "quarkus" / "quarkus-application.dat"
    built_at = built.stat().st_mtime_ns
    log = keycloak.stack.components[0].log_path
    await keycloak.stack.down()
    offset = log.stat().st_size

    await keycloak.stack.up(timeout=300)

    restart = log.read_bytes()[offset:].decode(errors="replace")
    assert "--optimized" in psutil.Process(_java_pid(keycloak)).cmdline()
    assert "augmentation" not in restart and "Updating the configuration" not in restart
    assert built.stat().st_mtime_ns == built_at
    assert "Realm 'safeguard' already exists. Import skipped" in restart
    assert (await sign_in(keycloak, "officer-18"))["access_token"]
