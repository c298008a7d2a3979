-- Personal fields encrypted at rest (safeguard/fieldcrypt): each service keeps a data key per
-- case, wrapped by the key provider's key-encryption key (KEK), and seals the case's personal
-- fields with it (AES-256-GCM, bound to table, column and row).
CREATE SCHEMA IF NOT EXISTS keyring;

CREATE TABLE keyring.data_keys (
    -- The service whose fields the key seals, and the case (referral id) or record it is for.
    service text NOT NULL,
    owner uuid NOT NULL,
    -- The data key as the provider wrapped it (`local:v3:...`, `vault:v3:...`); NULL once
    -- erased: the row stays as a tombstone so no new key is made for an erased case.
    wrapped text,
    kek_version integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    rewrapped_at timestamptz,
    destroyed_at timestamptz,
    PRIMARY KEY (service, owner),
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL)),
    CHECK ((wrapped IS NULL) = (kek_version IS NULL))
);
-- Rotation finds the keys still wrapped under older versions.
CREATE INDEX data_keys_by_kek_version ON keyring.data_keys (kek_version) WHERE wrapped IS NOT NULL;

-- The referral form, sealed with the case's intake data key. `form` (plain jsonb) is left only
-- on rows written before this migration, until `safeguard keys seal-plaintext` seals them.
-- `person_key` becomes a blind index: HMAC-SHA256 under the blind-index key, not SHA-256.
ALTER TABLE intake.referrals ADD COLUMN form_sealed bytea;
