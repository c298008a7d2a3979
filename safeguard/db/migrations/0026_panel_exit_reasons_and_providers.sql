-- Why support ended, as a code (safeguard.codes.ExitReason). Exits recorded before reasons
-- were keep NULL, which the API reads as "unknown".
ALTER TABLE panel.cases ADD COLUMN exit_reason text;

-- The register of approved intervention providers that support plans choose from. `id` is
-- also the `provider_id` claim of the provider's staff tokens: their plan items are found by
-- it. Entries are deactivated, never deleted: plans and contacts keep naming them.
CREATE TABLE panel.providers (
    id text PRIMARY KEY,
    name text NOT NULL,
    -- Kinds of support offered (safeguard.codes.InterventionType values).
    support text[] NOT NULL,
    -- The areas it is approved for; `national` covers every area.
    areas text[] NOT NULL DEFAULT '{}',
    national boolean NOT NULL DEFAULT false,
    approved_until date NOT NULL,
    active boolean NOT NULL DEFAULT true,
    -- Sent back in If-Match to change the entry.
    version integer NOT NULL DEFAULT 1,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
