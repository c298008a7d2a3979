-- The panel's free text sealed with each case's panel data key (services/panel/sealing.py).
-- Text stored before this becomes `0x00 || UTF-8` ("not yet sealed"), which the panel seals
-- when it starts; a recorded step keeps its codes in `detail` and its whole detail sealed.
ALTER TABLE panel.information_requests
    ALTER COLUMN question TYPE bytea USING '\x00'::bytea || convert_to(question, 'UTF8'),
    ALTER COLUMN reply TYPE bytea USING '\x00'::bytea || convert_to(reply, 'UTF8');
ALTER TABLE panel.vulnerability_assessments
    ALTER COLUMN summary TYPE bytea USING '\x00'::bytea || convert_to(summary, 'UTF8');
ALTER TABLE panel.factor_ratings
    ALTER COLUMN notes TYPE bytea USING '\x00'::bytea || convert_to(notes, 'UTF8');
ALTER TABLE panel.item_contacts
    ALTER COLUMN notes TYPE bytea USING '\x00'::bytea || convert_to(notes, 'UTF8');
ALTER TABLE panel.conflicts
    ALTER COLUMN description TYPE bytea USING '\x00'::bytea || convert_to(description, 'UTF8');
ALTER TABLE panel.case_actions ADD COLUMN detail_sealed bytea;
