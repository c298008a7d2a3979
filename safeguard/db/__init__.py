"""PostgreSQL access: the connection pool and versioned migrations."""
