"""Storage: SQLAlchemy models, sessions, queries and migrations. Imports nothing of ours."""
