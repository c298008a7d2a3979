-- Every reader now speaks of audit.log_entries: the old table's name goes (see 0018).
DROP VIEW audit.chain;
