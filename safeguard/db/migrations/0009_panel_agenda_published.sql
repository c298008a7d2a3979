-- When the chair published a meeting's agenda to the panel (members are told then).
ALTER TABLE panel.meetings ADD COLUMN agenda_published_at timestamptz;
