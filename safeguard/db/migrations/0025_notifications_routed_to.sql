-- Where a notification went when its recipient had no directory entry and a fallback was used:
-- an escalation to an area's supervisors, where the directory lists none, goes to the area's
-- officers (`prevent_officers@<area>`). NULL when it went to (or still waits for) its recipient.
-- Set afresh by each attempt; a role and a scope, never an address.
ALTER TABLE notifications.notifications ADD COLUMN routed_to text;
