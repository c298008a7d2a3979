-- The tables of every area, police force area and region of a period, protected together
-- (safeguard/statistics/hierarchy.py) by one process in the background, and served from here:
-- protecting a full year costs tens of seconds, far more than a request may take.
--
-- Aggregates only (no person, no reference). All scopes of a period come from one snapshot of
-- the fact rows, so no two of them can be subtracted across a change.

-- One row per period and kind asked for: the release with one of its age schemes (`recent`,
-- ...), or the Prevent lead's figures (`dashboard`).
CREATE TABLE statistics.protected_periods (
    period text NOT NULL,
    kind text NOT NULL,
    -- Last asked for (refreshed at most hourly): periods nobody asks about are not kept fresh.
    requested_at timestamptz NOT NULL DEFAULT now(),
    -- When the counts were read; NULL until the first protection is made.
    made_at timestamptz,
    -- What the protection was made under: another threshold, or national tables suppressed
    -- or not, makes it unusable.
    threshold integer,
    national_whole boolean,
    -- A hash of every scope's figures before suppression: the same need no new protection.
    fingerprint bytea,
    PRIMARY KEY (period, kind)
);

-- Each scope's protected figures: for a release, its counts ({dimension: [[label, outcome,
-- n], ...]}) and hidden sums ([[atom, ...], ...]); for the dashboard, its answer as served.
CREATE TABLE statistics.protected_scopes (
    period text NOT NULL,
    kind text NOT NULL,
    scope text NOT NULL,
    content jsonb NOT NULL,
    PRIMARY KEY (period, kind, scope),
    FOREIGN KEY (period, kind) REFERENCES statistics.protected_periods ON DELETE CASCADE
);
