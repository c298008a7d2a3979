-- Documents attached to a case (safeguard/attachments). The file itself is in the object
-- store, sealed with the case's `attachments` data key (keyring.data_keys); its object key is
-- `attachments/<id>`, nothing personal. The title and file name may name the person, so they
-- are sealed with the same key. Erasure at the end of retention deletes the objects, these
-- rows and the key, leaving one row per case in `attachments.erased`.
CREATE SCHEMA IF NOT EXISTS attachments;

CREATE TABLE attachments.attachments (
    id uuid PRIMARY KEY,
    referral_id uuid NOT NULL,
    -- Who attached it: a staff subject or a partner's client id, their role, and through
    -- which service.
    uploaded_by text NOT NULL,
    uploaded_role text NOT NULL,
    uploaded_via text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    document_type text NOT NULL,
    police_only boolean NOT NULL DEFAULT false,
    title_sealed bytea NOT NULL,
    file_name_sealed bytea NOT NULL,
    -- Decided from the content's first bytes, never from the name or the declared type.
    media_type text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes > 0),
    -- SHA-256 of the file as uploaded (not of the sealed object).
    sha256 bytea NOT NULL,
    object_key text NOT NULL UNIQUE,
    -- The partner's follow-up information it came with, if any.
    information_id uuid
);
CREATE INDEX attachments_by_referral ON attachments.attachments (referral_id, uploaded_at);

CREATE TABLE attachments.erased (
    referral_id uuid PRIMARY KEY,
    objects integer NOT NULL,
    erased_at timestamptz NOT NULL DEFAULT now()
);

-- Follow-up information a partner sends about its own referral (intake's
-- POST /v1/referrals/{reference}/information), idempotent per client and key as submissions
-- are. The text is sealed with the referral's intake data key; it is erased with the case.
CREATE TABLE intake.information (
    id uuid PRIMARY KEY,
    referral_id uuid NOT NULL REFERENCES intake.referrals,
    client_id text NOT NULL REFERENCES intake.agencies,
    received_at timestamptz NOT NULL DEFAULT now(),
    text_sealed bytea,
    attachment_ids uuid[] NOT NULL DEFAULT '{}',
    idempotency_key text NOT NULL,
    request_hash bytea NOT NULL,
    UNIQUE (client_id, idempotency_key)
);
CREATE INDEX information_by_referral ON intake.information (referral_id);

-- The case's area as it now stands (after a transfer or a placement out of triage), so
-- intake's notices about a referral go to the area that holds it. NULL: still `area`.
ALTER TABLE intake.referrals ADD COLUMN case_area text;
