"""Time: periodic jobs that find due work in the database and act on it, and the dispatcher."""
