-- The notifications directory's addresses and webhook secrets, sealed with the directory's data
-- key (services/notifications/directory.py). Entries stored before are marked `0x00 || text`
-- and sealed when the notifications service starts.
ALTER TABLE notifications.directory
    ALTER COLUMN address TYPE bytea USING '\x00'::bytea || convert_to(address, 'UTF8'),
    ALTER COLUMN webhook_secret TYPE bytea
        USING '\x00'::bytea || convert_to(webhook_secret, 'UTF8');
