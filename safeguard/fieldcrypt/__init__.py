"""Personal fields encrypted at rest: envelope encryption with a data key per case.

- `keys`: the key provider interface (key-encryption keys) and the local key file;
- `vault`: the production provider, HashiCorp Vault's Transit engine;
- `envelope`: sealing a field with a data key, bound to its table, column and row;
- `keyring`: the wrapped data keys in `keyring.data_keys`, destroyed at erasure;
- `rotation`: re-wrapping every data key under a new KEK version, and retiring old ones;
- `blind_index`: keyed hashes for finding equal values (re-referrals) without plain text;
- `setup`: all of it built from settings, for a service.
"""
