"""Typed configuration for every process, read from `SAFEGUARD_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, PostgresDsn
from pydantic_settings import BaseSettings, SettingsConfigDict

from safeguard.policy import LifecyclePolicy


class StackPorts(BaseModel):
    """Loopback ports of the embedded local stack (`safeguard stack up`)."""

    postgres: int = 15432
    kafka: int = 19092
    kafka_controller: int = 19093
    temporal: int = 7233
    temporal_ui: int = 8233


class ServicePorts(BaseModel):
    """Loopback ports the services listen on under `safeguard run`."""

    intake: int = 8001
    assessment: int = 8002
    panel: int = 8003
    notifications: int = 8004


class Settings(BaseSettings):
    """Every endpoint defaults to the embedded stack; set one to use an external service."""

    model_config = SettingsConfigDict(
        env_prefix="SAFEGUARD_",
        env_nested_delimiter="__",
        env_ignore_empty=True,
        extra="ignore",
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".data")
    stack: StackPorts = Field(default_factory=StackPorts)
    services: ServicePorts = Field(default_factory=ServicePorts)

    database_url: PostgresDsn | None = None
    database_pool_max: int = 10

    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_task_queue: str = "referrals"
    lifecycle: LifecyclePolicy = Field(default_factory=LifecyclePolicy)

    kafka_bootstrap_servers: str | None = None
    # Prefixing every topic lets several deployments (or tests) share one cluster.
    kafka_topic_prefix: str = ""
    kafka_consumer_group_prefix: str = "safeguard"

    def database_dsn(self) -> str:
        """The configured PostgreSQL DSN, or the embedded stack's."""
        if self.database_url is not None:
            return str(self.database_url)
        return f"postgresql://safeguard@127.0.0.1:{self.stack.postgres}/safeguard"

    def temporal_target(self) -> str:
        """The configured Temporal frontend address, or the embedded stack's."""
        return self.temporal_address or f"127.0.0.1:{self.stack.temporal}"

    def kafka_servers(self) -> str:
        """The configured Kafka bootstrap servers, or the embedded broker."""
        return self.kafka_bootstrap_servers or f"127.0.0.1:{self.stack.kafka}"

    def topic(self, name: str) -> str:
        """The physical topic name for a logical topic."""
        return f"{self.kafka_topic_prefix}{name}"

    def consumer_group(self, name: str) -> str:
        """The consumer group id for a logical consumer."""
        return f"{self.kafka_consumer_group_prefix}.{name}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings` instead."""
    return Settings()
