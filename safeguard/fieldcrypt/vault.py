"""The production key provider: HashiCorp Vault's Transit secrets engine over its HTTP API.

The KEK never leaves Vault; this adapter sends data keys to `/v1/<mount>/encrypt/<key>` and
back through `/decrypt`, moves them to the newest version with `/rewrap`, and rotates and
retires versions through `/keys/<key>/rotate`, `/config` and `/trim`. The Transit key is
created with `derived=true`, so the case's context (sent base64 as `context`) derives the key
each data key is wrapped under. The token needs `update` on encrypt, decrypt and rewrap for
the services, and additionally on rotate, config and trim for `safeguard keys` (see README).
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from safeguard.fieldcrypt.keys import KeyDestroyedError, KeyProviderError, wrapped_version


class VaultTransit:
    """A `KeyProvider` backed by one Transit key."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token: str,
        key: str,
        mount: str = "transit",
        namespace: str | None = None,
    ) -> None:
        self._http = http
        self._base = f"/v1/{mount.strip('/')}"
        self._key = key
        self._headers = {"X-Vault-Token": token, "X-Vault-Request": "true"}
        if namespace:
            self._headers["X-Vault-Namespace"] = namespace

    async def wrap(self, data_key: bytes, *, context: bytes) -> str:
        """`POST /encrypt/<key>`: Vault's ciphertext, `vault:v<n>:...`."""
        data = await self._call("POST", f"encrypt/{self._key}", _body(context, plaintext=data_key))
        return _text(data, "ciphertext")

    async def unwrap(self, wrapped: str, *, context: bytes) -> bytes:
        """`POST /decrypt/<key>`."""
        try:
            data = await self._call("POST", f"decrypt/{self._key}", _body(context, wrapped))
        except KeyProviderError:
            if await self._retired(wrapped):
                version = wrapped_version(wrapped)
                raise KeyDestroyedError(f"KEK version {version} was retired") from None
            raise
        return base64.b64decode(_text(data, "plaintext"))

    async def rewrap(self, wrapped: str, *, context: bytes) -> str:
        """`POST /rewrap/<key>`: the data key never comes out of Vault."""
        data = await self._call("POST", f"rewrap/{self._key}", _body(context, wrapped))
        return _text(data, "ciphertext")

    async def rotate(self) -> int:
        """`POST /keys/<key>/rotate`, then the new newest version."""
        await self._call("POST", f"keys/{self._key}/rotate", {})
        return await self.latest_version()

    async def latest_version(self) -> int:
        """`GET /keys/<key>`'s `latest_version`."""
        return int((await self._key_info())["latest_version"])

    async def retire(self, *, below: int) -> None:
        """Stop decrypting under older versions, then trim them from the key ring for good.

        Vault trims only below both minimum versions, so encryption's minimum is raised too;
        new encryptions use the newest version anyway.
        """
        minimums = {"min_decryption_version": below, "min_encryption_version": below}
        await self._call("POST", f"keys/{self._key}/config", minimums)
        await self._call("POST", f"keys/{self._key}/trim", {"min_available_version": below})

    async def _retired(self, wrapped: str) -> bool:
        info = await self._key_info()
        return wrapped_version(wrapped) < int(info.get("min_decryption_version", 1))

    async def _key_info(self) -> dict[str, Any]:
        return await self._call("GET", f"keys/{self._key}", None)

    async def _call(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        url = f"{self._base}/{path}"
        try:
            answer = await self._http.request(method, url, json=body, headers=self._headers)
        except httpx.HTTPError as error:
            raise KeyProviderError(f"vault unreachable ({type(error).__name__})") from None
        if answer.status_code == 204:
            return {}
        if answer.status_code >= 400:
            raise KeyProviderError(f"vault answered {answer.status_code}: {_errors(answer)}")
        payload = answer.json()
        data = payload.get("data") if isinstance(payload, dict) else None
        return data if isinstance(data, dict) else {}


def _body(
    context: bytes, ciphertext: str | None = None, *, plaintext: bytes = b""
) -> dict[str, str]:
    body = {"context": base64.b64encode(context).decode()}
    if ciphertext is None:
        body["plaintext"] = base64.b64encode(plaintext).decode()
    else:
        body["ciphertext"] = ciphertext
    return body


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise KeyProviderError(f"vault's answer has no {name}")
    return value


def _errors(answer: httpx.Response) -> str:
    """Vault's `errors` list (messages about keys and paths, never key material)."""
    try:
        errors = answer.json().get("errors")
    except ValueError:
        return "no error body"
    if not isinstance(errors, list):
        return "no error list"
    # Vault's messages span lines ("1 error occurred:\n\t* ..."): one line for logs.
    return "; ".join(" ".join(str(error).split()) for error in errors)
