"""SQLAlchemy models, the database handle, transactions and migrations."""
