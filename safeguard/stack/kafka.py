"""A single-node Apache Kafka (KRaft) broker on the local JDK, from Maven Central jars."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import shutil
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from safeguard.stack.component import HOST, Component, port_open
from safeguard.stack.errors import StackError
from safeguard.stack.java import java_version
from safeguard.stack.maven import mvn_path, run_maven

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "kafka"
POM = DEPLOY_DIR / "pom.xml"
LOG4J_CONFIG = DEPLOY_DIR / "log4j2.properties"
MIN_JAVA = 17
WHAT = "Kafka's jars"
JVM_OPTIONS = (
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
)


def java_path() -> str:
    """The `java` on PATH, checked to be Java 17 or newer."""
    java = shutil.which("java")
    if java is None:
        raise StackError(f"java not found on PATH: install OpenJDK {MIN_JAVA} or newer")
    version, output = java_version(java)
    if version is None:
        raise StackError(f"could not tell the version of {java}: {output}")
    if version < MIN_JAVA:
        raise StackError(f"{java} is Java {version}; Kafka 4 needs Java {MIN_JAVA} or newer")
    return java


def fetch_kafka_classpath(*, data_dir: Path, local_repo: Path | None = None) -> Path:
    """Resolve the broker's jars with Maven once (cached by pom hash); return the classpath file.

    `local_repo` overrides Maven's local repository (~/.m2/repository by default).
    """
    java_path()
    key = hashlib.sha256(POM.read_bytes() + str(local_repo or "").encode()).hexdigest()[:16]
    cp_file = data_dir / "kafka" / f"classpath-{key}.txt"
    if cp_file.exists() and _classpath_complete(cp_file):
        return cp_file
    mvn = mvn_path(what=WHAT)
    cp_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cp_file.with_suffix(".partial")
    argv = [mvn, "-B", "-q", "-f", str(POM), "dependency:build-classpath"]
    argv.append(f"-Dmdep.outputFile={tmp.resolve()}")
    if local_repo is not None:
        argv.append(f"-Dmaven.repo.local={local_repo.resolve()}")
    run_maven(argv, what=WHAT)
    tmp.replace(cp_file)
    return cp_file


def _classpath_complete(cp_file: Path) -> bool:
    """Whether every jar the cached classpath names is still on disk (~/.m2 may be wiped)."""
    entries = [e for e in cp_file.read_text().strip().split(":") if e]
    return bool(entries) and all(Path(e).exists() for e in entries)


def random_cluster_id() -> str:
    """A cluster id as Kafka's `StorageTool random-uuid` makes one: 22 chars of base64url."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # Kafka avoids ids starting with "-" so they cannot be mistaken for an option.
        if not text.startswith("-"):
            return text


class Kafka(Component):
    """The Kafka broker (and its own KRaft controller) of the stack."""

    name = "kafka"
    _java: str | None = None
    _classpath: str | None = None

    @property
    def properties_path(self) -> Path:
        """The generated server.properties."""
        return self.home / "server.properties"

    @property
    def log_dir(self) -> Path:
        """Where the broker keeps its partitions and metadata log."""
        return self.home / "data"

    @property
    def endpoint(self) -> str:
        """host:port clients bootstrap from."""
        return f"{HOST}:{self.ports.kafka}"

    @property
    def marker(self) -> str:
        """The properties file appears in the broker's command line."""
        return str(self.properties_path.resolve())

    def ports_needed(self) -> Mapping[int, str]:
        """The client listener and the KRaft controller listener."""
        return {self.ports.kafka: "kafka", self.ports.kafka_controller: "the kafka controller"}

    async def prepare(self) -> None:
        """Check Java, fetch the jars, write server.properties and format the storage once."""
        await asyncio.to_thread(self._prepare_sync)

    def _prepare_sync(self) -> None:
        self._java = java_path()
        self._classpath = fetch_kafka_classpath(data_dir=self.data_dir).read_text().strip()
        self.home.mkdir(parents=True, exist_ok=True)
        # Rewritten on every start so a change of ports in the settings takes effect.
        self.properties_path.write_text(self._server_properties())
        if not (self.log_dir / "meta.properties").exists():
            self._format_storage()

    def _server_properties(self) -> str:
        port, cport = self.ports.kafka, self.ports.kafka_controller
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{HOST}:{cport}",
            "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{cport}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.log_dir.resolve()),
            "num.partitions": "1",
            # One broker: every internal topic can have one replica only.
            "offsets.topic.replication.factor": "1",
            # A handful of consumer groups: Kafka's 50 offsets partitions would be 50 logs to
            # recover after a crash, most of a restart on a small machine.
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # A broker killed and restarted registers anew, and is let in only once the
            # controller has given up on the old registration: after this, not 9 s.
            "broker.session.timeout.ms": "3000",
            "broker.heartbeat.interval.ms": "1000",
            # No other consumer is coming: do not hold the first rebalance back.
            "group.initial.rebalance.delay.ms": "0",
            # The project creates its topics explicitly; a typo must not create a new one.
            "auto.create.topics.enable": "false",
        }
        lines = ["# Generated by safeguard.stack on every `stack up`; edits are lost."]
        lines += [f"{key}={value}" for key, value in props.items()]
        return "\n".join(lines) + "\n"

    def _java_argv(self, main_class: str, *args: str) -> list[str]:
        if self._java is None or self._classpath is None:
            raise RuntimeError("Kafka.prepare() must run before the broker's command is built")
        return [self._java, *JVM_OPTIONS, "-cp", self._classpath, main_class, *args]

    def _format_storage(self) -> None:
        """What `kafka-storage.sh format --standalone` does: a one-voter KRaft quorum."""
        argv = self._java_argv(
            "kafka.tools.StorageTool",
            "format",
            "-t",
            random_cluster_id(),
            "-c",
            str(self.properties_path.resolve()),
            "--standalone",
        )
        result = subprocess.run(  # noqa: S603 - fixed argv
            argv, capture_output=True, text=True, check=False, timeout=300
        )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            log.write(result.stdout + result.stderr)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise StackError(
                f"formatting kafka's storage failed; see its log at {self.log_path.resolve()}\n"
                + tail
            )

    def argv(self) -> Sequence[str]:
        """The broker in the foreground."""
        return self._java_argv("kafka.Kafka", str(self.properties_path.resolve()))

    async def probe(self) -> bool:
        """An admin client connects and reads the cluster's metadata."""
        # Checking the port first keeps aiokafka from logging connection errors while we wait.
        if not await port_open(self.ports.kafka):
            return False
        admin = AIOKafkaAdminClient(bootstrap_servers=self.endpoint, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.describe_cluster()
        except (KafkaError, OSError, TimeoutError):
            return False
        finally:
            await admin.close()
        return True
