-- Accepting a referral in one round trip (issue 17). The accepting transaction used to be nine
-- statements from Python (BEGIN, the Idempotency-Key claim, the data key, the per-person lock,
-- the person's earlier referrals, the reference, the insert, the links, COMMIT): on loopback
-- each is a socket write and a wake-up of both processes, and together they were most of a
-- submission's time. The same steps, in the same order and with the same locks, now run in
-- one call. Inside a VOLATILE PL/pgSQL function each statement takes a fresh snapshot, so the
-- earlier-referrals read still sees a concurrent referral of the same person committed while
-- this one waited on the lock, and a duplicate Idempotency-Key still finds the first answer.
--
-- Returns one row: `o_reference` is the new referral's, or (for a key already used) the
-- earlier referral's, with `o_replayed` true and the earlier body's hash; it is NULL
-- when the earlier referral has since been erased. Change it only by a new migration
-- (CREATE OR REPLACE), keeping services/intake/store.py's call in step.
CREATE FUNCTION intake.accept_referral(
    p_id uuid,
    p_client_id text,
    p_idempotency_key text,
    p_request_hash bytea,
    p_received_at timestamptz,
    p_sector text,
    p_concern_type text,
    p_area text,
    p_age_at_referral integer,
    p_gender text,
    p_person_key bytea,
    p_form_sealed bytea,
    p_workflow_id_prefix text,
    p_key_service text,
    p_wrapped_key text,
    p_kek_version integer,
    p_channel text,
    p_announcement text,
    OUT o_reference text,
    OUT o_replayed boolean,
    OUT o_earlier_hash bytea
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_serial integer;
    v_year integer := extract(year FROM p_received_at AT TIME ZONE 'UTC');
BEGIN
    INSERT INTO intake.idempotency_keys (client_id, key, request_hash, referral_id)
    VALUES (p_client_id, p_idempotency_key, p_request_hash, p_id)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        o_replayed := true;
        SELECT i.request_hash, r.reference INTO o_earlier_hash, o_reference
        FROM intake.idempotency_keys i JOIN intake.referrals r ON r.id = i.referral_id
        WHERE i.client_id = p_client_id AND i.key = p_idempotency_key;
        RETURN;
    END IF;
    o_replayed := false;
    IF p_wrapped_key IS NOT NULL THEN
        INSERT INTO keyring.data_keys (service, owner, wrapped, kek_version)
        VALUES (p_key_service, p_id, p_wrapped_key, p_kek_version);
    END IF;
    -- A second referral of the same person, arriving at the same moment, waits here until
    -- the first commits, and so links to it.
    PERFORM pg_advisory_xact_lock(
        ('x' || encode(substring(p_person_key FROM 1 FOR 8), 'hex'))::bit(64)::bigint
    );
    -- Issued last: the year's counter row stays locked until the commit, so concurrent
    -- referrals queue on it only for the inserts and the commit.
    INSERT INTO intake.reference_counters AS c (year, last_serial) VALUES (v_year, 1)
    ON CONFLICT (year) DO UPDATE SET last_serial = c.last_serial + 1
    RETURNING c.last_serial INTO v_serial;
    o_reference := 'PRV-' || v_year || '-'
        || lpad(v_serial::text, greatest(6, length(v_serial::text)), '0');
    INSERT INTO intake.referrals (id, reference, client_id, received_at, sector, concern_type,
        area, age_at_referral, person_key, form_sealed, workflow_id, next_start_at, gender)
    VALUES (p_id, o_reference, p_client_id, p_received_at, p_sector, p_concern_type, p_area,
        p_age_at_referral, p_person_key, p_form_sealed, p_workflow_id_prefix || o_reference,
        p_received_at, p_gender);
    INSERT INTO intake.referral_links (referral_id, linked_referral_id)
    SELECT p_id, e.id FROM intake.referrals e
    WHERE e.person_key = p_person_key AND e.id <> p_id;
    -- Heard by the starters when this transaction commits.
    PERFORM pg_notify(p_channel, p_announcement);
END;
$$;
