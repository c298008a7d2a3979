"""Check audit-log proofs against signed checkpoints, trusting nothing but the log's public key.

This file stands alone (Python 3.11+ and the `cryptography` package): copy it anywhere and run

    python proofcheck.py inclusion PROOF.json --key VERIFIER_KEY
    python proofcheck.py consistency PROOF.json --key VERIFIER_KEY

where PROOF.json is what `safeguard audit prove` or `safeguard audit consistency` printed and
VERIFIER_KEY is the log's verifier key (`name+keyid+base64`, as `safeguard audit key` prints
it). Exit status 0 means the proof holds; 1 says why not.

The tree is RFC 9162's (Certificate Transparency v2): SHA-256, leaves hashed with a 0x00 prefix
and nodes with 0x01. Checkpoints are C2SP signed notes (tlog-checkpoint): origin, tree size,
base64 root hash, then a `time` line; signed with Ed25519.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519 = 0x01
_SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space start each signature line


class ProofError(Exception):
    """The proof, or the checkpoint it rests on, does not hold."""


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 2.1.1: the hash of a leaf."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 2.1.1: the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def root_from_inclusion(index: int, size: int, hash_: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: the root that `path` proves leaf `index` (hash `hash_`) is under."""
    if index >= size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, root = index, size - 1, hash_
    for sibling in path:
        if sn == 0:
            raise ProofError("the inclusion path is too long")
        if fn & 1 or fn == sn:
            root = node_hash(sibling, root)
            fn, sn = _shift_while_even(fn, sn)
        else:
            root = node_hash(root, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion path is too short")
    return root


def check_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: list[bytes]
) -> None:
    """RFC 9162 2.1.4.2: raise unless `path` proves the new tree extends the old one."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of {new_size} cannot extend one of {old_size}")
    if old_size == new_size or old_size == 0:
        if path or (old_size == new_size and old_root != new_root):
            raise ProofError("the trees differ")
        return
    if not path:
        raise ProofError("the consistency path is empty")
    if old_size & (old_size - 1) == 0:
        path = [old_root, *path]
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("the consistency path is too long")
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            fn, sn = _shift_while_even(fn, sn)
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or first != old_root or second != new_root:
        raise ProofError("the new tree does not extend the old one")


@dataclass(frozen=True)
class VerifierKey:
    """A signed-note verifier key: `name+keyid(8 hex)+base64(0x01 || Ed25519 public key)`."""

    name: str
    key_id: bytes
    public: bytes

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Read a verifier key, checking that its id matches its name and key."""
        try:
            # Names hold no "+" (signed-note rule), base64 may: split from the left.
            name, key_id, encoded = text.strip().split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ProofError("not a verifier key (name+keyid+base64)") from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise ProofError("the verifier key is not an Ed25519 key")
        key = cls(name, bytes.fromhex(key_id), raw[1:])
        if key.key_id != key_id_of(name, key.public):
            raise ProofError("the verifier key's id does not match its name and key")
        return key

    def check(self, note: str) -> Checkpoint:
        """The checkpoint in `note`, if this key signed it; otherwise raise."""
        body, _, signatures = note.partition("\n\n")
        body += "\n"
        for line in signatures.splitlines():
            if not line.startswith(_SIGNATURE_PREFIX):
                continue
            name, _, encoded = line[len(_SIGNATURE_PREFIX) :].rpartition(" ")
            raw = base64.b64decode(encoded)
            if name != self.name or raw[:4] != self.key_id:
                continue
            try:
                Ed25519PublicKey.from_public_bytes(self.public).verify(raw[4:], body.encode())
            except InvalidSignature:
                raise ProofError("the checkpoint's signature is not valid") from None
            return Checkpoint.parse(body, origin=self.name)
        raise ProofError(f"the checkpoint is not signed by {self.name}")


def key_id_of(name: str, public: bytes) -> bytes:
    """The signed-note key id: the first 4 bytes of SHA-256(name, newline, type, key)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint says: the log's origin, its size, its root hash and when."""

    origin: str
    size: int
    root: bytes
    time: str

    @classmethod
    def parse(cls, body: str, *, origin: str) -> Checkpoint:
        """Read a checkpoint's body (its lines before the signatures)."""
        lines = body.rstrip("\n").split("\n")
        if len(lines) < 4 or lines[0] != origin or not lines[3].startswith("time "):
            raise ProofError("not a checkpoint of this log")
        return cls(lines[0], int(lines[1]), base64.b64decode(lines[2]), lines[3][5:])


def _hashes(encoded: list[str]) -> list[bytes]:
    return [base64.b64decode(item) for item in encoded]


def check_inclusion(proof: dict[str, object], key: VerifierKey) -> str:
    """Raise unless the proof's leaf is in the tree of its signed checkpoint; say what holds."""
    checkpoint = key.check(str(proof["checkpoint"]))
    leaf = base64.b64decode(str(proof["leaf"]))
    if "entry" in proof and json.loads(leaf) != proof["entry"]:
        raise ProofError("the readable `entry` is not the proven leaf")
    index = int(str(proof["leaf_index"]))
    path = _hashes(list(proof["path"]))  # type: ignore[call-overload]
    if root_from_inclusion(index, checkpoint.size, leaf_hash(leaf), path) != checkpoint.root:
        raise ProofError("the leaf is not in the tree this checkpoint signs")
    return f"entry {index} is in the log of {checkpoint.size} entries signed at {checkpoint.time}"


def check_consistency_proof(proof: dict[str, object], key: VerifierKey) -> str:
    """Raise unless the newer checkpoint's tree extends the older one's; say what holds."""
    old, new = key.check(str(proof["old"])), key.check(str(proof["new"]))
    path = _hashes(list(proof["path"]))  # type: ignore[call-overload]
    check_consistency(old.size, new.size, old.root, new.root, path)
    return f"the log of {new.size} entries extends the log of {old.size}: nothing was rewritten"


def main(argv: list[str] | None = None) -> int:
    """The command line: check one proof; 0 if it holds, 1 if not."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["inclusion", "consistency"])
    parser.add_argument("proof", type=Path, help="the proof JSON ('-' for standard input)")
    parser.add_argument("--key", required=True, help="the log's verifier key")
    args = parser.parse_args(argv)
    text = sys.stdin.read() if str(args.proof) == "-" else args.proof.read_text()
    check = check_inclusion if args.kind == "inclusion" else check_consistency_proof
    try:
        sys.stdout.write(f"OK: {check(json.loads(text), VerifierKey.parse(args.key))}\n")
    except (ProofError, KeyError, ValueError) as error:
        sys.stderr.write(f"FAILED: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
