-- The audit log becomes a verifiable log in the manner of Certificate Transparency (RFC 9162).
-- Writers insert entries without any shared lock; one sequencer numbers them in batches,
-- extends a Merkle tree over them and signs checkpoints with a key the database never holds.

CREATE TABLE audit.log_entries (
    -- Insertion order only: entries are numbered by the sequencer, in the order it sees them.
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('action', 'read', 'audit')),
    action text NOT NULL,
    actor text NOT NULL,
    role text NOT NULL,
    referral_id uuid,
    -- Ids, codes and stated purposes only: the log outlives every erasure.
    detail jsonb NOT NULL,
    -- For rows of the hash chain this log replaced: their place and hashes in that chain.
    chain jsonb,
    -- Set together by the sequencer: the leaf's index in the tree, and its RFC 9162 leaf hash.
    seq bigint UNIQUE,
    leaf_hash bytea,
    CHECK ((seq IS NULL) = (leaf_hash IS NULL))
);
CREATE INDEX log_entries_unsequenced ON audit.log_entries (id) WHERE seq IS NULL;
CREATE INDEX log_entries_by_referral ON audit.log_entries (referral_id, at);

-- The roots of the tree's perfect subtrees above the leaves: (level, index) covers leaves
-- [index * 2^level, (index + 1) * 2^level). Proofs are built from them.
CREATE TABLE audit.log_nodes (
    level smallint NOT NULL CHECK (level > 0),
    index bigint NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (level, index)
);

-- The tree as the sequencer left it (one row): a guard against two sequencers.
CREATE TABLE audit.log_tree (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    size bigint NOT NULL,
    root bytea NOT NULL
);
INSERT INTO audit.log_tree (size, root)
    VALUES (0, '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

-- Signed checkpoints (C2SP signed notes), also copied to a write-once store outside PostgreSQL.
CREATE TABLE audit.log_checkpoints (
    size bigint PRIMARY KEY,
    root bytea NOT NULL,
    at timestamptz NOT NULL,
    note text NOT NULL,
    copied_at timestamptz
);
CREATE INDEX log_checkpoints_uncopied ON audit.log_checkpoints (size) WHERE copied_at IS NULL;

-- The hash chain's rows become the log's first entries, in chain order, each keeping its
-- place and HMACs so `safeguard audit verify` can check the chain as it stood; a last entry
-- records the chain's head (and its HMAC), so a tail cut before the import shows too.
INSERT INTO audit.log_entries (id, at, kind, action, actor, role, referral_id, detail, chain)
    SELECT seq, at, kind, action, actor, role, referral_id, detail,
        jsonb_build_object(
            'seq', seq,
            'prev_hash', encode(prev_hash, 'base64'),
            'hash', encode(hash, 'base64'))
    FROM audit.chain ORDER BY seq;
INSERT INTO audit.log_entries (id, at, kind, action, actor, role, detail, chain)
    SELECT seq + 1, now(), 'audit', 'audit.chain_imported', 'migration', 'system',
        jsonb_build_object('rows', seq),
        jsonb_build_object(
            'head_seq', seq,
            'head_hash', encode(hash, 'base64'),
            'head_mac', encode(mac, 'base64'))
    FROM audit.chain_head;
SELECT setval(
    pg_get_serial_sequence('audit.log_entries', 'id'),
    GREATEST((SELECT max(id) FROM audit.log_entries), 1),
    (SELECT max(id) FROM audit.log_entries) IS NOT NULL);

DROP TABLE audit.chain_head;
DROP TABLE audit.chain;

-- Until every reader speaks of log entries (0019 drops it): the old table's name and shape.
CREATE VIEW audit.chain AS
    SELECT id AS seq, at, kind, action, actor, role, referral_id, detail FROM audit.log_entries;
